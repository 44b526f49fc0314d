"""A small, documented hyperparameter search for SB3's DQN on studentgym/Tutoring-v0.

SB3's DQN defaults are tuned for Atari (target update every 10,000 steps, 1M
buffer) and do not learn on small problems. Each candidate overrides the packaged
hyperparameters (``studentgym/hyperparams/dqn.yml``), trains on half of the
students and is evaluated greedily on the other half, with common random numbers,
against doing nothing. The winner is copied by hand into the YAML, with the table.

    python scripts/tune_dqn.py --out outputs/dqn_search.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.agents.benchmark import Judge
from studentgym.agents.dqn import load_hyperparams, train_dqn
from studentgym.atomic import atomic_write_csv
from studentgym.envs.setup import default_world
from studentgym.simulators.student import StudentSimulator

CANDIDATES = [  # overrides of the packaged hyperparameters, one candidate each
    {"n_steps": 16, "learning_rate": 5e-5, "exploration_fraction": 0.5, "batch_size": 256},
    {"n_steps": 16, "learning_rate": 5e-5, "exploration_fraction": 0.5, "batch_size": 64},
    {
        "n_steps": 16,
        "learning_rate": 5e-5,
        "exploration_fraction": 0.5,
        "batch_size": 64,
        "gamma": 0.95,
    },
    {"n_steps": 8, "learning_rate": 5e-5, "exploration_fraction": 0.5, "batch_size": 64},
    {"n_steps": 16, "learning_rate": 1e-4, "exploration_fraction": 0.3, "batch_size": 64},
    {"n_steps": 1, "learning_rate": 5e-5, "exploration_fraction": 0.5, "batch_size": 64},
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600_000, help="training steps per candidate")
    parser.add_argument("--envs", type=int, help="students stepped in parallel (default: YAML)")
    parser.add_argument("--students", type=int, default=4_000, help="cohort size")
    parser.add_argument("--eval-students", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="outputs/dqn_search.csv")
    args = parser.parse_args(argv)

    cohort, model = default_world(args.students, 39, 0)
    simulator = StudentSimulator(cohort, model)
    rows = np.random.default_rng(args.seed).permutation(args.students)
    train, held_out = rows[: args.students // 2], rows[args.students // 2 :]

    evaluate = Judge(simulator, held_out, args.eval_students, seed=args.seed + 1)
    base_params = load_hyperparams()
    if args.envs:
        base_params["n_envs"] = args.envs
    results = []
    for params in CANDIDATES:
        start = time.perf_counter()
        _, curve = train_dqn(
            {"simulator": simulator, "students": train},
            evaluate,
            total_timesteps=args.steps,
            hyperparams={**base_params, **params},
            eval_points=1,
            seed=args.seed,
        )
        final = curve.iloc[-1]
        results.append(
            {
                **params,
                "steps": args.steps,
                "train_seconds": round(time.perf_counter() - start, 1),
                "return_vs_none": final["value"],
                "ci_low": final["ci_low"],
                "ci_high": final["ci_high"],
            }
        )
        print(results[-1], flush=True)
    table = pd.DataFrame(results).sort_values("return_vs_none", ascending=False)
    print(table.round(4).to_string(index=False))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_csv(table, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

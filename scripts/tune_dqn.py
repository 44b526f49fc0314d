"""A small, documented hyperparameter search for SB3's DQN on studentgym/Tutoring-v0.

SB3's DQN defaults are tuned for Atari (target update every 10,000 steps, 1M
buffer) and do not learn on small problems. This script trains each candidate
on the training students, evaluates its greedy policy on held-out students with
common random numbers against doing nothing, and writes the table it ranked by.
The winner is copied by hand into hyperparams/dqn.yml (with the table's numbers).

    python scripts/tune_dqn.py --steps 60000 --out outputs/dqn_search.csv
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from stable_baselines3 import DQN

from studentgym.agents.evaluation import rollout
from studentgym.agents.policies import NoIntervention
from studentgym.agents.sb3 import SB3VecEnv
from studentgym.atomic import atomic_write_csv
from studentgym.envs.setup import default_world
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.simulators.student import StudentSimulator

GRID = {
    "learning_rate": [1e-3, 3e-4],
    "target_update_interval": [500, 2000],
    "exploration_fraction": [0.3],
}
FIXED = {
    "buffer_size": 50_000,
    "learning_starts": 1_000,
    "batch_size": 64,
    "train_freq": 4,
    "gradient_steps": 1,
    "gamma": 0.99,
    "exploration_final_eps": 0.05,
    "policy_kwargs": {"net_arch": [64, 64]},
}


class GreedyDQN:
    def __init__(self, model: DQN) -> None:
        self.model = model

    def act(self, obs, info):
        return self.model.predict(obs, deterministic=True)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60_000, help="training steps per candidate")
    parser.add_argument("--envs", type=int, default=16, help="students stepped in parallel")
    parser.add_argument("--students", type=int, default=4_000, help="cohort size")
    parser.add_argument("--eval-students", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="outputs/dqn_search.csv")
    args = parser.parse_args(argv)

    cohort, model = default_world(args.students, 39, 0)
    rows = np.random.default_rng(args.seed).permutation(args.students)
    train, held_out = rows[: args.students // 2], rows[args.students // 2 :]

    def make_eval_env():
        return TutoringVectorEnv(
            num_envs=args.eval_students,
            students=held_out,
            simulator=StudentSimulator(cohort, model),
        )

    baseline = rollout(NoIntervention(), make_eval_env, seed=args.seed + 1)["return"]
    results = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        env = SB3VecEnv(args.envs, simulator=StudentSimulator(cohort, model), students=train)
        env.seed(args.seed)
        start = time.perf_counter()
        agent = DQN("MlpPolicy", env, seed=args.seed, verbose=0, **FIXED, **params)
        agent.learn(args.steps)
        seconds = time.perf_counter() - start
        gain = rollout(GreedyDQN(agent), make_eval_env, seed=args.seed + 1)["return"] - baseline
        half = 1.96 * gain.std(ddof=1) / np.sqrt(len(gain))
        results.append(
            {
                **params,
                "steps": args.steps,
                "train_seconds": round(seconds, 1),
                "return_vs_none": gain.mean(),
                "ci_low": gain.mean() - half,
                "ci_high": gain.mean() + half,
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

"""A small, documented hyperparameter search for SB3's DQN on studentgym/Tutoring-v0.

SB3's DQN defaults are tuned for Atari (target update every 10,000 steps, 1M
buffer) and do not learn on small problems. Each candidate overrides the packaged
hyperparameters (``studentgym/hyperparams/dqn.yml``) and is trained with several
seeds. Selection never sees the benchmark's evaluation students: the search
splits the students as ``train_agent.py`` does (:mod:`studentgym.split`), trains on
the training students in the classifier simulator (the benchmark's default world)
and judges the greedy policy as the benchmark's verdicts are judged, by the ground
truth, on the validation students, with common random numbers, against doing
nothing. The winner is copied by hand into the YAML, with the table. The trained
networks are also judged as ensembles of seeds (``n_models``) and as conservative
greedy policies at several ``action_margin`` values (see ``GreedyDQN``), which
costs no more training.

    python scripts/tune_dqn.py --out outputs/dqn_search.csv
    python scripts/tune_dqn.py --candidates 0 1 --out a.csv   # a share of the work
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import combinations
from pathlib import Path

import pandas as pd

from studentgym.agents.benchmark import Judge
from studentgym.agents.dqn import GreedyDQN, load_hyperparams, train_dqn
from studentgym.atomic import atomic_write_csv
from studentgym.envs.world import WorldSpec, load_world
from studentgym.experiment.settings import VERDICT_JUDGE
from studentgym.simulators.config import CohortConfig
from studentgym.simulators.student import StudentSimulator
from studentgym.split import split_students


def _budget(
    n_envs: int, vector_steps: int, gradient_steps: int, learning_rate: float
) -> dict[str, float]:
    """A candidate trained for ``vector_steps`` steps of ``n_envs`` students.

    The main job trains six DQNs (three seeds in two worlds), so each must cost
    seconds, not minutes. The target network follows every 125 gradient steps and
    the buffer holds everything a run sees.
    """
    return {
        "n_envs": n_envs,
        "n_timesteps": vector_steps * n_envs,
        "gradient_steps": gradient_steps,
        "learning_rate": learning_rate,
        "buffer_size": vector_steps * n_envs,
        "target_update_interval": 125 * n_envs // gradient_steps,
    }


CANDIDATES = [  # overrides of the packaged hyperparameters, one candidate each
    _budget(256, 2_000, 2, 1e-4),
    _budget(256, 2_000, 2, 3e-4),
    _budget(256, 2_000, 2, 1e-3),
    _budget(256, 2_000, 4, 3e-4),
    _budget(128, 3_000, 2, 3e-4),
    _budget(512, 1_500, 2, 3e-4),
]
SEARCHED = ("n_envs", "n_timesteps", "gradient_steps", "learning_rate")
MAX_ENSEMBLE = 3
"""Every subset of the trained seeds up to this size is judged as an ensemble
(``n_models``): ensembles cost training time but no search time."""
MARGINS = (0.0, 0.02, 0.04, 0.06)
"""Q-value leads over no intervention the deployed greedy policy needs (``action_margin``);
each trained network is judged at every margin, so margins cost no extra training."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="training steps per run (default: candidate's)")
    parser.add_argument(
        "--envs",
        type=int,
        help="students stepped in parallel (default: candidate's; for quick checks, "
        "the buffer and target period are not rescaled)",
    )
    parser.add_argument(
        "--students", type=int, default=CohortConfig.n_students, help="cohort size (OULAD's)"
    )
    parser.add_argument("--eval-students", type=int, default=3_000, help="validation slots")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds")
    parser.add_argument(
        "--candidates", type=int, nargs="+", help="indices into CANDIDATES (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the cohort and the split")
    parser.add_argument("--out", default="outputs/dqn_search.csv")
    args = parser.parse_args(argv)
    chosen = range(len(CANDIDATES)) if args.candidates is None else args.candidates
    if any(not 0 <= i < len(CANDIDATES) for i in chosen):
        parser.error(f"--candidates must lie in [0, {len(CANDIDATES)})")

    world = load_world(WorldSpec(args.students, cohort_seed=args.seed, fit_on="train"))
    cohort, success_model = world.cohort, world.success_model  # the benchmark's world
    split = split_students(args.students, args.seed)  # and its split
    simulator = StudentSimulator(cohort, success_model)  # the default training world
    truth = StudentSimulator(cohort, success_model, outcome_model=VERDICT_JUDGE)
    fit, validation = split.train, split.validation
    evaluate = Judge(truth, validation, args.eval_students, seed=args.seed + 7)
    results = []
    for index in chosen:
        params = {**load_hyperparams(), **CANDIDATES[index], "n_models": 1}
        if args.envs:
            params["n_envs"] = args.envs
        runs = {}
        for seed in args.seeds:
            start = time.perf_counter()
            runs[seed], _ = train_dqn(
                {"simulator": simulator, "students": fit},
                evaluate,
                total_timesteps=args.steps,
                hyperparams=params,
                eval_points=1,
                seed=seed,
            )
            print(
                f"candidate {index}, seed {seed}: {time.perf_counter() - start:.0f} s", flush=True
            )
        for size in range(1, min(len(runs), MAX_ENSEMBLE) + 1):
            for seeds in combinations(runs, size):
                models = [member for s in seeds for member in runs[s].models]
                normalizers = [n for s in seeds for n in runs[s].normalizers]
                for margin in MARGINS:
                    frame = evaluate.rollout(GreedyDQN(models, normalizers, margin))
                    value, low, high = evaluate.compare(frame)
                    results.append(
                        {
                            "candidate": index,
                            **{key: params[key] for key in SEARCHED},
                            "n_models": size,
                            "seeds": "+".join(map(str, seeds)),
                            "action_margin": margin,
                            "return_vs_none": value,
                            "ci_low": low,
                            "ci_high": high,
                            "tutor_hours": frame["tutor_hours"].mean(),
                        }
                    )
                    print(results[-1], flush=True)
    table = pd.DataFrame(results)
    by_candidate = table.groupby(["candidate", "n_models", "action_margin"]).agg(
        mean_vs_none=("return_vs_none", "mean"),
        worst=("return_vs_none", "min"),
        tutor_hours=("tutor_hours", "mean"),
    )
    print(by_candidate.round(4).to_string())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_csv(table, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

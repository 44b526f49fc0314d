"""Search DQN's hyperparameters on Ray Tune with Optuna's sampler, on validation students.

    python scripts/tune_dqn.py                        # the default run's DQN, a local Ray
    python scripts/tune_dqn.py --trials 60 --address auto   # more trials, on a cluster
    python scripts/tune_dqn.py --quick --trials 4 --confirm 1   # a check in minutes

Each trial trains the benchmark's DQN ensemble (``training_seeds`` models) on the
training students and judges it by the ground truth on the validation students the
baselines are tuned on; the evaluation students are never seen. The first trial is the
packaged ``studentgym/hyperparams/dqn.yml``; the best trials and it are then trained again
with fresh seeds, and a candidate is chosen only if it beats the packaged hyperparameters,
and doing nothing, there (``studentgym/experiment/dqn_search.py`` says why). The table goes to
``<out>/dqn_search.csv``; copy the chosen row into ``dqn.yml`` with the table, by hand.
Exit status 2 for arguments it refuses, before any trial starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

from studentgym.atomic import atomic_write_csv
from studentgym.experiment.dqn_search import METRIC, SEARCHED, incumbent, overrides, search_dqn
from studentgym.experiment.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=24, help="trials TPE proposes (24)")
    parser.add_argument("--confirm", type=int, default=3, help="best trials retrained (3)")
    parser.add_argument("--quick", action="store_true", help="the --quick run's DQN")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (cohort, split)")
    parser.add_argument("--students", type=int, help="cohort size (default: the run's)")
    parser.add_argument("--dqn-steps", type=int, help="steps per model (default: the run's)")
    parser.add_argument("--envs", type=int, help="students stepped in parallel (dqn.yml's)")
    parser.add_argument("--sampler-seed", type=int, default=0, help="seed of TPE (0)")
    parser.add_argument("--address", help="a Ray cluster (default: RAY_ADDRESS, else local)")
    parser.add_argument("--out", default="outputs/dqn_search", help="folder for the table")
    args = parser.parse_args(argv)
    changes = {"seed": args.seed}
    if args.students is not None:
        changes["students"] = args.students
    if args.dqn_steps is not None:
        changes["dqn_steps"] = args.dqn_steps
    if args.envs is not None:
        changes["dqn"] = {"n_envs": args.envs}
    try:
        settings = Settings.quick(**changes) if args.quick else Settings(**changes)
        incumbent(settings)
        if args.trials < 0 or args.confirm < 0:
            raise ValueError("--trials and --confirm must be >= 0")
        if args.envs is not None and args.envs < 1:
            raise ValueError(f"--envs must be >= 1, got {args.envs}")
    except (ValueError, KeyError) as err:
        parser.error(str(err))
    started = time.perf_counter()
    table = search_dqn(
        settings, args.out, args.trials, args.confirm, args.sampler_seed, args.address
    )
    path = Path(args.out) / "dqn_search.csv"
    atomic_write_csv(table, path)
    shown = ["phase", "trial", *SEARCHED, METRIC, "worst_seed", "ensemble_value", "chosen"]
    print(table.sort_values(["phase", METRIC], ascending=False)[shown].round(4).to_string())
    chosen = table[table["chosen"]].iloc[0]
    print(f"chosen: trial {chosen['trial']}; its values for dqn.yml, to the digit:")
    print(yaml.safe_dump(overrides(chosen.to_dict()), sort_keys=False).rstrip())
    print(f"dqn search: {len(table)} trials in {time.perf_counter() - started:.0f} s, {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""studentgym's main job: cohort -> predictors -> env -> recommenders -> agents -> verdicts.

An argparse front over :func:`studentgym.experiment.run`; the stages are listed in
``studentgym/experiment/pipeline.py`` and the results in ``--out`` (read
``summary.md`` first).

    python scripts/train_agent.py            # the default run
    python scripts/train_agent.py --quick    # about a minute
    python scripts/train_agent.py --data path/to/oulad/   # real OULAD instead
    python scripts/train_agent.py --robustness   # and every policy on 8 student models
    python scripts/train_agent.py --capacities 0.1   # the capacity stage at one capacity
"""

from __future__ import annotations

import argparse
import sys
import time

from studentgym.experiment import Settings, run
from studentgym.simulators.student import OUTCOME_MODELS
from studentgym.simulators.variants import STUDENT_MODELS


def parse_args(argv: list[str] | None = None) -> tuple[Settings, str, int | None]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the whole run")
    parser.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    parser.add_argument("--quick", action="store_true", help="a small run of about a minute")
    parser.add_argument("--data", help="folder with OULAD's seven CSVs (instead of synthetic)")
    parser.add_argument("--students", type=int, help="cohort size (default: OULAD's 32,593)")
    parser.add_argument("--training-seeds", type=int, help="seeds per learned agent (default 3)")
    parser.add_argument("--episodes", type=int, help="Q-learning episodes per training seed")
    parser.add_argument(
        "--dqn-steps", type=int, help="DQN steps per training seed (default: the YAML's)"
    )
    parser.add_argument(
        "--eval-students", type=int, help="distinct evaluation students (default 4,000)"
    )
    parser.add_argument(
        "--validation-students",
        type=int,
        help="validation students the baselines are tuned on (default 2,000)",
    )
    parser.add_argument(
        "--train-on",
        nargs="+",
        choices=OUTCOME_MODELS,
        help="worlds the agents are trained in, the default agent's first "
        "(default: classifier ground_truth)",
    )
    parser.add_argument(
        "--student-model",
        choices=list(STUDENT_MODELS),
        help="the ground truth the whole run happens in (default: default)",
    )
    parser.add_argument(
        "--robustness",
        nargs="*",
        choices=list(STUDENT_MODELS),
        help="also judge every policy on these student models (none named: all of them; "
        "robustness_matrix.csv, 20 to 70 s more)",
    )
    parser.add_argument(
        "--no-predictors",
        action="store_true",
        help="skip the predictor study (nothing later uses it; "
        "scripts/train_predictors.py runs it alone)",
    )
    parser.add_argument(
        "--capacities",
        type=float,
        nargs="+",
        help="weekly tutor hours per student of the capacity stage, 'inf' for no limit "
        "(default 0.02 0.05 0.1 0.25 inf)",
    )
    parser.add_argument(
        "--class-size",
        type=int,
        help="students per class in the capacity stage (default 500; at most the evaluation "
        "and validation students)",
    )
    parser.add_argument(
        "--no-capacity",
        action="store_true",
        help="skip the capacity stage (classes sharing weekly tutor hours)",
    )
    parser.add_argument(
        "--offline-check",
        action="store_true",
        help="add the offline stage: off-policy estimators against the policies' true values "
        "(ope_evaluation.csv; 3.5 to 11 more minutes)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="processes training the agents' worlds, and judging the capacities, at once "
        "(default: as the CPUs allow; 1: in turn, in this process); the results do not "
        "depend on it",
    )
    args = parser.parse_args(argv)
    changes = {
        "seed": args.seed,
        "data": args.data,
        "students": args.students,
        "training_seeds": args.training_seeds,
        "episodes": args.episodes,
        "dqn_steps": args.dqn_steps,
        "eval_students": args.eval_students,
        "validation_students": args.validation_students,
        "train_on": tuple(args.train_on) if args.train_on else None,
        "offline_check": args.offline_check or None,
        "predictor_study": False if args.no_predictors else None,
        "capacity_study": False if args.no_capacity else None,
        "capacities": tuple(args.capacities) if args.capacities else None,
        "class_size": args.class_size,
        "student_model": args.student_model,
        "robustness": None if args.robustness is None else tuple(args.robustness or STUDENT_MODELS),
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    try:
        settings = Settings.quick(**changes) if args.quick else Settings(**changes)
    except ValueError as err:  # "episodes must be >= 1, got 0": name the flag instead
        field, _, rest = str(err).partition(" ")
        parser.error(f"--{field.replace('_', '-')} {rest}" if field in changes else str(err))
    return settings, args.out, args.workers


def main(argv: list[str] | None = None) -> int:
    settings, out, workers = parse_args(argv)
    started = time.perf_counter()
    try:
        results = run(settings, out, workers=workers)
    except (ValueError, FileNotFoundError) as err:
        print(f"train_agent.py: error: {err}", file=sys.stderr)
        return 2
    columns = ["policy", "seeds", "success_rate", "mean_return", "tutor_hours"]
    columns += ["return_minus_no_intervention", "verdict_vs_no_intervention"]
    columns += ["return_minus_recommender", "verdict_vs_recommender"]
    columns += ["return_minus_best_schedule", "verdict_vs_best_schedule", "gaming_gap"]
    print(results.benchmark[columns].round(4).to_string(index=False))
    print(
        f"\nwrote {len(results.files)} result files to {out} in "
        f"{time.perf_counter() - started:.0f} s; read {out}/summary.md first"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

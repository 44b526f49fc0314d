"""Aggregate LMS event exports into weekly behavioural features, one row per learner-week.

    python scripts/lms_features.py --data lms_export/ --out outputs/weekly_behavioral_features.csv

The folder holds users.csv, courses.csv, modules.csv, lesson_activity.csv and
quiz_attempts.csv (columns in ``studentgym.io.lms``). Nothing is written if an
export is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studentgym.atomic import atomic_write_csv
from studentgym.io.lms import weekly_behavioral_features


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with the five LMS exports")
    parser.add_argument("--out", default="outputs/weekly_behavioral_features.csv")
    args = parser.parse_args(argv)
    try:
        weekly = weekly_behavioral_features(args.data)
    except (ValueError, FileNotFoundError) as err:
        print(f"lms_features.py: error: {err}", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    path = atomic_write_csv(weekly, args.out)
    learners = weekly["user_id"].nunique()
    print(f"{len(weekly)} learner-weeks for {learners} learners written to {path}")
    print(weekly.describe().T[["mean", "min", "max"]].round(2).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())

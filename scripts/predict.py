"""Score a teacher's per-student CSV: success probability, label, segment, intervention.

    python scripts/predict.py --input students.csv --out results.csv
    python scripts/predict.py --input students.csv --out results.csv --train labelled.csv
    python scripts/predict.py --input students.csv --hours 3   # whom to contact within 3 hours

The input needs Student_ID, Quiz1-3, Time_Spent, Assignments and Attendance
(Final_Result optional: if present, the predictions are compared with it). The
model is trained on ``--train`` (a labelled file of the same kind) or, by default,
on a synthetic OULAD-like cohort seen through the same columns. Writes the
results and ``<out stem>_summary.csv`` (students, at risk, by segment) for a
spreadsheet (formulas neutralised, see ``studentgym.io.csvfile``); nothing is
written if the input is refused (a row with the wrong number of fields, an
unknown encoding, missing or mistyped columns: one line naming the file and line).
With ``--hours H``, also the contact list for this week (``<out stem>_contacts.csv``):
whom to contact within H tutor hours, in which order and with what, and what the
order rests on (``studentgym.agents.contacts``).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score

from studentgym.agents.contacts import RESTS_ON, check_hours, contact_list, explain
from studentgym.io.csvfile import write_spreadsheet_csv
from studentgym.io.teacher import (
    class_summary,
    fit_teacher_model,
    read_teacher_csv,
    success_labels,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the students' CSV")
    parser.add_argument("--out", default="results.csv", help="results CSV (default results.csv)")
    parser.add_argument("--train", help="a labelled CSV of the same kind to train on")
    parser.add_argument("--threshold", type=float, default=0.5, help="P(success) below = at risk")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--hours",
        type=float,
        help="tutor hours this week: print and write whom to contact within them, in order",
    )
    args = parser.parse_args(argv)
    if args.hours is not None:
        try:
            check_hours(args.hours)
        except ValueError as err:
            parser.error(f"--hours: {err}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        frame, repairs = read_teacher_csv(args.input)
        model, source = fit_teacher_model(args.train, args.threshold, args.seed)
    except (ValueError, FileNotFoundError) as err:
        print(f"predict.py: error: {err}", file=sys.stderr)
        return 2

    results = model.score(frame)
    summary = class_summary(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_spreadsheet_csv(results, out)
    summary_path = write_spreadsheet_csv(summary, out.with_name(f"{out.stem}_summary.csv"))

    print(f"scored {len(results)} students from {args.input} (model trained on {source})")
    for repair in repairs:
        print(f"  repaired: {repair}")
    truth = success_labels(frame)
    if truth is not None and len(np.unique(truth)) == 2:
        auc = roc_auc_score(truth, results["success_probability"])
        accuracy = accuracy_score(truth, ~results["at_risk"])
        print(f"  against Final_Result: ROC-AUC {auc:.3f}, accuracy {accuracy:.3f}")
    print(summary.round(3).to_string(index=False))
    written = [out, summary_path]
    if args.hours is not None:
        contacts = contact_list(results, args.hours)
        written.append(write_spreadsheet_csv(contacts, out.with_name(f"{out.stem}_contacts.csv")))
        print(f"\nwhom to contact this week, in order ({args.hours:g} tutor hours):")
        shown = ["order", "Student_ID", "intervention", "tutor_hours", "hours_so_far"]
        shown += ["success_probability", "reason"]
        print(contacts[shown].to_string(index=False) if len(contacts) else "  nobody")
        print(textwrap.fill(explain(results, args.hours), width=100))
        print(textwrap.fill(RESTS_ON["teacher"], width=100))
    print("wrote " + ", ".join(map(str, written)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

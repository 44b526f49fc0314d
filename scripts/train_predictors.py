"""Train and compare the success predictors on a synthetic OULAD-like cohort or real OULAD.

Writes model_scores.csv, early_prediction.csv, fairness.csv, feature_importance.csv,
segments.csv (and their companions), the PNGs and best_model.skops into --out.

    python scripts/train_predictors.py --quick
    python scripts/train_predictors.py --data path/to/oulad/   # the seven OULAD CSVs

With --data there is no latent truth, so early_prediction.csv has no ceiling.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from studentgym.io.oulad import read_oulad
from studentgym.predictors.report import run_predictors
from studentgym.predictors.zoo import MODEL_NAMES
from studentgym.simulators import CohortConfig, CohortGenerator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed of the whole run")
    parser.add_argument("--out", default="outputs/predictors", help="output folder")
    parser.add_argument(
        "--students",
        type=int,
        default=None,
        help="cohort size (default: OULAD's 32,593; 3,000 with --quick)",
    )
    parser.add_argument(
        "--max-students",
        type=int,
        default=None,
        help="stratified sample for cross-validation (default 6,000; 1,500 quick)",
    )
    parser.add_argument(
        "--folds", type=int, default=5, help="cross-validation folds (3 with --quick unless given)"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=list(MODEL_NAMES),
        choices=MODEL_NAMES,
        help="zoo models to compare",
    )
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    parser.add_argument("--data", help="folder with OULAD's seven CSVs (instead of synthetic)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n_students = args.students or (3_000 if args.quick else CohortConfig.n_students)
    max_students = args.max_students or (1_500 if args.quick else 6_000)
    try:
        config = dataclasses.replace(CohortConfig(), n_students=n_students)
        if max_students < 100 or args.folds < 2:
            raise ValueError("--max-students must be >= 100 and --folds >= 2")
    except ValueError as err:
        print(f"train_predictors.py: error: {err}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if args.data:
        try:
            cohort = read_oulad(args.data)
        except (ValueError, FileNotFoundError) as err:
            print(f"train_predictors.py: error: {err}", file=sys.stderr)
            return 2
        config = cohort.config
        print(f"read {config.n_students} registrations, {config.n_weeks} weeks from {args.data}")
    else:
        cohort = CohortGenerator(config, seed=args.seed).generate()
    weeks = [2, 4, 8, config.n_weeks] if args.quick else None
    folds = 3 if args.quick and args.folds == 5 else args.folds
    report = run_predictors(
        cohort,
        args.out,
        seed=args.seed,
        max_students=max_students,
        n_splits=folds,
        models=args.models,
        weeks=weeks,
    )
    print_summary(report)
    print(
        f"\nwrote {len(report.files)} files to {Path(args.out)} in "
        f"{time.perf_counter() - start:.0f} s"
    )
    return 0


def print_summary(report) -> None:
    cols = [
        "model",
        "accuracy_mean",
        "f1_mean",
        "roc_auc_mean",
        "roc_auc_std",
        "pr_auc_mean",
        "brier_mean",
    ]
    print("Model comparison (cross-validated, same folds):")
    print(report.model_scores[cols].round(3).to_string(index=False))
    print(f"\nChosen: {report.best_model} (best mean ROC-AUC; ties within 0.002 -> lower Brier)")
    early = report.early_prediction
    table = early.pivot(index="week", columns="model", values="roc_auc_mean")
    table["ceiling"] = early.groupby("week")["ceiling_roc_auc"].first()
    print("\nROC-AUC by week observed:")
    print(table.round(3).to_string())
    print("\nSegments:")
    print(
        report.segments[["segment", "students", "share", "success_rate"]]
        .round(3)
        .to_string(index=False)
    )
    print("\nLargest fairness gaps (held-out):")
    print(report.fairness_gaps.head(6).round(3).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())

"""The learning-analytics pipeline end to end, writing its tables and figures.

:func:`run_predictors` is what ``scripts/train_predictors.py`` and the predictor
stage of ``scripts/train_agent.py`` run. In order:

1. a stratified sample of at most ``max_students`` for the cross-validated work
   (the SVM's cost grows with the square of the training size);
2. the model zoo on full-course features, same folds -> ``model_scores.csv``;
3. the best model by :func:`~studentgym.predictors.zoo.select_best`, refitted on a
   training split and judged on the held-out split: confusion matrix, four-class
   view, fairness, permutation importance, logistic coefficients;
4. early prediction by week with the ground-truth ceiling -> ``early_prediction.csv``;
5. K-means segments of the students still registered at ``segment_week`` (when a
   tutor decides interventions) -> ``segments.csv``;
6. the best model refitted on the whole sample, saved as ``best_model.skops``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from studentgym.atomic import atomic_write_csv
from studentgym.predictors import plots
from studentgym.predictors.classifier import SuccessClassifier
from studentgym.predictors.early import default_weeks, early_prediction
from studentgym.predictors.explain import logistic_coefficients, permutation_importance_table
from studentgym.predictors.fairness import FAIRNESS_ATTRIBUTES, group_metrics, largest_gaps
from studentgym.predictors.features import success_target, weekly_features
from studentgym.predictors.persistence import save_model
from studentgym.predictors.segments import StudentSegmenter, silhouette_scan
from studentgym.predictors.zoo import MODEL_NAMES, compare_models, folds, select_best
from studentgym.simulators.cohort import Cohort


@dataclass
class PredictorReport:
    """What the pipeline produced (the same tables it wrote)."""

    best_model: str
    classifier: SuccessClassifier
    segmenter: StudentSegmenter
    model_scores: pd.DataFrame
    early_prediction: pd.DataFrame
    fairness: pd.DataFrame
    fairness_gaps: pd.DataFrame
    feature_importance: pd.DataFrame
    segments: pd.DataFrame
    files: list[Path]


def _progress(enabled: bool, total: int, desc: str):
    # disable=None: bars only on a terminal, so logs and CI stay readable
    return tqdm(total=total, desc=desc, disable=None if enabled else True, leave=False)


def _tick(bar, label: str) -> None:
    bar.set_postfix_str(label)
    bar.update()


def run_predictors(
    cohort: Cohort,
    out: str | Path,
    seed: int = 0,
    max_students: int = 6000,
    n_splits: int = 5,
    models: Sequence[str] = MODEL_NAMES,
    early_models: Sequence[str] | None = None,
    weeks: Sequence[int] | None = None,
    sequence_weeks: Sequence[int] | None = None,
    segment_week: int = 8,
    progress: bool = True,
) -> PredictorReport:
    """Run the pipeline on ``cohort`` and write its outputs into ``out``.

    Args:
        cohort: the cohort (synthetic, so the ground-truth ceiling is known).
        out: output folder (created if needed); files are written atomically.
        seed: seed of sampling, folds and models.
        max_students: size of the stratified sample for cross-validated work.
        n_splits: cross-validation folds (the same folds for every model and week).
        models: zoo models to compare.
        early_models: models of the early-prediction curve (default: ``models``).
        weeks: early-prediction weeks (default: ``default_weeks``).
        sequence_weeks: weeks at which the GRU is compared too (default: 4, 8, 16, end).
        segment_week: week whose features segment the students still registered then.
        progress: show progress bars.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n_weeks = cohort.config.n_weeks
    y_all = success_target(cohort).to_numpy()
    rows = np.arange(len(y_all))
    if len(rows) > max_students:
        rows, _ = train_test_split(rows, train_size=max_students, stratify=y_all, random_state=seed)
        rows = np.sort(rows)
    sample = cohort.subset(rows)
    X = weekly_features(sample, n_weeks)
    y = y_all[rows]
    cv = folds(y, n_splits, seed)

    bar = _progress(progress, len(models), "model zoo")
    scores = compare_models(X, y, cv, models, seed, progress=lambda name: _tick(bar, name))
    bar.close()
    best = select_best(scores)

    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
    held_out = SuccessClassifier(best, seed).fit(X.iloc[train], y[train])
    p_test = held_out.predict_proba(X.iloc[test])[:, 1]
    importance = permutation_importance_table(held_out.pipeline_, X.iloc[test], y[test], seed)
    fairness = group_metrics(y[test], p_test, X.iloc[test], FAIRNESS_ATTRIBUTES)
    gaps = largest_gaps(fairness)
    results = sample.students["final_result"].to_numpy()[test]
    four_class = (
        pd.DataFrame({"final_result": results, "p_success": p_test, "flagged": p_test < 0.5})
        .groupby("final_result")
        .agg(
            students=("p_success", "size"),
            mean_predicted_success=("p_success", "mean"),
            flagged_at_risk=("flagged", "mean"),
        )
        .reset_index()
    )
    matrix = confusion_matrix(y[test], (p_test >= 0.5).astype(int), labels=[0, 1])
    coefficients = logistic_coefficients(
        SuccessClassifier("logistic_regression", seed).fit(X.iloc[train], y[train]).pipeline_
    )

    weeks = list(weeks or default_weeks(n_weeks))
    if sequence_weeks is None:
        sequence_weeks = [w for w in (4, 8, 16, n_weeks) if w in weeks]
    early_models = models if early_models is None else early_models
    n_fits = len(weeks) * len(early_models) + len(sequence_weeks)
    bar = _progress(progress, n_fits, "early prediction")
    early = early_prediction(
        sample,
        cv,
        weeks,
        early_models,
        sequence_weeks,
        seed,
        progress=lambda label: _tick(bar, label),
    )
    bar.close()

    # segments are for deciding interventions: students still registered at segment_week
    registered = cohort.withdrawal_week >= segment_week
    seg_features = weekly_features(cohort, segment_week)[registered]
    segmenter = StudentSegmenter(3, seed).fit(seg_features)
    segments = segmenter.summary(seg_features, y_all[registered])
    segments.insert(0, "week", segment_week)
    scan_rows = seg_features.sample(min(len(seg_features), 4000), random_state=seed)
    scan = silhouette_scan(scan_rows, seed=seed)
    student_segments = segmenter.predict_names(seg_features).reset_index()

    classifier = SuccessClassifier(best, seed).fit(X, y)
    files = [
        # fit times vary from run to run; the CSV keeps only what a seed determines
        atomic_write_csv(scores.drop(columns="fit_seconds"), out / "model_scores.csv"),
        atomic_write_csv(early, out / "early_prediction.csv"),
        atomic_write_csv(fairness, out / "fairness.csv"),
        atomic_write_csv(gaps, out / "fairness_gaps.csv"),
        atomic_write_csv(importance, out / "feature_importance.csv"),
        atomic_write_csv(coefficients, out / "logistic_coefficients.csv"),
        atomic_write_csv(four_class, out / "four_class_view.csv"),
        atomic_write_csv(segments, out / "segments.csv"),
        atomic_write_csv(scan, out / "segment_silhouette.csv"),
        atomic_write_csv(student_segments, out / "student_segments.csv"),
        plots.plot_auc_by_week(early, out / "auc_by_week.png"),
        plots.plot_confusion_matrix(
            matrix, ["at risk", "success"], f"{best} (held-out)", out / "confusion_matrix.png"
        ),
        plots.plot_feature_importance(importance, out / "feature_importance.png"),
        save_model(classifier, out / "best_model.skops"),
    ]
    return PredictorReport(
        best, classifier, segmenter, scores, early, fairness, gaps, importance, segments, files
    )

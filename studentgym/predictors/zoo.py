"""The model zoo: seven classifiers compared by cross-validation on the same folds.

Each model is a :class:`~sklearn.pipeline.Pipeline` of the shared preprocessing
(:func:`~studentgym.predictors.preprocessing.make_preprocessor`) and one
classifier, so cross-validation refits every statistic on each training fold.

Selection criterion (:func:`select_best`): the highest mean ROC-AUC across folds;
models within 0.002 of it count as tied, and the tie goes to the lowest Brier score
(better-calibrated probabilities, which the simulator draws outcomes from).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from studentgym.predictors.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    PERCENT_FEATURES,
)
from studentgym.predictors.preprocessing import make_preprocessor

METRICS = {
    "accuracy": "accuracy",
    "f1": "f1",
    "roc_auc": "roc_auc",
    "pr_auc": "average_precision",
    "brier": "neg_brier_score",
}
"""Reported metric -> scikit-learn scorer (Brier is negated by sklearn; we flip it back)."""
TIE_TOLERANCE = 0.002


def _classifiers(seed: int) -> dict[str, Callable[[], ClassifierMixin]]:
    return {
        "logistic_regression": lambda: LogisticRegression(
            class_weight="balanced", max_iter=2000, C=1.0
        ),
        "random_forest": lambda: RandomForestClassifier(
            n_estimators=200, min_samples_leaf=5, n_jobs=1, random_state=seed
        ),
        "mlp": lambda: MLPClassifier(
            hidden_layer_sizes=(32, 16),
            alpha=1e-3,
            early_stopping=True,
            max_iter=300,
            random_state=seed,
        ),
        # Platt scaling on an inner 3-fold split gives the SVM probabilities (for Brier)
        "svm": lambda: CalibratedClassifierCV(
            SVC(kernel="rbf", C=1.0, random_state=seed), method="sigmoid", cv=3, ensemble=False
        ),
        "knn": lambda: KNeighborsClassifier(n_neighbors=25, weights="distance"),
        "naive_bayes": lambda: GaussianNB(),
        "decision_tree": lambda: DecisionTreeClassifier(
            max_depth=6, min_samples_leaf=20, random_state=seed
        ),
    }


MODEL_NAMES = tuple(_classifiers(0))


def make_model(
    name: str,
    seed: int = 0,
    numeric: Sequence[str] = NUMERIC_FEATURES,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
) -> Pipeline:
    """A fresh, unfitted pipeline ``preprocess -> classifier`` for one zoo model.

    Raises:
        ValueError: for a name not in :data:`MODEL_NAMES`.
    """
    classifiers = _classifiers(seed)
    if name not in classifiers:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(classifiers)}")
    return Pipeline(
        [
            ("preprocess", make_preprocessor(numeric, categorical, PERCENT_FEATURES)),
            ("classifier", classifiers[name]()),
        ]
    )


def folds(y: pd.Series | np.ndarray, n_splits: int = 5, seed: int = 0) -> list[tuple]:
    """Stratified folds as explicit index pairs, so every model and week uses the same."""
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def compare_models(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    cv: list[tuple],
    models: Iterable[str] = MODEL_NAMES,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Cross-validate each model on the same folds.

    Returns:
        One row per model with ``<metric>_mean`` and ``<metric>_std`` (across folds)
        for accuracy, F1, ROC-AUC, PR-AUC and Brier score (lower is better), plus
        ``fit_seconds``; sorted by ROC-AUC, best first.
    """
    rows = []
    for name in models:
        if progress:
            progress(name)
        scores = cross_validate(make_model(name, seed), X, y, cv=cv, scoring=METRICS)
        row = {"model": name}
        for metric in METRICS:
            values = scores[f"test_{metric}"] * (-1 if metric == "brier" else 1)
            row[f"{metric}_mean"] = float(np.mean(values))
            row[f"{metric}_std"] = float(np.std(values))
        row["fit_seconds"] = float(np.mean(scores["fit_time"]))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("roc_auc_mean", ascending=False)
    return table.reset_index(drop=True)


def select_best(scores: pd.DataFrame) -> str:
    """The model chosen by the stated criterion (see the module docstring)."""
    best = scores["roc_auc_mean"].max()
    tied = scores[scores["roc_auc_mean"] >= best - TIE_TOLERANCE]
    return str(tied.sort_values("brier_mean").iloc[0]["model"])

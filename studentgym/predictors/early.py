"""Early prediction: how well success can be predicted after each week of the course.

For each week ``w``, every model is fitted on features up to week ``w`` on the
same stratified folds (the same students in every week) and scored by held-out
ROC-AUC: on all students, and on the students still registered at week ``w``
(those who already withdrew are easy to spot, and studies of OULAD often drop
them). The ceiling is the ROC-AUC of the ground-truth probability given the
latent state after ``w`` weeks (:func:`~studentgym.simulators.truth.success_probability_at`)
on the same students: no model can beat it in expectation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from studentgym.predictors.features import success_target, weekly_features
from studentgym.predictors.sequence import GRUClassifier, weekly_sequences
from studentgym.predictors.zoo import MODEL_NAMES, make_model
from studentgym.simulators.cohort import Cohort
from studentgym.simulators.truth import success_probability_at

SEQUENCE_MODEL = "gru_sequence"


def default_weeks(n_weeks: int) -> list[int]:
    """Weeks 1, 2, 3, 4, 6, 8, then every ~4-6 weeks to the end."""
    weeks = [1, 2, 3, 4, 6, 8, 12, 16, 20, 26, 32, n_weeks]
    return sorted({w for w in weeks if w <= n_weeks})


def _fold_auc(y: np.ndarray, proba: np.ndarray, mask: np.ndarray) -> float:
    y, proba = y[mask], proba[mask]
    return float(roc_auc_score(y, proba)) if len(np.unique(y)) == 2 else float("nan")


def early_prediction(
    cohort: Cohort,
    cv: list[tuple],
    weeks: Sequence[int] | None = None,
    models: Iterable[str] = MODEL_NAMES,
    sequence_weeks: Sequence[int] = (),
    seed: int = 0,
    ceiling_draws: int = 64,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """ROC-AUC by week for each model, with the ground-truth ceiling.

    Args:
        cohort: the cohort (its latent truth gives the ceiling), or real tables such as
            :class:`~studentgym.io.oulad.OuladTables` (no ceiling: NaN).
        cv: folds from :func:`~studentgym.predictors.zoo.folds`, reused every week.
        weeks: weeks of observation; :func:`default_weeks` if omitted.
        models: zoo models to fit.
        sequence_weeks: weeks at which the GRU sequence model is also fitted.
        seed: seed of the models and of the ceiling's Monte Carlo.
        ceiling_draws: Monte Carlo futures per student for the ceiling.
        progress: called with a short label before each (week, model) fit.

    Returns:
        One row per (week, model): ``roc_auc_mean``, ``roc_auc_std`` (across
        folds), ``roc_auc_registered`` (students still registered), and the
        week's ``ceiling_roc_auc``.
    """
    weeks = list(weeks or default_weeks(cohort.config.n_weeks))
    y = success_target(cohort).to_numpy()
    rows = []
    for w in weeks:
        X = weekly_features(cohort, w)
        registered = cohort.withdrawal_week >= w
        ceiling = np.nan  # real data have no latent truth, so no ceiling
        if isinstance(cohort, Cohort):
            ceiling = roc_auc_score(y, success_probability_at(cohort, w, ceiling_draws, seed))
        names = list(models) + ([SEQUENCE_MODEL] if w in sequence_weeks else [])
        S = weekly_sequences(cohort, w) if w in sequence_weeks else None
        for name in names:
            if progress:
                progress(f"week {w} {name}")
            aucs, proba = [], np.empty(len(y))
            for train, test in cv:
                if name == SEQUENCE_MODEL:
                    model = GRUClassifier(seed=seed).fit(S[train], y[train])
                    proba[test] = model.predict_proba(S[test])[:, 1]
                else:
                    model = make_model(name, seed).fit(X.iloc[train], y[train])
                    proba[test] = model.predict_proba(X.iloc[test])[:, 1]
                aucs.append(roc_auc_score(y[test], proba[test]))
            rows.append(
                {
                    "week": w,
                    "model": name,
                    "roc_auc_mean": float(np.mean(aucs)),
                    "roc_auc_std": float(np.std(aucs)),
                    "roc_auc_registered": _fold_auc(y, proba, registered),
                    "registered_share": float(registered.mean()),
                    "ceiling_roc_auc": float(ceiling),
                }
            )
    return pd.DataFrame(rows)

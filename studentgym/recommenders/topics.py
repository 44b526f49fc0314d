"""The student x topic matrix: each student's need in the five learning topics, scaled 1-5.

As in the classic hybrid-recommender pipeline, each topic is scored from the
student's own data and cut into quintiles learned at ``fit`` (1 = lowest need,
5 = highest):

=================  =====================================================================
topic              raw need score (higher = more need), from what a tutor sees
=================  =====================================================================
study_habits       ``-score_mean / 100 + 0.3 * submissions_missed``
engagement         ``-(log(1 + clicks per week) / 6 + active_day_share)``
assessment_level   ``-score_last / 100 + 0.1 * log2(studied_credits / 60)``
support_need       ``-imd_decile + disability`` (IMD decile / 9; 0.5 if unknown)
activity_level     ``prev_attempts / 2 + inactivity_streak / 4``
=================  =====================================================================

Scores are 0 before the first submission (no evidence counts as need).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from studentgym.simulators.config import IMD_DECILE, TOPICS
from studentgym.simulators.interventions import CATALOGUE

PROFILE_INPUTS = (
    "score_mean",
    "score_last",
    "submissions_missed",
    "log_clicks_per_week",
    "active_day_share",
    "inactivity_streak",
    "imd_decile",
    "disability",
    "prev_attempts",
    "studied_credits",
)
"""The columns the profiler reads (see :func:`profile_inputs`)."""

TOPIC_DESCRIPTIONS = {
    "study_habits": "Study habits: planning, time management, regular revision routines and "
    "submitting assignments on time.",
    "engagement": "Engagement with the online learning environment: clicks, weekly activities "
    "and forum discussions.",
    "assessment_level": "Assessment level: performance in assignments and quizzes, weak "
    "concepts that need tutoring and practice before the exam.",
    "support_need": "Support need: wellbeing, disability, financial hardship and personal "
    "circumstances that call for student support services.",
    "activity_level": "Activity level: a drop in activity or long inactivity, or repeating the "
    "module after previous attempts; a re-engagement plan with a personal tutor.",
}


def profile_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """The profiler's inputs from a ``weekly_features`` frame (same index)."""
    decile = features["imd_band"].map(IMD_DECILE)
    return pd.DataFrame(
        {
            "score_mean": features["score_mean"].fillna(0.0).clip(0, 100),
            "score_last": features["score_last"].fillna(0.0).clip(0, 100),
            "submissions_missed": features["submissions_missed"],
            "log_clicks_per_week": np.log1p(features["clicks_per_week"].clip(lower=0)),
            "active_day_share": features["active_day_share"],
            "inactivity_streak": features["inactivity_streak"],
            "imd_decile": decile.astype(float).fillna(4.5) / 9.0,
            "disability": (features["disability"] == "Y").astype(float),
            "prev_attempts": features["num_of_prev_attempts"].clip(upper=6),
            "studied_credits": features["studied_credits"],
        },
        index=features.index,
    )


def raw_need_scores(inputs: pd.DataFrame) -> np.ndarray:
    """``(n, 5)`` raw need per topic (higher = more need), in TOPICS order."""
    x = {c: inputs[c].to_numpy(dtype=float) for c in PROFILE_INPUTS}
    return np.column_stack(
        [
            -x["score_mean"] / 100.0 + 0.3 * x["submissions_missed"],
            -(x["log_clicks_per_week"] / 6.0 + x["active_day_share"]),
            -x["score_last"] / 100.0 + 0.1 * np.log2(np.maximum(x["studied_credits"], 1) / 60.0),
            -x["imd_decile"] + x["disability"],
            x["prev_attempts"] / 2.0 + x["inactivity_streak"] / 4.0,
        ]
    )


class TopicProfiler(TransformerMixin, BaseEstimator):
    """Scale each topic's raw need to 1-5 by quintiles learned in ``fit``.

    Attributes:
        edges_: ``(5, 4)`` quintile cut points per topic.
    """

    def fit(self, inputs: pd.DataFrame, y=None) -> TopicProfiler:
        missing = [c for c in PROFILE_INPUTS if c not in inputs.columns]
        if missing:
            raise ValueError(f"profile inputs are missing columns: {', '.join(missing)}")
        raw = raw_need_scores(inputs)
        self.edges_ = np.quantile(raw, [0.2, 0.4, 0.6, 0.8], axis=0).T
        return self

    def transform(self, inputs: pd.DataFrame) -> pd.DataFrame:
        """The 1-5 matrix as a DataFrame (columns TOPICS, index of ``inputs``)."""
        check_is_fitted(self)
        raw = raw_need_scores(inputs)
        levels = np.column_stack(
            [np.searchsorted(self.edges_[k], raw[:, k], side="right") + 1 for k in range(5)]
        )
        return pd.DataFrame(levels, index=inputs.index, columns=list(TOPICS))


def items_table() -> pd.DataFrame:
    """Topic metadata (``items.csv``): topic, description and its intervention."""
    rows = [
        {
            "topic": i.topic,
            "topic_description": TOPIC_DESCRIPTIONS[i.topic],
            "intervention_id": i.id,
            "intervention": i.name,
            "intervention_description": i.description,
            "cost_hours": i.cost_hours,
        }
        for i in CATALOGUE
        if i.topic is not None
    ]
    return pd.DataFrame(rows)

"""Who is at risk after a given course week, and what to do: for OULAD-shaped tables.

:class:`AtRiskScorer` is the learning-analytics answer for a module presentation in
OULAD's format (``studentgym.io.oulad.read_oulad``, or a generated cohort): after
``week`` course weeks, each registration's P(success) from the success classifier,
its K-means segment and the rule matrix's intervention with its reason. It is fitted
on labelled tables (a past presentation, or a synthetic cohort) and scores others.
"""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from studentgym.predictors.classifier import SuccessClassifier
from studentgym.predictors.features import (
    NUMERIC_FEATURES,
    CohortTables,
    n_weeks_of,
    success_target,
    weekly_features,
)
from studentgym.predictors.segments import StudentSegmenter
from studentgym.recommenders.rules import RuleBasedRecommender


class AtRiskScorer(BaseEstimator):
    """P(success), segment and intervention per registration after ``week`` weeks.

    Args:
        week: course weeks observed (the features are ``weekly_features(tables, week)``).
        threshold: P(success) below which a student is at risk.
        seed: random state of the classifier and the segments.

    Attributes:
        classifier_: the :class:`SuccessClassifier` (logistic regression).
        segmenter_: the :class:`StudentSegmenter`, fitted on students still registered.
    """

    def __init__(self, week: int = 8, threshold: float = 0.5, seed: int = 0) -> None:
        self.week, self.threshold, self.seed = week, threshold, seed

    def _features(self, tables: CohortTables) -> pd.DataFrame:
        if not 1 <= self.week <= n_weeks_of(tables):
            raise ValueError(f"week must be in [1, {n_weeks_of(tables)}], got {self.week}")
        return weekly_features(tables, self.week)

    def fit(self, tables: CohortTables) -> AtRiskScorer:
        """Fit on tables with final results.

        Raises:
            ValueError: for a week outside the course.
        """
        X = self._features(tables)
        self.classifier_ = SuccessClassifier(seed=self.seed).fit(X, success_target(tables))
        registered = tables.withdrawal_week >= self.week
        self.segmenter_ = StudentSegmenter(3, self.seed).fit(X[registered])
        return self

    def score(self, tables: CohortTables) -> pd.DataFrame:
        """One row per registration: ``id_student``, module and presentation, whether
        still registered, ``success_probability``, ``predicted``, ``at_risk``,
        ``segment``, ``recommended_intervention``, ``reason`` and the features.

        Raises:
            ValueError: for a week outside the course.
        """
        check_is_fitted(self)
        X = self._features(tables)
        p = self.classifier_.predict_proba(X)[:, 1]
        segments = self.segmenter_.predict_names(X).to_numpy()
        students = tables.students
        who = pd.DataFrame(
            {
                "id_student": students["id_student"].to_numpy(),
                "code_module": students["code_module"].to_numpy(),
                "code_presentation": students["code_presentation"].to_numpy(),
                "registered": tables.withdrawal_week >= self.week,
            }
        )
        advice = RuleBasedRecommender(self.threshold).advise(p, segments)
        features = X[list(NUMERIC_FEATURES)].reset_index(drop=True).round(4)
        return pd.concat([who, advice, features], axis=1)

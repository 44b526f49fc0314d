"""Preprocessing inside scikit-learn pipelines, so that nothing leaks between folds.

Numeric columns: percentages clamped to [0, 100], outliers capped at the fences
learned by :class:`IQRCapper`, missing values imputed with the training median
(0 for a column with no observed value yet, e.g. scores before the first
assessment), then standardised. Categorical columns: missing values become the category
``"missing"`` (a missing IMD band is informative in OULAD), then one-hot encoded
with unknown categories ignored. Every statistic is learned in ``fit``, so a
cross-validated pipeline learns it from the training fold only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data


class IQRCapper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Cap each column at Tukey's fences ``[Q1 - k IQR, Q3 + k IQR]`` learned in ``fit``.

    NaN is ignored when learning the quartiles and passed through unchanged.

    Args:
        factor: the fence multiplier ``k``; 3.0 (Tukey's "far out") keeps the heavy
            but real tail of clicks and caps only gross outliers.

    Attributes:
        lower_, upper_: the fences per column, learned in ``fit``.
    """

    def __init__(self, factor: float = 3.0) -> None:
        self.factor = factor

    def fit(self, X, y=None):
        if not self.factor >= 0:
            raise ValueError(f"IQRCapper.factor must be >= 0, got {self.factor}")
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        observed = ~np.isnan(X).all(axis=0)  # an all-NaN column gets no fences
        q1, q3 = np.full(X.shape[1], -np.inf), np.full(X.shape[1], np.inf)
        q1[observed], q3[observed] = np.nanpercentile(X[:, observed], [25, 75], axis=0)
        iqr = np.where(observed, q3 - q1, 0.0)
        self.lower_ = q1 - self.factor * iqr
        self.upper_ = q3 + self.factor * iqr
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False)
        return np.clip(X, self.lower_, self.upper_)


def clamp_percent(X):
    """Clamp values to [0, 100] (NaN passes through)."""
    return np.clip(np.asarray(X, dtype=np.float64), 0.0, 100.0)


def make_preprocessor(
    numeric: Sequence[str],
    categorical: Sequence[str],
    percent: Sequence[str] = (),
    iqr_factor: float = 3.0,
) -> ColumnTransformer:
    """The column transformer shared by every model of the zoo.

    Args:
        numeric: numeric columns (clamped if in ``percent``, capped, imputed, scaled).
        categorical: categorical columns (imputed as "missing", one-hot encoded).
        percent: the numeric columns on a 0-100 scale.
        iqr_factor: fence multiplier of :class:`IQRCapper`.
    """
    percent = [c for c in numeric if c in set(percent)]
    other = [c for c in numeric if c not in set(percent)]
    numeric_steps = [
        ("cap", IQRCapper(iqr_factor)),
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
    ]
    percent_steps = [
        ("clamp", FunctionTransformer(clamp_percent, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
    ]
    categorical_steps = [
        ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ]
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), other),
            ("percent", Pipeline(percent_steps), percent),
            ("categorical", Pipeline(categorical_steps), list(categorical)),
        ],
        verbose_feature_names_out=False,
    )

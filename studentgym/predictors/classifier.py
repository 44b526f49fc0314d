"""The success classifier the simulator is built from, with a compiled batch path.

:class:`SuccessClassifier` is a scikit-learn estimator wrapping one zoo pipeline
(class-balanced logistic regression by default). It validates its input (naming
bad columns) and, for the logistic model, compiles the whole fitted pipeline into
numpy arrays (:class:`CompiledLogit`) so the vectorised environment can score
thousands of students per step in one dot product, matching scikit-learn to 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from studentgym.predictors.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from studentgym.predictors.schema import FEATURE_SCHEMA, check_schema
from studentgym.predictors.zoo import make_model


@dataclass(frozen=True)
class CompiledLogit:
    """A fitted preprocessing + logistic-regression pipeline as plain numpy arrays.

    For a numeric matrix ``x`` with columns :attr:`numeric` (any order given at
    compile time) and a per-student categorical offset ``c`` (intercept included,
    from :meth:`categorical_logit`)::

        logit = c + ((nan_to_fill(clip(x, low, high)) - mean) / scale) @ coef

    Attributes:
        numeric: the numeric column names, in the order ``x`` must have.
        low, high: clamp/cap fences per column.
        fill: the training medians that replace NaN.
        mean, scale: the standardisation.
        coef: logistic coefficients of the numeric columns.
        intercept: the model's intercept.
        categorical: per categorical column, a mapping category -> coefficient.
    """

    numeric: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    categorical: dict[str, dict[str, float]]

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, numeric_order=NUMERIC_FEATURES) -> CompiledLogit:
        """Compile a fitted zoo pipeline whose classifier is a LogisticRegression.

        Raises:
            TypeError: if the classifier is not a binary LogisticRegression.
        """
        model = pipeline.named_steps["classifier"]
        if not isinstance(model, LogisticRegression) or model.coef_.shape[0] != 1:
            raise TypeError("only a binary LogisticRegression pipeline can be compiled")
        preprocess = pipeline.named_steps["preprocess"]
        coef = dict(zip(preprocess.get_feature_names_out(), model.coef_[0], strict=True))
        params: dict[str, list] = {k: [] for k in ("low", "high", "fill", "mean", "scale")}
        categorical: dict[str, dict[str, float]] = {}
        position = {}
        for name, steps, columns in preprocess.transformers_:
            if name == "categorical":
                onehot = steps.named_steps["onehot"]
                for col, cats in zip(columns, onehot.categories_, strict=True):
                    categorical[col] = {str(c): float(coef[f"{col}_{c}"]) for c in cats}
                continue
            if name not in ("numeric", "percent") or not len(columns):
                continue
            if name == "numeric":
                low, high = steps.named_steps["cap"].lower_, steps.named_steps["cap"].upper_
            else:
                low, high = np.zeros(len(columns)), np.full(len(columns), 100.0)
            imputer, scaler = steps.named_steps["impute"], steps.named_steps["scale"]
            for j, col in enumerate(columns):
                position[col] = (
                    low[j],
                    high[j],
                    imputer.statistics_[j],
                    scaler.mean_[j],
                    scaler.scale_[j],
                )
        order = tuple(numeric_order)
        for col in order:
            for key, value in zip(params, position[col], strict=True):
                params[key].append(value)
        return cls(
            numeric=order,
            coef=np.array([coef[c] for c in order]),
            intercept=float(model.intercept_[0]),
            categorical=categorical,
            **{k: np.asarray(v, dtype=np.float64) for k, v in params.items()},
        )

    def categorical_logit(self, frame: pd.DataFrame) -> np.ndarray:
        """Intercept plus the categorical columns' contribution, per row of ``frame``."""
        out = np.full(len(frame), self.intercept)
        for col, table in self.categorical.items():
            values = frame[col].astype(object).where(frame[col].notna(), "missing").astype(str)
            out += values.map(table).fillna(0.0).to_numpy(dtype=np.float64)
        return out

    def logit(self, numeric: np.ndarray, categorical_logit: np.ndarray) -> np.ndarray:
        """Log-odds of success for a batch: ``numeric`` is ``(n, len(self.numeric))``."""
        x = np.clip(numeric, self.low, self.high)
        x = np.where(np.isnan(x), self.fill, x)
        return categorical_logit + ((x - self.mean) / self.scale) @ self.coef

    def predict_proba(self, numeric: np.ndarray, categorical_logit: np.ndarray) -> np.ndarray:
        """P(success) for a batch, shape ``(n,)``."""
        return 1.0 / (1.0 + np.exp(-self.logit(numeric, categorical_logit)))


class SuccessClassifier(ClassifierMixin, BaseEstimator):
    """P(Pass or Distinction | weekly features): the simulator's success model.

    Args:
        model: a zoo model name (:data:`~studentgym.predictors.zoo.MODEL_NAMES`).
        seed: random state of the model.

    Attributes:
        pipeline_: the fitted preprocessing + classifier pipeline.
        classes_: ``[0, 1]`` (0: Fail/Withdrawn, 1: Pass/Distinction).
        compiled_: the :class:`CompiledLogit` fast path, or None for models other
            than logistic regression (their batch path is the pipeline itself).
    """

    def __init__(self, model: str = "logistic_regression", seed: int = 0) -> None:
        self.model = model
        self.seed = seed

    def fit(self, X: pd.DataFrame, y) -> SuccessClassifier:
        """Fit on a feature frame from ``weekly_features`` and a 0/1 success target.

        Raises:
            SchemaError: naming every missing, mistyped or out-of-range column.
        """
        check_schema(X, FEATURE_SCHEMA, "features")
        self.pipeline_ = make_model(self.model, self.seed).fit(X, np.asarray(y))
        self.classes_ = self.pipeline_.classes_
        try:
            self.compiled_ = CompiledLogit.from_pipeline(self.pipeline_)
        except TypeError:
            self.compiled_ = None
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, 2)`` probabilities of [not success, success]; validates ``X`` first."""
        check_is_fitted(self)
        check_schema(X, FEATURE_SCHEMA, "features")
        return self.pipeline_.predict_proba(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 predictions at probability 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def batch_scorer(self, frame: pd.DataFrame):
        """A function ``numeric -> P(success)`` for the students of ``frame``.

        The categorical part is computed once here; each call then scores a
        ``(n, len(NUMERIC_FEATURES))`` array in one vectorised pass (compiled for
        logistic regression, one pipeline call otherwise).
        """
        check_is_fitted(self)
        if self.compiled_ is not None:
            offset = self.compiled_.categorical_logit(frame)
            return lambda numeric: self.compiled_.predict_proba(numeric, offset)
        static = frame[list(CATEGORICAL_FEATURES)].reset_index(drop=True)

        def score(numeric: np.ndarray) -> np.ndarray:
            X = pd.concat([pd.DataFrame(numeric, columns=list(NUMERIC_FEATURES)), static], axis=1)
            return self.pipeline_.predict_proba(X)[:, 1]

        return score

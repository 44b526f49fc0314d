"""Explanations: permutation importance on held-out data, and logistic coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def permutation_importance_table(
    model, X_test: pd.DataFrame, y_test, seed: int = 0, n_repeats: int = 5
) -> pd.DataFrame:
    """Drop in held-out ROC-AUC when each input column is shuffled, largest first.

    Uses the raw input columns (before one-hot encoding), so a categorical column
    is judged as a whole; impurity importance is not used because it favours
    high-cardinality features and is measured on training data.
    """
    result = permutation_importance(
        model, X_test, y_test, scoring="roc_auc", n_repeats=n_repeats, random_state=seed
    )
    table = pd.DataFrame(
        {
            "feature": X_test.columns,
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
        }
    )
    return table.sort_values("importance_mean", ascending=False, ignore_index=True)


def logistic_coefficients(pipeline: Pipeline) -> pd.DataFrame:
    """Coefficients of a fitted logistic pipeline per (standardised / one-hot) feature.

    Raises:
        TypeError: if the pipeline's classifier is not a LogisticRegression.
    """
    model = pipeline.named_steps["classifier"]
    if not isinstance(model, LogisticRegression):
        raise TypeError(f"not a logistic regression: {type(model).__name__}")
    names = pipeline.named_steps["preprocess"].get_feature_names_out()
    table = pd.DataFrame({"feature": names, "coefficient": model.coef_[0]})
    table["odds_ratio"] = np.exp(table["coefficient"])
    order = table["coefficient"].abs().sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True)

"""A GRU over the weekly sequence, as the sequence-model baseline for early prediction.

Input per student and week (:func:`weekly_sequences`), all scaled to about [0, 1]:

=====  ==================================================
index  meaning
=====  ==================================================
0      log(1 + clicks) / log(1 + 500)
1      active days / 7
2      1 if an assessment was due that week
3      1 if it was submitted (by the end of the observed weeks)
4      its score / 100 (0 if none)
=====  ==================================================

:class:`GRUClassifier` is a scikit-learn style estimator (``fit``/``predict_proba``)
training a one-layer GRU and a logistic head with Adam on CPU. It is deterministic
for a given seed and thread count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from studentgym.predictors.features import CohortTables, weekly_activity

SEQUENCE_CHANNELS = ("log_clicks", "active_days", "due", "submitted", "score")


def weekly_sequences(tables: CohortTables, up_to_week: int) -> np.ndarray:
    """``(n_students, up_to_week, 5)`` float32 sequences, rows in ``students``' order."""
    clicks, days = weekly_activity(tables, up_to_week)
    n = len(clicks)
    seq = np.zeros((n, up_to_week, len(SEQUENCE_CHANNELS)), dtype=np.float32)
    seq[..., 0] = np.log1p(clicks) / np.log1p(500.0)
    seq[..., 1] = days / 7.0
    presentation = tables.students[["code_module", "code_presentation"]].reset_index(drop=True)
    due = tables.assessments[tables.assessments["week"] < up_to_week]
    due = presentation.reset_index().merge(due, on=["code_module", "code_presentation"])
    seq[due["index"].to_numpy(), due["week"].to_numpy(), 2] = 1.0
    subs = tables.student_assessments.merge(tables.assessments[["id_assessment", "week"]])
    subs = subs[(subs["week"] < up_to_week) & (subs["date_submitted"] < 7 * up_to_week)]
    row = pd.Index(tables.students["id_student"]).get_indexer(subs["id_student"])
    seq[row, subs["week"].to_numpy(), 3] = 1.0
    seq[row, subs["week"].to_numpy(), 4] = subs["score"].to_numpy(dtype=np.float32) / 100.0
    return seq


class _GRUNet(nn.Module):
    def __init__(self, n_inputs: int, hidden_size: int) -> None:
        super().__init__()
        self.gru = nn.GRU(n_inputs, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x)
        return self.head(h[-1]).squeeze(-1)


class GRUClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier over weekly sequences ``(n, weeks, channels)``.

    Args:
        hidden_size: GRU units.
        epochs: passes over the training data.
        batch_size: students per gradient step.
        learning_rate: Adam's step size.
        seed: seeds weight initialisation and batch order.

    Attributes:
        net_: the trained network; classes_: ``[0, 1]``; loss_curve_: mean loss per epoch.
    """

    def __init__(
        self,
        hidden_size: int = 32,
        epochs: int = 15,
        batch_size: int = 128,
        learning_rate: float = 5e-3,
        seed: int = 0,
    ) -> None:
        self.hidden_size = hidden_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.seed = seed

    def fit(self, X: np.ndarray, y) -> GRUClassifier:
        """Train on sequences ``X`` and 0/1 labels ``y``.

        Raises:
            ValueError: if ``X`` is not 3-d or ``y`` is not 0/1 of matching length.
        """
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        if X.ndim != 3 or len(X) != len(y):
            raise ValueError(f"X must be (n, weeks, channels) with len(y) rows; got {X.shape}")
        if not set(np.unique(y)) <= {0, 1}:
            raise ValueError("y must be 0/1")
        torch.manual_seed(self.seed)
        generator = torch.Generator().manual_seed(self.seed)
        self.net_ = _GRUNet(X.shape[2], self.hidden_size)
        optimiser = torch.optim.Adam(self.net_.parameters(), lr=self.learning_rate)
        inputs, targets = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32))
        positive = float(targets.mean())
        # weight the rarer class up, as class_weight="balanced" does for the tabular models
        pos_weight = torch.tensor((1 - positive) / max(positive, 1e-6))
        loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        self.loss_curve_ = []
        self.net_.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(inputs), generator=generator)
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                optimiser.zero_grad()
                loss = loss_fn(self.net_(inputs[batch]), targets[batch])
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
            self.loss_curve_.append(total / len(order))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n, 2)`` class probabilities."""
        check_is_fitted(self)
        self.net_.eval()
        with torch.no_grad():
            p = torch.sigmoid(self.net_(torch.from_numpy(np.asarray(X, dtype=np.float32))))
        p = p.numpy().astype(np.float64)
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

"""The one split of a cohort's students: train, validation, evaluation.

Everything fitted for the env or by an agent (the weekly success classifier, the
topic profiler, the hybrid recommender, the segments, the priors, the learned
policies) sees only ``train``; every free choice (a reference policy's threshold and
cadence, DQN's hyperparameters, learning curves) is made on ``validation``; only the
verdicts see ``evaluation``. Every stage receives this split instead of drawing its own.

    evaluation   the second half of a permutation of the cohort (seeded by ``seed``)
    validation   ``validation_share`` of the first half (a permutation seeded ``seed + 100``)
    train        the rest of the first half
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StudentSplit:
    """Sorted, disjoint cohort positions of the three groups."""

    train: np.ndarray
    validation: np.ndarray
    evaluation: np.ndarray

    @property
    def development(self) -> np.ndarray:
        """Train and validation together: every student a deployed policy may have seen."""
        return np.union1d(self.train, self.validation)


def split_students(n_students: int, seed: int = 0, validation_share: float = 0.2) -> StudentSplit:
    """Split cohort positions ``0 .. n_students - 1`` (see the module docstring).

    Raises:
        ValueError: if a group would be empty.
    """
    if not 0 < validation_share < 1:
        raise ValueError(f"validation_share must be in (0, 1), got {validation_share}")
    order = np.random.default_rng(seed).permutation(n_students)
    development, evaluation = order[: n_students // 2], order[n_students // 2 :]
    development = np.random.default_rng(seed + 100).permutation(development)
    cut = int((1.0 - validation_share) * len(development))
    split = StudentSplit(
        np.sort(development[:cut]), np.sort(development[cut:]), np.sort(evaluation)
    )
    if min(len(split.train), len(split.validation), len(split.evaluation)) == 0:
        raise ValueError(f"{n_students} students are too few to split three ways")
    return split

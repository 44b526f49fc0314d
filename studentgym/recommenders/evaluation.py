"""Judging recommenders against the simulator's ground truth, which no real recommender gets.

At a decision week ``w`` the students still registered are observed (their
features after ``w`` weeks, no intervention so far). For each student and each
intervention the simulator then plays the rest of the course twice with the same
random numbers (common random numbers): once giving that intervention in week
``w``, once giving nothing. The true benefit is the difference in expected value,
``2 P(success | latent path) - 1`` (``-1`` if the student withdraws) minus the
intervention's tutor hours times ``hour_price``, averaged over ``n_draws`` futures.

Ranking metrics on held-out students use those benefits: precision@k (share of
the top-k with a positive benefit), NDCG@k (gains: positive benefits) and the
uplift of following the recommender (mean benefit of its top-1), against random
and popularity baselines and the oracle (the best intervention per student).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from studentgym.predictors.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.reward import HOUR_PRICE, course_end_value
from studentgym.simulators.student import StudentSimulator


@dataclasses.dataclass
class Snapshot:
    """Students observed at a decision week.

    Attributes:
        rows: cohort positions of the students still registered at ``week``.
        keys: their random-number keys (draw 0).
        week: weeks observed.
        features: ``weekly_features``-shaped frame (index: student position).
        p_success: the classifier's probability at ``week``.
    """

    rows: np.ndarray
    keys: np.ndarray
    week: int
    features: pd.DataFrame
    p_success: np.ndarray


def _run_to(simulator: StudentSimulator, rows: np.ndarray, keys: np.ndarray, week: int):
    state = simulator.start_batch(rows, keys)
    gone = np.zeros(len(rows), dtype=bool)
    while state.week[0] < week:
        _, _, withdrew, _ = simulator.step_batch(state, np.zeros(len(rows), dtype=np.int64))
        gone |= withdrew
    return state, gone


def snapshot(simulator: StudentSimulator, rows, week: int = 8, seed: int = 0) -> Snapshot:
    """Observe students ``rows`` after ``week`` weeks without intervention."""
    rows = np.asarray(rows, dtype=np.int64)
    keys = np.random.default_rng(seed).integers(0, 2**63, len(rows), dtype=np.uint64)
    state, gone = _run_to(simulator, rows, keys, week)
    X, p = simulator.observe(state)
    students = simulator.cohort.students.iloc[rows]
    features = pd.DataFrame(X, columns=list(NUMERIC_FEATURES), index=rows)
    for column in CATEGORICAL_FEATURES:
        features[column] = students[column].to_numpy()
    keep = ~gone
    return Snapshot(rows[keep], keys[keep], week, features[keep], p[keep])


def true_benefits(
    simulator: StudentSimulator,
    snap: Snapshot,
    n_draws: int = 4,
    hour_price: float = HOUR_PRICE,
) -> np.ndarray:
    """``(n, 6)`` expected value of each intervention at ``snap.week`` minus doing nothing.

    Column 0 (no intervention) is 0 by construction.
    """
    n = len(snap.rows)
    values = np.zeros((n_draws, N_ACTIONS, n))
    for draw in range(n_draws):
        keys = snap.keys + np.uint64(draw * 0x9E3779B97F4A7C15 % 2**64)
        start, gone_before = _run_to(simulator, snap.rows, keys, snap.week)
        for action in range(N_ACTIONS):
            first = np.full(n, action, dtype=np.int64)
            values[draw, action] = course_value(
                simulator, start.copy(), first, hour_price, gone_before
            )
    mean = values.mean(axis=0).T
    return mean - mean[:, [0]]


def course_value(
    simulator: StudentSimulator,
    state,
    first_action: np.ndarray,
    hour_price: float,
    gone: np.ndarray | None = None,
) -> np.ndarray:
    """Ground-truth value of finishing the course: ``first_action`` now, then nothing.

    ``-1`` for a student who withdraws (or already had, per ``gone``), else
    ``2 P(success | latent path) - 1``; minus ``hour_price`` times the tutor hours.
    Advances ``state`` (a BatchState of students in one course week) to the end.
    """
    gone = np.zeros(len(state.week), dtype=bool) if gone is None else gone.copy()
    act = np.asarray(first_action, dtype=np.int64)
    while len(state.week) and state.week[0] < simulator.n_weeks:
        _, _, withdrew, _ = simulator.step_batch(state, act, ~gone)
        gone |= withdrew
        act = np.zeros_like(act)
    return course_end_value(gone, simulator.ground_truth_success(state), state.hours, hour_price)


def precision_at_k(recommended: np.ndarray, benefits: np.ndarray) -> float:
    """Share of recommended interventions (``(n, k)`` catalogue ids) with a positive benefit."""
    gains = np.take_along_axis(benefits, recommended, axis=1)
    return float(np.mean(gains > 0))


def ndcg_at_k(recommended: np.ndarray, benefits: np.ndarray) -> float:
    """Mean NDCG@k with gains ``max(benefit, 0)``; students with no positive gain count 0."""
    k = recommended.shape[1]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.maximum(benefits, 0.0)
    dcg = (np.take_along_axis(gains, recommended, axis=1) * discount).sum(axis=1)
    ideal = (-np.sort(-gains[:, 1:], axis=1)[:, :k] * discount).sum(axis=1)
    return float(np.mean(np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1.0), 0.0)))


def ranking_report(rankings: dict[str, np.ndarray], benefits: np.ndarray) -> pd.DataFrame:
    """Metrics per recommender; ``rankings`` maps a name to ``(n, k)`` catalogue ids, best first.

    ``uplift`` is the mean benefit of the top-1 with a 95% normal interval.
    """
    rows = []
    for name, ranked in rankings.items():
        top = np.take_along_axis(benefits, ranked[:, :1], axis=1)[:, 0]
        half = 1.96 * top.std(ddof=1) / np.sqrt(len(top))
        rows.append(
            {
                "recommender": name,
                "precision_at_1": precision_at_k(ranked[:, :1], benefits),
                "precision_at_3": precision_at_k(ranked[:, :3], benefits)
                if ranked.shape[1] >= 3
                else np.nan,
                "ndcg_at_3": ndcg_at_k(ranked[:, :3], benefits) if ranked.shape[1] >= 3 else np.nan,
                "uplift": float(top.mean()),
                "uplift_ci_low": float(top.mean() - half),
                "uplift_ci_high": float(top.mean() + half),
            }
        )
    return pd.DataFrame(rows)

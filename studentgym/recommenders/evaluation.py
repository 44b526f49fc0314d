"""Judging recommenders against the simulator's ground truth, which no real recommender gets.

At a decision week ``w`` the students still registered are observed (their
features after ``w`` weeks, no intervention so far). From that observed past the
simulator plays ``n_draws`` independent futures of the rest of the course, each
once per intervention with the same random numbers (common random numbers). The
true benefit is the mean difference in value against giving nothing,
``2 P(success | latent path) - 1`` (``-1`` if the student withdraws) minus the
intervention's tutor hours times ``hour_price``: what the intervention is worth to
this student as they are now. No recommender can know it (it sees features, not
the latent state); nor is it clairvoyant (the futures are not the one the student
will live).

Ranking metrics on held-out students use those benefits: precision@k (share of
the top-k with a positive benefit), NDCG@k (gains: positive benefits) and the
uplift of following the recommender (mean benefit of its top-1), against random
and popularity baselines and the oracle (the intervention with the best true
benefit per student), each with a 95% bootstrap interval over students.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from studentgym.predictors.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from studentgym.simulators.counter_rng import fork_keys
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.reward import HOUR_PRICE, course_end_value
from studentgym.simulators.student import BatchState, StudentSimulator


@dataclasses.dataclass
class Snapshot:
    """Students observed at a decision week.

    Attributes:
        rows: cohort positions of the students still registered at ``week``.
        keys: their random-number keys (draw 0).
        week: weeks observed.
        features: ``weekly_features``-shaped frame (index: student position).
        p_success: the classifier's probability at ``week``.
        state: their simulator state after ``week`` weeks, from which their futures are
            played (copy it before stepping).
    """

    rows: np.ndarray
    keys: np.ndarray
    week: int
    features: pd.DataFrame
    p_success: np.ndarray
    state: BatchState


def snapshot(simulator: StudentSimulator, rows, week: int = 8, seed: int = 0) -> Snapshot:
    """Observe students ``rows`` after ``week`` weeks without intervention."""
    rows = np.asarray(rows, dtype=np.int64)
    keys = np.random.default_rng(seed).integers(0, 2**63, len(rows), dtype=np.uint64)
    state = simulator.start_batch(rows, keys)
    gone = np.zeros(len(rows), dtype=bool)
    while state.week[0] < week:
        _, _, withdrew, _ = simulator.step_batch(state, np.zeros(len(rows), dtype=np.int64))
        gone |= withdrew
    X, p = simulator.observe(state)
    students = simulator.cohort.students.iloc[rows]
    features = pd.DataFrame(X, columns=list(NUMERIC_FEATURES), index=rows)
    for column in CATEGORICAL_FEATURES:
        features[column] = students[column].to_numpy()
    keep = ~gone
    return Snapshot(rows[keep], keys[keep], week, features[keep], p[keep], state.take(keep))


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
        future = snap.state.copy()
        future.keys[:] = fork_keys(snap.keys, draw)  # the same past, an independent future
        for action in range(N_ACTIONS):
            first = np.full(n, action, dtype=np.int64)
            values[draw, action] = course_value(simulator, future.copy(), first, hour_price)
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


def precision_per_student(recommended: np.ndarray, benefits: np.ndarray) -> np.ndarray:
    """Each student's share of recommended interventions (``(n, k)`` ids) helping them."""
    return np.mean(np.take_along_axis(benefits, recommended, axis=1) > 0, axis=1)


def ndcg_per_student(recommended: np.ndarray, benefits: np.ndarray) -> np.ndarray:
    """Each student's NDCG@k with gains ``max(benefit, 0)``; 0 with no positive gain."""
    k = recommended.shape[1]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.maximum(benefits, 0.0)
    dcg = (np.take_along_axis(gains, recommended, axis=1) * discount).sum(axis=1)
    ideal = (-np.sort(-gains[:, 1:], axis=1)[:, :k] * discount).sum(axis=1)
    return np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1.0), 0.0)


def precision_at_k(recommended: np.ndarray, benefits: np.ndarray) -> float:
    """Share of recommended interventions with a positive benefit, over all students."""
    return float(precision_per_student(recommended, benefits).mean())


def ndcg_at_k(recommended: np.ndarray, benefits: np.ndarray) -> float:
    """Mean NDCG@k over students (see :func:`ndcg_per_student`)."""
    return float(ndcg_per_student(recommended, benefits).mean())


def ranking_report(
    rankings: dict[str, np.ndarray], benefits: np.ndarray, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Metrics per recommender; ``rankings`` maps a name to ``(n, k)`` catalogue ids, best first.

    ``precision_at_1``, ``precision_at_3``, ``ndcg_at_3`` and ``uplift`` (the mean true
    benefit of the top-1) with 95% percentile bootstrap intervals over students
    (scipy's ``bootstrap``, the same resamples for every recommender); the metrics at
    3 are NaN for a ranking shorter than 3.
    """
    rows = []
    for name, ranked in rankings.items():
        per_student = {
            "precision_at_1": precision_per_student(ranked[:, :1], benefits),
            "precision_at_3": precision_per_student(ranked[:, :3], benefits),
            "ndcg_at_3": ndcg_per_student(ranked[:, :3], benefits),
            "uplift": np.take_along_axis(benefits, ranked[:, :1], axis=1)[:, 0],
        }
        row: dict = {"recommender": name}
        for metric, values in per_student.items():
            if metric in ("precision_at_3", "ndcg_at_3") and ranked.shape[1] < 3:
                row[metric] = row[f"{metric}_ci_low"] = row[f"{metric}_ci_high"] = np.nan
                continue
            interval = bootstrap(
                (values,),
                np.mean,
                n_resamples=n_boot,
                method="percentile",
                rng=np.random.default_rng(seed),
            ).confidence_interval
            row[metric] = float(values.mean())
            row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = interval.low, interval.high
        rows.append(row)
    return pd.DataFrame(rows)

"""Recommender scores as initial Q-values for the tabular agent.

The tabular view of the env (``studentgym.envs.tabular``) has 315 states (risk x
engagement x course phase x interventions so far) and 6 actions in catalogue
order. The priors encode the recommender's one-off advice: a student at risk who
has had no intervention yet gets the hybrid's best-scored intervention, once.
For each state, the prior of a topic intervention is the mean hybrid score (in
[0, 1]) of the training students observed with the same risk, engagement and
phase; the prior of doing nothing is 0.5 (the hybrid's neutral midpoint) while
no intervention has been given, and 1.0 once one has, or in low-risk states
(where the recommender policy does nothing):

    Q0[s, a] = scale * mean hybrid score of a in s's (risk, engagement, phase)   (a = 1..5)
    Q0[s, 0] = scale * (1.0 if s is low risk or has dose >= 1 else 0.5)

So the greedy policy of the untrained table is a one-off recommendation, and
learning decides whether a sequence does better.

``scale`` is in reward units (the final outcome is worth +-1); a small scale such
as 0.1 mostly orders the actions early and is washed out by updates. Groups with
no training student get the cohort-wide mean scores.
"""

from __future__ import annotations

import numpy as np

from studentgym.envs.tabular import N_DOSE, N_STATES, state_of, state_parts
from studentgym.recommenders.hybrid import HybridRecommender
from studentgym.recommenders.response import snapshot_inputs
from studentgym.recommenders.topics import TopicProfiler, profile_inputs
from studentgym.simulators.interventions import N_ACTIONS

N_GROUPS = N_STATES // N_DOSE  # (risk, engagement, phase) combinations
_RISK, _, _, _DOSE = state_parts(np.arange(N_STATES))
ADVICE_GIVEN = (_RISK == 2) | (_DOSE >= 1)  # states where the one-off advice is "nothing"


def q_priors(states: np.ndarray, hybrid_scores: np.ndarray, scale: float = 0.1) -> np.ndarray:
    """``(N_STATES, 6)`` initial Q-table from students' states and their hybrid scores.

    Args:
        states: ``(n,)`` tabular state of each training student.
        hybrid_scores: ``(n, 5)`` their hybrid scores, topic interventions 1-5 in order.
        scale: reward units of a score of 1.

    Raises:
        ValueError: on mismatched shapes or states outside ``[0, N_STATES)``.
    """
    states = np.asarray(states, dtype=np.int64)
    hybrid_scores = np.asarray(hybrid_scores, dtype=float)
    if hybrid_scores.shape != (len(states), N_ACTIONS - 1):
        raise ValueError(f"hybrid_scores must be ({len(states)}, 5), got {hybrid_scores.shape}")
    if len(states) and (states.min() < 0 or states.max() >= N_STATES):
        raise ValueError(f"states must lie in [0, {N_STATES})")
    groups = states // N_DOSE
    counts = np.bincount(groups, minlength=N_GROUPS)
    sums = np.zeros((N_GROUPS, N_ACTIONS - 1))
    np.add.at(sums, groups, hybrid_scores)
    overall = hybrid_scores.mean(axis=0) if len(states) else np.full(N_ACTIONS - 1, 0.5)
    means = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], overall)
    q = np.empty((N_STATES, N_ACTIONS))
    q[:, 1:] = scale * np.repeat(means, N_DOSE, axis=0)
    q[:, 0] = scale * np.where(ADVICE_GIVEN, 1.0, 0.5)
    return q


def snapshot_priors(
    profiler: TopicProfiler, hybrid: HybridRecommender, snap, n_weeks: int, scale: float = 0.1
) -> np.ndarray:
    """:func:`q_priors` from students observed at a decision week (no dose given yet).

    Args:
        profiler, hybrid: the fitted topic profiler and hybrid recommender.
        snap: a :class:`~studentgym.recommenders.evaluation.Snapshot` of training students.
        n_weeks: course length (the phase is ``snap.week / n_weeks``).
        scale: reward units of a score of 1.
    """
    states = state_of(
        snap.p_success,
        snap.features["active_days_last_week"].to_numpy(),
        snap.week / n_weeks,
        np.zeros(len(snap.rows)),
    )
    levels = profiler.transform(profile_inputs(snap.features))
    return q_priors(states, hybrid.scores(levels, snapshot_inputs(snap)), scale)

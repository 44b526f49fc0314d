"""Recommender scores as initial Q-values for the tabular agent.

The tabular view of the env (``studentgym.envs.tabular``) has 1,280 states (the
course week x which interventions were given so far) and 6 actions in catalogue
order. The priors encode the recommender's one-off advice: a student who has had
no intervention yet gets the intervention the hybrid scores highest on average over
the training students, once. The prior of a topic intervention is that mean hybrid
score (in [0, 1]); the prior of doing nothing is 0.5 (the hybrid's neutral
midpoint) while no intervention has been given, and 1.0 once one has:

    Q0[s, a] = scale * mean hybrid score of a over the training students   (a = 1..5)
    Q0[s, 0] = scale * (0.5 if nothing was given in s else 1.0)

So the greedy policy of the untrained table is a one-off recommendation, and
learning decides whether a sequence does better. (The view holds nothing about the
student, so the scores are averaged over students.)

``scale`` is in reward units (the final outcome is worth +-1). With the benchmark's
learning rate ``1 / visits`` the first update of a state replaces its priors, so they
steer only the greedy choices made before a state is first visited and the states never
visited (on the default run: +0.119 with priors against +0.125 without, within noise).
"""

from __future__ import annotations

import numpy as np

from studentgym.envs.tabular import N_STATES, state_parts
from studentgym.recommenders.hybrid import HybridRecommender
from studentgym.recommenders.response import snapshot_inputs
from studentgym.recommenders.topics import TopicProfiler, profile_inputs
from studentgym.simulators.interventions import N_ACTIONS

_, _GIVEN = state_parts(np.arange(N_STATES))
ADVICE_GIVEN = _GIVEN > 0  # states where the one-off advice is "nothing"


def q_priors(hybrid_scores: np.ndarray, scale: float = 0.1) -> np.ndarray:
    """``(N_STATES, 6)`` initial Q-table from training students' hybrid scores.

    Args:
        hybrid_scores: ``(n, 5)`` their hybrid scores, topic interventions 1-5 in order
            (with no student, every score is 0.5).
        scale: reward units of a score of 1.

    Raises:
        ValueError: if ``hybrid_scores`` is not ``(n, 5)``.
    """
    hybrid_scores = np.asarray(hybrid_scores, dtype=float)
    if hybrid_scores.ndim != 2 or hybrid_scores.shape[1] != N_ACTIONS - 1:
        raise ValueError(f"hybrid_scores must be (n, 5), got {hybrid_scores.shape}")
    means = hybrid_scores.mean(axis=0) if len(hybrid_scores) else np.full(N_ACTIONS - 1, 0.5)
    q = np.empty((N_STATES, N_ACTIONS))
    q[:, 1:] = scale * means
    q[:, 0] = scale * np.where(ADVICE_GIVEN, 1.0, 0.5)
    return q


def snapshot_priors(
    profiler: TopicProfiler, hybrid: HybridRecommender, snap, scale: float = 0.1
) -> np.ndarray:
    """:func:`q_priors` from training students observed at a decision week.

    Args:
        profiler, hybrid: the fitted topic profiler and hybrid recommender.
        snap: a :class:`~studentgym.recommenders.evaluation.Snapshot` of training students.
        scale: reward units of a score of 1.
    """
    levels = profiler.transform(profile_inputs(snap.features))
    return q_priors(hybrid.scores(levels, snapshot_inputs(snap)), scale)

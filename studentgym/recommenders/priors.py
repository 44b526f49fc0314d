"""Recommender scores as initial Q-values for the tabular agent.

The tabular view of the env has 27 states (risk x engagement x course phase, see
``studentgym.envs.tabular``) and 6 actions in catalogue order. For each state,
the prior of a topic intervention is the mean hybrid score (in [0, 1]) of the
training students observed in that state, and the prior of doing nothing is 0.5
(the hybrid's neutral midpoint) or 1.0 in low-risk states, where the recommender
policy does nothing:

    Q0[s, a] = scale * mean hybrid score of a in s     (a = 1..5)
    Q0[s, 0] = scale * (1.0 if s is low risk else 0.5)

``scale`` is in reward units (the final outcome is worth +-1); a small scale such
as 0.1 only breaks ties early and is washed out by a few updates. States with no
training student get the cohort-wide mean scores.
"""

from __future__ import annotations

import numpy as np

N_STATES, N_ACTIONS = 27, 6
LOW_RISK_STATES = np.arange(N_STATES) // 9 == 2


def q_priors(states: np.ndarray, hybrid_scores: np.ndarray, scale: float = 0.1) -> np.ndarray:
    """``(27, 6)`` initial Q-table from students' states and their hybrid scores.

    Args:
        states: ``(n,)`` tabular state of each training student.
        hybrid_scores: ``(n, 5)`` their hybrid scores, topic interventions 1-5 in order.
        scale: reward units of a score of 1.

    Raises:
        ValueError: on mismatched shapes or states outside ``[0, 27)``.
    """
    states = np.asarray(states)
    hybrid_scores = np.asarray(hybrid_scores, dtype=float)
    if hybrid_scores.shape != (len(states), N_ACTIONS - 1):
        raise ValueError(f"hybrid_scores must be ({len(states)}, 5), got {hybrid_scores.shape}")
    if len(states) and (states.min() < 0 or states.max() >= N_STATES):
        raise ValueError("states must lie in [0, 27)")
    counts = np.bincount(states, minlength=N_STATES)
    sums = np.zeros((N_STATES, N_ACTIONS - 1))
    np.add.at(sums, states, hybrid_scores)
    overall = hybrid_scores.mean(axis=0) if len(states) else np.full(N_ACTIONS - 1, 0.5)
    means = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], overall)
    q = np.empty((N_STATES, N_ACTIONS))
    q[:, 1:] = scale * means
    q[:, 0] = scale * np.where(LOW_RISK_STATES, 1.0, 0.5)
    return q

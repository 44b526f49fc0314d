"""Exact solutions of small finite MDPs, to check learning agents against."""

from __future__ import annotations

import numpy as np


def value_iteration(
    transitions: np.ndarray, rewards: np.ndarray, gamma: float, tol: float = 1e-12
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal values and a greedy optimal policy.

    Args:
        transitions: ``(S, A, S)`` probabilities; terminal states absorb with reward 0.
        rewards: ``(S, A)`` expected immediate rewards.
        gamma: discount in [0, 1) (or 1 for a proper episodic MDP).

    Returns:
        ``(V*, pi*)`` of shapes ``(S,)`` and ``(S,)``.
    """
    values = np.zeros(transitions.shape[0])
    while True:
        q = rewards + gamma * transitions @ values
        new = q.max(axis=1)
        if np.max(np.abs(new - values)) < tol:
            return new, q.argmax(axis=1)
        values = new


def policy_value(
    transitions: np.ndarray, rewards: np.ndarray, policy: np.ndarray, gamma: float
) -> np.ndarray:
    """Exact value of a deterministic policy: solve ``V = R_pi + gamma P_pi V``."""
    states = np.arange(transitions.shape[0])
    p_pi, r_pi = transitions[states, policy], rewards[states, policy]
    return np.linalg.solve(np.eye(len(states)) - gamma * p_pi, r_pi)

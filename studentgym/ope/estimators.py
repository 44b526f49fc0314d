"""Estimators of a target policy's value from logged episodes.

The target policy is a matrix ``target[state, action]`` of probabilities over a finite
state view (e.g. the 108 tabular states), the value the expected discounted return from
the start. With ``W_t`` the product of ``target / propensity`` over the first ``t + 1``
decisions of an episode (1 after its end) and ``G`` its return:

=============================  =========================================================
importance sampling (IS)       mean of ``W_H G``: unbiased, high variance
weighted IS (WIS)              ``sum W_H G / sum W_H``: biased, consistent, lower variance
per-decision IS (PDIS)         mean of ``sum_t gamma^t W_t r_t``: unbiased
weighted per-decision (WPDIS)  ``sum_t gamma^t sum_i W_it r_it / sum_i W_it``
doubly robust (DR)             PDIS with ``Q_hat`` as a control variate (Jiang & Li 2016):
                               ``sum_t gamma^t (W_t (r_t - Q_hat(s_t, a_t)) + W_{t-1}
                               V_hat(s_t))``; unbiased for any ``Q_hat``
weighted DR (WDR)              the same with weights normalised per decision
                               (Thomas & Brunskill 2016)
fitted Q evaluation (FQE)      ``Q_hat`` by repeated regression of ``r + gamma
                               V_hat(s')`` on the logged transitions; the value is
                               ``V_hat`` averaged over the logged first states
=============================  =========================================================
"""

from __future__ import annotations

import numpy as np

from studentgym.ope.episodes import LoggedEpisodes


def _check_target(episodes: LoggedEpisodes, target: np.ndarray) -> np.ndarray:
    target = np.asarray(target, dtype=float)
    if target.ndim != 2 or not np.allclose(target.sum(axis=1), 1.0) or (target < 0).any():
        raise ValueError("target must be a (states, actions) matrix of probabilities")
    logged = episodes.mask
    if episodes.states[logged].max() >= target.shape[0]:
        raise ValueError(f"the log has states beyond the target's {target.shape[0]}")
    if episodes.actions[logged].max() >= target.shape[1]:
        raise ValueError(f"the log has actions beyond the target's {target.shape[1]}")
    return target


def cumulative_weights(episodes: LoggedEpisodes, target: np.ndarray) -> np.ndarray:
    """``(n, horizon)`` products of ``target / propensity`` up to each decision."""
    target = _check_target(episodes, target)
    ratio = target[episodes.states, episodes.actions] / episodes.propensity
    return np.cumprod(np.where(episodes.mask, ratio, 1.0), axis=1)


def discounted_rewards(episodes: LoggedEpisodes, gamma: float) -> np.ndarray:
    """``(n, horizon)`` rewards times ``gamma^t`` (0 where padded)."""
    return np.where(episodes.mask, episodes.rewards, 0.0) * gamma ** np.arange(
        episodes.mask.shape[1]
    )


def importance_sampling(episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0):
    """Trajectory-wise importance sampling (IS)."""
    weights = cumulative_weights(episodes, target)[:, -1]
    return float(np.mean(weights * discounted_rewards(episodes, gamma).sum(axis=1)))


def weighted_importance_sampling(episodes, target, gamma: float = 1.0) -> float:
    """Weighted (self-normalised) importance sampling (WIS); NaN if no episode has weight."""
    weights = cumulative_weights(episodes, target)[:, -1]
    total = weights.sum()
    return (
        float(weights @ discounted_rewards(episodes, gamma).sum(axis=1) / total)
        if total
        else np.nan
    )


def per_decision_importance_sampling(episodes, target, gamma: float = 1.0) -> float:
    """Per-decision importance sampling (PDIS, Precup et al. 2000)."""
    weights = cumulative_weights(episodes, target)
    return float(np.mean((weights * discounted_rewards(episodes, gamma)).sum(axis=1)))


def weighted_per_decision_importance_sampling(episodes, target, gamma: float = 1.0) -> float:
    """Per-decision IS with the weights of each decision normalised over episodes."""
    weights = cumulative_weights(episodes, target)
    normalised = weights / np.maximum(weights.mean(axis=0), np.finfo(float).tiny)
    return float(np.mean((normalised * discounted_rewards(episodes, gamma)).sum(axis=1)))


def doubly_robust(
    episodes: LoggedEpisodes,
    target: np.ndarray,
    q_hat: np.ndarray,
    gamma: float = 1.0,
    weighted: bool = False,
) -> float:
    """Doubly robust (DR), or weighted doubly robust (WDR) with ``weighted=True``.

    Args:
        q_hat: ``(states, actions)`` estimated action values of the target policy,
            e.g. from :func:`fitted_q_evaluation` on other episodes.
    """
    weights = cumulative_weights(episodes, target)
    before = np.hstack([np.ones((weights.shape[0], 1)), weights[:, :-1]])
    if weighted:
        tiny = np.finfo(float).tiny
        weights = weights / np.maximum(weights.mean(axis=0), tiny)
        before = before / np.maximum(before.mean(axis=0), tiny)
    q_hat = np.asarray(q_hat, dtype=float)
    v_hat = (np.asarray(target) * q_hat).sum(axis=1)
    s, a = episodes.states, episodes.actions
    discount = gamma ** np.arange(weights.shape[1])
    terms = discount * (weights * (episodes.rewards - q_hat[s, a]) + before * v_hat[s])
    return float(np.mean(np.where(episodes.mask, terms, 0.0).sum(axis=1)))


def fitted_q_evaluation(
    episodes: LoggedEpisodes,
    target: np.ndarray,
    gamma: float = 1.0,
    iterations: int | None = None,
) -> np.ndarray:
    """Tabular fitted Q evaluation: ``(states, actions)`` values of the target policy.

    Each iteration sets ``Q(s, a)`` to the mean over the logged transitions from
    ``(s, a)`` of ``r + gamma * sum_a' target(s', a') Q(s', a')`` (0 after the last
    decision); pairs never logged keep 0. ``iterations`` defaults to the horizon,
    which is exact on the empirical MDP when the state records the decision's step.
    """
    target = _check_target(episodes, target)
    mask = episodes.mask
    s, a, r = episodes.states[mask], episodes.actions[mask], episodes.rewards[mask]
    following = np.zeros_like(mask)
    following[:, :-1] = mask[:, 1:]
    s_next = np.where(following, np.roll(episodes.states, -1, axis=1), 0)[mask]
    has_next = following[mask]
    n_states, n_actions = target.shape
    pair = s * n_actions + a
    counts = np.bincount(pair, minlength=n_states * n_actions)
    q = np.zeros((n_states, n_actions))
    for _ in range(iterations or mask.shape[1]):
        v = (target * q).sum(axis=1)
        y = r + gamma * np.where(has_next, v[s_next], 0.0)
        sums = np.bincount(pair, weights=y, minlength=n_states * n_actions)
        q = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0).reshape(q.shape)
    return q


def fitted_q_value(episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0) -> float:
    """FQE's estimate of the value: ``V_hat`` of the logged first states, averaged."""
    q = fitted_q_evaluation(episodes, target, gamma)
    v = (np.asarray(target) * q).sum(axis=1)
    return float(v[episodes.states[:, 0]].mean())

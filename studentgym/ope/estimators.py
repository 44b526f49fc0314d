"""Estimators of a target policy's value from logged episodes.

The target policy is given as its probabilities at the logged decisions: either a
``(states, actions)`` matrix over a finite state view (``episodes.states``), or an
``(episodes, horizon, actions)`` array of its probabilities at each logged decision
(what a policy that reads the whole observation gives; see
:func:`studentgym.ope.collect.target_probabilities`). The value is the expected
discounted return from the start. With ``W_t`` the product of ``target / propensity``
over the first ``t + 1`` decisions of an episode (constant after its end) and ``G`` its
return:

=============================  =========================================================
importance sampling (IS)       mean of ``W_H G``: unbiased, high variance
weighted IS (WIS)              ``sum W_H G / sum W_H``: biased, consistent, lower variance
per-decision IS (PDIS)         mean of ``sum_t gamma^t W_t r_t``: unbiased
weighted per-decision (WPDIS)  ``sum_t gamma^t sum_i W_it r_it / sum_i W_it``
doubly robust (DR)             PDIS with ``Q_hat`` as a control variate (Jiang & Li 2016):
                               ``sum_t gamma^t (W_t (r_t - Q_hat(s_t, a_t)) + W_{t-1}
                               V_hat(s_t))``; unbiased for any ``Q_hat`` fitted
                               on other episodes
weighted DR (WDR)              the same with weights normalised per decision
                               (Thomas & Brunskill 2016)
fitted Q evaluation (FQE)      ``Q_hat`` by regression of ``r_t + gamma V_hat(s_{t+1})``
                               on the decisions of step ``t``, from the last step back
                               (Le et al. 2019, finite horizon); the value is ``V_hat``
                               averaged over the logged first states
=============================  =========================================================
"""

from __future__ import annotations

import numpy as np

from studentgym.ope.episodes import LoggedEpisodes

_TINY = np.finfo(float).tiny


def decision_probabilities(episodes: LoggedEpisodes, target: np.ndarray) -> np.ndarray:
    """The target's ``(episodes, horizon, actions)`` probabilities at the logged decisions.

    Args:
        target: a ``(states, actions)`` matrix over ``episodes.states``, or already an
            ``(episodes, horizon, actions)`` array.

    Raises:
        ValueError: if rows are not probability vectors, the shape fits neither form, or
            the log has states or actions beyond the target's.
    """
    target = np.asarray(target, dtype=float)
    logged = episodes.mask
    if target.ndim == 2:
        if episodes.states[logged].max() >= target.shape[0]:
            raise ValueError(f"the log has states beyond the target's {target.shape[0]}")
        target = target[episodes.states]
    elif target.shape[:2] != logged.shape:
        raise ValueError(
            f"target must be (states, actions) or (episodes, horizon, actions) = "
            f"{(*logged.shape, '...')}, got {target.shape}"
        )
    rows = target[logged]
    if (rows < 0).any() or not np.allclose(rows.sum(axis=-1), 1.0):
        raise ValueError("the target's probabilities must be >= 0 and sum to 1 at each decision")
    if episodes.actions[logged].max() >= target.shape[-1]:
        raise ValueError(f"the log has actions beyond the target's {target.shape[-1]}")
    return target


def cumulative_weights(episodes: LoggedEpisodes, target: np.ndarray) -> np.ndarray:
    """``(n, horizon)`` products of ``target / propensity`` up to each decision."""
    probabilities = decision_probabilities(episodes, target)
    chosen = np.take_along_axis(probabilities, episodes.actions[..., None], axis=-1)[..., 0]
    return np.cumprod(np.where(episodes.mask, chosen / episodes.propensity, 1.0), axis=1)


def discounted_rewards(episodes: LoggedEpisodes, gamma: float) -> np.ndarray:
    """``(n, horizon)`` rewards times ``gamma^t`` (0 where padded)."""
    return np.where(episodes.mask, episodes.rewards, 0.0) * gamma ** np.arange(
        episodes.mask.shape[1]
    )


def importance_sampling(episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0) -> float:
    """Trajectory-wise importance sampling (IS)."""
    weights = cumulative_weights(episodes, target)[:, -1]
    return float(np.mean(weights * discounted_rewards(episodes, gamma).sum(axis=1)))


def weighted_importance_sampling(
    episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0
) -> float:
    """Weighted (self-normalised) importance sampling (WIS); NaN if no episode has weight."""
    weights = cumulative_weights(episodes, target)[:, -1]
    total = weights.sum()
    if not total:
        return np.nan
    return float(weights @ discounted_rewards(episodes, gamma).sum(axis=1) / total)


def per_decision_importance_sampling(
    episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0
) -> float:
    """Per-decision importance sampling (PDIS, Precup et al. 2000)."""
    weights = cumulative_weights(episodes, target)
    return float(np.mean((weights * discounted_rewards(episodes, gamma)).sum(axis=1)))


def weighted_per_decision_importance_sampling(
    episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0
) -> float:
    """Per-decision IS with the weights of each decision normalised over episodes."""
    weights = cumulative_weights(episodes, target)
    normalised = weights / np.maximum(weights.mean(axis=0), _TINY)
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
        q_hat: estimated action values of the target policy, a ``(states, actions)``
            matrix or ``(episodes, horizon, actions)`` at the logged decisions (what
            :func:`fitted_q_evaluation` returns).
    """
    probabilities = decision_probabilities(episodes, target)
    weights = cumulative_weights(episodes, probabilities)
    before = np.hstack([np.ones((weights.shape[0], 1)), weights[:, :-1]])
    if weighted:
        weights = weights / np.maximum(weights.mean(axis=0), _TINY)
        before = before / np.maximum(before.mean(axis=0), _TINY)
    q_hat = np.asarray(q_hat, dtype=float)
    if q_hat.ndim == 2:
        q_hat = q_hat[episodes.states]
    q_logged = np.take_along_axis(q_hat, episodes.actions[..., None], axis=-1)[..., 0]
    v_hat = (probabilities * q_hat).sum(axis=-1)
    discount = gamma ** np.arange(weights.shape[1])
    terms = discount * (weights * (episodes.rewards - q_logged) + before * v_hat)
    return float(np.mean(np.where(episodes.mask, terms, 0.0).sum(axis=1)))


def fitted_q_evaluation(
    episodes: LoggedEpisodes,
    target: np.ndarray,
    gamma: float = 1.0,
    ridge: float = 10.0,
) -> np.ndarray:
    """Fitted Q evaluation: the target's action values at every logged decision.

    From the last step back, ``Q_t(s, a) = phi(s) . (w_t + u_ta)`` is fitted by one
    regression per step of ``r_t + gamma * sum_a' target(a' | s_{t+1}) Q_{t+1}(s_{t+1},
    a')`` (0 after an episode's last decision) on the decisions of step ``t``, with
    ``phi`` the decision's features (:attr:`LoggedEpisodes.features`: the observation
    with a leading 1, or a one-hot of a finite state). The action parts ``u_ta``
    (``u_t0 = 0``) carry a ridge penalty ``ridge``: an action rarely logged at a step
    borrows the shared part ``w_t`` instead of being extrapolated from a few decisions.
    Each ``Q_t`` is clipped to the range of the returns-to-go logged from step ``t``
    (a value outside it is an extrapolation, and it would compound over the steps).
    On finite states with enough decisions per pair this is the tabular FQE.

    Returns:
        ``(episodes, horizon, actions)`` estimated ``Q(s_t, a)`` (0 where padded).
    """
    probabilities = decision_probabilities(episodes, target)
    features = episodes.features
    n, horizon, n_actions = probabilities.shape
    q = np.zeros((n, horizon, n_actions))
    value_next = np.zeros(n)
    to_go = np.cumsum(discounted_rewards(episodes, gamma)[:, ::-1], axis=1)[:, ::-1]
    to_go = to_go / gamma ** np.arange(horizon) if gamma else episodes.rewards
    for t in reversed(range(horizon)):
        rows = episodes.mask[:, t]
        phi = features[rows, t]
        y = episodes.rewards[rows, t] + gamma * value_next[rows]
        coef = _ridge_by_action(phi, episodes.actions[rows, t], y, n_actions, ridge)
        logged = to_go[rows, t]
        q[rows, t] = np.clip(phi @ coef.T, logged.min(), logged.max())
        value_next = np.where(rows, (probabilities[:, t] * q[:, t]).sum(axis=-1), 0.0)
    return q


def _ridge_by_action(
    phi: np.ndarray, actions: np.ndarray, y: np.ndarray, n_actions: int, ridge: float
) -> np.ndarray:
    """``(n_actions, d)`` coefficients ``w + u_a`` of the regression of ``y`` on
    ``[phi, phi 1(a = 1), ..., phi 1(a = n_actions - 1)]`` with ``ridge`` on the ``u_a``.

    The normal equations are assembled from one Gram matrix per action (``d x d``),
    never from the ``(n, d * n_actions)`` design.
    """
    d = phi.shape[1]
    taken = [actions == a for a in range(n_actions)]
    gram = np.stack([phi[k].T @ phi[k] for k in taken])
    moment = np.stack([phi[k].T @ y[k] for k in taken])
    size = d * n_actions
    normal = np.zeros((size, size))
    normal[:d, :d] = gram.sum(axis=0) + 1e-8 * np.eye(d)
    for a in range(1, n_actions):
        block = slice(a * d, (a + 1) * d)
        normal[:d, block] = normal[block, :d] = gram[a]
        normal[block, block] = gram[a] + ridge * np.eye(d)
    rhs = np.r_[moment.sum(axis=0), moment[1:].ravel()]
    coef = np.linalg.lstsq(normal, rhs, rcond=None)[0].reshape(n_actions, d)
    coef[1:] += coef[0]
    return coef


def fitted_q_value(episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0) -> float:
    """FQE's estimate of the value: ``V_hat`` of the logged first states, averaged."""
    probabilities = decision_probabilities(episodes, target)
    return _start_value(probabilities, fitted_q_evaluation(episodes, probabilities, gamma))


def _start_value(probabilities: np.ndarray, q_hat: np.ndarray) -> float:
    """``V_hat`` of the first decisions, averaged over episodes."""
    return float((probabilities[:, 0] * q_hat[:, 0]).sum(axis=-1).mean())


ESTIMATORS = ("IS", "WIS", "PDIS", "WPDIS", "DR", "WDR", "FQE")
"""Every estimator, by its short name (the module docstring's table)."""


def estimate_all(
    episodes: LoggedEpisodes, target: np.ndarray, gamma: float = 1.0
) -> dict[str, float]:
    """Each of :data:`ESTIMATORS`' estimates; DR and WDR use FQE's ``Q_hat`` from the
    same log, not cross-fitted, so DR's unbiasedness holds only approximately (the
    linear ``Q_hat`` has few parameters per decision step against the log's episodes)."""
    probabilities = decision_probabilities(episodes, target)
    q_hat = fitted_q_evaluation(episodes, probabilities, gamma)
    return {
        "IS": importance_sampling(episodes, probabilities, gamma),
        "WIS": weighted_importance_sampling(episodes, probabilities, gamma),
        "PDIS": per_decision_importance_sampling(episodes, probabilities, gamma),
        "WPDIS": weighted_per_decision_importance_sampling(episodes, probabilities, gamma),
        "DR": doubly_robust(episodes, probabilities, q_hat, gamma),
        "WDR": doubly_robust(episodes, probabilities, q_hat, gamma, weighted=True),
        "FQE": _start_value(probabilities, q_hat),
    }

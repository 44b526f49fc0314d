"""What a user needs before trusting an off-policy estimate."""

from __future__ import annotations

import numpy as np

from studentgym.ope.episodes import LoggedEpisodes
from studentgym.ope.estimators import cumulative_weights, discounted_rewards


def effective_sample_size(episodes: LoggedEpisodes, target: np.ndarray) -> float:
    """Kish's ``(sum w)^2 / sum w^2`` of the episodes' importance weights: how many
    on-policy episodes the log is worth (``n`` when target and logging policy agree)."""
    weights = cumulative_weights(episodes, target)[:, -1]
    squares = float(weights @ weights)
    return float(weights.sum() ** 2 / squares) if squares else 0.0


def support_share(episodes: LoggedEpisodes, target: np.ndarray) -> float:
    """Share of logged episodes the target policy could have produced (weight > 0)."""
    return float(np.mean(cumulative_weights(episodes, target)[:, -1] > 0))


def lower_bound(
    episodes: LoggedEpisodes,
    target: np.ndarray,
    returns: tuple[float, float],
    confidence: float = 0.95,
    clip: float = 5.0,
    gamma: float = 1.0,
) -> float:
    """A high-confidence lower bound on the target policy's value.

    The empirical Bernstein bound (Maurer & Pontil 2009) on ``min(W, clip) (G - low)``,
    which lies in ``[0, clip (high - low)]`` and whose mean is at most ``V - low``
    (clipping only lowers it), as in Thomas et al. (2015). With probability at least
    ``confidence`` over the log, the value is at least the bound. ``clip`` must be
    fixed before seeing the log (choosing it on the same log breaks the guarantee).

    Args:
        returns: ``(low, high)``, bounds of any episode's return.

    Raises:
        ValueError: for fewer than two episodes, a confidence outside (0, 1), a
            non-positive clip or an empty return range.
    """
    low, high = returns
    n = episodes.n_episodes
    if n < 2 or not 0 < confidence < 1 or clip <= 0 or not high > low:
        raise ValueError("need >= 2 episodes, 0 < confidence < 1, clip > 0 and high > low")
    weights = np.minimum(cumulative_weights(episodes, target)[:, -1], clip)
    x = weights * (discounted_rewards(episodes, gamma).sum(axis=1) - low)
    log_term = np.log(2.0 / (1.0 - confidence))
    width = np.sqrt(2.0 * x.var(ddof=1) * log_term / n) + 7.0 * clip * (high - low) * log_term / (
        3.0 * (n - 1)
    )
    return float(low + x.mean() - width)

"""The tutoring reward: one formula for the envs, the oracle and the ground-truth play-outs.

``reward = outcome + cost + shaping`` per student-week, in reward units (a final
result is worth +-1):

- **outcome**, 0 until the episode ends. At the end, ``"sampled"``: +1 if the
  student passes (Pass or Distinction), -1 for Fail or Withdrawn; ``"expected"``:
  ``2 P(success) - 1`` of the judge (-1 at a withdrawal, where ``P(success)`` is 0),
  the same expected return as ``"sampled"`` without the noise of the final draw;
- **cost**: ``-HOUR_PRICE * tutor hours`` delivered this week;
- **shaping** (potential-based, Ng et al. 1999, so the optimal policy is unchanged
  for an agent with discount ``gamma``): ``shaping * (gamma * phi(s') - phi(s))``
  with ``phi = 2 P(success) - 1`` on the classifier's probability and ``phi = 0``
  once the episode has ended.

Every function takes scalars (the single env) or arrays over students (the vector
env, the play-outs) and uses plain arithmetic, so both pay no more than they use.
"""

from __future__ import annotations

import numpy as np

HOUR_PRICE = 0.02
"""Reward units per tutor hour: 50 hours of tutoring cost as much as one pass is worth."""

OUTCOME_REWARDS = ("sampled", "expected")


def outcome_reward(terminated, passed, p_final, expected: bool):
    """The outcome part: 0 before the end, then +-1 (sampled) or ``2 p_final - 1`` (expected).

    Args:
        terminated: the episode ended this step (bool or bool array).
        passed: the drawn result is a success (ignored if ``expected``).
        p_final: the judge's P(success) at the end; must be 0 for a withdrawal.
        expected: use the expectation instead of the draw.
    """
    # written as a difference so that "not yet" is +0.0, never -0.0
    if expected:
        return 2.0 * terminated * p_final - 1.0 * terminated
    return 2.0 * (terminated & passed) - 1.0 * terminated


def cost_reward(hours, hour_price: float = HOUR_PRICE):
    """The cost part: ``-hour_price * hours`` of tutor time."""
    return 0.0 - hour_price * hours


def shaping_reward(terminated, p_before, p_after, shaping: float, gamma: float):
    """The shaping part ``shaping * (gamma * phi(s') - phi(s))``, ``phi(s') = 0`` at the end."""
    if not shaping:
        return 0.0 * p_after
    return shaping * (gamma * (1 - terminated) * (2.0 * p_after - 1.0) - (2.0 * p_before - 1.0))


def course_end_value(
    withdrawn: np.ndarray, p_final: np.ndarray, hours: np.ndarray, hour_price: float = HOUR_PRICE
) -> np.ndarray:
    """Expected return of a whole course once it has ended: expected outcome minus all hours' cost.

    What an episode returns on average without shaping (the play-outs of the oracle and
    of the recommenders' true benefits use it).
    """
    p_final = np.where(withdrawn, 0.0, p_final)
    return outcome_reward(True, False, p_final, expected=True) + cost_reward(hours, hour_price)

"""The ground-truth student model: weekly behaviour, withdrawal and the final result.

All functions are vectorised: every argument is a numpy array over students (or
broadcasts against one). The cohort generator calls them on arrays; the tutoring
env's compiled step (:mod:`~studentgym.simulators.batch`) calls them on one
student's floats (``register_jitable``), so both share one set of equations.
Latent quantities are on a standard-normal scale; needs are in [0, 1] and enter
centred at 0.5.

Equations, for student *i* in course week *t* (0-based), with
``c(n) = n - 0.5`` the centred need and ``sigma(x) = 1 / (1 + exp(-x))``:

=====================  ==========================================================
motivation             ``m[t] = m[t-1] + drift + volatility * N(0, 1)``
engagement             ``eta[t] = m[t] - 1.2 c(engagement) - 0.8 c(activity_level)
                       - 0.5 c(support_need)``
active days / week     ``Binomial(7, sigma(-0.75 + eta[t]))``
clicks / week          ``Poisson(days * exp(2.9 + 0.25 eta[t] + click_scale) * Gamma(2, 1/2))``
withdrawal hazard      ``sigma(module_offset + boost * exp(-t / tau) - 0.8 m[t] - 0.3 ability
                       + 1.0 c(support_need) + 0.8 c(activity_level) + 0.25 credits_z)``
submission             ``sigma(2.2 + eta[t] - 1.5 c(study_habits))``
assessment score       ``clip(N(70 + 11 ability + 4 m[t] - 14 c(assessment_level)
                       - 8 c(study_habits), 12), 0, 100)``
performance            ``z = ability + 0.6 mean_t(m[t]) - 1.5 c(assessment_level)
                       - 1.2 c(study_habits) - 0.5 c(engagement) - 1.0 c(support_need)``
final result           completers: ``P(Fail) = sigma(fail_threshold - z)``,
                       ``P(Distinction) = sigma(z - distinction_threshold)``, Pass otherwise
=====================  ==========================================================

So every topic need has a causal path to the outcome (the handle an intervention
pulls), and demographics act only through the latent traits (see ``latent.py``).
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from studentgym.simulators.config import TOPICS

STUDY_HABITS, ENGAGEMENT, ASSESSMENT_LEVEL, SUPPORT_NEED, ACTIVITY_LEVEL = range(len(TOPICS))

CLICKS_PER_ACTIVE_DAY_LOG = 2.9
"""log of the median clicks per active day of an average student (about 18)."""
CLICK_BURST_SHAPE = 2.0
"""Gamma shape of the week-to-week burstiness of clicks (smaller: heavier tail)."""
SCORE_NOISE_SD = 12.0
"""Standard deviation of an assessment score around its mean, in score points."""


@register_jitable
def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise (a float for a float)."""
    return 1.0 / (1.0 + np.exp(-x))


@register_jitable
def _centred(needs, topic: int):
    # needs: an array (..., 5); one student's (5,) gives a float
    return needs[..., topic] - 0.5


@register_jitable
def engagement(motivation: np.ndarray, needs: np.ndarray) -> np.ndarray:
    """Weekly engagement propensity ``eta`` (latent units) from motivation and needs.

    Args:
        motivation: current motivation, shape ``(...)``.
        needs: topic needs in [0, 1], shape ``(..., 5)`` (or broadcastable).
    """
    return (
        motivation
        - 1.2 * _centred(needs, ENGAGEMENT)
        - 0.8 * _centred(needs, ACTIVITY_LEVEL)
        - 0.5 * _centred(needs, SUPPORT_NEED)
    )


@register_jitable
def active_day_probability(eta: np.ndarray) -> np.ndarray:
    """Probability that a given day of the week has VLE activity."""
    return sigmoid(-0.75 + eta)


@register_jitable
def expected_clicks_per_active_day(eta: np.ndarray, click_scale: np.ndarray) -> np.ndarray:
    """Median clicks on an active day (before the weekly Gamma burst)."""
    return np.exp(CLICKS_PER_ACTIVE_DAY_LOG + 0.25 * eta + click_scale)


def sample_activity(
    eta: np.ndarray, click_scale: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one week of VLE activity.

    Returns:
        ``(active_days, clicks)``: integer arrays shaped like ``eta``; days in
        [0, 7], clicks >= 0 and 0 whenever days is 0.
    """
    days = rng.binomial(7, active_day_probability(eta))
    burst = rng.gamma(CLICK_BURST_SHAPE, 1.0 / CLICK_BURST_SHAPE, size=np.shape(eta))
    clicks = rng.poisson(days * expected_clicks_per_active_day(eta, click_scale) * burst)
    return days, clicks


@register_jitable
def withdrawal_logit(
    week: np.ndarray | int,
    motivation: np.ndarray,
    ability: np.ndarray,
    needs: np.ndarray,
    credits_z: np.ndarray,
    module_offset: np.ndarray,
    early_boost: float,
    early_weeks: float,
) -> np.ndarray:
    """Logit of the probability of withdrawing in course week ``week`` (0-based)."""
    return (
        module_offset
        + early_boost * np.exp(-week / early_weeks)
        - 0.8 * motivation
        - 0.3 * ability
        + 1.0 * _centred(needs, SUPPORT_NEED)
        + 0.8 * _centred(needs, ACTIVITY_LEVEL)
        + 0.25 * credits_z
    )


@register_jitable
def submission_probability(eta: np.ndarray, needs: np.ndarray) -> np.ndarray:
    """Probability that a scheduled assessment is submitted."""
    return sigmoid(2.2 + eta - 1.5 * _centred(needs, STUDY_HABITS))


@register_jitable
def expected_score(ability: np.ndarray, motivation: np.ndarray, needs: np.ndarray) -> np.ndarray:
    """Mean assessment score (0-100 points) before noise and clipping."""
    return (
        70.0
        + 11.0 * ability
        + 4.0 * motivation
        - 14.0 * _centred(needs, ASSESSMENT_LEVEL)
        - 8.0 * _centred(needs, STUDY_HABITS)
    )


def sample_scores(
    ability: np.ndarray, motivation: np.ndarray, needs: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw integer assessment scores in [0, 100]."""
    mean = expected_score(ability, motivation, needs)
    return np.clip(np.rint(mean + SCORE_NOISE_SD * rng.standard_normal(np.shape(mean))), 0, 100)


@register_jitable
def performance(ability: np.ndarray, mean_motivation: np.ndarray, needs: np.ndarray) -> np.ndarray:
    """Course performance ``z`` of a completer (latent units; higher is better)."""
    return (
        ability
        + 0.6 * mean_motivation
        - 1.5 * _centred(needs, ASSESSMENT_LEVEL)
        - 1.2 * _centred(needs, STUDY_HABITS)
        - 0.5 * _centred(needs, ENGAGEMENT)
        - 1.0 * _centred(needs, SUPPORT_NEED)
    )


def result_probabilities(
    z: np.ndarray, fail_threshold: np.ndarray, distinction_threshold: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(P(Fail), P(Distinction))`` for a completer with performance ``z``."""
    return sigmoid(fail_threshold - z), sigmoid(z - distinction_threshold)

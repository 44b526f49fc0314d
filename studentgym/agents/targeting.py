"""Whom to help when the week's tutor hours are fixed: targeting policies for the class env.

A targeting policy says, each week, what each intervention is worth for each student
over doing nothing: ``values(obs, info) -> (n, 6)`` (column 0 is 0). It never picks
students itself: :func:`studentgym.envs.allocation.allocate` serves the best value per
hour first until the hours run out, in :class:`~studentgym.envs.classroom.ClassEnv`'s
score mode and in the teacher's contact list alike, so policies differ only in what
they believe a student's help is worth.

======================  ===========================================================
policy                  value of intervention ``a`` for student ``i`` (per hour)
======================  ===========================================================
no intervention         nothing is worth anything
random                  a random intervention for each student, students in random
                        order
highest risk first      the rule matrix's intervention, students by the classifier's
                        risk ``1 - P(success)``: an early-alert system
middle risk first       the same interventions, students by closeness of
                        ``P(success)`` to 1/2
recommender             the hybrid recommender's predicted benefit of each
                        intervention (its response model, in reward units)
treat alike             the best fixed schedule's intervention of the week, students
                        in one fixed order (the class list)
latent-state oracle     the true expected benefit, from the simulator's latent state
                        over independent futures (clairvoyant of the state, not of
                        the future): a reference, not deployable
Lagrangian Q-learning   ``Q(s, a) - Q(s, none)`` of a table learned at an hour price
                        (:mod:`studentgym.agents.lagrangian`)
======================  ===========================================================

Policies that read more than the observation (the rule matrix needs every feature for
its segments, the oracle the latent state) have ``bind(env)``, called with the class
env they act in.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from studentgym.agents.policies import RecommenderPolicy, course_week
from studentgym.envs.classroom import CLASS_HOUR_PRICE
from studentgym.envs.observation import OBSERVATION_NAMES, P_SUCCESS
from studentgym.predictors.features import NUMERIC_FEATURES
from studentgym.predictors.segments import StudentSegmenter
from studentgym.recommenders.evaluation import course_value
from studentgym.recommenders.response import response_inputs
from studentgym.recommenders.rules import RuleBasedRecommender
from studentgym.simulators.counter_rng import fork_keys
from studentgym.simulators.interventions import COST_HOURS, N_ACTIONS

GIVEN = OBSERVATION_NAMES.index("given_study_skills")
_COST = np.asarray(COST_HOURS)


class TargetingPolicy(Protocol):
    def values(self, obs: np.ndarray, info: dict) -> np.ndarray: ...


def _students(obs: np.ndarray) -> np.ndarray:
    """A class observation as ``(n, 20)``."""
    return np.asarray(obs, dtype=np.float64).reshape(-1, len(OBSERVATION_NAMES))


def ranked(actions: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """``(n, 6)`` values that serve ``actions[i]`` to students by ``priority`` (highest
    first, positive only): value per hour = priority."""
    values = np.zeros((len(actions), N_ACTIONS))
    rows = np.flatnonzero(actions > 0)
    values[rows, actions[rows]] = priority[rows] * _COST[actions[rows]]
    return values


def risk_priority(p_success: np.ndarray, order: str) -> np.ndarray:
    """Who comes first by risk: ``"highest"``, ``1 - P(success)``; ``"middle"``,
    ``1 - 2 |P(success) - 1/2|`` (0 for a certain pass or fail).

    Raises:
        ValueError: for another order.
    """
    p = np.asarray(p_success, dtype=float)
    if order == "highest":
        return 1.0 - p
    if order == "middle":
        return 1.0 - 2.0 * np.abs(p - 0.5)
    raise ValueError(f"order must be 'highest' or 'middle', got {order!r}")


class NoTargeting:
    """Nobody is served."""

    def values(self, obs: np.ndarray, info: dict) -> np.ndarray:
        return np.zeros((len(_students(obs)), N_ACTIONS))


class RandomTargeting:
    """Each week, a uniformly random intervention for each student, in random order."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def values(self, obs: np.ndarray, info: dict) -> np.ndarray:
        n = len(_students(obs))
        actions = self._rng.integers(1, N_ACTIONS, n)
        return ranked(actions, self._rng.random(n) + 1e-12)


class RiskTargeting:
    """The rule matrix's intervention (classifier's prediction x segment), students ranked
    by risk: ``"highest"`` (``1 - P(success)``, an early-alert system) or ``"middle"``
    (``1 - 2 |P(success) - 1/2|``). A student who has had the intervention
    ``max_repeats`` times, or whom the matrix leaves alone, is not served.

    Args:
        segmenter: the fitted :class:`StudentSegmenter` (segments need every feature,
            so the policy reads them from the env it is bound to).
        rules: the matrix (its threshold splits predicted fail from pass).
        order: ``"highest"`` or ``"middle"``.
        max_repeats: deliveries of one intervention per student at most.

    Raises:
        ValueError: for another order.
    """

    def __init__(
        self,
        segmenter: StudentSegmenter,
        rules: RuleBasedRecommender | None = None,
        order: str = "highest",
        max_repeats: int = 2,
    ) -> None:
        risk_priority(np.zeros(1), order)  # refuses an unknown order now, not mid-course
        self.segmenter, self.rules = segmenter, rules or RuleBasedRecommender()
        self.order, self.max_repeats = order, max_repeats
        self._env = None

    def bind(self, env) -> None:
        """Read features from ``env`` (a ClassEnv) from now on."""
        self._env = env

    def interventions(self, obs: np.ndarray) -> np.ndarray:
        """The matrix's intervention for each student (0 where capped or left alone)."""
        if self._env is None:
            raise RuntimeError("RiskTargeting needs bind(env) before values()")
        batch = _students(obs)
        X = self._env.simulator.observe(self._env.state)[0]
        segments = self.segmenter.predict_names(pd.DataFrame(X, columns=list(NUMERIC_FEATURES)))
        actions = self.rules.intervention_ids(batch[:, P_SUCCESS], segments.to_numpy())
        given = np.take_along_axis(batch, GIVEN + np.maximum(actions, 1)[:, None] - 1, axis=1)
        return np.where(given[:, 0] < self.max_repeats, actions, 0)

    def values(self, obs: np.ndarray, info: dict) -> np.ndarray:
        priority = risk_priority(_students(obs)[:, P_SUCCESS], self.order)
        return ranked(self.interventions(obs), priority)


class BenefitTargeting:
    """The hybrid recommender's predicted benefit of each intervention over none (its
    response model, fitted on a randomised trial of training students), per hour.

    Args:
        recommender: a :class:`~studentgym.agents.policies.RecommenderPolicy` of the
            fitted profiler and hybrid (its observation-to-input mapping is reused).
    """

    def __init__(self, recommender: RecommenderPolicy) -> None:
        if recommender.hybrid.response_ is None:
            raise ValueError("BenefitTargeting needs a hybrid fitted on a trial's responses")
        self.recommender = recommender

    def values(self, obs: np.ndarray, info: dict) -> np.ndarray:
        batch = _students(obs)
        profile = self.recommender.profile_inputs(batch, info["student_id"])
        inputs = response_inputs(profile, batch[:, P_SUCCESS])
        values = np.zeros((len(batch), N_ACTIONS))
        values[:, 1:] = self.recommender.hybrid.response_.benefits(inputs)
        return values


class TreatAlike:
    """The best fixed schedule's intervention of the week, for the students in class-list
    order until the hours run out: uses nothing about the student.

    Args:
        plan: ``{course week: catalogue id}``, as ``policies.FixedSchedule`` takes it.
        n_weeks: course length, to read the week from the observation.
    """

    def __init__(self, plan: dict[int, int], n_weeks: int = 39) -> None:
        self.by_week = np.zeros(n_weeks + 1, dtype=np.int64)
        for week, action in plan.items():
            self.by_week[week] = action
        self.n_weeks = n_weeks

    def values(self, obs: np.ndarray, info: dict) -> np.ndarray:
        batch = _students(obs)
        week = np.clip(course_week(batch, self.n_weeks), 0, self.n_weeks)
        order = np.linspace(1.0, 0.5, len(batch))  # the class list's order, first highest
        return ranked(self.by_week[week], order)


class LatentOracle:
    """Each week, each student's true expected benefit of each intervention (then nothing)
    over doing nothing, averaged over ``n_draws`` futures independent of the one the
    student will live (``course_value`` from the simulator's latent state). It knows
    the state, not the future: a reference no deployable policy can reach.

    Args:
        n_draws: independent futures per student and week.
        hour_price: reward units per tutor hour in the values.
    """

    def __init__(self, n_draws: int = 4, hour_price: float = CLASS_HOUR_PRICE) -> None:
        self.n_draws, self.hour_price = n_draws, hour_price
        self._env = None

    def bind(self, env) -> None:
        """Look inside ``env`` (a ClassEnv) from now on."""
        self._env = env

    def values(self, obs: np.ndarray, info: dict) -> np.ndarray:
        if self._env is None:
            raise RuntimeError("LatentOracle needs bind(env) before values()")
        env = self._env
        live = np.flatnonzero(info["active"])
        values = np.zeros((env.n_students, N_ACTIONS))
        if not len(live):
            return values
        state = env.state.take(live)
        worth = np.zeros((N_ACTIONS, len(live)))
        for draw in range(self.n_draws):
            future = state.copy()
            # a stream per week and draw: never the keys the student's own future uses
            future.keys[:] = fork_keys(state.keys, 1 + draw + self.n_draws * int(state.week[0]))
            futures = future.take(np.tile(np.arange(len(live)), N_ACTIONS))
            first = np.repeat(np.arange(N_ACTIONS), len(live))
            worth += course_value(env.simulator, futures, first, self.hour_price).reshape(
                N_ACTIONS, len(live)
            )
        values[live] = (worth - worth[0]).T / self.n_draws
        return values

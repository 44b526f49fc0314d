"""Policies with one interface: ``act(obs, info) -> actions``, for one student or a batch.

``obs`` is a TutoringEnv observation ``(20,)`` or a batch ``(n, 20)`` from
TutoringVectorEnv; ``info`` is the env's info (its ``action_mask`` and
``student_id`` are used where needed). Actions are catalogue ids.

Reference policies that need more than an observation (the rule matrix needs
every feature, the oracle the simulator's state) have ``bind(env)``, called by
:func:`studentgym.agents.evaluation.rollout` with the vector env they act in.
The ground-truth oracle is in :mod:`studentgym.agents.oracle`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from studentgym.envs.observation import OBSERVATION_NAMES, P_SUCCESS, WEEK_FRACTION
from studentgym.envs.tabular import check_q_table, tabular_state
from studentgym.predictors.features import NUMERIC_FEATURES
from studentgym.predictors.segments import StudentSegmenter
from studentgym.recommenders.hybrid import HybridRecommender
from studentgym.recommenders.response import response_inputs
from studentgym.recommenders.rules import RuleBasedRecommender
from studentgym.recommenders.topics import TopicProfiler
from studentgym.simulators.cohort import Cohort
from studentgym.simulators.interventions import N_ACTIONS

_OBS = {name: j for j, name in enumerate(OBSERVATION_NAMES)}


class Policy(Protocol):
    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int: ...


def _batch(obs: np.ndarray) -> tuple[np.ndarray, bool]:
    obs = np.asarray(obs, dtype=float)
    return (obs[None, :], True) if obs.ndim == 1 else (obs, False)


def course_week(batch: np.ndarray, n_weeks: int) -> np.ndarray:
    """The course week each observation is taken in (1 at the first decision)."""
    return np.rint(batch[:, WEEK_FRACTION] * n_weeks).astype(np.int64)


def decision_weeks(batch: np.ndarray, every: int, n_weeks: int) -> np.ndarray:
    """Rows of observations whose course week is 1, 1 + every, 1 + 2 every, ..."""
    return (course_week(batch, n_weeks) - 1) % every == 0


def capped(
    batch: np.ndarray, info: dict, rows: np.ndarray, chosen: np.ndarray, max_repeats: int
) -> np.ndarray:
    """The full action vector: ``chosen`` for the ``rows`` (a mask), 0 elsewhere.

    A chosen intervention becomes 0 where the student has already had it
    ``max_repeats`` times or it does not fit in the remaining budget.
    """
    actions = np.zeros(len(batch), dtype=np.int64)
    picked = np.flatnonzero(rows)
    topic = np.maximum(chosen, 1) - 1  # for action 0 the lookup is unused
    given = batch[picked, _OBS["given_study_skills"] + topic]
    affordable = np.atleast_2d(info["action_mask"])[picked, chosen].astype(bool)
    actions[picked] = np.where((chosen > 0) & (given < max_repeats) & affordable, chosen, 0)
    return actions


class NoIntervention:
    """Never intervene."""

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int:
        batch, single = _batch(obs)
        actions = np.zeros(len(batch), dtype=np.int64)
        return int(actions[0]) if single else actions


class RecommenderPolicy:
    """The hybrid recommender run as a policy in the env.

    Every ``every`` weeks (course weeks 1, 1 + every, ...), a student whose
    predicted success probability is below ``threshold`` gets the hybrid's top
    intervention for their current topic profile, unless it has already been
    delivered ``max_repeats`` times or does not fit in the remaining budget;
    otherwise nothing.

    Args:
        profiler, hybrid: the fitted topic profiler and hybrid recommender.
        cohort: the env's cohort (studied credits are not in the observation).
        threshold: risk threshold on the classifier's P(success).
        every: weeks between decisions.
        max_repeats: deliveries of one intervention per student at most.
        n_weeks: course length, to read the week from the observation.
    """

    def __init__(
        self,
        profiler: TopicProfiler,
        hybrid: HybridRecommender,
        cohort: Cohort,
        threshold: float = 0.5,
        every: int = 4,
        max_repeats: int = 2,
        n_weeks: int = 39,
    ) -> None:
        self.profiler, self.hybrid = profiler, hybrid
        self.threshold, self.every, self.max_repeats = threshold, every, max_repeats
        self.n_weeks = n_weeks
        students = cohort.students
        self._credits = pd.Series(
            students["studied_credits"].to_numpy(float), index=students["id_student"].to_numpy()
        )

    def profile_inputs(self, obs: np.ndarray, student_ids) -> pd.DataFrame:
        """The profiler's inputs read off observations (see topics.PROFILE_INPUTS)."""
        o = {name: obs[:, j] for name, j in _OBS.items()}
        return pd.DataFrame(
            {
                "score_mean": o["score_mean"] * 100.0,
                "score_last": o["score_last"] * 100.0,
                "submissions_missed": o["submissions_missed"],
                "log_clicks_per_week": o["log_clicks_per_week"],
                "active_day_share": o["active_day_share"],
                "inactivity_streak": o["inactivity_streak"],
                "imd_decile": o["imd_decile"],
                "disability": o["disability"],
                "prev_attempts": o["prev_attempts"],
                "studied_credits": self._credits.reindex(np.atleast_1d(student_ids))
                .fillna(60.0)
                .to_numpy(),
            }
        )

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int:
        batch, single = _batch(obs)
        deciding = decision_weeks(batch, self.every, self.n_weeks) & (
            batch[:, P_SUCCESS] < self.threshold
        )
        actions = np.zeros(len(batch), dtype=np.int64)
        if deciding.any():
            ids = np.atleast_1d(info["student_id"])[deciding]
            profile = self.profile_inputs(batch[deciding], ids)
            inputs = response_inputs(profile, batch[deciding, P_SUCCESS])
            top = self.hybrid.top_intervention(self.profiler.transform(profile), inputs)
            actions = capped(batch, info, deciding, top, self.max_repeats)
        assert actions.max() < N_ACTIONS
        return int(actions[0]) if single else actions


class RuleBasedPolicy:
    """The rule matrix (classifier's prediction x K-means segment) run as a policy.

    Every ``every`` weeks each student gets the matrix's intervention for their
    predicted outcome and current segment (the matrix gives nothing only to
    predicted-pass high performers), capped like :class:`RecommenderPolicy`.
    Segments need every feature, so the policy reads them from the env it is
    bound to (:meth:`bind`); it works with a ``TutoringVectorEnv``.

    Args:
        segmenter: a fitted :class:`StudentSegmenter`.
        rules: the matrix (its threshold splits predicted fail from pass).
        every, max_repeats, n_weeks: as in :class:`RecommenderPolicy`.
    """

    def __init__(
        self,
        segmenter: StudentSegmenter,
        rules: RuleBasedRecommender | None = None,
        every: int = 4,
        max_repeats: int = 2,
        n_weeks: int = 39,
    ) -> None:
        self.segmenter, self.rules = segmenter, rules or RuleBasedRecommender()
        self.every, self.max_repeats, self.n_weeks = every, max_repeats, n_weeks
        self._env = None

    def bind(self, env) -> None:
        """Read features from ``env`` (a TutoringVectorEnv) from now on."""
        self._env = env

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        if self._env is None:
            raise RuntimeError("RuleBasedPolicy needs bind(env) before act()")
        batch, _ = _batch(obs)
        deciding = decision_weeks(batch, self.every, self.n_weeks)
        if not deciding.any():
            return np.zeros(len(batch), dtype=np.int64)
        X = self._env.simulator.observe(self._env.state)[0][deciding]
        segments = self.segmenter.predict_names(pd.DataFrame(X, columns=list(NUMERIC_FEATURES)))
        chosen = self.rules.intervention_ids(batch[deciding, P_SUCCESS], segments.to_numpy())
        return capped(batch, info, deciding, chosen, self.max_repeats)


class FixedSchedule:
    """The same interventions in the same course weeks for every student.

    The reference a personalised policy must beat: it uses nothing about the student.
    An intervention the budget no longer allows is refused by the env (not charged).

    Args:
        plan: ``{course week: catalogue id}``; week 1 is the first decision.
        n_weeks: course length, to read the week from the observation.

    Raises:
        ValueError: for an action outside the catalogue or a week outside the course.
    """

    def __init__(self, plan: dict[int, int], n_weeks: int = 39) -> None:
        for week, action in plan.items():
            if not 0 <= action < N_ACTIONS or not 1 <= week < n_weeks:
                raise ValueError(
                    f"plan entries must map weeks 1..{n_weeks - 1} to actions 0..{N_ACTIONS - 1},"
                    f" got {week}: {action}"
                )
        self.plan, self.n_weeks = dict(plan), n_weeks
        self._by_week = np.zeros(n_weeks + 1, dtype=np.int64)
        for week, action in self.plan.items():
            self._by_week[week] = action

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int:
        batch, single = _batch(obs)
        actions = self._by_week[np.clip(course_week(batch, self.n_weeks), 0, self.n_weeks)]
        return int(actions[0]) if single else actions


class RandomPolicy:
    """A uniformly random intervention every week."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int:
        batch, single = _batch(obs)
        actions = self._rng.integers(0, N_ACTIONS, len(batch))
        return int(actions[0]) if single else actions

    def action_probabilities(self, obs: np.ndarray, info: dict) -> np.ndarray:
        """``(n, 6)``: every action with probability 1/6 (for off-policy evaluation)."""
        return np.full((len(np.atleast_2d(obs)), N_ACTIONS), 1.0 / N_ACTIONS)


class TabularPolicy:
    """Greedy actions of a Q-table over the env's tabular states (``N_STATES`` x 6).

    Raises:
        ValueError: for a table of another shape (e.g. one learned over the 315-state
            view of earlier versions).
    """

    def __init__(self, q_table: np.ndarray) -> None:
        self.q_table = np.asarray(q_table)
        check_q_table(self.q_table)

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int:
        batch, single = _batch(obs)
        actions = np.argmax(self.q_table[tabular_state(batch)], axis=1)
        return int(actions[0]) if single else actions

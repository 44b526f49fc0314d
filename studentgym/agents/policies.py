"""Policies with one interface: ``act(obs, info) -> actions``, for one student or a batch.

``obs`` is a TutoringEnv observation ``(20,)`` or a batch ``(n, 20)`` from
TutoringVectorEnv; ``info`` is the env's info (its ``action_mask`` and
``student_id`` are used where needed). Actions are catalogue ids.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from studentgym.envs.observation import OBSERVATION_NAMES, P_SUCCESS, WEEK_FRACTION
from studentgym.envs.tabular import tabular_state
from studentgym.recommenders.hybrid import HybridRecommender
from studentgym.recommenders.topics import TopicProfiler
from studentgym.simulators.cohort import Cohort
from studentgym.simulators.interventions import N_ACTIONS

_OBS = {name: j for j, name in enumerate(OBSERVATION_NAMES)}


class Policy(Protocol):
    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int: ...


def _batch(obs: np.ndarray) -> tuple[np.ndarray, bool]:
    obs = np.asarray(obs, dtype=float)
    return (obs[None, :], True) if obs.ndim == 1 else (obs, False)


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
        week = np.rint(batch[:, WEEK_FRACTION] * self.n_weeks).astype(np.int64)
        deciding = ((week - 1) % self.every == 0) & (batch[:, P_SUCCESS] < self.threshold)
        actions = np.zeros(len(batch), dtype=np.int64)
        if deciding.any():
            ids = np.atleast_1d(info["student_id"])[deciding]
            levels = self.profiler.transform(self.profile_inputs(batch[deciding], ids))
            top = self.hybrid.top_intervention(levels)
            rows = np.arange(len(top))
            given = batch[deciding][rows, _OBS["given_study_skills"] + top - 1]
            affordable = np.atleast_2d(info["action_mask"])[deciding][rows, top].astype(bool)
            actions[deciding] = np.where((given < self.max_repeats) & affordable, top, 0)
        assert actions.max() < N_ACTIONS
        return int(actions[0]) if single else actions


class RandomPolicy:
    """A uniformly random intervention every week."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int:
        batch, single = _batch(obs)
        actions = self._rng.integers(0, N_ACTIONS, len(batch))
        return int(actions[0]) if single else actions


class TabularPolicy:
    """Greedy actions of a Q-table over the env's tabular states (27 x 6)."""

    def __init__(self, q_table: np.ndarray) -> None:
        self.q_table = np.asarray(q_table)

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray | int:
        batch, single = _batch(obs)
        actions = np.argmax(self.q_table[tabular_state(batch)], axis=1)
        return int(actions[0]) if single else actions

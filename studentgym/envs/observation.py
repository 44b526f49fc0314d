"""The observation a tutor sees each week, shared by the single and the vector env."""

from __future__ import annotations

import math

import numba
import numpy as np
from gymnasium import spaces

from studentgym.simulators.batch import COLUMNS
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.student import BatchState, StudentSimulator

LOG_CLICKS_MAX = 12.0  # log(1 + 160,000) clicks: far above any week in OULAD
OBSERVATION_NAMES = (
    "log_clicks_last_week",
    "active_days_last_week",
    "log_clicks_per_week",
    "active_day_share",
    "inactivity_streak",
    "score_last",
    "score_mean",
    "submissions_missed",
    "week_fraction",
    "given_study_skills",
    "given_engagement_nudge",
    "given_assessment_practice",
    "given_support_referral",
    "given_tutor_call",
    "budget_used",
    "p_success",
    "imd_decile",
    "education_level",
    "prev_attempts",
    "disability",
)
P_SUCCESS = OBSERVATION_NAMES.index("p_success")
ACTIVE_DAYS = OBSERVATION_NAMES.index("active_days_last_week")
WEEK_FRACTION = OBSERVATION_NAMES.index("week_fraction")


def observation_space(n_weeks: int, n_assessments: int) -> spaces.Box:
    """The float32 Box of :data:`OBSERVATION_NAMES`, with finite bounds."""
    high = np.array(
        [LOG_CLICKS_MAX, 7, LOG_CLICKS_MAX, 1, n_weeks, 1, 1, n_assessments, 1]
        + [n_weeks] * (N_ACTIONS - 1)
        + [1, 1, 1, 1, 6, 1],
        dtype=np.float32,
    )
    return spaces.Box(np.zeros_like(high), high, dtype=np.float32)


class ObservationBuilder:
    """Turns simulator state and features into observations, for one student or many."""

    def __init__(self, simulator: StudentSimulator) -> None:
        names = simulator.success_model.feature_names
        self._columns = np.array([names.index(name) for name in _FEATURE_COLUMNS])
        self.budget = simulator.budget_hours
        self.static = simulator.static_obs
        self._doses, self._hours = COLUMNS["doses"][0], COLUMNS["hours"][0]

    def __call__(self, X: np.ndarray, s: BatchState, p: np.ndarray, out=None) -> np.ndarray:
        """``(n, 20)`` float32 observations of the students of ``s`` (into ``out`` if given)."""
        obs = np.empty((len(X), len(OBSERVATION_NAMES)), dtype=np.float32) if out is None else out
        _observations(
            X,
            self._columns,
            s.values,
            s.row,
            self._doses,
            self._hours,
            self.static,
            self.budget,
            p,
            obs,
        )
        return obs


_FEATURE_COLUMNS = (  # the features observations 0-8 come from, in order
    "clicks_last_week",
    "active_days_last_week",
    "clicks_per_week",
    "active_day_share",
    "inactivity_streak",
    "score_last",
    "score_mean",
    "submissions_missed",
    "week_fraction",
)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _observations(X, columns, values, rows, doses, hours, static, budget, p, out) -> None:
    # doses, hours: columns of the simulator's state values (passed, not imported, so
    # that numba's cache never holds a stale layout)
    # every entry is within its bounds by construction except the log-clicks
    for i in range(len(X)):
        o = out[i]
        for j in range(len(columns)):
            o[j] = X[i, columns[j]]
        o[0] = min(math.log1p(X[i, columns[0]]), LOG_CLICKS_MAX)
        o[2] = min(math.log1p(X[i, columns[2]]), LOG_CLICKS_MAX)
        for j in (5, 6):  # scores / 100, 0 if none yet
            score = X[i, columns[j]]
            o[j] = 0.0 if score != score else score / 100.0
        for action in range(1, N_ACTIONS):
            o[8 + action] = values[i, doses + action]
        o[14] = values[i, hours] / budget if budget > 0 else 0.0
        o[15] = p[i]
        for j in range(static.shape[1]):
            o[16 + j] = static[rows[i], j]

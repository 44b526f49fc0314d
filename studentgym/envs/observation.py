"""The observation a tutor sees each week, shared by the single and the vector env."""

from __future__ import annotations

import math

import numpy as np
from gymnasium import spaces

from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.student import StudentSimulator

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
    """Turns simulator state and features into observations (one student or a batch)."""

    def __init__(self, simulator: StudentSimulator, space: spaces.Box) -> None:
        names = simulator.success_model.feature_names
        self._i = {
            name: names.index(name)
            for name in (
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
        }
        self._order = tuple(self._i.values())
        self.budget = simulator.budget_hours
        self.static = simulator.static_obs
        self.low, self.high = space.low, space.high
        self._static_lists = self.static.tolist()

    def scalar(self, x: list[float], s, p: float) -> np.ndarray:
        (
            clicks_last,
            days_last,
            clicks_week,
            share,
            streak,
            score_last,
            score_mean,
            missed,
            week,
        ) = (x[j] for j in self._order)
        # every entry is within its bounds by construction except the log-clicks
        values = [
            min(math.log1p(clicks_last), LOG_CLICKS_MAX),
            days_last,
            min(math.log1p(clicks_week), LOG_CLICKS_MAX),
            share,
            streak,
            0.0 if score_last != score_last else score_last / 100.0,
            0.0 if score_mean != score_mean else score_mean / 100.0,
            missed,
            week,
            *s.doses[1:],
            s.hours / self.budget if self.budget > 0 else 0.0,
            p,
            *self._static_lists[s.row],
        ]
        return np.array(values, dtype=np.float32)

    def batch(self, X: np.ndarray, s, p: np.ndarray) -> np.ndarray:
        i = self._i
        obs = np.empty((len(X), len(self.low)), dtype=np.float32)
        obs[:, 0] = np.minimum(np.log1p(X[:, i["clicks_last_week"]]), LOG_CLICKS_MAX)
        obs[:, 1] = X[:, i["active_days_last_week"]]
        obs[:, 2] = np.minimum(np.log1p(X[:, i["clicks_per_week"]]), LOG_CLICKS_MAX)
        obs[:, 3] = X[:, i["active_day_share"]]
        obs[:, 4] = X[:, i["inactivity_streak"]]
        obs[:, 5] = np.nan_to_num(X[:, i["score_last"]] / 100.0)
        obs[:, 6] = np.nan_to_num(X[:, i["score_mean"]] / 100.0)
        obs[:, 7] = X[:, i["submissions_missed"]]
        obs[:, 8] = X[:, i["week_fraction"]]
        obs[:, 9:14] = s.doses[:, 1:]
        obs[:, 14] = s.hours / self.budget if self.budget > 0 else 0.0
        obs[:, 15] = p
        obs[:, 16:] = self.static[s.row]
        return obs

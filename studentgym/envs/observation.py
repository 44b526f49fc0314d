"""The observation a tutor sees each week, shared by the single and the vector env."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from studentgym.simulators import batch
from studentgym.simulators.batch import LOG_CLICKS_MAX
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.student import BatchState, StudentSimulator

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


class EnvKernel:
    """The envs' compiled calls: students' features, P(success) and observations after
    a week (:meth:`observe`), or the week itself and then those (:meth:`step`); for one
    student or many, in one pass (``simulators.batch.observe_view`` and ``step_observe``).
    """

    def __init__(self, simulator: StudentSimulator) -> None:
        self.simulator = sim = simulator
        names = sim.success_model.feature_names
        columns = np.array([names.index(name) for name in _FEATURE_COLUMNS])
        # the compiled calls' arguments after the state (and the actions), built once: a
        # single env's step is short enough for this to matter
        self._week_args = (sim.constants, sim.assessment_due)
        self._view_args = (
            sim.n_weeks,
            sim.demographics,
            sim.scoring,
            sim.success_model.offset_,
            columns,
            sim.static_obs,
            sim.budget_hours,
        )

    def buffers(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """New ``(events, X, p, obs)`` arrays for ``n`` students (see :meth:`step`)."""
        n_features = len(self.simulator.success_model.feature_names)
        return (
            np.empty((n, len(batch.EVENTS))),
            np.empty((n, n_features)),
            np.empty(n),
            np.empty((n, len(OBSERVATION_NAMES)), dtype=np.float32),
        )

    def observe(self, s: BatchState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, p, obs)`` of the students of ``s``: features in the success model's order,
        P(success) and ``(n, 20)`` float32 observations, in new arrays."""
        _, X, p, obs = self.buffers(len(s))
        withdrew = np.zeros(len(s))  # P(success) as it is, for every student
        batch.observe_view(s.values, s.ints, *self._view_args, withdrew, X, p, obs)
        return X, p, obs

    def step(self, s: BatchState, actions: np.ndarray, allow_withdrawal: np.ndarray, out=None):
        """Deliver ``actions`` and simulate the students' week (as ``StudentSimulator.
        step_batch``), then :meth:`observe` them, P(success) being 0 after a withdrawal.

        Returns:
            ``(events, X, p, obs)``, ``events`` (n, 4) holding ``batch.EVENTS``
            (delivered, cost in hours, withdrew, the final result's uniform). Into
            ``out`` (from :meth:`buffers`) if given.

        Raises:
            ValueError: for an action outside ``[0, 6)`` or a course that has ended.
        """
        out = self.buffers(len(s)) if out is None else out
        batch.step_observe(
            s.values,
            s.ints,
            s.keys,
            actions,
            allow_withdrawal,
            *self._week_args,
            *self._view_args,
            *out,
        )
        return out


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

"""The student simulator: week-by-week dynamics of students receiving interventions.

The weekly behaviour, withdrawal and final result are the cohort generator's
equations (:mod:`~studentgym.simulators.dynamics`); the tutor's interventions act
on top. The week itself runs compiled (:mod:`~studentgym.simulators.batch`), the
same code for one student (the single env) and for thousands (the vector env).
Random numbers are counter-based (:mod:`counter_rng`), so a student's path
depends only on its episode key.

Ground-truth response to intervention ``a`` (topic ``k``) given in week ``t``,
with ``eta`` the student's engagement in week ``t - 1``:

=================  =======================================================================
landing            ``L = sigma((eta - min_engagement[a]) / landing_width)``: it lands only
                   if the student is engaged enough to receive it
habituation        ``H = habituation ** (times a was delivered before)``
relief             ``relief[k] += (1 - relief[k]) * efficacy[a] * L * H`` (a share of
                   the remaining need, so relief stays in [0, 1)); after each week
                   ``relief *= persistence``
effective need     ``need_eff[k] = need[k] * (1 - relief[k])``: the help grows with the
                   student's need in the topic and lasts some weeks
motivation         ``m += motivation_gain[a] * L * H * need[k]`` (nudge and tutor call)
cost               ``cost_hours[a]`` tutor hours; not delivered (and not charged) if it
                   would exceed the budget
=================  =======================================================================

Effective needs drive the week's engagement, withdrawal hazard, submissions and
scores, and their course means (with mean motivation) the final performance.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import numpy as np

from studentgym.simulators import batch, dynamics
from studentgym.simulators.batch import SIMULATED_FEATURES, BatchState
from studentgym.simulators.interventions import COST_HOURS, N_ACTIONS
from studentgym.simulators.roster import Roster

if TYPE_CHECKING:
    from studentgym.simulators.cohort import Cohort

__all__ = ["SIMULATED_FEATURES", "BatchState", "ResponseParams", "StudentSimulator"]

OUTCOME_MODELS = ("classifier", "ground_truth")
STATIC_OBS = ("imd_decile", "education_level", "prev_attempts", "disability")


DEFAULT_BUDGET_HOURS = 10.0
"""Tutor hours available per student for the whole course, unless set otherwise."""


@dataclass(frozen=True)
class ResponseParams:
    """Ground-truth response to interventions, per action (index = catalogue id).

    Attributes:
        efficacy: share of the topic need relieved when fully landed, in [0, 1).
        motivation_gain: motivation added, times the topic need, when fully landed.
        min_engagement: engagement at which half of the effect lands.
        landing_width: softness of the landing threshold (engagement units).
        habituation: factor by which each repeat of the same intervention shrinks.
        persistence: share of relief that carries over to the next week.
    """

    efficacy: tuple[float, ...] = (0.0, 0.95, 0.6, 0.95, 0.95, 0.7)
    motivation_gain: tuple[float, ...] = (0.0, 0.0, 0.10, 0.0, 0.0, 0.30)
    min_engagement: tuple[float, ...] = (0.0, -1.0, -1.5, -1.0, -2.0, -2.5)
    landing_width: float = 0.5
    habituation: float = 0.6
    persistence: float = 0.95

    def __post_init__(self) -> None:
        for name in ("efficacy", "motivation_gain", "min_engagement"):
            if len(getattr(self, name)) != N_ACTIONS:
                raise ValueError(f"ResponseParams.{name} needs {N_ACTIONS} entries")
        if not (0 < self.habituation <= 1 and 0 <= self.persistence < 1):
            raise ValueError("habituation must be in (0, 1] and persistence in [0, 1)")
        if self.landing_width <= 0:
            raise ValueError("landing_width must be > 0")


class SuccessModel(Protocol):
    """What the simulator needs from a success classifier (see predictors.weekly).

    A clipped linear logit per course week: ``offset_[w, row] + sum_j slope_[w, j] *
    clip(x_j, low_[w, j], high_[w, j])``, a missing ``x_j`` taking ``fill_[w, j]``.
    """

    feature_names: tuple[str, ...]
    low_: np.ndarray  # (n_weeks + 1, k)
    high_: np.ndarray
    fill_: np.ndarray
    slope_: np.ndarray
    offset_: np.ndarray  # (n_weeks + 1, n_students)


class StudentSimulator:
    """Students sampled from a cohort, advanced week by week under interventions.

    Args:
        cohort: where students (latent traits, demographics) are sampled from: a
            ``Cohort``, or its :class:`~studentgym.simulators.roster.Roster` (what a
            cached world loads; the cohort's tables are then generated only if asked
            for, see :attr:`cohort`).
        success_model: the fitted weekly success classifier (:class:`SuccessModel`).
        outcome_model: ``"classifier"`` (default: the final result is drawn from the
            classifier's probability on the final features) or ``"ground_truth"``
            (from the latent model).
        budget_hours: tutor hours available per student for the whole course.
        response: ground-truth response parameters.

    Raises:
        ValueError: for an unknown outcome model or a negative budget.
    """

    def __init__(
        self,
        cohort: Cohort | Roster,
        success_model: SuccessModel,
        outcome_model: str = "classifier",
        budget_hours: float = DEFAULT_BUDGET_HOURS,
        response: ResponseParams | None = None,
    ) -> None:
        if outcome_model not in OUTCOME_MODELS:
            raise ValueError(
                f"outcome_model must be one of {OUTCOME_MODELS}, got {outcome_model!r}"
            )
        if not budget_hours >= 0:
            raise ValueError(f"budget_hours must be >= 0, got {budget_hours}")
        if isinstance(cohort, Roster):
            self.roster, self._cohort = cohort, None
        else:
            self.roster, self._cohort = Roster.from_cohort(cohort), cohort
        roster = self.roster
        self.success_model = success_model
        self.outcome_model = outcome_model
        self.budget_hours = float(budget_hours)
        self.response = response or ResponseParams()
        self.n_weeks = roster.config.n_weeks
        self.n_students = roster.config.n_students
        self.n_assessments = len(roster.assessment_weeks)
        self.assessment_due = np.zeros(self.n_weeks + 1, dtype=bool)
        self.assessment_due[roster.assessment_weeks] = True
        self.static_obs = roster.static_obs
        """``(n_students, 4)`` demographics in the observation, see STATIC_OBS."""
        if tuple(success_model.feature_names) != SIMULATED_FEATURES:
            raise ValueError(
                f"the success model's features must be {SIMULATED_FEATURES}, in that order"
            )
        self.demographics = roster.demographics
        """``(n_students, 2)`` the demographic features of the success model."""
        self.scoring = np.stack(
            [success_model.low_, success_model.high_, success_model.fill_, success_model.slope_]
        )
        """``(4, n_weeks + 1, n_features)``: the success model's ``low_``, ``high_``,
        ``fill_`` and ``slope_``, one array for the compiled scoring (``batch.observe``)."""
        self._cost = np.asarray(COST_HOURS)
        # the budget test, with a tolerance for sums of quarter hours
        self._budget_limit = self.budget_hours + 1e-9
        self.constants = batch.pack_constants(
            self.response, roster.config, COST_HOURS, self._budget_limit
        )
        """The settings the compiled week reads (``batch.pack_constants``)."""

    @property
    def cohort(self) -> Cohort:
        """The cohort's tables: the one given, or, for a simulator made from a roster
        (a cached world's), the cohort generated again from its seed on first use."""
        if self._cohort is None:
            self._cohort = self.roster.cohort()
        return self._cohort

    @cached_property
    def world_fingerprint(self) -> str:
        """16 hex digits naming this world: the students (cohort), the success classifier
        and the response to interventions; not the outcome model or the budget, which a
        policy trained in one world may well be judged under.

        Saved agents record it, and refuse to load into a world with another.
        """
        digest = hashlib.sha256(repr((self.roster.config, self.response)).encode())
        traits = self.roster.traits
        arrays = [self.roster.id_student, self.assessment_due]
        arrays += [getattr(traits, f.name) for f in dataclasses.fields(traits)]
        m = self.success_model
        arrays += [m.low_, m.high_, m.fill_, m.slope_, m.offset_]
        for array in arrays:
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:16]

    def action_mask(self, hours) -> np.ndarray:
        """int8 mask of the affordable actions given tutor ``hours`` already spent.

        ``(6,)`` for one student, ``(n, 6)`` for an array of hours; the same budget
        test the steps apply when they decide whether an intervention is delivered.
        """
        return (np.asarray(hours)[..., None] + self._cost <= self._budget_limit).astype(np.int8)

    # ---------------------------------------------------------------- new students
    def new_batch(self, rows: np.ndarray, keys: np.ndarray) -> BatchState:
        """Students at cohort positions ``rows`` with episode ``keys``; no week run yet."""
        rows = np.asarray(rows, dtype=np.int64)
        ints = np.zeros((len(rows), len(batch.INT_FIELDS)), dtype=np.int64)
        state = BatchState(self._new_values[rows], ints, np.asarray(keys).astype(np.uint64))
        state.row[:] = rows
        return state

    @cached_property
    def _new_values(self) -> np.ndarray:
        """``(n_students, N_FLOATS)``: each student's state values before week 0 (their
        latent traits, zero accumulators), copied by :meth:`new_batch`."""
        t, roster = self.roster.traits, self.roster
        state = BatchState(
            np.zeros((self.n_students, batch.N_FLOATS)),
            np.zeros((self.n_students, len(batch.INT_FIELDS)), dtype=np.int64),
            np.zeros(self.n_students, dtype=np.uint64),
        )
        state.ability, state.click_scale, state.credits_z = t.ability, t.click_scale, t.credits_z
        state.withdrawal_offset, state.fail_threshold = (
            roster.withdrawal_offset,
            roster.fail_threshold,
        )
        state.needs, state.motivation = t.needs, t.motivation
        state.last_active = -1.0
        state.score_last = np.nan
        return state.values

    def start_batch(self, rows: np.ndarray, keys: np.ndarray) -> BatchState:
        """New students after their first course week (week 0: no action, no withdrawal)."""
        state = self.new_batch(rows, keys)
        self.step_batch(state, np.zeros(len(state), dtype=np.int64), allow_withdrawal=False)
        return state

    # ---------------------------------------------------------------- one week
    def step_batch(self, s: BatchState, action: np.ndarray, allow_withdrawal=True):
        """Deliver ``action`` (catalogue ids) and simulate week ``s.week`` for the batch.

        ``allow_withdrawal`` is a bool or a boolean array over the batch. (The envs step
        and observe in one call instead: ``envs.observation.EnvKernel``.)

        Returns:
            ``(delivered, cost_hours, withdrew, u_outcome)`` arrays, the last being the
            uniform that decides the final result if this was the last week. Mutates ``s``.
        """
        n = len(s)
        out = (np.empty(n, dtype=bool), np.empty(n), np.empty(n, dtype=bool), np.empty(n))
        if isinstance(allow_withdrawal, bool | np.bool_):
            allow_withdrawal = np.full(n, allow_withdrawal)
        batch.step_week(
            s.values,
            s.ints,
            s.keys,
            np.asarray(action, dtype=np.int64),
            np.asarray(allow_withdrawal, dtype=bool),
            self.constants,
            self.assessment_due,
            *out,
        )
        return out

    # ---------------------------------------------------------------- what is seen
    def observe(self, s: BatchState) -> tuple[np.ndarray, np.ndarray]:
        """``(X, p)``: features ``(n, k)`` in the success model's order and P(success).

        The features are what ``predictors.features.weekly_features`` gives after
        ``s.week`` weeks; ``p`` is the success classifier's probability on them.
        """
        n, m = len(s), self.success_model
        X, p = np.empty((n, len(SIMULATED_FEATURES))), np.empty(n)
        batch.observe(
            s.values,
            s.ints,
            self.n_weeks,
            self.demographics,
            self.scoring,
            m.offset_,
            X,
            p,
        )
        return X, p

    def final_success(self, s: BatchState, p_classifier: np.ndarray | None = None) -> np.ndarray:
        """P(success) the final result of students who completed the course is drawn from:
        the classifier's on the final features (``p_classifier`` if the caller has it,
        else observed now) or the latent model's, by :attr:`outcome_model`."""
        if self.outcome_model == "classifier":
            return self.observe(s)[1] if p_classifier is None else p_classifier
        return self.ground_truth_success(s)

    def ground_truth_success(self, s: BatchState) -> np.ndarray:
        """P(success | latent course path) of students who completed the course."""
        mean_need, mean_motivation = s.need_sum / self.n_weeks, s.motivation_sum / self.n_weeks
        z = dynamics.performance(s.ability, mean_motivation, mean_need)
        return dynamics.sigmoid(z - s.fail_threshold)

"""The student simulator: week-by-week dynamics of students receiving interventions.

The weekly behaviour, withdrawal and final result are the cohort generator's
equations (:mod:`~studentgym.simulators.dynamics`); the tutor's interventions act
on top. There are two implementations of one model, tested equal to the last bit:
:meth:`StudentSimulator.step_batch` advances a batch of students in one numpy
pass (the vector env), :meth:`StudentSimulator.step_scalar` one student in plain
Python floats (the single env, where numpy's per-call overhead would cost ten
times the arithmetic). Random numbers are counter-based (:mod:`counter_rng`), so
a student's path depends only on its episode key.

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

import math
from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np

from studentgym.simulators import dynamics
from studentgym.simulators.cohort import Cohort
from studentgym.simulators.config import EDUCATION_LEVELS, IMD_DECILE, TOPICS
from studentgym.simulators.counter_rng import uniform_table
from studentgym.simulators.interventions import COST_HOURS, N_ACTIONS

OUTCOME_MODELS = ("classifier", "ground_truth")
N_TOPICS = len(TOPICS)
TREND_WEIGHTS = np.array(  # least-squares slope over the last n weeks (row n), newest last
    [
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, -1.0, 1.0],
        [0.0, -0.5, 0.0, 0.5],
        [-0.3, -0.1, 0.1, 0.3],
    ]
)
CLICKS_LEVEL_SCALE = math.log1p(500.0)
SIMULATED_FEATURES = (
    "clicks_total",
    "clicks_last_week",
    "clicks_per_week",
    "clicks_trend",
    "active_days_total",
    "active_days_last_week",
    "active_day_share",
    "inactivity_streak",
    "assessments_due",
    "submissions",
    "submissions_missed",
    "score_mean",
    "score_last",
    "score_std",
    "score_total",
    "score_trend",
    "week_fraction",
    "confidence_score",
    "engagement_index",
    "effort_to_performance",
    "num_of_prev_attempts",
    "studied_credits",
)
"""The features the simulator computes, in order (``predictors.features.NUMERIC_FEATURES``)."""
STATIC_OBS = ("imd_decile", "education_level", "prev_attempts", "disability")
# positions in the 16 uniforms of a student-week
U_DAYS = range(0, 7)
U_BURST1, U_BURST2, U_SHOCK1, U_SHOCK2, U_SCORE1, U_SCORE2 = 7, 8, 9, 10, 11, 12
U_WITHDRAW, U_SUBMIT, U_OUTCOME = 13, 14, 15
TWO_PI = 2.0 * math.pi


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
    """What the simulator needs from a success classifier (see predictors.weekly)."""

    feature_names: tuple[str, ...]

    def logit_batch(self, weeks: np.ndarray, rows: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Log-odds of success after ``weeks`` weeks for cohort students ``rows``."""

    def logit_scalar(self, week: int, row: int, x: list[float]) -> float:
        """The same for one student."""


@dataclass
class BatchState:
    """A batch of students mid-course: arrays over students (topics/actions in columns).

    ``week`` is the next course week to simulate; accumulators hold what the
    features are computed from and the latent course means.
    """

    row: np.ndarray
    key: np.ndarray
    week: np.ndarray
    ability: np.ndarray
    click_scale: np.ndarray
    credits_z: np.ndarray
    withdrawal_offset: np.ndarray
    fail_threshold: np.ndarray
    needs: np.ndarray  # (n, 5)
    motivation: np.ndarray
    eta: np.ndarray
    relief: np.ndarray  # (n, 5)
    doses: np.ndarray  # (n, 6)
    hours: np.ndarray
    interventions: np.ndarray
    withdrawn: np.ndarray
    motivation_sum: np.ndarray
    need_sum: np.ndarray  # (n, 5)
    clicks_total: np.ndarray
    clicks_last: np.ndarray
    log_clicks_hist: np.ndarray  # (n, 4) log(1 + clicks) of the last 4 weeks, newest last
    days_total: np.ndarray
    days_last: np.ndarray
    active_weeks: np.ndarray
    last_active: np.ndarray
    due: np.ndarray
    submitted: np.ndarray
    score_sum: np.ndarray
    score_sq: np.ndarray
    score_last: np.ndarray
    sub_week_sum: np.ndarray
    sub_week_sq: np.ndarray
    sub_week_score: np.ndarray

    def copy(self) -> BatchState:
        """An independent copy (every array copied)."""
        return BatchState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def take(self, index: np.ndarray) -> BatchState:
        """A new state with the students at ``index`` (a mask or positions)."""
        return BatchState(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def put(self, index: np.ndarray, other: BatchState) -> None:
        """Overwrite the students at ``index`` with ``other``'s."""
        for f in fields(self):
            getattr(self, f.name)[index] = getattr(other, f.name)


class ScalarState:
    """One student mid-course, in Python floats (fields as in :class:`BatchState`)."""

    __slots__ = (*(f.name for f in fields(BatchState)), "uniforms")

    def __getstate__(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)


class StudentSimulator:
    """Students sampled from a cohort, advanced week by week under interventions.

    Args:
        cohort: where students (latent traits, demographics) are sampled from.
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
        cohort: Cohort,
        success_model: SuccessModel,
        outcome_model: str = "classifier",
        budget_hours: float = 10.0,
        response: ResponseParams | None = None,
    ) -> None:
        if outcome_model not in OUTCOME_MODELS:
            raise ValueError(
                f"outcome_model must be one of {OUTCOME_MODELS}, got {outcome_model!r}"
            )
        if not budget_hours >= 0:
            raise ValueError(f"budget_hours must be >= 0, got {budget_hours}")
        self.cohort = cohort
        self.success_model = success_model
        self.outcome_model = outcome_model
        self.budget_hours = float(budget_hours)
        self.response = response or ResponseParams()
        self.n_weeks = cohort.config.n_weeks
        self.n_students = cohort.config.n_students
        self.n_assessments = len(cohort.assessment_weeks)
        self.assessment_due = np.zeros(self.n_weeks + 1, dtype=bool)
        self.assessment_due[cohort.assessment_weeks] = True
        self._due = self.assessment_due.tolist()
        students = cohort.students
        offset, fail, _ = cohort.config.module_arrays(students["code_module"])
        decile = students["imd_band"].map(IMD_DECILE)
        education = students["highest_education"].map(
            dict(zip(EDUCATION_LEVELS, range(5), strict=True))
        )
        self.static_obs = np.column_stack(
            [
                decile.fillna(4.5).to_numpy(float) / 9.0,
                education.to_numpy(float) / 4.0,
                np.minimum(students["num_of_prev_attempts"].to_numpy(float), 6.0),
                (students["disability"] == "Y").to_numpy(float),
            ]
        )
        """``(n_students, 4)`` demographics in the observation, see STATIC_OBS."""
        self._offset, self._fail = offset, fail
        if tuple(success_model.feature_names) != SIMULATED_FEATURES:
            raise ValueError(
                f"the success model's features must be {SIMULATED_FEATURES}, in that order"
            )
        self._demographic = {
            name: students[name].to_numpy(float)
            for name in ("num_of_prev_attempts", "studied_credits")
        }
        r = self.response
        self._response_arrays = {
            name: np.asarray(getattr(r, name), dtype=float)
            for name in ("efficacy", "motivation_gain", "min_engagement")
        }
        self._cost = np.asarray(COST_HOURS)
        # the budget test, with a tolerance for sums of quarter hours
        self._budget_limit = self.budget_hours + 1e-9

    def action_mask(self, hours) -> np.ndarray:
        """int8 mask of the affordable actions given tutor ``hours`` already spent.

        ``(6,)`` for one student, ``(n, 6)`` for an array of hours; the same budget
        test the steps apply when they decide whether an intervention is delivered.
        """
        return (np.asarray(hours)[..., None] + self._cost <= self._budget_limit).astype(np.int8)

    # ---------------------------------------------------------------- new students
    def _fresh(self, rows, keys, n: int | None) -> dict:
        t = self.cohort.traits
        zeros = (lambda *shape: np.zeros((n, *shape))) if n is not None else None
        if n is None:
            return {
                "row": int(rows),
                "key": int(keys),
                "week": 0,
                "ability": float(t.ability[rows]),
                "click_scale": float(t.click_scale[rows]),
                "credits_z": float(t.credits_z[rows]),
                "withdrawal_offset": float(self._offset[rows]),
                "fail_threshold": float(self._fail[rows]),
                "needs": t.needs[rows].tolist(),
                "motivation": float(t.motivation[rows]),
                "eta": 0.0,
                "relief": [0.0] * N_TOPICS,
                "doses": [0.0] * N_ACTIONS,
                "hours": 0.0,
                "interventions": 0.0,
                "withdrawn": False,
                "motivation_sum": 0.0,
                "need_sum": [0.0] * N_TOPICS,
                "clicks_total": 0.0,
                "clicks_last": 0.0,
                "log_clicks_hist": [0.0] * 4,
                "days_total": 0.0,
                "days_last": 0.0,
                "active_weeks": 0.0,
                "last_active": -1.0,
                "due": 0.0,
                "submitted": 0.0,
                "score_sum": 0.0,
                "score_sq": 0.0,
                "score_last": math.nan,
                "sub_week_sum": 0.0,
                "sub_week_sq": 0.0,
                "sub_week_score": 0.0,
            }
        return {
            "row": rows,
            "key": keys.astype(np.uint64),
            "week": np.zeros(n, dtype=np.int64),
            "ability": t.ability[rows],
            "click_scale": t.click_scale[rows],
            "credits_z": t.credits_z[rows],
            "withdrawal_offset": self._offset[rows],
            "fail_threshold": self._fail[rows],
            "needs": t.needs[rows].copy(),
            "motivation": t.motivation[rows].copy(),
            "eta": zeros(),
            "relief": zeros(N_TOPICS),
            "doses": zeros(N_ACTIONS),
            "hours": zeros(),
            "interventions": zeros(),
            "withdrawn": np.zeros(n, dtype=bool),
            "motivation_sum": zeros(),
            "need_sum": zeros(N_TOPICS),
            "clicks_total": zeros(),
            "clicks_last": zeros(),
            "log_clicks_hist": zeros(4),
            "days_total": zeros(),
            "days_last": zeros(),
            "active_weeks": zeros(),
            "last_active": np.full(n, -1.0),
            "due": zeros(),
            "submitted": zeros(),
            "score_sum": zeros(),
            "score_sq": zeros(),
            "score_last": np.full(n, np.nan),
            "sub_week_sum": zeros(),
            "sub_week_sq": zeros(),
            "sub_week_score": zeros(),
        }

    def new_batch(self, rows: np.ndarray, keys: np.ndarray) -> BatchState:
        """Students at cohort positions ``rows`` with episode ``keys``; no week run yet."""
        rows = np.asarray(rows, dtype=np.int64)
        return BatchState(**self._fresh(rows, np.asarray(keys), len(rows)))

    def new_scalar(self, row: int, key: int) -> ScalarState:
        """One student at cohort position ``row`` with episode ``key``; no week run yet."""
        s = ScalarState()
        for name, value in self._fresh(row, key, None).items():
            setattr(s, name, value)
        # the whole episode's random numbers in one call: equal to the batch's per week
        s.uniforms = uniform_table(
            np.full(self.n_weeks, key, dtype=np.uint64), np.arange(self.n_weeks)
        ).tolist()
        return s

    def start_batch(self, rows: np.ndarray, keys: np.ndarray) -> BatchState:
        """New students after their first course week (week 0: no action, no withdrawal)."""
        state = self.new_batch(rows, keys)
        self.step_batch(state, np.zeros(len(state.week), dtype=np.int64), allow_withdrawal=False)
        return state

    def start_scalar(self, row: int, key: int) -> ScalarState:
        """:meth:`start_batch` for one student."""
        state = self.new_scalar(row, key)
        self.step_scalar(state, 0, allow_withdrawal=False)
        return state

    # ---------------------------------------------------------------- one week
    def step_batch(self, s: BatchState, action: np.ndarray, allow_withdrawal=True):
        """Deliver ``action`` (catalogue ids) and simulate week ``s.week`` for the batch.

        ``allow_withdrawal`` is a bool or a boolean array over the batch.

        Returns:
            ``(delivered, cost_hours, withdrew, u_outcome)`` arrays, the last being the
            uniform that decides the final result if this was the last week. Mutates ``s``.
        """
        r, cfg, n = self.response, self.cohort.config, len(s.week)
        u_table = uniform_table(s.key, s.week)
        u = [u_table[:, j] for j in range(u_table.shape[1])]
        idx = np.arange(n)
        cost = self._cost[action]
        delivered = (action > 0) & (s.hours + cost <= self._budget_limit)
        landing = dynamics.sigmoid(
            (s.eta - self._response_arrays["min_engagement"][action]) / r.landing_width
        )
        strength = np.where(delivered, landing * r.habituation ** s.doses[idx, action], 0.0)
        topic = np.maximum(action - 1, 0)
        s.relief[idx, topic] += (1.0 - s.relief[idx, topic]) * (
            strength * self._response_arrays["efficacy"][action]
        )
        s.motivation = s.motivation + (
            strength * self._response_arrays["motivation_gain"][action] * s.needs[idx, topic]
        )
        s.doses[idx, action] += delivered
        cost = np.where(delivered, cost, 0.0)
        s.hours = s.hours + cost
        s.interventions = s.interventions + delivered

        radius = np.sqrt(-2.0 * np.log(1.0 - u[U_SHOCK1]))
        shock, click_noise = (
            radius * np.cos(TWO_PI * u[U_SHOCK2]),
            radius * np.sin(TWO_PI * u[U_SHOCK2]),
        )
        step = cfg.motivation_drift + cfg.motivation_volatility * shock
        s.motivation = s.motivation + np.where(s.week > 0, step, 0.0)
        need = s.needs * (1.0 - s.relief)
        eta = dynamics.engagement(s.motivation, need)
        hazard = dynamics.sigmoid(
            dynamics.withdrawal_logit(
                s.week,
                s.motivation,
                s.ability,
                need,
                s.credits_z,
                s.withdrawal_offset,
                cfg.early_withdrawal_boost,
                cfg.early_withdrawal_weeks,
            )
        )
        withdrew = (u[U_WITHDRAW] < hazard) & allow_withdrawal
        p_day = dynamics.active_day_probability(eta)
        days = (u_table[:, :7] < p_day[:, None]).sum(axis=1).astype(float)  # U_DAYS
        burst = -0.5 * (np.log(1.0 - u[U_BURST1]) + np.log(1.0 - u[U_BURST2]))
        mean = days * dynamics.expected_clicks_per_active_day(eta, s.click_scale) * burst
        clicks = np.maximum(np.rint(mean + np.sqrt(mean) * click_noise), 0.0)
        clicks = np.where(withdrew, 0.0, clicks)
        days = np.where(withdrew, 0.0, days)
        due = self.assessment_due[s.week]
        submits = due & ~withdrew & (u[U_SUBMIT] < dynamics.submission_probability(eta, need))
        score_noise = np.sqrt(-2.0 * np.log(1.0 - u[U_SCORE1])) * np.cos(TWO_PI * u[U_SCORE2])
        score = dynamics.expected_score(s.ability, s.motivation, need)
        score = np.clip(np.rint(score + dynamics.SCORE_NOISE_SD * score_noise), 0.0, 100.0)

        week = s.week.astype(float)
        s.eta = eta
        s.motivation_sum = s.motivation_sum + s.motivation
        s.need_sum += need
        s.relief *= r.persistence
        s.clicks_total = s.clicks_total + clicks
        s.clicks_last = clicks
        s.log_clicks_hist[:, :-1] = s.log_clicks_hist[:, 1:]
        s.log_clicks_hist[:, -1] = np.log1p(clicks)
        s.days_total = s.days_total + days
        s.days_last = days
        active = days > 0
        s.active_weeks = s.active_weeks + active
        s.last_active = np.where(active, week, s.last_active)
        s.due = s.due + due
        sub = submits.astype(float)
        s.submitted = s.submitted + sub
        s.score_sum = s.score_sum + sub * score
        s.score_sq = s.score_sq + sub * score * score
        s.score_last = np.where(submits, score, s.score_last)
        s.sub_week_sum = s.sub_week_sum + sub * week
        s.sub_week_sq = s.sub_week_sq + sub * week * week
        s.sub_week_score = s.sub_week_score + sub * week * score
        s.withdrawn = withdrew
        s.week = s.week + 1
        return delivered, cost, withdrew, u[U_OUTCOME]

    def step_scalar(self, s: ScalarState, action: int, allow_withdrawal: bool = True):
        """:meth:`step_batch` for one student in Python floats; same numbers to the bit."""
        r, cfg = self.response, self.cohort.config
        u = s.uniforms[s.week]
        cost = COST_HOURS[action]
        delivered = action > 0 and s.hours + cost <= self._budget_limit
        if delivered:
            landing = dynamics.sigmoid((s.eta - r.min_engagement[action]) / r.landing_width)
            strength = landing * r.habituation ** s.doses[action]
            k = action - 1
            s.relief[k] += (1.0 - s.relief[k]) * (strength * r.efficacy[action])
            s.motivation = s.motivation + strength * r.motivation_gain[action] * s.needs[k]
            s.doses[action] += 1.0
            s.hours = s.hours + cost
            s.interventions += 1.0
        else:
            cost = 0.0

        radius = math.sqrt(-2.0 * math.log(1.0 - u[U_SHOCK1]))
        angle = TWO_PI * u[U_SHOCK2]
        shock, click_noise = radius * math.cos(angle), radius * math.sin(angle)
        if s.week > 0:
            s.motivation = s.motivation + (cfg.motivation_drift + cfg.motivation_volatility * shock)
        need = [n * (1.0 - rl) for n, rl in zip(s.needs, s.relief, strict=True)]
        eta = dynamics.engagement(s.motivation, need)
        hazard = dynamics.sigmoid(
            dynamics.withdrawal_logit(
                s.week,
                s.motivation,
                s.ability,
                need,
                s.credits_z,
                s.withdrawal_offset,
                cfg.early_withdrawal_boost,
                cfg.early_withdrawal_weeks,
            )
        )
        withdrew = allow_withdrawal and u[U_WITHDRAW] < hazard
        if withdrew:
            days = clicks = 0.0
        else:
            p = dynamics.active_day_probability(eta)
            days = float(
                (u[0] < p)
                + (u[1] < p)
                + (u[2] < p)
                + (u[3] < p)
                + (u[4] < p)
                + (u[5] < p)
                + (u[6] < p)
            )  # U_DAYS, unrolled: this is the hot path
            burst = -0.5 * (math.log(1.0 - u[U_BURST1]) + math.log(1.0 - u[U_BURST2]))
            mean = days * dynamics.expected_clicks_per_active_day(eta, s.click_scale) * burst
            clicks = max(float(round(mean + math.sqrt(mean) * click_noise)), 0.0)
        submits = (
            self._due[s.week]
            and not withdrew
            and u[U_SUBMIT] < dynamics.submission_probability(eta, need)
        )

        week = float(s.week)
        s.eta = eta
        s.motivation_sum = s.motivation_sum + s.motivation
        persistence = r.persistence
        for k in range(N_TOPICS):
            s.need_sum[k] += need[k]
            s.relief[k] *= persistence
        s.clicks_total += clicks
        s.clicks_last = clicks
        s.log_clicks_hist = [*s.log_clicks_hist[1:], math.log1p(clicks)]
        s.days_total += days
        s.days_last = days
        if days > 0:
            s.active_weeks += 1.0
            s.last_active = week
        if self._due[s.week]:
            s.due += 1.0
        if submits:
            noise = math.sqrt(-2.0 * math.log(1.0 - u[U_SCORE1])) * math.cos(TWO_PI * u[U_SCORE2])
            score = dynamics.expected_score(s.ability, s.motivation, need)
            score = min(max(float(round(score + dynamics.SCORE_NOISE_SD * noise)), 0.0), 100.0)
            s.submitted += 1.0
            s.score_sum += score
            s.score_sq += score * score
            s.score_last = score
            s.sub_week_sum += week
            s.sub_week_sq += week * week
            s.sub_week_score += week * score
        s.withdrawn = withdrew
        s.week += 1
        return delivered, cost, withdrew, u[U_OUTCOME]

    # ---------------------------------------------------------------- what is seen
    def features_batch(self, s: BatchState) -> np.ndarray:
        """``(n, k)`` features in the success model's order (as ``weekly_features``)."""
        columns = self._features(s, s.week.astype(float), np)
        X = np.empty((len(s.week), len(columns)))
        for j, column in enumerate(columns):
            X[:, j] = column
        return X

    def features_scalar(self, s: ScalarState) -> list[float]:
        """One student's features in the success model's order."""
        return self._features(s, float(s.week), None)

    def _features(self, s, w, xp) -> list:
        """The feature formulas, on floats (``xp`` None) or arrays (``xp`` numpy).

        These are ``predictors.features.weekly_features``'s definitions computed from
        running accumulators instead of tables; tests/test_envs.py checks both agree.
        """
        batch = xp is not None
        where = np.where if batch else (lambda c, a, b: a if c else b)
        log1p = np.log1p if batch else math.log1p
        n_sub, due = s.submitted, s.due
        safe_n = np.maximum(n_sub, 1.0) if batch else max(n_sub, 1.0)
        mean_score = s.score_sum / safe_n
        has = n_sub > 0
        var = s.score_sq / safe_n - mean_score * mean_score
        var_w = s.sub_week_sq - s.sub_week_sum * s.sub_week_sum / safe_n
        cov = s.sub_week_score - s.sub_week_sum * s.score_sum / safe_n
        if batch:
            weights = TREND_WEIGHTS[np.minimum(s.week, 4)]
            clicks_trend = np.einsum("ij,ij->i", weights, s.log_clicks_hist)
            score_std = np.sqrt(np.maximum(var, 0.0))
            clicks_level = np.minimum(np.log1p(s.clicks_total / w) / CLICKS_LEVEL_SCALE, 1.0)
        else:
            weights = TREND_WEIGHTS[min(s.week, 4)].tolist()
            clicks_trend = sum(b * c for b, c in zip(weights, s.log_clicks_hist, strict=True))
            score_std = math.sqrt(max(var, 0.0))
            clicks_level = min(log1p(s.clicks_total / w) / CLICKS_LEVEL_SCALE, 1.0)
        submission_rate = where(
            due > 0, n_sub / (np.maximum(due, 1.0) if batch else max(due, 1.0)), 1.0
        )
        active_day_share = s.days_total / (7.0 * w)
        values = [  # in SIMULATED_FEATURES order
            s.clicks_total,
            s.clicks_last,
            s.clicks_total / w,
            clicks_trend,
            s.days_total,
            s.days_last,
            active_day_share,
            w - 1.0 - s.last_active,
            due,
            n_sub,
            due - n_sub,
            where(has, mean_score, math.nan),
            s.score_last,
            score_std,
            s.score_sum,
            where(var_w > 1e-9, cov / where(var_w > 1e-9, var_w, 1.0), 0.0),
            w / self.n_weeks,
            (s.active_weeks / w + submission_rate + where(has, mean_score, 0.0) / 100.0) / 3.0,
            0.5 * clicks_level + 0.3 * submission_rate + 0.2 * active_day_share,
            s.score_sum / (1.0 + s.clicks_total / 100.0),
            self._demographic["num_of_prev_attempts"][s.row],
            self._demographic["studied_credits"][s.row],
        ]
        return values

    def success_probability_batch(self, s: BatchState, X: np.ndarray) -> np.ndarray:
        """The classifier's P(success) after ``s.week`` weeks, for the batch."""
        return dynamics.sigmoid(self.success_model.logit_batch(s.week, s.row, X))

    def success_probability_scalar(self, s: ScalarState, x: list[float]) -> float:
        """The classifier's P(success) after ``s.week`` weeks, for one student."""
        return dynamics.sigmoid(self.success_model.logit_scalar(s.week, s.row, x))

    def ground_truth_success(self, s):
        """P(success | latent course path) of a student who completed the course."""
        if isinstance(s, BatchState):
            mean_need, mean_motivation = s.need_sum / self.n_weeks, s.motivation_sum / self.n_weeks
        else:
            mean_need = [v / self.n_weeks for v in s.need_sum]
            mean_motivation = s.motivation_sum / self.n_weeks
        z = dynamics.performance(s.ability, mean_motivation, mean_need)
        return dynamics.sigmoid(z - s.fail_threshold)

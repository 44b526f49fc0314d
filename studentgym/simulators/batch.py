"""A batch of students mid-course, packed in three arrays, and its compiled weekly step.

The tutoring envs advance students one course week at a time, a single student
per step (``TutoringEnv``) or thousands (``TutoringVectorEnv``). Both run the same
functions here, compiled by numba: one loop over students per call, with no
temporary arrays and no per-call overhead proportional to the number of state
fields (the state is three arrays). So a single env and a vector env give the same
numbers to the bit by construction, and neither pays numpy's per-call cost on
small arrays. The equations are :mod:`~studentgym.simulators.dynamics`'s, the
same functions the cohort generator runs on numpy arrays.

The envs make one call per step, :func:`step_observe`: the week, the features and
P(success) (:func:`observe`), and the observation (:func:`student_observation`), so
that a single env's step pays numba's call overhead (about 65 ns per array argument)
once, not three times.

Compiled code is cached next to this file (numba ``cache=True``), so only the
first process pays the compilation (about 3 s). Numba checks only this file for
changes: after editing ``dynamics.py`` or ``counter_rng.py``, delete
``__pycache__`` here (``tests/test_envs.py::test_compiled_week_runs_the_dynamics_equations``
and ``tests/test_counter_rng.py`` fail on a stale cache).

:class:`BatchState` columns (``values``, float64), one row per student:

====================  =====  ==========================================================
field                 width  meaning
====================  =====  ==========================================================
ability ...           1      latent traits copied from the cohort (see ``_TRAITS``)
needs                 5      topic needs in [0, 1] (``config.TOPICS`` order)
motivation, eta       1      current motivation; last week's engagement
relief                5      share of each topic need relieved by interventions
doses                 6      times each action was delivered (column 0 unused)
hours, interventions  1      tutor hours spent; interventions delivered
accumulators          ...    sums the features and the latent course means come from
====================  =====  ==========================================================

``ints`` (int64) holds ``row`` (cohort position), ``week`` (the next week to
simulate) and ``withdrawn``; ``keys`` (uint64) the episode keys of
:mod:`~studentgym.simulators.counter_rng`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from studentgym.simulators import dynamics
from studentgym.simulators.config import TOPICS
from studentgym.simulators.counter_rng import GOLDEN, M1, M2, N_UNIFORMS, TO_UNIT
from studentgym.simulators.interventions import N_ACTIONS

N_TOPICS = len(TOPICS)
_FLOAT_FIELDS = (  # (name, width), in column order
    ("ability", 1),
    ("click_scale", 1),
    ("credits_z", 1),
    ("withdrawal_offset", 1),
    ("fail_threshold", 1),
    ("needs", N_TOPICS),
    ("motivation", 1),
    ("eta", 1),
    ("relief", N_TOPICS),
    ("doses", N_ACTIONS),
    ("hours", 1),
    ("interventions", 1),
    ("motivation_sum", 1),
    ("need_sum", N_TOPICS),
    ("clicks_total", 1),
    ("clicks_last", 1),
    ("log_clicks_hist", 4),  # log(1 + clicks) of the last 4 weeks, newest last
    ("days_total", 1),
    ("days_last", 1),
    ("active_weeks", 1),
    ("last_active", 1),
    ("due", 1),
    ("submitted", 1),
    ("score_sum", 1),
    ("score_sq", 1),
    ("score_last", 1),
    ("sub_week_sum", 1),
    ("sub_week_sq", 1),
    ("sub_week_score", 1),
)
COLUMNS: dict[str, tuple[int, int]] = {}
"""``name -> (first column, width)`` of the float fields."""
for _name, _width in _FLOAT_FIELDS:
    COLUMNS[_name] = (sum(w for _, w in COLUMNS.values()), _width)
N_FLOATS = sum(w for _, w in COLUMNS.values())
INT_FIELDS = ("row", "week", "withdrawn")

# column indices as plain ints: numba compiles them in as constants
(
    _ABILITY,
    _CLICK_SCALE,
    _CREDITS_Z,
    _WITHDRAWAL_OFFSET,
    _FAIL_THRESHOLD,
    _NEEDS,
    _MOTIVATION,
    _ETA,
    _RELIEF,
    _DOSES,
    _HOURS,
    _INTERVENTIONS,
    _MOTIVATION_SUM,
    _NEED_SUM,
    _CLICKS_TOTAL,
    _CLICKS_LAST,
    _LOG_CLICKS_HIST,
    _DAYS_TOTAL,
    _DAYS_LAST,
    _ACTIVE_WEEKS,
    _LAST_ACTIVE,
    _DUE,
    _SUBMITTED,
    _SCORE_SUM,
    _SCORE_SQ,
    _SCORE_LAST,
    _SUB_WEEK_SUM,
    _SUB_WEEK_SQ,
    _SUB_WEEK_SCORE,
) = (start for start, _ in COLUMNS.values())
_ROW, _WEEK, _WITHDRAWN = range(len(INT_FIELDS))

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
"""The features :func:`observe` computes, in order (``predictors.features.NUMERIC_FEATURES``)."""
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

# the packed constants of one simulator (see pack_constants)
_EFFICACY, _GAIN, _MIN_ENGAGEMENT, _COST = (k * N_ACTIONS for k in range(4))
(
    _LANDING_WIDTH,
    _HABITUATION,
    _PERSISTENCE,
    _BUDGET_LIMIT,
    _DRIFT,
    _VOLATILITY,
    _EARLY_BOOST,
    _EARLY_WEEKS,
) = range(4 * N_ACTIONS, 4 * N_ACTIONS + 8)
# positions in the 16 uniforms of a student-week
_U_BURST1, _U_BURST2, _U_SHOCK1, _U_SHOCK2, _U_SCORE1, _U_SCORE2 = 7, 8, 9, 10, 11, 12
_U_WITHDRAW, _U_SUBMIT, _U_OUTCOME = 13, 14, 15  # 0-6: one per day of the week
_TWO_PI = 2.0 * math.pi
_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
# a student's part of a loop over students, inlined into each loop that calls it (a
# call per student would cost as much as the work)
_JIT_STUDENT = {**_JIT, "inline": "always"}


class BatchState:
    """Students mid-course: ``values`` (n, N_FLOATS), ``ints`` (n, 3), ``keys`` (n,).

    Every field of the layout above reads as an attribute (a view: ``s.hours``,
    ``s.needs`` of shape (n, 5), ``s.week``) and can be assigned. ``withdrawn``
    reads as a boolean copy.
    """

    __slots__ = ("ints", "keys", "values")

    def __init__(self, values: np.ndarray, ints: np.ndarray, keys: np.ndarray) -> None:
        self.values, self.ints, self.keys = values, ints, keys

    def __len__(self) -> int:
        return len(self.ints)

    @property
    def row(self) -> np.ndarray:
        return self.ints[:, _ROW]

    @property
    def week(self) -> np.ndarray:
        return self.ints[:, _WEEK]

    @property
    def withdrawn(self) -> np.ndarray:
        return self.ints[:, _WITHDRAWN].astype(bool)

    def copy(self) -> BatchState:
        """An independent copy."""
        return BatchState(self.values.copy(), self.ints.copy(), self.keys.copy())

    def take(self, index: np.ndarray) -> BatchState:
        """A new state with the students at ``index`` (a mask or positions)."""
        return BatchState(self.values[index], self.ints[index], self.keys[index])

    def put(self, index: np.ndarray, other: BatchState) -> None:
        """Overwrite the students at ``index`` with ``other``'s."""
        self.values[index], self.ints[index], self.keys[index] = (
            other.values,
            other.ints,
            other.keys,
        )


def _field(start: int, width: int) -> property:
    columns = start if width == 1 else slice(start, start + width)

    def get(self: BatchState) -> np.ndarray:
        return self.values[:, columns]

    def set_(self: BatchState, value) -> None:
        self.values[:, columns] = value

    return property(get, set_)


for _name, (_start, _width) in COLUMNS.items():
    setattr(BatchState, _name, _field(_start, _width))
del _name, _start, _width


def pack_constants(response, config, cost_hours, budget_limit: float) -> np.ndarray:
    """One float64 array of what :func:`step_week` needs of the simulator's settings."""
    return np.array(
        [
            *response.efficacy,
            *response.motivation_gain,
            *response.min_engagement,
            *cost_hours,
            response.landing_width,
            response.habituation,
            response.persistence,
            budget_limit,
            config.motivation_drift,
            config.motivation_volatility,
            config.early_withdrawal_boost,
            config.early_withdrawal_weeks,
        ],
        dtype=np.float64,
    )


@numba.njit(**_JIT)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(M2)
    return z ^ (z >> np.uint64(31))


@numba.njit(**_JIT)
def uniforms(key, week, out) -> None:
    """Fill ``out`` (16,) with the uniforms of one student-week (as ``counter_rng``)."""
    base = np.uint64(key) + (np.uint64(week) * np.uint64(N_UNIFORMS // 2) + np.uint64(1)) * (
        np.uint64(GOLDEN)
    )
    for j in range(N_UNIFORMS // 2):
        z = _mix(base + np.uint64(j) * np.uint64(GOLDEN))
        out[2 * j] = np.float64(z >> np.uint64(32)) * TO_UNIT
        out[2 * j + 1] = np.float64(z & np.uint64(0xFFFFFFFF)) * TO_UNIT


@numba.njit(**_JIT)
def step_week(
    values,
    ints,
    keys,
    actions,
    allow_withdrawal,
    constants,
    assessment_due,
    out_delivered,
    out_cost,
    out_withdrew,
    out_u_outcome,
) -> None:
    """Deliver ``actions`` and simulate week ``week`` of every student; mutates the state.

    Writes whether each intervention was delivered, its cost in tutor hours (0 if
    not delivered), whether the student withdrew, and the uniform that decides the
    final result if this was the last week.

    Raises:
        ValueError: for an action outside ``[0, 6)`` or a student whose course has
            ended; the state is left unchanged. The response equations are in
    :mod:`~studentgym.simulators.student`'s docstring.
    """
    # checked before any student moves (numba does not check bounds): a bad call
    # raises and leaves the state as it was
    for i in range(len(ints)):
        if actions[i] < 0 or actions[i] >= N_ACTIONS:
            raise ValueError("actions must lie in [0, 6)")
        if ints[i, _WEEK] >= len(assessment_due) - 1:  # weeks 0 .. n_weeks - 1
            raise ValueError("a student was stepped past the end of the course")
    c = constants
    u = np.empty(N_UNIFORMS)
    need = np.empty(N_TOPICS)
    for i in range(len(ints)):
        v = values[i]
        week = ints[i, _WEEK]
        uniforms(keys[i], week, u)
        action = actions[i]
        cost = c[_COST + action]
        delivered = action > 0 and v[_HOURS] + cost <= c[_BUDGET_LIMIT]
        if delivered:
            landing = dynamics.sigmoid((v[_ETA] - c[_MIN_ENGAGEMENT + action]) / c[_LANDING_WIDTH])
            strength = landing * c[_HABITUATION] ** v[_DOSES + action]
            k = action - 1
            v[_RELIEF + k] += (1.0 - v[_RELIEF + k]) * (strength * c[_EFFICACY + action])
            v[_MOTIVATION] += strength * c[_GAIN + action] * v[_NEEDS + k]
            v[_DOSES + action] += 1.0
            v[_HOURS] += cost
            v[_INTERVENTIONS] += 1.0
        else:
            cost = 0.0

        radius = math.sqrt(-2.0 * math.log(1.0 - u[_U_SHOCK1]))
        angle = _TWO_PI * u[_U_SHOCK2]
        shock, click_noise = radius * math.cos(angle), radius * math.sin(angle)
        if week > 0:
            v[_MOTIVATION] += c[_DRIFT] + c[_VOLATILITY] * shock
        motivation = v[_MOTIVATION]
        for k in range(N_TOPICS):
            need[k] = v[_NEEDS + k] * (1.0 - v[_RELIEF + k])
        eta = dynamics.engagement(motivation, need)
        hazard = dynamics.sigmoid(
            dynamics.withdrawal_logit(
                week,
                motivation,
                v[_ABILITY],
                need,
                v[_CREDITS_Z],
                v[_WITHDRAWAL_OFFSET],
                c[_EARLY_BOOST],
                c[_EARLY_WEEKS],
            )
        )
        withdrew = allow_withdrawal[i] and u[_U_WITHDRAW] < hazard
        days = clicks = 0.0
        if not withdrew:
            p_day = dynamics.active_day_probability(eta)
            for day in range(7):
                if u[day] < p_day:
                    days += 1.0
            burst = -0.5 * (math.log(1.0 - u[_U_BURST1]) + math.log(1.0 - u[_U_BURST2]))
            mean = days * dynamics.expected_clicks_per_active_day(eta, v[_CLICK_SCALE]) * burst
            clicks = max(np.rint(mean + math.sqrt(mean) * click_noise), 0.0)
        due = assessment_due[week]
        submits = due and not withdrew and u[_U_SUBMIT] < dynamics.submission_probability(eta, need)

        v[_ETA] = eta
        v[_MOTIVATION_SUM] += motivation
        for k in range(N_TOPICS):
            v[_NEED_SUM + k] += need[k]
            v[_RELIEF + k] *= c[_PERSISTENCE]
        v[_CLICKS_TOTAL] += clicks
        v[_CLICKS_LAST] = clicks
        for j in range(3):
            v[_LOG_CLICKS_HIST + j] = v[_LOG_CLICKS_HIST + j + 1]
        v[_LOG_CLICKS_HIST + 3] = math.log1p(clicks)
        v[_DAYS_TOTAL] += days
        v[_DAYS_LAST] = days
        if days > 0:
            v[_ACTIVE_WEEKS] += 1.0
            v[_LAST_ACTIVE] = week
        if due:
            v[_DUE] += 1.0
        if submits:
            noise = math.sqrt(-2.0 * math.log(1.0 - u[_U_SCORE1])) * math.cos(
                _TWO_PI * u[_U_SCORE2]
            )
            score = dynamics.expected_score(v[_ABILITY], motivation, need)
            score = min(max(np.rint(score + dynamics.SCORE_NOISE_SD * noise), 0.0), 100.0)
            v[_SUBMITTED] += 1.0
            v[_SCORE_SUM] += score
            v[_SCORE_SQ] += score * score
            v[_SCORE_LAST] = score
            v[_SUB_WEEK_SUM] += week
            v[_SUB_WEEK_SQ] += week * week
            v[_SUB_WEEK_SCORE] += week * score
        ints[i, _WITHDRAWN] = withdrew
        ints[i, _WEEK] = week + 1
        out_delivered[i] = delivered
        out_cost[i] = cost
        out_withdrew[i] = withdrew
        out_u_outcome[i] = u[_U_OUTCOME]


@numba.njit(**_JIT)
def observe(values, ints, n_weeks, demographics, scoring, offset, out_features, out_p) -> None:
    """Features (in :data:`SIMULATED_FEATURES` order) and the classifier's P(success).

    The features are ``predictors.features.weekly_features``'s definitions computed
    from running accumulators instead of tables (tests/test_envs.py checks both
    agree). P(success) is the week's compiled logistic model (``scoring`` and ``offset``,
    :attr:`StudentSimulator.scoring`): each feature clipped to ``[low, high]`` (a missing
    score takes ``fill``), times ``slope``, plus the student's ``offset`` (intercept and
    categorical part).
    """
    for i in range(len(ints)):
        out_p[i], _ = student_features(
            values[i],
            ints[i],
            n_weeks,
            demographics,
            scoring,
            offset,
            out_features[i],
        )


@numba.njit(**_JIT_STUDENT)
def student_features(v, state_ints, n_weeks, demographics, scoring, offset, x):
    """One student's features (into ``x``), P(success) and log(1 + clicks per week): the
    body of :func:`observe`."""
    week, row = state_ints[_WEEK], state_ints[_ROW]
    w = float(week)
    n_sub, due, score_sum = v[_SUBMITTED], v[_DUE], v[_SCORE_SUM]
    safe_n = max(n_sub, 1.0)
    mean_score = score_sum / safe_n
    var = v[_SCORE_SQ] / safe_n - mean_score * mean_score
    var_w = v[_SUB_WEEK_SQ] - v[_SUB_WEEK_SUM] * v[_SUB_WEEK_SUM] / safe_n
    cov = v[_SUB_WEEK_SCORE] - v[_SUB_WEEK_SUM] * score_sum / safe_n
    clicks_trend = 0.0
    for j in range(4):
        clicks_trend += TREND_WEIGHTS[min(week, 4), j] * v[_LOG_CLICKS_HIST + j]
    log_clicks_per_week = math.log1p(v[_CLICKS_TOTAL] / w)
    clicks_level = min(log_clicks_per_week / CLICKS_LEVEL_SCALE, 1.0)
    submission_rate = n_sub / max(due, 1.0) if due > 0 else 1.0
    active_day_share = v[_DAYS_TOTAL] / (7.0 * w)
    has = n_sub > 0
    x[0] = v[_CLICKS_TOTAL]
    x[1] = v[_CLICKS_LAST]
    x[2] = v[_CLICKS_TOTAL] / w
    x[3] = clicks_trend
    x[4] = v[_DAYS_TOTAL]
    x[5] = v[_DAYS_LAST]
    x[6] = active_day_share
    x[7] = w - 1.0 - v[_LAST_ACTIVE]
    x[8] = due
    x[9] = n_sub
    x[10] = due - n_sub
    x[11] = mean_score if has else np.nan
    x[12] = v[_SCORE_LAST]
    x[13] = math.sqrt(max(var, 0.0))
    x[14] = score_sum
    x[15] = cov / var_w if var_w > 1e-9 else 0.0
    x[16] = w / n_weeks
    x[17] = (v[_ACTIVE_WEEKS] / w + submission_rate + (mean_score if has else 0.0) / 100.0) / 3.0
    x[18] = 0.5 * clicks_level + 0.3 * submission_rate + 0.2 * active_day_share
    x[19] = score_sum / (1.0 + v[_CLICKS_TOTAL] / 100.0)
    x[20] = demographics[row, 0]
    x[21] = demographics[row, 1]
    low, high, fill, slope = scoring[0, week], scoring[1, week], scoring[2, week], scoring[3, week]
    logit = offset[week, row]
    for j in range(len(x)):
        value = x[j]
        if value != value:  # only scores can be missing
            value = fill[j]
        logit += slope[j] * min(max(value, low[j]), high[j])
    return 1.0 / (1.0 + math.exp(-logit)), log_clicks_per_week


# ------------------------------------------------------------------ the tutoring envs
# The observation's layout is ``studentgym.envs.observation.OBSERVATION_NAMES``; it is
# written here, beside the state it reads, so that numba's cache (which tracks only this
# file) never holds a stale copy.
LOG_CLICKS_MAX = 12.0  # log(1 + 160,000) clicks: far above any week in OULAD
EVENTS = ("delivered", "cost_hours", "withdrew", "u_outcome")
"""The columns of :func:`step_observe`'s ``out_events``: :func:`step_week`'s outputs."""


@numba.njit(**_JIT_STUDENT)
def student_observation(x, columns, v, static_row, budget, p, log_clicks_per_week, o) -> None:
    """Write one student's observation ``o`` from features ``x`` and state row ``v``.

    ``columns``: the feature positions of observations 0-8; every entry is within its
    bounds by construction except the log-clicks, which are capped.
    """
    for j in range(len(columns)):
        o[j] = x[columns[j]]
    o[0] = min(v[_LOG_CLICKS_HIST + 3], LOG_CLICKS_MAX)  # log(1 + clicks last week)
    o[2] = min(log_clicks_per_week, LOG_CLICKS_MAX)
    for j in (5, 6):  # scores / 100, 0 if none yet
        score = x[columns[j]]
        o[j] = 0.0 if score != score else score / 100.0
    for action in range(1, N_ACTIONS):
        o[8 + action] = v[_DOSES + action]
    o[14] = v[_HOURS] / budget if budget > 0 else 0.0
    o[15] = p
    for j in range(len(static_row)):
        o[16 + j] = static_row[j]


@numba.njit(**_JIT)
def observe_view(
    values,
    ints,
    n_weeks,
    demographics,
    scoring,
    offset,
    columns,
    static,
    budget,
    withdrew,
    out_features,
    out_p,
    out_obs,
) -> None:
    """:func:`observe`, and each student's observation into ``out_obs``; P(success) is 0
    for students where ``withdrew`` (a float array) is nonzero."""
    for i in range(len(ints)):
        v, state_ints, x = values[i], ints[i], out_features[i]
        p, log_clicks_per_week = student_features(
            v, state_ints, n_weeks, demographics, scoring, offset, x
        )
        if withdrew[i]:
            p = 0.0
        out_p[i] = p
        static_row = static[state_ints[_ROW]]
        student_observation(x, columns, v, static_row, budget, p, log_clicks_per_week, out_obs[i])


@numba.njit(**_JIT)
def step_observe(
    values,
    ints,
    keys,
    actions,
    allow_withdrawal,
    constants,
    assessment_due,
    n_weeks,
    demographics,
    scoring,
    offset,
    columns,
    static,
    budget,
    out_events,
    out_features,
    out_p,
    out_obs,
) -> None:
    """:func:`step_week` then :func:`observe_view` (P(success) 0 after a withdrawal).

    ``out_events`` (n, 4) gets :data:`EVENTS` (booleans as 0/1).

    Raises:
        ValueError: as :func:`step_week`, with the state unchanged.
    """
    delivered, cost = out_events[:, 0], out_events[:, 1]
    withdrew, u_outcome = out_events[:, 2], out_events[:, 3]
    step_week(
        values,
        ints,
        keys,
        actions,
        allow_withdrawal,
        constants,
        assessment_due,
        delivered,
        cost,
        withdrew,
        u_outcome,
    )
    observe_view(
        values,
        ints,
        n_weeks,
        demographics,
        scoring,
        offset,
        columns,
        static,
        budget,
        withdrew,
        out_features,
        out_p,
        out_obs,
    )

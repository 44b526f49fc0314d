"""Weekly behavioural features per student, from OULAD-shaped tables.

``weekly_features(cohort, up_to_week=w)`` sees only what a tutor could see after
``w`` course weeks (weeks ``0 .. w-1``): VLE activity in those weeks, assessments
due before week ``w`` and submitted before day ``7 w``, and the demographics. It
takes a :class:`~studentgym.simulators.Cohort` or any object with the tables
``students``, ``vle``, ``assessments`` and ``student_assessments`` (OULAD's
column names), and returns one row per student, in ``students``' order, indexed
by ``id_student``.

Derived features follow the educators' definitions of the source systems, mapped
to OULAD: quiz scores become assessment scores, time spent becomes clicks and
attendance becomes active days.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

BEHAVIOURAL_FEATURES = (
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
)
"""Numeric features computed from behaviour up to the week (units in FEATURE_DOC)."""

NUMERIC_DEMOGRAPHICS = ("num_of_prev_attempts", "studied_credits")
CATEGORICAL_FEATURES = (
    "code_module",
    "gender",
    "region",
    "highest_education",
    "imd_band",
    "age_band",
    "disability",
)
NUMERIC_FEATURES = BEHAVIOURAL_FEATURES + NUMERIC_DEMOGRAPHICS
PERCENT_FEATURES = ("score_mean", "score_last")
"""Features on a 0-100 scale, clamped to [0, 100] by the preprocessing."""

FEATURE_DOC = {
    "clicks_total": "VLE clicks in weeks 0..w-1",
    "clicks_last_week": "VLE clicks in week w-1",
    "clicks_per_week": "clicks_total / w",
    "clicks_trend": "slope of log(1 + clicks) over the last 4 weeks, per week",
    "active_days_total": "days with VLE activity in weeks 0..w-1",
    "active_days_last_week": "active days in week w-1 (0-7)",
    "active_day_share": "active_days_total / (7 w), in [0, 1]",
    "inactivity_streak": "weeks since the last active week (w if never active)",
    "assessments_due": "assessments due before week w",
    "submissions": "of those, submitted before day 7 w",
    "submissions_missed": "assessments_due - submissions",
    "score_mean": "mean score of submissions (0-100; NaN if none)",
    "score_last": "latest score (0-100; NaN if none)",
    "score_std": "spread of scores (0 with fewer than two)",
    "score_total": "sum of scores",
    "score_trend": "slope of score over week, points per week (0 with fewer than two)",
    "week_fraction": "w / n_weeks, the share of the course elapsed",
    "confidence_score": "mean of active-week share, submission rate, score_mean/100: [0, 1]",
    "engagement_index": "0.5 clicks level + 0.3 submission rate + 0.2 active_day_share: [0, 1]",
    "effort_to_performance": "score_total / (1 + clicks_total / 100)",
}

CLICKS_LEVEL_SCALE = np.log1p(500.0)
"""log(1 + weekly clicks) at which the clicks level of the engagement index saturates."""


class CohortTables(Protocol):
    """What ``weekly_features`` reads: OULAD-shaped tables (a Cohort satisfies it)."""

    students: pd.DataFrame
    vle: pd.DataFrame
    assessments: pd.DataFrame
    student_assessments: pd.DataFrame


def n_weeks_of(tables: CohortTables) -> int:
    """Course length in weeks: the cohort config's, else one past the last VLE week."""
    config = getattr(tables, "config", None)
    return config.n_weeks if config is not None else int(tables.vle["week"].max()) + 1


def weekly_activity(tables: CohortTables, up_to_week: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``(n_students, up_to_week)`` arrays of weekly clicks and active days."""
    students, vle = tables.students, tables.vle
    vle = vle[vle["week"] < up_to_week]
    row = pd.Index(students["id_student"]).get_indexer(vle["id_student"])
    if (row < 0).any():
        raise ValueError("vle has id_student values that are not in students")
    clicks = np.zeros((len(students), up_to_week), dtype=np.float64)
    days = np.zeros_like(clicks)
    week = vle["week"].to_numpy()
    np.add.at(clicks, (row, week), vle["sum_click"].to_numpy(dtype=float))
    np.add.at(days, (row, week), vle["active_days"].to_numpy(dtype=float))
    return clicks, days


def _slope(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Least-squares slope of y on x along ``axis`` (0 where x has no spread)."""
    xc = x - x.mean(axis=axis, keepdims=True)
    var = (xc**2).sum(axis=axis)
    cov = (xc * (y - y.mean(axis=axis, keepdims=True))).sum(axis=axis)
    return np.divide(cov, var, out=np.zeros_like(cov, dtype=float), where=var > 0)


def _assessment_features(tables: CohortTables, up_to_week: int) -> pd.DataFrame:
    students = tables.students
    schedule = tables.assessments.loc[
        tables.assessments["week"] < up_to_week, ["code_module", "code_presentation", "week"]
    ]
    due = (
        students[["id_student", "code_module", "code_presentation"]]
        .merge(schedule, on=["code_module", "code_presentation"])
        .groupby("id_student")
        .size()
    )
    subs = tables.student_assessments.merge(
        tables.assessments[["id_assessment", "week"]], on="id_assessment"
    )
    subs = subs[(subs["week"] < up_to_week) & (subs["date_submitted"] < 7 * up_to_week)]
    subs = subs.sort_values(["id_student", "week"])
    score = subs["score"].astype(float)
    week = subs["week"].astype(float)
    g = subs.assign(
        score=score, week=week, score_sq=score**2, week_sq=week**2, week_score=week * score
    ).groupby("id_student")
    n = g.size()
    sums = g[["score", "week", "score_sq", "week_sq", "week_score"]].sum()
    var_w = sums["week_sq"] - sums["week"] ** 2 / n
    cov = sums["week_score"] - sums["week"] * sums["score"] / n
    out = pd.DataFrame(
        {
            "submissions": n,
            "score_mean": sums["score"] / n,
            "score_last": g["score"].last(),
            "score_std": g["score"].std(ddof=0),
            "score_total": sums["score"],
            "score_trend": np.where(var_w > 1e-9, cov / var_w.where(var_w > 1e-9, 1.0), 0.0),
        }
    )
    ids = students["id_student"]
    out = out.reindex(ids)
    out["assessments_due"] = due.reindex(ids).fillna(0).to_numpy()
    out["submissions"] = out["submissions"].fillna(0)
    out["score_total"] = out["score_total"].fillna(0.0)
    out["score_std"] = out["score_std"].fillna(0.0)
    out["score_trend"] = out["score_trend"].fillna(0.0)
    out["submissions_missed"] = (out["assessments_due"] - out["submissions"]).clip(lower=0)
    return out


def weekly_features(tables: CohortTables, up_to_week: int) -> pd.DataFrame:
    """Features of every student after ``up_to_week`` course weeks.

    Args:
        tables: a Cohort or OULAD-shaped tables (see :class:`CohortTables`).
        up_to_week: number of weeks observed, in ``[1, n_weeks]``.

    Returns:
        One row per student (index ``id_student``) with the columns
        :data:`NUMERIC_FEATURES` then :data:`CATEGORICAL_FEATURES`. Scores are NaN
        where nothing was submitted yet (the model's imputer fills them).

    Raises:
        ValueError: if ``up_to_week`` is outside ``[1, n_weeks]`` or the VLE table
            names students that ``students`` does not have.
    """
    n_weeks = n_weeks_of(tables)
    if isinstance(up_to_week, bool) or not 1 <= int(up_to_week) <= n_weeks:
        raise ValueError(f"up_to_week must be in [1, {n_weeks}], got {up_to_week!r}")
    w = int(up_to_week)
    clicks, days = weekly_activity(tables, w)
    active = days > 0
    any_active = active.any(axis=1)
    last_active = w - 1 - np.argmax(active[:, ::-1], axis=1)
    recent = np.arange(max(0, w - 4), w, dtype=float)

    f = _assessment_features(tables, w)
    submission_rate = np.divide(
        f["submissions"], f["assessments_due"], out=np.ones(len(f)), where=f["assessments_due"] > 0
    )
    clicks_total = clicks.sum(axis=1)
    active_day_share = days.sum(axis=1) / (7.0 * w)
    clicks_level = np.minimum(np.log1p(clicks_total / w) / CLICKS_LEVEL_SCALE, 1.0)
    f = f.assign(
        clicks_total=clicks_total,
        clicks_last_week=clicks[:, -1],
        clicks_per_week=clicks_total / w,
        clicks_trend=_slope(recent[None, :], np.log1p(clicks[:, -len(recent) :])),
        active_days_total=days.sum(axis=1),
        active_days_last_week=days[:, -1],
        active_day_share=active_day_share,
        inactivity_streak=np.where(any_active, w - 1 - last_active, w).astype(float),
        week_fraction=w / n_weeks,
        confidence_score=(
            active.mean(axis=1) + submission_rate + f["score_mean"].fillna(0.0) / 100.0
        )
        / 3.0,
        engagement_index=0.5 * clicks_level + 0.3 * submission_rate + 0.2 * active_day_share,
        effort_to_performance=f["score_total"] / (1.0 + clicks_total / 100.0),
    )
    demographics = tables.students.set_index("id_student")[
        list(NUMERIC_DEMOGRAPHICS + CATEGORICAL_FEATURES)
    ]
    features = pd.concat([f[list(BEHAVIOURAL_FEATURES)], demographics], axis=1)
    features[list(NUMERIC_FEATURES)] = features[list(NUMERIC_FEATURES)].astype(float)
    return features


def success_target(tables: CohortTables) -> pd.Series:
    """1 for Pass or Distinction, 0 for Fail or Withdrawn, indexed by ``id_student``."""
    result = tables.students.set_index("id_student")["final_result"]
    return result.isin(["Pass", "Distinction"]).astype(int).rename("success")

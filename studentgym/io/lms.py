"""LMS event exports -> one row of behavioural features per learner and course week.

A folder with five CSV exports:

=====================  =====================================================
file                   columns (extra columns are ignored)
=====================  =====================================================
users.csv              user_id, role ("learner" rows are kept)
courses.csv            course_id, start_date
modules.csv            module_id, course_id
lesson_activity.csv    user_id, module_id, progress (0-100), status, timestamp
quiz_attempts.csv      user_id, module_id, score (0-100), timestamp
=====================  =====================================================

Week ``k`` of a course is days ``[7k, 7k + 7)`` after its ``start_date`` (events
before the start count in week 0). Every learner with activity in a course gets a
row for every week from 0 to the course's last active week, inactive weeks
included:

=====================  ==============================================================
feature                definition (per learner, course and week)
=====================  ==============================================================
sessions               lesson-activity events
modules_completed      distinct modules with a "completed" event
avg_progress           mean lesson progress, 0-100 (NaN without lesson events)
avg_quiz_score         mean quiz score, 0-100 (NaN without attempts)
active_days            distinct days with any event (0-7)
inactivity_days        7 - active_days
confidence_score       mean of the available signals among progress / 100, share of
                       lesson events that are completions, quiz score / 100; 0 in a
                       week without activity (a behavioural proxy, in [0, 1])
=====================  ==============================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.io.tables import duplicated_error, read_table, require_files
from studentgym.predictors.schema import Column, SchemaError, describe_rows

CAT, NUM = Column("categorical"), Column("numeric")
PERCENT = Column("numeric", 0, 100)
SCHEMAS: dict[str, dict[str, Column]] = {
    "users.csv": {"user_id": NUM, "role": CAT},
    "courses.csv": {"course_id": NUM, "start_date": CAT},
    "modules.csv": {"module_id": NUM, "course_id": NUM},
    "lesson_activity.csv": {
        "user_id": NUM,
        "module_id": NUM,
        "progress": PERCENT,
        "status": CAT,
        "timestamp": CAT,
    },
    "quiz_attempts.csv": {"user_id": NUM, "module_id": NUM, "score": PERCENT, "timestamp": CAT},
}
FEATURES = (
    "sessions",
    "modules_completed",
    "avg_progress",
    "avg_quiz_score",
    "active_days",
    "inactivity_days",
    "confidence_score",
)


def _times(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    times = pd.to_datetime(frame[column], errors="coerce", format="mixed")
    bad = times.isna()
    if bad.any():
        lines = describe_rows(bad, frame.index)
        raise SchemaError([f"{column!r} must be a date or time; unreadable on lines {lines}"], path)
    return times


def _known(frame: pd.DataFrame, column: str, allowed, path: Path, of: str) -> None:
    unknown = ~frame[column].isin(allowed)
    if unknown.any():
        lines = describe_rows(unknown, frame.index)
        raise SchemaError([f"{column} not in {of} on lines {lines}"], str(path))


def read_lms_export(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The five validated tables, keyed by file name (timestamps parsed).

    Raises:
        FileNotFoundError: for a missing folder or files (all named).
        ValueError: empty files, missing columns, non-numeric or out-of-range values,
            unreadable dates, duplicated users, modules or courses, and events pointing
            at unknown users or modules; each names the file and lines.
    """
    folder = require_files(folder, SCHEMAS, "LMS")
    tables = {name: read_table(folder / name, schema) for name, schema in SCHEMAS.items()}
    for name, key in (
        ("users.csv", "user_id"),
        ("courses.csv", "course_id"),
        ("modules.csv", "module_id"),
    ):
        duplicated_error(tables[name], [key], folder / name)
    courses = tables["courses.csv"]
    courses["start_date"] = _times(courses, "start_date", folder / "courses.csv")
    modules = tables["modules.csv"]
    _known(modules, "course_id", courses["course_id"], folder / "modules.csv", "courses.csv")
    for name in ("lesson_activity.csv", "quiz_attempts.csv"):
        events = tables[name]
        events["timestamp"] = _times(events, "timestamp", folder / name)
        _known(events, "user_id", tables["users.csv"]["user_id"], folder / name, "users.csv")
        _known(events, "module_id", modules["module_id"], folder / name, "modules.csv")
    return tables


def weekly_behavioral_features(folder: str | Path) -> pd.DataFrame:
    """One row per learner, course and week (see the module docstring), sorted.

    Raises:
        as :func:`read_lms_export`.
    """
    tables = read_lms_export(folder)
    users = tables["users.csv"]
    learners = users.loc[users["role"].str.strip().str.lower() == "learner", "user_id"]
    course_of = tables["modules.csv"].set_index("module_id")["course_id"]
    start = tables["courses.csv"].set_index("course_id")["start_date"]

    def located(events: pd.DataFrame) -> pd.DataFrame:
        events = events[events["user_id"].isin(learners)].copy()
        events["course_id"] = course_of.reindex(events["module_id"]).to_numpy()
        elapsed = events["timestamp"] - start.reindex(events["course_id"]).to_numpy()
        events["day"] = np.maximum(elapsed.dt.days.to_numpy(), 0)
        events["week"] = events["day"] // 7
        return events

    lessons = located(tables["lesson_activity.csv"])
    quizzes = located(tables["quiz_attempts.csv"])
    keys = ["user_id", "course_id", "week"]
    lessons["completed"] = lessons["status"].str.strip().str.lower() == "completed"
    lesson_weeks = lessons.groupby(keys).agg(
        sessions=("module_id", "size"),
        avg_progress=("progress", "mean"),
        completion_share=("completed", "mean"),
    )
    done = lessons[lessons["completed"]].groupby(keys)["module_id"].nunique()
    quiz_weeks = quizzes.groupby(keys).agg(avg_quiz_score=("score", "mean"))
    both = pd.concat([lessons[[*keys, "day"]], quizzes[[*keys, "day"]]])
    if both.empty:
        raise ValueError(f"{folder}: no activity by users with role 'learner'")
    active = both.groupby(keys)["day"].nunique().rename("active_days")

    last_week = both.groupby("course_id")["week"].max()
    pairs = both[["user_id", "course_id"]].drop_duplicates()
    grid = pairs.loc[pairs.index.repeat(last_week.reindex(pairs["course_id"]).to_numpy() + 1)]
    grid = grid.assign(week=grid.groupby(["user_id", "course_id"]).cumcount()).set_index(keys)
    weekly = grid.join([lesson_weeks, quiz_weeks, active]).join(done.rename("modules_completed"))
    for column in ("sessions", "modules_completed", "active_days"):
        weekly[column] = weekly[column].fillna(0).astype(np.int64)
    weekly["inactivity_days"] = 7 - weekly["active_days"]
    signals = pd.concat(
        [
            weekly["avg_progress"] / 100.0,
            weekly["completion_share"],
            weekly["avg_quiz_score"] / 100.0,
        ],
        axis=1,
    )
    weekly["confidence_score"] = signals.mean(axis=1).fillna(0.0)
    return weekly.reset_index().sort_values(keys)[[*keys, *FEATURES]].reset_index(drop=True)

"""The per-student CSV teachers keep: read, validate, impute, score, segment, recommend.

Columns (``Final_Result`` optional):

=============  ========================================  =================================
column         meaning                                   checked
=============  ========================================  =================================
Student_ID     identifier                                present, unique
Quiz1-Quiz3    quiz scores, 0-100                        numeric; outside 0-100 clamped
Time_Spent     hours on coursework                       numeric, >= 0; outliers capped
Assignments    assignments completed                     numeric, 0-1000
Attendance     attendance, percent                       numeric; outside 0-100 clamped
Final_Result   "Pass" or "Fail" (or OULAD's four)        Pass/Distinction = success
=============  ========================================  =================================

Missing numbers are imputed with the training means; ``Time_Spent`` is capped at
IQR fences learned in training. Engineered features follow the educators'
definitions (total, mean, spread and percentage of quiz scores, an engagement
index ``0.5 Time_Spent + 0.3 Assignments + 0.2 Attendance`` and the effort ratio
``total quiz / (Time_Spent + 1)``). The classifier is a class-balanced logistic
regression; segments are K-means on (mean quiz, engagement index, attendance)
named by centroid; the recommendation is the rule matrix
(:mod:`studentgym.recommenders.rules`) on the predicted outcome and the segment.

With no labelled file of one's own, :func:`teacher_view` turns a synthetic
cohort into this schema (first three assessments as quizzes, 0 if missed; a
click counted as 1.5 minutes of work; active-day share as attendance) to train on.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from studentgym.io.tables import duplicated_error, read_table
from studentgym.predictors.preprocessing import IQRCapper
from studentgym.predictors.schema import Column, describe_rows
from studentgym.predictors.segments import name_segments
from studentgym.recommenders.rules import RuleBasedRecommender
from studentgym.simulators.cohort import Cohort, CohortGenerator
from studentgym.simulators.config import CohortConfig

QUIZZES = ("Quiz1", "Quiz2", "Quiz3")
NUMERIC = (*QUIZZES, "Time_Spent", "Assignments", "Attendance")
PERCENT = (*QUIZZES, "Attendance")
SCHEMA = {
    "Student_ID": Column("categorical"),
    **{name: Column("numeric") for name in PERCENT},
    "Time_Spent": Column("numeric", 0.0, np.inf),
    "Assignments": Column("numeric", 0.0, 1000.0),
}
SUCCESS_RESULTS = ("Pass", "Distinction")
KNOWN_RESULTS = ("Pass", "Fail", "Distinction", "Withdrawn")
MINUTES_PER_CLICK = 1.5
SEGMENT_INPUTS = ("Average_Quiz_Score", "Engagement_Index", "Attendance")


def read_teacher_csv(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The validated table and a list of what was repaired (clamped values, missing cells).

    Raises:
        FileNotFoundError: for a missing file.
        ValueError: for an empty file, missing columns, non-numeric values (by line),
            negative hours or assignments, duplicated Student_ID or unknown Final_Result.
    """
    frame = read_table(path, SCHEMA, required=("Student_ID",))
    duplicated_error(frame, ["Student_ID"], path)
    repairs = []
    if "Final_Result" in frame.columns:
        result = frame["Final_Result"].astype("string").str.strip()
        unknown = result.notna() & ~result.isin(KNOWN_RESULTS)
        if unknown.any():
            lines = describe_rows(unknown, frame.index)
            raise ValueError(
                f"{path}: Final_Result must be one of {', '.join(KNOWN_RESULTS)}; "
                f"other values on lines {lines}"
            )
        frame["Final_Result"] = result
    for name in PERCENT:
        outside = (frame[name] < 0) | (frame[name] > 100)
        if outside.any():
            lines = describe_rows(outside, frame.index)
            repairs.append(
                f"{name}: {int(outside.sum())} values outside 0-100 clamped (lines {lines})"
            )
            frame[name] = frame[name].clip(0, 100)
    for name in NUMERIC:
        missing = int(frame[name].isna().sum())
        if missing:
            repairs.append(f"{name}: {missing} missing values imputed with the training mean")
    return frame, repairs


def engineered(frame: pd.DataFrame) -> pd.DataFrame:
    """The educators' derived features (NaN-free input expected)."""
    quizzes = frame[list(QUIZZES)]
    total = quizzes.sum(axis=1)
    return pd.DataFrame(
        {
            **{name: frame[name] for name in NUMERIC},
            "Total_Quiz_Score": total,
            "Average_Quiz_Score": total / 3.0,
            "Quiz_Std": quizzes.std(axis=1, ddof=0),
            "Engagement_Index": 0.5 * frame["Time_Spent"]
            + 0.3 * frame["Assignments"]
            + 0.2 * frame["Attendance"],
            "Quiz_Percentage": total / 300.0 * 100.0,
            "Effort_Performance_Ratio": total / (frame["Time_Spent"] + 1.0),
        },
        index=frame.index,
    )


class TeacherModel(BaseEstimator):
    """Success classifier and segments for the teacher schema.

    Attributes:
        repair_, capper_: mean imputer and Time_Spent capper (fitted on the training table).
        classifier_: balanced logistic regression on the engineered features.
        segment_scaler_, kmeans_, segment_names_: the K-means segments and their names.
    """

    def __init__(self, n_segments: int = 3, threshold: float = 0.5, seed: int = 0) -> None:
        self.n_segments, self.threshold, self.seed = n_segments, threshold, seed

    def _features(self, frame: pd.DataFrame, fit: bool = False) -> pd.DataFrame:
        numbers = frame[list(NUMERIC)].astype(float)
        if fit:
            self.repair_ = SimpleImputer(strategy="mean").set_output(transform="pandas")
            self.repair_.fit(numbers)
            self.capper_ = IQRCapper(factor=1.5).fit(
                self.repair_.transform(numbers)[["Time_Spent"]]
            )
        repaired = self.repair_.transform(numbers)
        repaired["Time_Spent"] = self.capper_.transform(repaired[["Time_Spent"]])[:, 0]
        for name in PERCENT:
            repaired[name] = repaired[name].clip(0, 100)
        return engineered(repaired)

    def fit(self, frame: pd.DataFrame, success) -> TeacherModel:
        """Fit on a validated table and its success labels (bool)."""
        X = self._features(frame, fit=True)
        y = np.asarray(success, dtype=int)
        if len(np.unique(y)) < 2:
            raise ValueError("training needs both successes and failures")
        self.classifier_ = Pipeline(
            [
                ("scale", StandardScaler()),
                ("model", LogisticRegression(class_weight="balanced", max_iter=2000)),
            ]
        ).fit(X, y)
        Z_inputs = X[list(SEGMENT_INPUTS)]
        self.segment_scaler_ = StandardScaler().fit(Z_inputs)
        Z = self.segment_scaler_.transform(Z_inputs)
        self.kmeans_ = KMeans(self.n_segments, n_init=10, random_state=self.seed).fit(Z)
        self.segment_names_ = name_segments(self.kmeans_.cluster_centers_)
        return self

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per student: P(success), predicted label, segment, intervention and reason."""
        check_is_fitted(self)
        X = self._features(frame)
        p = self.classifier_.predict_proba(X)[:, 1]
        labels = self.kmeans_.predict(self.segment_scaler_.transform(X[list(SEGMENT_INPUTS)]))
        segments = np.asarray([str(n) for n in self.segment_names_], dtype=object)[labels]
        advice = RuleBasedRecommender(self.threshold).advise(p, segments)
        advice.insert(0, "Student_ID", frame["Student_ID"].to_numpy())
        return pd.concat([advice, X.reset_index(drop=True).round(4)], axis=1)


def success_labels(frame: pd.DataFrame) -> np.ndarray | None:
    """Booleans from Final_Result (Pass/Distinction), or None when the column is absent."""
    if "Final_Result" not in frame.columns:
        return None
    return frame["Final_Result"].isin(SUCCESS_RESULTS).to_numpy()


def teacher_view(cohort: Cohort) -> pd.DataFrame:
    """The cohort at the end of the course in the teacher schema (see the module docstring)."""
    students = cohort.students
    scores = cohort.scores  # (n, assessments), NaN where not submitted
    # a missed quiz scores 0, as in a teacher's gradebook
    quizzes = {
        name: np.nan_to_num(scores[:, j], nan=0.0) if scores.shape[1] > j else 0.0
        for j, name in enumerate(QUIZZES)
    }
    clicks = cohort.clicks.sum(axis=1)
    days = cohort.active_days.sum(axis=1)
    success = np.isin(students["final_result"].to_numpy(), SUCCESS_RESULTS)
    return pd.DataFrame(
        {
            "Student_ID": [f"S{i}" for i in students["id_student"]],
            **{name: np.round(values, 0) for name, values in quizzes.items()},
            "Time_Spent": np.round(clicks * MINUTES_PER_CLICK / 60.0, 1),
            "Assignments": np.isfinite(scores).sum(axis=1),
            "Attendance": np.round(100.0 * days / (7.0 * cohort.config.n_weeks), 1),
            "Final_Result": np.where(success, "Pass", "Fail"),
        }
    )


SYNTHETIC_STUDENTS = 5_000
"""Students of the synthetic cohort the default teacher model is trained on."""


def fit_teacher_model(
    train: str | Path | None = None, threshold: float = 0.5, seed: int = 0
) -> tuple[TeacherModel, str]:
    """The model ``scripts/predict.py`` and the dashboard score a class with.

    Trained on ``train`` (a labelled teacher CSV) or, by default, on a synthetic cohort
    of :data:`SYNTHETIC_STUDENTS` seen through the teacher schema (:func:`teacher_view`).

    Returns:
        The fitted model and a description of what it was trained on.

    Raises:
        FileNotFoundError, ValueError: for an unreadable training file or one without
            ``Final_Result``.
    """
    if train is not None:
        frame, _ = read_teacher_csv(train)
        labels = success_labels(frame)
        if labels is None:
            raise ValueError(f"{train}: a training file needs a Final_Result column")
        source = str(train)
    else:
        config = dataclasses.replace(CohortConfig(), n_students=SYNTHETIC_STUDENTS)
        frame = teacher_view(CohortGenerator(config, seed=seed).generate())
        labels, source = (
            success_labels(frame),
            f"a synthetic cohort of {SYNTHETIC_STUDENTS:,} students",
        )
    return TeacherModel(threshold=threshold, seed=seed).fit(frame, labels), source


def class_summary(results: pd.DataFrame) -> pd.DataFrame:
    """All students and each segment of :meth:`TeacherModel.score`'s results: size, at
    risk, mean P(success)."""
    groups = [("all students", results), *results.groupby("segment", sort=True)]
    return pd.DataFrame(
        [
            {
                "group": name,
                "students": len(group),
                "at_risk": int(group["at_risk"].sum()),
                "at_risk_share": float(group["at_risk"].mean()),
                "mean_success_probability": float(group["success_probability"].mean()),
            }
            for name, group in groups
        ]
    )

"""LMS exports and the teacher CSV: aggregated, validated, scored; bad files refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from studentgym.io.lms import FEATURES, weekly_behavioral_features
from studentgym.io.teacher import TeacherModel, read_teacher_csv, success_labels, teacher_view
from studentgym.simulators import CohortConfig, CohortGenerator


def write_lms(folder: Path) -> None:
    """A small export with known answers: learners 1 and 2, a teacher 9, one course."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"user_id": [1, 2, 9], "role": ["learner", "learner", "teacher"]}).to_csv(
        folder / "users.csv", index=False
    )
    pd.DataFrame({"course_id": [10], "start_date": ["2024-01-01"]}).to_csv(
        folder / "courses.csv", index=False
    )
    pd.DataFrame({"module_id": [100, 101, 102], "course_id": [10, 10, 10]}).to_csv(
        folder / "modules.csv", index=False
    )
    pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 9],
            "module_id": [100, 100, 101, 100, 100],
            "progress": [40, 100, 50, 20, 100],
            "status": ["in_progress", "completed", "in_progress", "in_progress", "completed"],
            "timestamp": [
                "2024-01-01 09:00",
                "2024-01-03 10:00",
                "2024-01-03 18:00",
                "2024-01-16 12:00",
                "2024-01-02 08:00",
            ],
        }
    ).to_csv(folder / "lesson_activity.csv", index=False)
    pd.DataFrame(
        {
            "user_id": [1, 2],
            "module_id": [100, 101],
            "score": [80, 50],
            "timestamp": ["2024-01-04 10:00", "2024-01-17 10:00"],
        }
    ).to_csv(folder / "quiz_attempts.csv", index=False)


def test_lms_export_becomes_weekly_features(tmp_path):
    write_lms(tmp_path)
    weekly = weekly_behavioral_features(tmp_path)
    assert list(weekly.columns) == ["user_id", "course_id", "week", *FEATURES]
    assert set(weekly["user_id"]) == {1, 2}  # the teacher is not a learner
    assert len(weekly) == 6  # weeks 0-2 for both learners, inactive weeks included
    first = weekly[(weekly["user_id"] == 1) & (weekly["week"] == 0)].iloc[0]
    assert first["sessions"] == 3 and first["modules_completed"] == 1
    assert first["active_days"] == 3 and first["inactivity_days"] == 4  # Jan 1, 3, 4
    assert first["avg_progress"] == pytest.approx(190 / 3)
    assert first["avg_quiz_score"] == 80
    assert first["confidence_score"] == pytest.approx((190 / 300 + 1 / 3 + 0.8) / 3)
    idle = weekly[(weekly["user_id"] == 1) & (weekly["week"] == 1)].iloc[0]
    assert idle["sessions"] == 0 and idle["active_days"] == 0 and idle["confidence_score"] == 0
    assert np.isnan(idle["avg_progress"])
    late = weekly[(weekly["user_id"] == 2) & (weekly["week"] == 2)].iloc[0]
    assert late["active_days"] == 2 and late["avg_quiz_score"] == 50


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing_file", "missing LMS files: quiz_attempts.csv"),
        ("missing_column", "missing columns: progress"),
        ("text_in_number", "'score' must be numeric; non-numeric values in rows 3"),
        ("empty_file", "modules.csv: the file is empty"),
        ("duplicated_users", "duplicated user_id on lines 2, 5"),
        ("bad_date", "'timestamp' must be a date or time; unreadable on lines 4"),
        ("unknown_user", "user_id not in users.csv on lines 2"),
    ],
)
def test_bad_lms_exports_are_refused(tmp_path, damage, message):
    write_lms(tmp_path)
    if damage == "missing_file":
        (tmp_path / "quiz_attempts.csv").unlink()
    elif damage == "missing_column":
        table = pd.read_csv(tmp_path / "lesson_activity.csv").drop(columns="progress")
        table.to_csv(tmp_path / "lesson_activity.csv", index=False)
    elif damage == "text_in_number":
        table = pd.read_csv(tmp_path / "quiz_attempts.csv").astype({"score": object})
        table.loc[1, "score"] = "fifty"
        table.to_csv(tmp_path / "quiz_attempts.csv", index=False)
    elif damage == "empty_file":
        (tmp_path / "modules.csv").write_text("")
    elif damage == "duplicated_users":
        users = pd.read_csv(tmp_path / "users.csv")
        pd.concat([users, users.iloc[[0]]]).to_csv(tmp_path / "users.csv", index=False)
    elif damage == "bad_date":
        table = pd.read_csv(tmp_path / "lesson_activity.csv")
        table.loc[2, "timestamp"] = "yesterday-ish"
        table.to_csv(tmp_path / "lesson_activity.csv", index=False)
    elif damage == "unknown_user":
        table = pd.read_csv(tmp_path / "lesson_activity.csv")
        table.loc[0, "user_id"] = 77
        table.to_csv(tmp_path / "lesson_activity.csv", index=False)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        weekly_behavioral_features(tmp_path)


@pytest.fixture(scope="module")
def teacher_table():
    cohort = CohortGenerator(dataclasses.replace(CohortConfig(), n_students=400), seed=9).generate()
    return teacher_view(cohort)


def test_teacher_csv_is_validated_repaired_and_scored(teacher_table, tmp_path):
    damaged = teacher_table.copy()
    damaged.loc[0, "Attendance"] = 130.0  # clamped to 100
    damaged.loc[1, "Quiz2"] = np.nan  # imputed
    damaged.to_csv(tmp_path / "s.csv", index=False)
    frame, repairs = read_teacher_csv(tmp_path / "s.csv")
    assert frame.loc[2, "Attendance"] == 100.0  # line 2 is the first student
    assert any("Attendance: 1 values outside 0-100 clamped (lines 2)" in r for r in repairs)
    assert any(r.startswith("Quiz2: 1 missing") for r in repairs)
    model = TeacherModel().fit(frame, success_labels(frame))
    scored = model.score(frame)
    assert scored["success_probability"].between(0, 1).all() and scored.notna().all().all()
    assert (scored["at_risk"] == (scored["success_probability"] < 0.5)).all()
    assert set(scored["segment"]) <= {
        "At risk",
        "Struggling but engaged",
        "Capable but disengaged",
        "High performer",
    } | {f"{s} (moderate)" for s in ("At risk", "High performer", "Capable but disengaged")}
    at_risk = scored[scored["segment"] == "At risk"]
    assert (at_risk["recommended_intervention"] != "No intervention").all()
    y = success_labels(frame)
    assert (
        scored.loc[y, "success_probability"].mean() > scored.loc[~y, "success_probability"].mean()
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing_column", "missing columns: Time_Spent"),
        ("text", "'Quiz1' must be numeric; non-numeric values in rows 5"),
        ("duplicate", "duplicated Student_ID on lines 2, 4"),
        ("negative_hours", "'Time_Spent' must lie in \\[0, inf\\]"),
        ("empty", "the file is empty"),
        ("result", "Final_Result must be one of"),
    ],
)
def test_bad_teacher_csvs_are_refused(teacher_table, tmp_path, damage, message):
    table = teacher_table.head(10).copy()
    path = tmp_path / "bad.csv"
    if damage == "missing_column":
        table = table.drop(columns="Time_Spent")
    elif damage == "text":
        table = table.astype({"Quiz1": object})
        table.loc[3, "Quiz1"] = "absent"
    elif damage == "duplicate":
        table.loc[2, "Student_ID"] = table.loc[0, "Student_ID"]
    elif damage == "negative_hours":
        table.loc[4, "Time_Spent"] = -2
    elif damage == "result":
        table.loc[1, "Final_Result"] = "Maybe"
    if damage == "empty":
        path.write_text("")
    else:
        table.to_csv(path, index=False)
    with pytest.raises(ValueError, match=message):
        read_teacher_csv(path)


def test_predict_script_scores_a_generated_class_and_refuses_bad_input(tmp_path, run_script):
    result = run_script(
        "generate_cohort.py", "--students", "300", "--format", "teacher", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "results.csv"
    result = run_script("predict.py", "--input", str(tmp_path / "students.csv"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    results = pd.read_csv(out)
    assert len(results) == 300 and {"success_probability", "segment", "reason"} <= set(results)
    summary = pd.read_csv(tmp_path / "results_summary.csv")
    assert summary.loc[0, "group"] == "all students" and summary.loc[0, "students"] == 300
    assert summary.loc[0, "at_risk"] == results["at_risk"].sum()
    assert "ROC-AUC" in result.stdout  # labels present: predictions are compared with them
    bad = tmp_path / "bad.csv"
    pd.read_csv(tmp_path / "students.csv").drop(columns="Attendance").to_csv(bad, index=False)
    refused = tmp_path / "never.csv"
    result = run_script("predict.py", "--input", str(bad), "--out", str(refused))
    assert result.returncode == 2 and "missing columns: Attendance" in result.stderr
    assert not refused.exists()


def test_oulad_and_lms_scripts(tmp_path, run_script):
    result = run_script(
        "generate_cohort.py", "--students", "200", "--format", "oulad", "--out", str(tmp_path / "o")
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "studentVle.csv").exists()
    write_lms(tmp_path / "lms")
    out = tmp_path / "weekly_behavioral_features.csv"
    result = run_script("lms_features.py", "--data", str(tmp_path / "lms"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(out)) == 6
    result = run_script(
        "lms_features.py", "--data", str(tmp_path / "nothing"), "--out", str(out) + "x"
    )
    assert result.returncode == 2 and "not a folder" in result.stderr

"""The scripts run end to end as a user would call them, and refuse bad input cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from studentgym.atomic import atomic_path, atomic_write_csv

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_generate_cohort_writes_readable_tables(tmp_path):
    result = run("generate_cohort.py", "--students", "400", "--seed", "3", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    students = pd.read_csv(tmp_path / "students.csv")
    assert len(students) == 400
    vle = pd.read_csv(tmp_path / "vle_weekly.csv")
    assert set(vle["id_student"]) <= set(students["id_student"])
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def test_generate_cohort_refuses_bad_size_and_writes_nothing(tmp_path):
    out = tmp_path / "never"
    result = run("generate_cohort.py", "--students", "-5", "--out", str(out))
    assert result.returncode == 2
    assert "n_students must be >= 1" in result.stderr
    assert not out.exists()


def test_train_agent_quick_generates_the_cohort(tmp_path):
    result = run("train_agent.py", "--quick", "--students", "500", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cohort" / "students.csv").exists()
    comparison = pd.read_csv(tmp_path / "cohort_vs_oulad.csv")
    assert set(comparison["final_result"]) == {"Pass", "Withdrawn", "Fail", "Distinction"}
    assert "Not built yet" in result.stdout
    for name in (
        "model_scores.csv",
        "interactions.csv",
        "hybrid_recommendations.csv",
        "recommender_evaluation.csv",
    ):
        assert (tmp_path / name).exists(), name
    assert "final result:" in result.stdout


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "table.csv"
    atomic_write_csv(pd.DataFrame({"a": [1]}), target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("interrupted")
    assert pd.read_csv(target)["a"].tolist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_train_predictors_writes_its_reports(tmp_path):
    result = run(
        "train_predictors.py",
        "--students",
        "900",
        "--max-students",
        "600",
        "--folds",
        "3",
        "--models",
        "logistic_regression",
        "decision_tree",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    for name in (
        "model_scores.csv",
        "early_prediction.csv",
        "fairness.csv",
        "feature_importance.csv",
        "segments.csv",
        "auc_by_week.png",
        "confusion_matrix.png",
        "feature_importance.png",
        "best_model.skops",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    scores = pd.read_csv(tmp_path / "model_scores.csv")
    assert set(scores["model"]) == {"logistic_regression", "decision_tree"}
    early = pd.read_csv(tmp_path / "early_prediction.csv")
    assert (early["roc_auc_mean"] < early["ceiling_roc_auc"]).all()
    assert "ROC-AUC by week" in result.stdout


def test_train_predictors_refuses_bad_arguments(tmp_path):
    result = run("train_predictors.py", "--max-students", "5", "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "--max-students" in result.stderr
    assert not (tmp_path / "x").exists()


def test_tune_dqn_smoke(tmp_path):
    out = tmp_path / "search.csv"
    result = run(
        "tune_dqn.py",
        "--steps",
        "1200",
        "--students",
        "1000",
        "--eval-students",
        "100",
        "--envs",
        "4",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    assert len(table) == 4 and {"learning_rate", "return_vs_none", "ci_low"} <= set(table.columns)
    assert (table["ci_low"] <= table["return_vs_none"]).all()

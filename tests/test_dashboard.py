"""The dashboard's pages, driven by Streamlit's own testing API."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import studentgym.dashboard
from studentgym.dashboard.data import example_class
from studentgym.io.oulad import write_oulad
from studentgym.simulators import CohortConfig, CohortGenerator

PAGES = Path(studentgym.dashboard.__file__).with_name("views")


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / name), default_timeout=120)


def results_of(app: AppTest) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(app.session_state["results_csv"]))


def test_the_app_starts_on_the_class_page():
    app = AppTest.from_file(str(PAGES.parent / "app.py"), default_timeout=120).run()
    assert not app.exception
    assert app.title[0].value == "Class: who is at risk, and what to do"


def test_class_page_scores_the_example_class_and_filters_it():
    app = page("class_page.py").run()
    assert not app.exception and not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Students"] == "60"
    assert int(metrics["Predicted to pass"]) + int(metrics["Predicted to fail (at risk)"]) == 60
    assert "6 missing values imputed" in app.info[0].value
    results = results_of(app)
    assert len(results) == 60 and results["success_probability"].between(0, 1).all()
    assert {"segment", "recommended_intervention", "reason", "Engagement_Index"} <= set(results)
    app.radio(key="risk").set_value("At risk").run()
    shown = app.dataframe[1].value
    assert len(shown) == int(metrics["Predicted to fail (at risk)"]) and shown["at_risk"].all()
    contacts = app.dataframe[2].value  # whom to contact within the default 3 hours
    assert 0 < len(contacts) and contacts["hours_so_far"].max() <= 3.0
    assert set(contacts["Student_ID"]) <= set(results["Student_ID"])
    assert any("Highest risk first" in caption.value for caption in app.caption)
    app.number_input(key="hours").set_value(0.0).run()
    assert app.dataframe[2].value.empty and not app.exception


def test_an_uploaded_class_downloads_what_predict_py_writes(tmp_path, run_script):
    frame = pd.read_csv(io.BytesIO(example_class()))
    formulas = ["=1+1", "+SUM(1;2)", "@cmd", "-2"]  # names a spreadsheet would run
    frame.loc[: len(formulas) - 1, "Student_ID"] = formulas
    content = frame.to_csv(index=False).encode()
    (tmp_path / "class.csv").write_bytes(content)
    paths = ("--input", str(tmp_path / "class.csv"), "--out", str(tmp_path / "r.csv"))
    done = run_script("predict.py", *paths)
    assert done.returncode == 0, done.stderr
    app = page("class_page.py").run()
    app.radio(key="source").set_value("Upload a teacher CSV").run()
    app.file_uploader(key="upload").upload("class.csv", content, "text/csv").run()
    assert not app.exception and not app.error
    assert app.session_state["results_csv"] == (tmp_path / "r.csv").read_bytes()
    cells = pd.read_csv(io.BytesIO(app.session_state["results_csv"]), dtype=str)
    assert cells["Student_ID"].head(4).tolist() == [f"'{name}" for name in formulas]


def test_an_upload_with_a_bad_column_is_named_and_nothing_is_scored():
    bad = pd.read_csv(io.BytesIO(example_class())).drop(columns="Quiz2")
    app = page("class_page.py").run()
    app.radio(key="source").set_value("Upload a teacher CSV").run()
    app.file_uploader(key="upload").upload("my_class.csv", bad.to_csv(index=False).encode()).run()
    assert not app.exception
    assert len(app.error) == 1 and "my_class.csv" in app.error[0].value
    assert "Quiz2" in app.error[0].value and "/tmp" not in app.error[0].value
    assert not app.dataframe and "results_csv" not in app.session_state


def test_benchmark_page_on_a_run_and_on_an_empty_folder(tiny_run, tmp_path):
    _, folder = tiny_run
    app = page("benchmark_page.py").run()
    app.text_input(key="folder").set_value(str(folder)).run()
    assert not app.exception and not app.error
    assert any("studentgym benchmark" in block.value for block in app.markdown)
    shown = app.dataframe[0].value
    assert {"no_intervention", "qlearning", "oracle"} <= set(shown["policy"])
    assert len(app.get("image")) == 2  # the interval chart and the Q-table's policy
    app.radio(key="judge").set_value("classifier").run()
    assert not app.exception and len(app.get("image")) == 2
    app.text_input(key="folder").set_value(str(tmp_path)).run()
    assert "python scripts/train_agent.py" in app.info[0].value and not app.dataframe


def test_benchmark_page_names_a_q_table_of_an_earlier_view_instead_of_failing(tiny_run, tmp_path):
    _, folder = tiny_run
    old = tmp_path / "old_run"
    old.mkdir()
    for path in folder.glob("*.*"):
        (old / path.name).write_bytes(path.read_bytes())
    q = pd.read_csv(old / "Q_table.csv").head(315)  # the 315-state view of earlier versions
    q.to_csv(old / "Q_table.csv", index=False)
    app = page("benchmark_page.py").run()
    app.text_input(key="folder").set_value(str(old)).run()
    assert not app.exception and not app.error
    assert "1280 states" in app.warning[0].value and "(315, 6)" in app.warning[0].value
    assert len(app.get("image")) == 1  # the interval chart still shows


def test_tutor_page_runs_weeks_and_replays_the_student():
    app = page("tutor_page.py").run()
    assert not app.exception
    assert app.metric[0].value.startswith("1 /")
    for name in ("Engagement nudge", "No intervention"):
        app.selectbox(key="choice").set_value(name).run()
        app.button(key="deliver").click().run()
    assert not app.exception
    weeks = app.dataframe[0].value
    assert weeks["week"].tolist() == [2, 3] and weeks["intervention"].iloc[0] == "Engagement nudge"
    app.button(key="finish").click().run()  # a policy plays the rest of the course
    assert app.metric[3].value in {"Pass", "Fail", "Withdrawn"}
    app.button(key="replay").click().run()  # with the first reference policy
    comparison = app.dataframe[1].value
    assert comparison["run"].tolist() == ["your choices", "No intervention"]
    app.button(key="random").click().run()  # a new student, started at once
    assert app.metric[0].value.startswith("1 /") and not app.exception


def test_an_oulad_export_is_scored_and_a_missing_file_is_named(tmp_path):
    config = dataclasses.replace(CohortConfig(), n_students=120, n_weeks=20)
    cohort = CohortGenerator(config, seed=3).generate()
    write_oulad(cohort, tmp_path)
    files = {path.name: path.read_bytes() for path in sorted(tmp_path.glob("*.csv"))}
    app = page("class_page.py").run()
    app.radio(key="source").set_value("Upload an OULAD export").run()
    uploader = app.file_uploader(key="oulad")
    for name, content in files.items():
        uploader.upload(name, content, "text/csv")
    app.number_input(key="week").set_value(30).run()  # beyond this 20-week course
    assert not app.exception and "week must be in [1, 20], got 30" in app.error[0].value
    app.number_input(key="week").set_value(10).run()
    assert not app.exception and not app.error
    results = results_of(app)
    assert len(results) == 120 and results["success_probability"].between(0, 1).all()
    assert len(app.dataframe[1].value) == 120  # every segment of this class is selected
    assert set(results["id_student"]) == set(cohort.students["id_student"])
    assert {"segment", "recommended_intervention", "reason", "registered"} <= set(results)

    app = page("class_page.py").run()
    app.radio(key="source").set_value("Upload an OULAD export").run()
    uploader = app.file_uploader(key="oulad")
    for name, content in files.items():
        if name != "studentVle.csv":
            uploader.upload(name, content, "text/csv")
    app.run()
    assert "studentVle.csv" in app.error[0].value and "/tmp" not in app.error[0].value
    assert "results_csv" not in app.session_state


@pytest.mark.parametrize("name", ["class_page.py", "benchmark_page.py", "tutor_page.py"])
def test_pages_write_nothing_outside_a_temporary_folder(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page(name).run()
    assert not list(tmp_path.iterdir())

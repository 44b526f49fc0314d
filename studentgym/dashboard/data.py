"""What the pages compute, kept out of the page scripts so that it is cached and tested.

Heavy objects (the teacher model, the tutoring env's world) are built once per server
process with ``st.cache_resource``; uploads are read from a temporary folder that is
removed at once, so the app writes nothing else.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from studentgym.io.oulad import OuladTables, read_oulad
from studentgym.io.teacher import (
    NUMERIC,
    SYNTHETIC_STUDENTS,
    TeacherModel,
    fit_teacher_model,
    read_teacher_csv,
    teacher_view,
)
from studentgym.predictors.at_risk import AtRiskScorer
from studentgym.simulators import CohortConfig, CohortGenerator

EXAMPLE_STUDENTS, EXAMPLE_SEED = 60, 11


@st.cache_resource(show_spinner="Training the success model on a synthetic cohort...")
def teacher_model() -> tuple[TeacherModel, str]:
    """The model ``scripts/predict.py`` uses by default, and what it was trained on."""
    return fit_teacher_model()


@st.cache_data
def example_class() -> bytes:
    """A class of 60 synthetic students as a teacher CSV, with a few cells missing."""
    cohort = CohortGenerator(CohortConfig(n_students=EXAMPLE_STUDENTS), seed=EXAMPLE_SEED)
    frame = teacher_view(cohort.generate())
    rng = np.random.default_rng(EXAMPLE_SEED)
    for column in ("Quiz2", "Time_Spent", "Attendance"):  # gradebooks have gaps
        frame.loc[rng.choice(len(frame), 2, replace=False), column] = np.nan
    return frame.to_csv(index=False).encode()


def read_class(name: str, content: bytes) -> tuple[pd.DataFrame, list[str]]:
    """The validated table of an uploaded teacher CSV and what was repaired.

    Raises:
        ValueError: the reader's message (column, lines), with the file's own name.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(content)
        try:
            return read_teacher_csv(path)
        except (ValueError, FileNotFoundError) as err:
            raise ValueError(str(err).replace(str(path), path.name)) from None


def missing_cells(frame: pd.DataFrame) -> int:
    """Empty numeric cells, which the model imputes with its training means."""
    return int(frame[list(NUMERIC)].isna().sum().sum())


def prediction_drivers(pipeline, most: int = 12) -> pd.Series:
    """The ``most`` largest logistic weights of a fitted ``preprocess -> model`` pipeline,
    on its standardised (and one-hot) inputs: how much one standard deviation, or one
    category, moves the log-odds of success."""
    names = pipeline[:-1].get_feature_names_out()
    weights = pd.Series(pipeline[-1].coef_[0], index=[n.split("__")[-1] for n in names])
    return weights.loc[weights.abs().nlargest(most).index].sort_values().rename("log-odds")


@st.cache_resource(show_spinner="Training the OULAD success model on a synthetic cohort...")
def at_risk_scorer(week: int) -> AtRiskScorer:
    """The scorer for OULAD exports after ``week`` weeks, trained on the synthetic
    cohort the teacher model uses."""
    cohort = CohortGenerator(CohortConfig(n_students=SYNTHETIC_STUDENTS), seed=0).generate()
    return AtRiskScorer(week).fit(cohort)


def read_oulad_export(files: dict[str, bytes]) -> OuladTables:
    """OULAD's seven CSVs, uploaded as ``{file name: content}``, read into tables.

    Raises:
        ValueError: the reader's message (missing files, columns, lines), naming the
            files as uploaded.
    """
    with tempfile.TemporaryDirectory() as folder:
        for name, content in files.items():
            (Path(folder) / Path(name).name).write_bytes(content)
        try:
            return read_oulad(folder, progress=False)
        except (ValueError, FileNotFoundError) as err:
            message = str(err).replace(f"{folder}/", "").replace(folder, "the upload")
            raise ValueError(message) from None


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


@st.cache_data(show_spinner=False)  # keyed by the table's content: drawn once per table
def interval_chart(verdicts: pd.DataFrame, column: str) -> bytes:
    """Each policy's ``column`` with its 95% interval, a horizontal chart as PNG bytes."""
    from matplotlib.figure import Figure

    rows = verdicts.dropna(subset=[column]).sort_values(column)
    figure = Figure(figsize=(7, 0.35 * len(rows) + 1.0))
    axis = figure.subplots()
    low, high = rows[f"{column}_ci_low"], rows[f"{column}_ci_high"]
    errors = [rows[column] - low, high - rows[column]]
    axis.errorbar(rows[column], rows["policy"], xerr=errors, fmt="o", capsize=3)
    axis.axvline(0.0, color="grey", lw=1)
    axis.set_xlabel(column.replace("_", " "))
    figure.tight_layout()
    return _png(figure)


@st.cache_data(show_spinner=False)
def q_table_chart(q_table: pd.DataFrame) -> bytes:
    """The Q-table (``Q_table.csv``) as ``q_table.png`` draws it, as PNG bytes: its
    greedy policy by course week and interventions given, state by state."""
    from studentgym.agents.plots import q_table_figure

    values = q_table.set_index("state")
    visits = values.filter(like="visits_")
    return _png(q_table_figure(values.drop(columns=visits.columns).to_numpy(), visits.to_numpy()))


def tutoring_env(outcome_model: str):
    """A single tutoring env on the default world, drawing frames (``rgb_array``).

    Cheap to make once the world is cached; the first call in a process loads it.
    """
    from studentgym.envs.tutoring import TutoringEnv

    return TutoringEnv(render_mode="rgb_array", outcome_model=outcome_model)


def reference_policies(seed: int) -> dict:
    """Policies a user can hand the rest of the course to: name -> policy."""
    from studentgym.agents.policies import FixedSchedule, NoIntervention, RandomPolicy

    return {
        "No intervention": NoIntervention(),
        "Random intervention each week": RandomPolicy(seed),
        # the first five weeks of the best fixed schedule the default benchmark run
        # found on validation students (README); the tuned one is in its outputs
        "Fixed schedule: each intervention once, weeks 1-5": FixedSchedule(
            {1: 4, 2: 5, 3: 3, 4: 2, 5: 1}
        ),
    }


def week_record(action: int, reward: float, info: dict) -> dict:
    """One row of a tutoring log."""
    from studentgym.simulators.interventions import NAMES

    return {
        "week": info["week"],
        "intervention": NAMES[action] if info["delivered"] or action == 0 else "(refused)",
        "P(success)": round(info["p_success"], 3),
        "tutor hours": info["cost_hours"],
        "reward": round(reward, 3),
        "result": info["final_result"] or "",
    }


def play_out(env, policy, obs, info) -> list[dict]:
    """Let ``policy`` act until the episode ends; the log of the weeks played."""
    log, done = [], False
    while not done:
        action = int(policy.act(obs, info))
        obs, reward, terminated, truncated, info = env.step(action)
        log.append(week_record(action, reward, info))
        done = terminated or truncated
    return log


def verdict_in_words(summary: str) -> str:
    """The first paragraph of ``summary.md``'s "Who won" section (the whole text if the
    section is not there)."""
    _, found, rest = summary.partition("## Who won")
    if not found:
        return summary
    body = rest.split("\n## ", 1)[0].split("\n", 1)[-1].strip()
    return body.split("\n\n", 1)[0]

"""OULAD's seven CSVs: the generator writes them, the reader reads them back exactly."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest

from studentgym.envs.vector import TutoringVectorEnv
from studentgym.io.calibrate import simulation_cohort
from studentgym.io.oulad import FILES, read_oulad, write_oulad
from studentgym.predictors.features import weekly_features
from studentgym.predictors.weekly import WeeklySuccessModel
from studentgym.simulators import CohortConfig, CohortGenerator
from studentgym.simulators.cohort import STUDENT_COLUMNS
from studentgym.simulators.student import StudentSimulator


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    cohort = CohortGenerator(dataclasses.replace(CohortConfig(), n_students=600), seed=4).generate()
    folder = tmp_path_factory.mktemp("oulad")
    write_oulad(cohort, folder, seed=1)
    return cohort, folder


def copy_of(folder, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(folder, target)
    return target


def test_round_trip_gives_back_the_generator_tables(written):
    cohort, folder = written
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    daily = pd.read_csv(folder / "studentVle.csv")
    assert (daily["sum_click"] >= 1).all() and not daily.duplicated(["id_student", "date"]).any()
    tables = read_oulad(folder, progress=False)
    columns = list(STUDENT_COLUMNS)
    pd.testing.assert_frame_equal(
        tables.students[columns], cohort.students[columns], check_dtype=False
    )
    assert (tables.students["oulad_id_student"] == cohort.students["id_student"]).all()
    for name in ("registrations", "assessments", "student_assessments"):
        pd.testing.assert_frame_equal(
            getattr(tables, name), getattr(cohort, name), check_dtype=False, obj=name
        )
    # a week the generator gave fewer clicks than active days is written with 1 click a day
    vle = cohort.vle[cohort.vle["active_days"] > 0].reset_index(drop=True)
    vle = vle.assign(sum_click=np.maximum(vle["sum_click"], vle["active_days"]))
    pd.testing.assert_frame_equal(tables.vle, vle[tables.vle.columns], check_dtype=False)
    assert tables.config.n_weeks == cohort.config.n_weeks
    expected = weekly_features(dataclasses.replace(cohort, vle=vle), 8)
    pd.testing.assert_frame_equal(weekly_features(tables, 8), expected, check_dtype=False)


def test_repeated_student_ids_become_registrations(written, tmp_path):
    _, folder = written
    folder = copy_of(folder, tmp_path)
    info = pd.read_csv(folder / "studentInfo.csv")
    first = info.iloc[0]
    # the same student registered on another presentation of the module
    other = info[info["code_module"] == first["code_module"]]
    other = other[other["code_presentation"] != first["code_presentation"]].index[0]
    old_id = info.loc[other, "id_student"]
    info.loc[other, "id_student"] = first["id_student"]
    info.to_csv(folder / "studentInfo.csv", index=False)
    for name in ("studentRegistration.csv", "studentVle.csv"):
        table = pd.read_csv(folder / name)
        table.loc[table["id_student"] == old_id, "id_student"] = first["id_student"]
        table.to_csv(folder / name, index=False)
    answers = pd.read_csv(folder / "studentAssessment.csv")
    answers.loc[answers["id_student"] == old_id, "id_student"] = first["id_student"]
    answers.to_csv(folder / "studentAssessment.csv", index=False)
    tables = read_oulad(folder, progress=False)
    assert tables.students["id_student"].is_unique
    assert (tables.students["oulad_id_student"] == first["id_student"]).sum() == 2
    assert len(tables.students) == len(info)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing_file", "missing OULAD files: studentVle.csv"),
        ("missing_column", "missing columns: score"),
        ("text_in_number", "'studied_credits' must be numeric; non-numeric values in rows 4"),
        ("empty_file", "courses.csv: the file is empty"),
        ("duplicated_students", "duplicated code_module + code_presentation + id_student"),
        ("dates_out_of_order", "date_unregistration before date_registration on lines 3"),
        ("unknown_student", "students not in studentInfo.csv on lines"),
        ("text_in_vle", "'sum_click' must be numeric"),
        ("empty_id", "'id_student' has empty cells on lines 6"),
    ],
)
def test_bad_folders_are_refused_with_the_file_columns_and_lines(
    written, tmp_path, damage, message
):
    _, folder = written
    folder = copy_of(folder, tmp_path)
    if damage == "missing_file":
        (folder / "studentVle.csv").unlink()
    elif damage == "missing_column":
        pd.read_csv(folder / "studentAssessment.csv").drop(columns="score").to_csv(
            folder / "studentAssessment.csv", index=False
        )
    elif damage == "text_in_number":
        info = pd.read_csv(folder / "studentInfo.csv").astype({"studied_credits": object})
        info.loc[2, "studied_credits"] = "sixty"  # line 4 of the file
        info.to_csv(folder / "studentInfo.csv", index=False)
    elif damage == "empty_file":
        (folder / "courses.csv").write_text("")
    elif damage == "duplicated_students":
        info = pd.read_csv(folder / "studentInfo.csv")
        pd.concat([info, info.iloc[[5]]]).to_csv(folder / "studentInfo.csv", index=False)
    elif damage == "dates_out_of_order":
        reg = pd.read_csv(folder / "studentRegistration.csv")
        reg.loc[1, ["date_registration", "date_unregistration"]] = [10, 3]
        reg.to_csv(folder / "studentRegistration.csv", index=False)
    elif damage == "unknown_student":
        answers = pd.read_csv(folder / "studentAssessment.csv")
        answers.loc[0, "id_student"] = 1
        answers.to_csv(folder / "studentAssessment.csv", index=False)
    elif damage == "empty_id":
        info = pd.read_csv(folder / "studentInfo.csv")
        info.loc[4, "id_student"] = None
        info.to_csv(folder / "studentInfo.csv", index=False)
    elif damage == "text_in_vle":
        vle = pd.read_csv(folder / "studentVle.csv").astype({"sum_click": object})
        vle.loc[7, "sum_click"] = "many"
        vle.to_csv(folder / "studentVle.csv", index=False)
    with pytest.raises((ValueError, FileNotFoundError), match=message.replace("+", r"\+")):
        read_oulad(folder, progress=False)


def test_not_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        read_oulad(tmp_path / "nowhere")


def test_simulation_cohort_keeps_real_students_and_finds_sensible_twins(written):
    cohort, folder = written
    tables = read_oulad(folder, progress=False)
    sim_cohort = simulation_cohort(tables, seed=3)
    pd.testing.assert_frame_equal(
        sim_cohort.students, tables.students[list(STUDENT_COLUMNS)], check_dtype=False
    )
    np.testing.assert_array_equal(sim_cohort.withdrawal_week, tables.withdrawal_week)
    assert sim_cohort.traits.needs.shape == (len(tables.students), 5)
    # the "real" students here were generated, so their true traits are known:
    # twins matched on four weeks of behaviour must carry information about them
    # (here r = 0.75 for motivation and 0.31 for ability; chance gives 0 +- 0.04)
    traits, truth = sim_cohort.traits, cohort.traits
    assert np.corrcoef(traits.motivation, truth.motivation)[0, 1] > 0.5
    assert np.corrcoef(traits.ability, truth.ability)[0, 1] > 0.15
    simulator = StudentSimulator(sim_cohort, WeeklySuccessModel().fit(sim_cohort))
    env = TutoringVectorEnv(num_envs=50, simulator=simulator)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)

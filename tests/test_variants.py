"""Student-model variants: each moves the ground truth the way its name says."""

from __future__ import annotations

import pytest

from studentgym.agents.benchmark import Judge
from studentgym.agents.dqn import load_hyperparams
from studentgym.agents.policies import FixedSchedule
from studentgym.envs.world import WorldSpec, load_world
from studentgym.experiment import Settings
from studentgym.experiment.agents import dqn_hyperparams, dqn_steps
from studentgym.simulators.config import IMD_DECILE
from studentgym.simulators.student import ResponseParams, StudentSimulator
from studentgym.simulators.variants import STUDENT_MODELS, student_model
from studentgym.split import split_students

TWO_DIFFERENT = FixedSchedule({1: 3, 2: 5}, 39)  # assessment practice, then a tutor call
SAME_THRICE = FixedSchedule({1: 3, 2: 3, 3: 3}, 39)


@pytest.fixture(scope="module")
def gains():
    """Variant -> (gain of TWO_DIFFERENT, gain of SAME_THRICE, judged slots), paired."""
    world = load_world(WorldSpec(n_students=1200, fit_on="train"))
    evaluation = split_students(1200, 0).evaluation
    table = {}
    for name, model in STUDENT_MODELS.items():
        simulator = StudentSimulator(
            world.cohort, world.success_model, outcome_model=model.judge, response=model.response()
        )
        students = model.students(world.cohort, evaluation)
        judge = Judge(simulator, students, len(students), seed=1)
        table[name] = (judge(TWO_DIFFERENT)[0], judge(SAME_THRICE)[0], judge.slots, world.cohort)
    return table


def test_effects_scale_by_doses(gains):
    assert gains["weaker_effects"][0] < gains["default"][0] < gains["stronger_effects"][0]
    assert student_model("default").response() == ResponseParams()
    weaker = student_model("weaker_effects").response()
    assert weaker.efficacy[1] == pytest.approx(1 - 0.05**0.5)
    assert all(0 <= e < 1 for e in student_model("stronger_effects").response().efficacy)


def test_habituation_persistence_and_landing_variants_cost_what_they_say(gains):
    default_once, default_thrice = gains["default"][:2]
    habituating_once, habituating_thrice = gains["faster_habituation"][:2]
    assert habituating_once == default_once  # nothing repeated: habituation plays no part
    assert habituating_thrice < default_thrice
    assert gains["shorter_persistence"][0] < default_once
    assert gains["harder_landing"][0] < default_once


def test_deprived_population_teaches_only_the_three_most_deprived_deciles(gains):
    slots, cohort = gains["deprived_population"][2:]
    deciles = cohort.students["imd_band"].iloc[slots].map(IMD_DECILE)
    assert (deciles < 3).all() and 0 < len(slots) < len(gains["default"][2])
    with pytest.raises(ValueError, match="no student among"):
        student_model("deprived_population").students(cohort, slots[:0])


def test_unknown_variants_and_hyperparameters_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown student model 'gentle'; known: default"):
        Settings(student_model="gentle")
    with pytest.raises(ValueError, match="unknown student model 'harsh'"):
        Settings(robustness=("default", "harsh"))
    with pytest.raises(ValueError, match="twice"):
        Settings(robustness=("default", "default"))
    with pytest.raises(ValueError, match=r"unknown DQN hyperparameter\(s\) \['learning_rat'\]"):
        dqn_hyperparams(Settings(dqn={"learning_rat": 1e-3}))
    with pytest.raises(ValueError, match="n_models"):
        dqn_hyperparams(Settings(dqn={"n_models": 5}))
    assert dqn_hyperparams(Settings(dqn={"learning_rate": 1e-3}))["learning_rate"] == 1e-3
    assert dqn_hyperparams(Settings())["learning_rate"] == load_hyperparams()["learning_rate"]
    # DQN's steps a model: the settings', else the hyperparameters' (the main job's default)
    assert dqn_steps(Settings()) == load_hyperparams()["n_timesteps"]
    assert dqn_steps(Settings(dqn={"n_timesteps": 700})) == 700
    assert dqn_steps(Settings(dqn_steps=300, dqn={"n_timesteps": 700})) == 300

"""Worlds are built once, cached on disk, named by a fingerprint that saved agents check."""

from __future__ import annotations

import shutil
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import studentgym  # noqa: F401  (registers the environments)
from studentgym.agents.qlearning import QLearningAgent
from studentgym.agents.scaling import ObservationScaler
from studentgym.envs import world as worlds
from studentgym.envs.tabular import N_STATES
from studentgym.envs.tutoring import TutoringEnv
from studentgym.envs.world import CACHE_VARIABLE, WorldSpec, cache_key, load_world
from studentgym.simulators.student import ResponseParams, StudentSimulator

SPEC = WorldSpec(n_students=300, n_weeks=12, cohort_seed=5)
ARRAYS = ("low_", "high_", "fill_", "slope_", "offset_", "fit_rows_")


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """An empty cache folder, and no world of this process remembered."""
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    worlds.forget_loaded()
    yield tmp_path / "worlds"
    worlds.forget_loaded()


def entry(folder, spec=SPEC):
    return folder / f"{cache_key(spec)}.npz"


def assert_same_world(a, b):
    assert np.array_equal(a.cohort.students["id_student"], b.cohort.students["id_student"])
    for name in ARRAYS:
        np.testing.assert_array_equal(
            getattr(a.success_model, name), getattr(b.success_model, name)
        )


def test_a_built_world_is_cached_and_loaded_without_refitting(own_cache, monkeypatch):
    built = load_world(SPEC)
    assert entry(own_cache).is_file()
    worlds.forget_loaded()

    def no_fit(*args):
        raise AssertionError("a cached world was fitted again")

    monkeypatch.setattr(worlds, "_fit", no_fit)
    assert_same_world(load_world(SPEC), built)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign"])
def test_a_corrupt_or_foreign_entry_is_rebuilt_with_a_warning(own_cache, damage):
    built = load_world(SPEC)
    path = entry(own_cache)
    if damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:2000])
    else:  # another world's entry under this key
        other = WorldSpec(n_students=300, n_weeks=12, cohort_seed=6)
        load_world(other)
        shutil.copy(entry(own_cache, other), path)
    worlds.forget_loaded()
    with pytest.warns(RuntimeWarning, match="is unusable .*; rebuilding it"):
        rebuilt = load_world(SPEC)
    assert_same_world(rebuilt, built)
    worlds.forget_loaded()
    assert_same_world(load_world(SPEC), built)  # and the entry is whole again


def test_an_unwritable_cache_warns_and_still_gives_the_world(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("the cache folder cannot be made under a file")
    monkeypatch.setenv(CACHE_VARIABLE, str(blocker / "cache"))
    worlds.forget_loaded()
    with pytest.warns(RuntimeWarning, match="could not cache"):
        world = load_world(SPEC)
    worlds.forget_loaded()
    assert world.cohort.config.n_students == 300


def test_specs_and_names():
    assert cache_key(SPEC) != cache_key(WorldSpec(300, 12, 5, fit_on="train"))
    assert cache_key(SPEC) == cache_key(WorldSpec(300.0, 12, 5))
    assert worlds.resolve("benchmark").n_students == 32_593
    with pytest.raises(ValueError, match="unknown world 'oulad'"):
        worlds.resolve("oulad")
    with pytest.raises(ValueError, match="fit_on"):
        WorldSpec(fit_on="test")
    with pytest.raises(ValueError, match="either world= or n_students"):
        TutoringEnv(world="default", n_students=300)


def test_fresh_process_with_a_warm_cache_imports_no_scikit_learn_or_pandas(world_cache):
    """What makes a warm make cheap: the classifier and the students are loaded, neither
    fitted nor generated."""
    load_world(WorldSpec(1500))  # warm: the session's cache, which the child shares
    code = (
        "import sys, gymnasium as gym, studentgym\n"
        "env = gym.make('studentgym/Tutoring-v0', n_students=1500)\n"
        "env.reset(seed=0)\n"
        "heavy = ('sklearn', 'pandas', 'torch', 'matplotlib')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "print(env.unwrapped.world_fingerprint)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    imported, fingerprint = child.stdout.split("\n")[:2]
    assert imported == "[]" and "building" not in child.stderr
    assert (
        fingerprint
        == gym.make("studentgym/Tutoring-v0", n_students=1500).unwrapped.world_fingerprint
    )


def test_a_loaded_world_simulates_as_the_cohort_it_was_built_from(own_cache):
    built = load_world(SPEC)
    worlds.forget_loaded()
    loaded = load_world(SPEC)
    assert "cohort" not in loaded.__dict__  # the tables are not generated to load a world
    from_tables = StudentSimulator(built.cohort, built.success_model)
    from_roster = StudentSimulator(loaded.roster, loaded.success_model)
    assert from_roster.world_fingerprint == from_tables.world_fingerprint
    np.testing.assert_array_equal(from_roster.static_obs, from_tables.static_obs)
    rows, keys = np.arange(SPEC.n_students), np.arange(SPEC.n_students, dtype=np.uint64)
    states = [sim.start_batch(rows, keys) for sim in (from_tables, from_roster)]
    for week in range(1, SPEC.n_weeks):
        actions = (rows + week) % 6
        for sim, state in zip((from_tables, from_roster), states, strict=True):
            alive = ~state.withdrawn
            sim.step_batch(state, actions, alive)
    np.testing.assert_array_equal(states[0].values, states[1].values)
    np.testing.assert_array_equal(
        from_roster.observe(states[1])[1], from_tables.observe(states[0])[1]
    )
    # and the cohort's tables, asked for, are the ones it was built from
    assert loaded.cohort.students.equals(built.cohort.students)
    assert from_roster.cohort.vle.equals(built.cohort.vle)


def test_the_fingerprint_names_students_classifier_and_response():
    world = load_world(WorldSpec(1500))
    base = StudentSimulator(world.cohort, world.success_model)
    judged = StudentSimulator(world.cohort, world.success_model, "ground_truth", budget_hours=4)
    assert judged.world_fingerprint == base.world_fingerprint  # judge and budget are not the world
    slower = StudentSimulator(
        world.cohort, world.success_model, response=ResponseParams(habituation=0.3)
    )
    other = load_world(WorldSpec(1500, cohort_seed=1))
    assert (
        len(
            {
                base.world_fingerprint,
                slower.world_fingerprint,
                StudentSimulator(other.cohort, other.success_model).world_fingerprint,
            }
        )
        == 3
    )


def test_saved_agents_refuse_another_world_unless_asked(tmp_path):
    env = gym.make_vec(
        "studentgym/TutoringTabular-v0", num_envs=16, vectorization_mode="vector_entry_point",
        n_students=1500,
    )  # fmt: skip
    other = gym.make("studentgym/TutoringTabular-v0", n_students=1500, cohort_seed=1)
    agent = QLearningAgent(N_STATES, 6, seed=0).learn(env, episodes=32)
    assert agent.world_ == env.unwrapped.world_fingerprint
    agent.save(tmp_path / "q.npz")
    same = QLearningAgent.load(
        tmp_path / "q.npz", env=gym.make("studentgym/TutoringTabular-v0", n_students=1500)
    )
    np.testing.assert_array_equal(same.q_table_, agent.q_table_)
    with pytest.raises(ValueError, match=r"trained in world \w+, but this env is world \w+"):
        QLearningAgent.load(tmp_path / "q.npz", env=other)
    with pytest.warns(UserWarning, match="trained in world"):
        QLearningAgent.load(tmp_path / "q.npz", env=other, other_world=True)

    scaler = ObservationScaler(np.zeros(20), np.ones(20), world=agent.world_)
    scaler.save(tmp_path / "observations.npz")
    with pytest.raises(ValueError, match="observation statistics"):
        ObservationScaler.load(tmp_path / "observations.npz", env=other)
    assert ObservationScaler.load(tmp_path / "observations.npz", env=env).world == agent.world_

"""Shared fixtures (one OULAD-sized cohort per session) and a fixture to run the scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studentgym.envs.world import CACHE_VARIABLE
from studentgym.experiment import Settings, run
from studentgym.simulators import Cohort, CohortConfig, CohortGenerator


@pytest.fixture(scope="session", autouse=True)
def world_cache(tmp_path_factory) -> Path:
    """A world cache of the test session's own, shared with the scripts it runs: tests
    never read or fill the user's cache, and each world is built once per session."""
    folder = tmp_path_factory.mktemp("world_cache")
    previous = os.environ.get(CACHE_VARIABLE)
    os.environ[CACHE_VARIABLE] = str(folder)
    yield folder
    if previous is None:
        del os.environ[CACHE_VARIABLE]
    else:
        os.environ[CACHE_VARIABLE] = previous


TINY = Settings.quick(
    students=1200,
    episodes=400,
    dqn_steps=None,  # as the main job: DQN's steps from its hyperparameters
    dqn={"n_timesteps": 300},
    eval_students=120,
    validation_students=80,
    recommender_students=150,
    predictor_students=400,
    n_boot=100,
    offline_check=True,
    offline_sizes=(50, 100),
    offline_logs=1,
    robustness=("default", "classifier_judge", "deprived_population"),
    capacities=(0.02, 0.1),
    class_size=40,
    targeting_students=256,
)
"""A quick benchmark, smaller still: every stage and output of the main job in seconds."""


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, world_cache):
    """``(results, folder)`` of one :data:`TINY` run, shared by the tests that read it."""
    folder = tmp_path_factory.mktemp("tiny_run")
    return run(TINY, folder, log=lambda line: None), folder


@pytest.fixture(scope="session")
def oulad_cohort() -> Cohort:
    """A full OULAD-sized cohort (32,593 students, 39 weeks) with a fixed seed."""
    return CohortGenerator(CohortConfig(), seed=2024).generate()


@pytest.fixture(scope="session")
def small_cohort() -> Cohort:
    """A small cohort for structural tests."""
    return CohortGenerator(CohortConfig(n_students=600), seed=7).generate()


@pytest.fixture(scope="session")
def run_script():
    """``run_script("predict.py", *args)``: the script as a user runs it, output captured."""
    scripts = Path(__file__).resolve().parents[1] / "scripts"

    def run(script: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(scripts / script), *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run


@pytest.fixture(scope="module")
def local_ray(world_cache):
    """A local Ray (2 CPUs) for a module's tests that run sweeps or searches on it, stopped
    after the module so that its processes do not slow the tests after it; its workers see
    the session's world cache."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()

"""Reference policies run in both envs and the recommender policy helps students."""

from __future__ import annotations

import numpy as np
import pytest

from studentgym.agents.evaluation import rollout
from studentgym.agents.oracle import OraclePolicy
from studentgym.agents.policies import NoIntervention, RecommenderPolicy, RuleBasedPolicy
from studentgym.envs.tutoring import TutoringEnv
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.envs.world import WorldSpec, load_world
from studentgym.recommenders.report import run_recommenders
from studentgym.simulators.student import StudentSimulator
from studentgym.split import split_students


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = load_world(WorldSpec(1500))
    cohort, model = world.cohort, world.success_model
    judge = StudentSimulator(cohort, model, outcome_model="ground_truth")
    split = split_students(1500)
    report = run_recommenders(
        judge,
        tmp_path_factory.mktemp("rec"),
        split.train,
        split.evaluation,
        n_students=600,
        n_draws=1,
    )
    return cohort, model, report


def returns(policy, cohort, model, rows, n=1500, seed=3) -> np.ndarray:
    def make_env():
        sim = StudentSimulator(cohort, model, outcome_model="ground_truth")
        return TutoringVectorEnv(num_envs=n, simulator=sim, students=rows)

    return rollout(policy, make_env, seed)["return"].to_numpy()


def test_recommender_policy_acts_only_on_students_at_risk(world):
    cohort, model, report = world
    policy = RecommenderPolicy(report.profiler, report.hybrid, cohort, threshold=0.5)
    env = TutoringVectorEnv(num_envs=200, simulator=StudentSimulator(cohort, model))
    obs, info = env.reset(seed=0)
    actions = policy.act(obs, info)  # week 1 is a decision week
    assert actions.shape == (200,) and set(np.unique(actions)) <= set(range(6))
    assert (actions[obs[:, 15] >= 0.5] == 0).all() and (actions[obs[:, 15] < 0.5] > 0).any()
    single = TutoringEnv(simulator=StudentSimulator(cohort, model))
    o, i = single.reset(seed=0)
    assert isinstance(policy.act(o, i), int)
    assert NoIntervention().act(o, i) == 0 and (NoIntervention().act(obs, info) == 0).all()


def test_recommender_policy_beats_doing_nothing_on_the_ground_truth(world):
    cohort, model, report = world
    rows = report.test.rows
    policy = RecommenderPolicy(report.profiler, report.hybrid, cohort, threshold=0.6)
    gain = returns(policy, cohort, model, rows) - returns(NoIntervention(), cohort, model, rows)
    assert gain.mean() > 2 * gain.std() / np.sqrt(len(gain)), gain.mean()


def test_rule_based_policy_follows_the_matrix_with_caps(world):
    cohort, model, report = world
    policy = RuleBasedPolicy(report.segmenter, report.rules)
    env = TutoringVectorEnv(num_envs=300, simulator=StudentSimulator(cohort, model))
    obs, info = env.reset(seed=1)
    with pytest.raises(RuntimeError, match="bind"):
        policy.act(obs, info)
    policy.bind(env)
    actions = policy.act(obs, info)  # week 1: a decision week
    predicted_fail = obs[:, 15] < 0.5
    assert (actions[predicted_fail] > 0).all()  # the matrix acts on every predicted fail
    obs, _, _, _, info = env.step(actions)
    assert (policy.act(obs, info) == 0).all()  # week 2 is not a decision week
    frame = rollout(RuleBasedPolicy(report.segmenter, report.rules, max_repeats=1), lambda: env)
    given = frame[[c for c in frame.columns if c.startswith("delivered_")]].to_numpy()
    assert given[:, 1:].max() <= 1  # each intervention at most once per student
    assert given[:, 1:].sum() > 0


def test_oracle_looks_ahead_on_the_ground_truth_and_wins(world):
    cohort, model, report = world
    rows = report.test.rows
    oracle = OraclePolicy(every=4)
    env = TutoringVectorEnv(
        num_envs=100, simulator=StudentSimulator(cohort, model, outcome_model="ground_truth")
    )
    obs, info = env.reset(seed=2)
    oracle.bind(env)
    values = oracle.action_values(np.arange(100))
    assert values.shape == (100, 6)
    chosen = oracle.act(obs, info)
    np.testing.assert_array_equal(chosen, values.argmax(axis=1))
    n = 600
    gain = returns(OraclePolicy(), cohort, model, rows, n=n) - returns(
        NoIntervention(), cohort, model, rows, n=n
    )
    recommender = RecommenderPolicy(report.profiler, report.hybrid, cohort, threshold=0.6)
    over_recommender = returns(OraclePolicy(), cohort, model, rows, n=n) - returns(
        recommender, cohort, model, rows, n=n
    )
    assert gain.mean() > 3 * gain.std() / np.sqrt(n)
    assert over_recommender.mean() > 2 * over_recommender.std() / np.sqrt(n)

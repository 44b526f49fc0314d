"""Choosing reference policies on validation students: grids and the fixed-schedule search,
and the same search as a learner on training students."""

from __future__ import annotations

import numpy as np
import pytest

from studentgym.agents.benchmark import Judge, learn_schedule
from studentgym.agents.policies import FixedSchedule
from studentgym.agents.tuning import chosen_trial, search_schedule, tune_policy
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.envs.world import WorldSpec, load_world
from studentgym.simulators.student import StudentSimulator


@pytest.fixture(scope="module")
def judge():
    world = load_world(WorldSpec(1500))
    cohort, model = world.cohort, world.success_model
    truth = StudentSimulator(cohort, model, outcome_model="ground_truth")
    return Judge(truth, np.arange(1500), 800, seed=3)


def test_tune_policy_keeps_the_best_of_every_combination():
    values = {(1, "a"): 0.1, (1, "b"): 0.4, (2, "a"): 0.3, (2, "b"): 0.4}  # a tie: first wins
    made = []

    def make(x, y):
        made.append((x, y))
        return (x, y)

    best, trials = tune_policy(make, {"x": (1, 2), "y": ("a", "b")}, lambda p: (values[p], 0, 1))
    assert made == [(1, "a"), (1, "b"), (2, "a"), (2, "b")]
    assert best == {"x": 1, "y": "b"} and trials["chosen"].tolist() == [False, True, False, False]
    with pytest.raises(ValueError, match="at least one value"):
        tune_policy(make, {"x": ()}, lambda p: (0, 0, 0))


def test_fixed_schedule_acts_in_its_weeks_only():
    env = TutoringVectorEnv(num_envs=5, n_students=1500)
    obs, info = env.reset(seed=0)
    policy = FixedSchedule({1: 4, 3: 2})
    seen = []
    for _ in range(4):
        actions = policy.act(obs, info)
        seen.append(set(actions.tolist()))
        obs, _, _, _, info = env.step(actions)
    assert seen == [{4}, {0}, {2}, {0}]
    assert policy.act(obs[0], info) == 0  # one observation gives one int
    with pytest.raises(ValueError, match="plan entries"):
        FixedSchedule({0: 1})
    with pytest.raises(ValueError, match="plan entries"):
        FixedSchedule({2: 6})


def test_search_schedule_grows_week_by_week_while_the_schedule_improves(judge):
    plan, trials = search_schedule(judge, max_weeks=3)
    assert list(plan) == list(range(1, len(plan) + 1)) and len(plan) >= 1
    assert set(trials["week"]) == set(range(1, len(set(trials["week"])) + 1))
    chosen = trials[trials["chosen"]]
    assert chosen["week"].tolist() == list(plan) and chosen["action"].tolist() == list(
        plan.values()
    )
    assert chosen["value"].is_monotonic_increasing and chosen["value"].iloc[0] > 0
    # the value it reports is the schedule's value under the same judge
    assert judge(FixedSchedule(plan))[0] == pytest.approx(chosen["value"].iloc[-1])
    assert chosen_trial(trials)["value"] == chosen["value"].iloc[-1]  # the final schedule's
    assert chosen_trial(trials.assign(chosen=False)) is None  # nothing beat doing nothing
    for week, group in trials.groupby("week"):
        if week in plan:  # each chosen intervention was the best of its week
            assert group.loc[group["chosen"], "value"].iloc[0] == group["value"].max()


def test_learn_schedule_is_the_search_on_training_students_with_a_validation_curve(judge):
    truth, train = judge.simulator, np.arange(300)
    validation = Judge(truth, np.arange(800, 1500), 200, seed=4)
    run = learn_schedule(truth, train, validation, n_students=5_000, seed=1)  # capped at 300
    plan, _ = search_schedule(Judge(truth, train, 300, seed=1))
    assert run.policy.plan == plan and len(plan) >= 1  # the same students and random numbers
    curve = run.curve
    assert (
        len(curve) == len(plan) + 1 and curve["value"].iloc[0] == 0.0
    )  # nothing, then a week each
    # episodes: the empty schedule's rollout, then five candidates a week, 300 students each
    assert curve["episodes"].tolist() == [0, *((1 + 5 * k) * 300 for k in range(1, len(plan) + 1))]
    assert curve["value"].iloc[-1] == pytest.approx(validation(run.policy)[0])
    assert (curve["ci_low"] <= curve["value"]).all() and (curve["value"] <= curve["ci_high"]).all()

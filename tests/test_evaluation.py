"""Policy evaluation: common random numbers, paired differences, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studentgym.agents.benchmark import Judge
from studentgym.agents.evaluation import ACTION_KEYS, paired_value, rollout, summarize
from studentgym.agents.policies import NoIntervention, RandomPolicy, TabularPolicy
from studentgym.envs.setup import default_world
from studentgym.envs.tabular import N_STATES
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.simulators.student import StudentSimulator


@pytest.fixture(scope="module")
def make_env():
    cohort, model = default_world(1500, 39, 0)
    return lambda: TutoringVectorEnv(
        num_envs=400, simulator=StudentSimulator(cohort, model, outcome_model="ground_truth")
    )


def test_rollout_uses_common_random_numbers(make_env):
    a = rollout(NoIntervention(), make_env, seed=3)
    b = rollout(NoIntervention(), make_env, seed=3)
    pd.testing.assert_frame_equal(a, b)
    c = rollout(RandomPolicy(1), make_env, seed=3)
    assert (a["student_id"] == c["student_id"]).all()  # same students for every policy
    assert len(a) == 400 and a["tutor_hours"].eq(0).all() and (c["tutor_hours"] > 0).mean() > 0.9
    assert set(a["gender"]) <= {"F", "M"} and a["return"].between(-1, 1).all()
    assert (a["success"] & a["withdrawn"]).sum() == 0
    delivered = c[[f"delivered_{key}" for key in ACTION_KEYS]]
    assert (delivered.sum(axis=1) <= 38).all() and delivered.sum(axis=1).min() >= 1
    assert (delivered.iloc[:, 1:].sum(axis=1) == c["interventions"]).all()
    assert (a["delivered_none"] >= 1).all() and a.filter(like="delivered_").iloc[:, 1:].eq(
        0
    ).all().all()


def test_summary_intervals_and_paired_differences(make_env):
    records = {
        "no_intervention": rollout(NoIntervention(), make_env, seed=5),
        "always_nudge": rollout(
            TabularPolicy(np.tile(np.eye(6)[2], (N_STATES, 1))), make_env, seed=5
        ),
    }
    table = summarize(records, baseline="no_intervention", n_boot=200).set_index("policy")
    for metric in ("success_rate", "mean_return", "tutor_hours"):
        assert (table[f"{metric}_ci_low"] <= table[metric]).all()
        assert (table[metric] <= table[f"{metric}_ci_high"]).all()
    base = table.loc["no_intervention"]
    assert base["return_minus_no_intervention"] == 0.0 and np.isnan(base["cost_per_extra_success"])
    nudge = table.loc["always_nudge"]
    extra = nudge["success_rate"] - base["success_rate"]
    if extra > 0:
        assert nudge["cost_per_extra_success"] == pytest.approx(nudge["tutor_hours"] / extra)
    diff = records["always_nudge"]["return"] - records["no_intervention"]["return"]
    assert nudge["return_minus_no_intervention"] == pytest.approx(diff.mean())
    with pytest.raises(ValueError, match="no policy 'recommender'"):
        summarize(records, baseline="recommender")
    two = summarize(records, ("always_nudge", "no_intervention"), n_boot=200).set_index("policy")
    assert two.loc["always_nudge", "return_minus_always_nudge"] == 0.0
    assert two.loc["always_nudge", "return_minus_no_intervention"] == pytest.approx(diff.mean())
    low, high = (
        two.loc["always_nudge", f"return_minus_no_intervention_ci_{s}"] for s in ("low", "high")
    )
    assert low < diff.mean() < high


def test_paired_value_matches_the_paired_difference(make_env):
    base = rollout(NoIntervention(), make_env, seed=7)["return"].to_numpy()
    value, low, high = paired_value(RandomPolicy(2), make_env, base, seed=7)
    diff = rollout(RandomPolicy(2), make_env, seed=7)["return"].to_numpy() - base
    assert value == pytest.approx(diff.mean()) and low < value < high
    assert high - low == pytest.approx(2 * 1.96 * diff.std(ddof=1) / np.sqrt(len(diff)))


def test_judge_compares_a_ready_rollout_as_it_judges_a_policy():
    cohort, model = default_world(1500, 39, 0)
    judge = Judge(StudentSimulator(cohort, model), np.arange(1500), 300, seed=4)
    frame = judge.rollout(RandomPolicy(5))
    assert judge.compare(frame) == judge(RandomPolicy(5))
    value, low, high = judge.compare(frame)
    assert value == pytest.approx((frame["return"] - judge.baseline).mean()) and low < value < high

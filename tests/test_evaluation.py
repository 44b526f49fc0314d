"""Policy evaluation: common random numbers, paired differences, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studentgym.agents.benchmark import Judge
from studentgym.agents.evaluation import ACTION_KEYS, paired_value, rollout
from studentgym.agents.policies import NoIntervention, RandomPolicy, TabularPolicy
from studentgym.agents.statistics import gaming_gaps, holm, summarize
from studentgym.envs.observation import WEEK_FRACTION
from studentgym.envs.tabular import N_STATES
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.envs.world import WorldSpec, load_world
from studentgym.simulators.student import StudentSimulator


@pytest.fixture(scope="module")
def make_env():
    world = load_world(WorldSpec(1500))
    cohort, model = world.cohort, world.success_model
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
    table = summarize(records, "no_intervention", n_boot=200).set_index("policy")
    for metric in ("success_rate", "mean_return", "tutor_hours"):
        assert (table[f"{metric}_ci_low"] <= table[metric]).all()
        assert (table[metric] <= table[f"{metric}_ci_high"]).all()
    base = table.loc["no_intervention"]
    assert base["return_minus_no_intervention"] == 0.0 and np.isnan(base["cost_per_extra_success"])
    assert base["verdict_vs_no_intervention"] == "baseline" and base["seeds"] == 1
    nudge = table.loc["always_nudge"]
    extra = nudge["success_rate"] - base["success_rate"]
    expected_cost = nudge["tutor_hours"] / extra if extra > 0 else np.inf
    assert nudge["cost_per_extra_success"] == pytest.approx(expected_cost)
    diff = records["always_nudge"]["return"] - records["no_intervention"]["return"]
    assert nudge["return_minus_no_intervention"] == pytest.approx(diff.mean())
    with pytest.raises(ValueError, match="no policy 'recommender'"):
        summarize(records, "recommender")
    two = summarize(records, ("always_nudge", "no_intervention"), n_boot=400).set_index("policy")
    assert two.loc["always_nudge", "return_minus_always_nudge"] == 0.0
    assert two.loc["always_nudge", "return_minus_no_intervention"] == pytest.approx(diff.mean())
    low, high = (
        two.loc["always_nudge", f"return_minus_no_intervention_ci_{s}"] for s in ("low", "high")
    )
    assert low < diff.mean() < high
    # the bootstrap standard error of a paired mean is close to the textbook one
    textbook = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    assert (high - low) / 2 == pytest.approx(textbook, rel=0.15)


def frame(returns, success, hours=None, imd=None, gender=None) -> pd.DataFrame:
    """A hand-made rollout frame (only the columns the statistics read)."""
    n = len(returns)
    return pd.DataFrame(
        {
            "student_id": np.arange(n),
            "return": np.asarray(returns, dtype=float),
            "success": np.asarray(success, dtype=bool),
            "withdrawn": np.zeros(n, dtype=bool),
            "tutor_hours": np.zeros(n) if hours is None else np.asarray(hours, dtype=float),
            "imd_decile": np.full(n, 0.0) if imd is None else np.asarray(imd, dtype=float),
            "gender": np.array(["F", "M"] * (n // 2)) if gender is None else gender,
        }
    )


def test_imd_gap_leaves_out_students_whose_imd_is_unknown():
    # deciles 9/9 (least deprived), 0 (most deprived) and unknown (NaN): unknown all pass
    imd = np.tile([1.0, 0.0, np.nan, np.nan], 50)
    success = np.tile([False, False, True, True], 50)
    table = summarize(
        {"no_intervention": frame(np.zeros(200), success, imd=imd)}, "no_intervention"
    )
    assert table.loc[0, "imd_success_gap"] == 0.0  # 0% pass in both known halves


def test_cost_per_extra_success_is_unbounded_when_the_extra_successes_are_not():
    rng = np.random.default_rng(0)
    none = rng.random(400) < 0.5
    helped = none.copy()
    helped[np.flatnonzero(~none)[:3]] = True  # 3 extra successes in 400: not significant
    records = {
        "no_intervention": frame(np.where(none, 1.0, -1.0), none),
        "costly": frame(np.where(helped, 1.0, -1.0), helped, hours=np.full(400, 2.0)),
    }
    row = summarize(records, "no_intervention", n_boot=500).set_index("policy").loc["costly"]
    assert 0 < row["cost_per_extra_success"] < np.inf
    assert row["cost_per_extra_success_ci_high"] == np.inf  # some resamples buy nothing


def test_holm_adjustment_on_a_hand_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 -> 0.02, 0.03, 0.06, 0.04 -> monotone
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005, np.nan]))
    np.testing.assert_allclose(adjusted[:4], [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(adjusted[4])


def test_training_seeds_widen_the_interval_and_enter_the_verdict():
    rng = np.random.default_rng(1)
    none = rng.normal(0.0, 1.0, 2000)
    gain = none + 0.05 + rng.normal(0.0, 0.1, 2000)  # +0.05 per student, tight
    one_seed = {"no_intervention": frame(none, none > 0), "agent": frame(gain, gain > 0)}
    # three seeds that disagree: +0.05 on average, but -0.15, +0.05, +0.25
    seeds = [frame(gain + shift, gain + shift > 0) for shift in (-0.2, 0.0, 0.2)]
    three = {"no_intervention": one_seed["no_intervention"], "agent": seeds}
    a = summarize(one_seed, "no_intervention", n_boot=1000).set_index("policy").loc["agent"]
    b = summarize(three, "no_intervention", n_boot=1000).set_index("policy").loc["agent"]
    assert b["seeds"] == 3
    assert b["return_minus_no_intervention"] == pytest.approx(a["return_minus_no_intervention"])
    column = "return_minus_no_intervention"
    width_one, width_three = (row[f"{column}_ci_high"] - row[f"{column}_ci_low"] for row in (a, b))
    assert width_three > 10 * width_one
    assert a["verdict_vs_no_intervention"] == "better"
    assert b["verdict_vs_no_intervention"] == "not distinguishable"


def test_gaming_gap_is_gain_under_the_classifier_minus_gain_under_the_truth():
    rng = np.random.default_rng(2)
    none = rng.normal(0.0, 1.0, 1000)
    truth = {"no_intervention": frame(none, none > 0), "late": frame(none + 0.001, none > 0)}
    classifier = {"no_intervention": frame(none, none > 0), "late": frame(none + 0.02, none > 0)}
    gaps = gaming_gaps(classifier, truth, n_boot=300).set_index("policy")
    assert gaps.loc["late", "gaming_gap"] == pytest.approx(0.019)
    assert gaps.loc["no_intervention", "gaming_gap"] == 0.0


def test_paired_value_matches_the_paired_difference(make_env):
    base = rollout(NoIntervention(), make_env, seed=7)["return"].to_numpy()
    value, low, high = paired_value(RandomPolicy(2), make_env, base, seed=7)
    diff = rollout(RandomPolicy(2), make_env, seed=7)["return"].to_numpy() - base
    assert value == pytest.approx(diff.mean()) and low < value < high
    assert high - low == pytest.approx(2 * 1.96 * diff.std(ddof=1) / np.sqrt(len(diff)))


def test_judge_compares_a_ready_rollout_as_it_judges_a_policy():
    world = load_world(WorldSpec(1500))
    cohort, model = world.cohort, world.success_model
    judge = Judge(StudentSimulator(cohort, model), np.arange(1500), 300, seed=4)
    played = judge.rollout(RandomPolicy(5))
    assert judge.compare(played) == judge(RandomPolicy(5))
    value, low, high = judge.compare(played)
    assert value == pytest.approx((played["return"] - judge.baseline).mean()) and low < value < high


def test_judge_evaluates_distinct_students():
    world = load_world(WorldSpec(1500))
    cohort, model = world.cohort, world.success_model
    judge = Judge(StudentSimulator(cohort, model), np.arange(600), 500, seed=4)
    played = judge.rollout(NoIntervention())
    ids = cohort.students["id_student"].to_numpy()
    assert played["student_id"].is_unique  # drawn with replacement, ~1 in 3 would repeat
    np.testing.assert_array_equal(played["student_id"], ids[judge.slots])
    assert set(judge.slots) <= set(range(600))
    with pytest.raises(ValueError, match="distinct students"):
        Judge(StudentSimulator(cohort, model), np.arange(600), 700)


class LateContact:
    """A tutor call in each of the course's last three weeks, nothing before."""

    def act(self, obs, info):
        week = np.rint(np.asarray(obs)[:, WEEK_FRACTION] * 39).astype(int)
        return np.where(week >= 36, 5, 0)


def test_a_late_only_contact_games_the_classifier_judge_not_the_ground_truth():
    """The final-week classifier weighs the inactivity streak a late call resets; the
    students' latent course barely changes, so only the classifier judge rewards it."""
    world = load_world(WorldSpec(4000))
    cohort, model = world.cohort, world.success_model
    records = {}
    for judge in ("classifier", "ground_truth"):

        def make_env(judge=judge):
            simulator = StudentSimulator(cohort, model, outcome_model=judge)
            return TutoringVectorEnv(
                num_envs=2000, simulator=simulator, hour_price=0.0, outcome_reward="expected"
            )

        records[judge] = {
            name: rollout(policy, make_env, seed=11, students=np.arange(2000))
            for name, policy in (("no_intervention", NoIntervention()), ("late", LateContact()))
        }
    assert (records["classifier"]["late"]["delivered_tutor_call"] > 0).mean() > 0.5
    gaps = gaming_gaps(records["classifier"], records["ground_truth"], n_boot=500)
    late = gaps.set_index("policy").loc["late"]
    gain = {
        judge: (r["late"]["return"] - r["no_intervention"]["return"]).mean()
        for judge, r in records.items()
    }
    assert late["gaming_gap"] == pytest.approx(gain["classifier"] - gain["ground_truth"])
    assert late["gaming_gap_ci_low"] > 0  # significant: the classifier is being gamed

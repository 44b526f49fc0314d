"""The importable pipeline: one split everywhere, settings, and the run's own verdict logic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from studentgym.agents.policies import FixedSchedule
from studentgym.experiment import Settings, run
from studentgym.experiment.settings import describe_plan
from studentgym.split import split_students


@pytest.fixture(scope="module")
def results(tiny_run):
    return tiny_run[0]


def test_nothing_fitted_or_tuned_for_the_env_has_seen_an_evaluation_student(results):
    split = results.split
    groups = [set(split.train), set(split.validation), set(split.evaluation)]
    assert set.union(*groups) == set(range(1200)) and sum(map(len, groups)) == 1200
    train, validation, evaluation = groups
    assert set(results.success_model.fit_rows_) == train  # the env's classifier
    assert set(results.recommenders.train.rows) <= train  # profiler, hybrid, segments, priors
    assert set(results.recommenders.test.rows) <= evaluation  # the recommenders' own verdict
    assert set(results.validation.slots) <= validation  # baselines' tuning, learning curves
    for world, agents in results.agents.items():
        for agent in agents.values():
            assert set(agent.students) == train, (world, agent.name)
    for judge in results.judges.values():
        assert set(judge.slots) <= evaluation
    # the judges see the same students with the same random numbers: gaps are paired
    np.testing.assert_array_equal(
        results.judges["classifier"].slots, results.judges["ground_truth"].slots
    )


def test_split_is_the_one_every_stage_received():
    split = split_students(1200, TINY.seed)
    assert len(split.evaluation) == 600 and len(split.validation) == 120
    assert not np.intersect1d(split.development, split.evaluation).size
    again = split_students(1200, TINY.seed)
    np.testing.assert_array_equal(again.train, split.train)
    with pytest.raises(ValueError, match="too few"):
        split_students(3)


def test_verdicts_are_judged_by_the_ground_truth_and_seeds_are_counted(results):
    benchmark = results.benchmark.set_index("policy")
    assert (benchmark["judged_by"] == "ground_truth").all()
    assert benchmark.loc["qlearning", "seeds"] == TINY.training_seeds == 2
    assert benchmark.loc["dqn_ensemble", "seeds"] == 1
    assert benchmark.loc["recommender", "verdict_vs_recommender"] == "baseline"
    # every policy is also compared with the tuned rule matrix (the second baseline)
    assert benchmark.loc["rule_based", "verdict_vs_rule_based"] == "baseline"
    assert benchmark["verdict_vs_rule_based"].notna().all()
    assert set(results.baselines) == {"recommender", "rule_based", "best_schedule"}


def test_the_learned_schedule_is_one_fixed_schedule_per_seed_named_in_the_summary(tiny_run):
    results, folder = tiny_run
    summary = (folder / "summary.md").read_text()
    for world in TINY.train_on:
        agent = results.agents[world]["learned_schedule"]
        assert agent.seeds == [TINY.seed, TINY.seed + 1]
        assert all(isinstance(policy, FixedSchedule) for policy in agent.policies)
        for _, curve in agent.curves.groupby("seed"):  # from doing nothing, a point a week
            assert curve["episodes"].iloc[0] == 0 and curve["value"].iloc[0] == 0.0
            assert curve["episodes"].is_monotonic_increasing
    default = results.agents[TINY.train_on[0]]["learned_schedule"]
    for seed, policy in zip(default.seeds, default.policies, strict=True):
        assert f"seed {seed}: {describe_plan(policy.plan)}" in summary


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError, match="episodes must be >= 1"):
        Settings(episodes=0)
    with pytest.raises(ValueError, match="schedule_students must be >= 1"):
        Settings(schedule_students=0)
    with pytest.raises(ValueError, match="train_on"):
        Settings(train_on=("oracle",))
    assert Settings.quick().training_seeds == 2 and Settings().training_seeds >= 3
    assert Settings().replace(seed=4).seed == 4


def test_run_refuses_no_workers_before_writing_anything(tmp_path):
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        run(TINY, tmp_path / "out", log=lambda line: None, workers=0)
    assert not (tmp_path / "out").exists()


def test_robustness_matrix_agrees_with_the_benchmark_and_judges_each_variant(results, tiny_run):
    matrix = results.robustness.set_index(["judged_on", "policy"])
    gain = "return_minus_no_intervention"
    # the default variant is the benchmark's world: same students, same numbers
    benchmark = results.benchmark.set_index("policy")[gain]
    np.testing.assert_allclose(matrix.loc["default", gain].loc[benchmark.index], benchmark)
    # the classifier judge is the benchmark's other judge
    robust = results.robust
    by_classifier = robust[
        robust["trained_on"].isin(["-", TINY.train_on[0]]) & (robust["judged_by"] == "classifier")
    ].set_index("policy")[gain]
    np.testing.assert_allclose(
        matrix.loc["classifier_judge", gain].loc[by_classifier.index], by_classifier
    )
    # holds means better than doing nothing after Holm, nothing else
    holds = matrix["verdict_vs_no_intervention"] == "better"
    assert (matrix["holds"] == holds).all() and not matrix.loc[("default", "no_intervention")].holds
    _, folder = tiny_run
    written = pd.read_csv(folder / "robustness_matrix.csv")
    assert len(written) == 3 * len(benchmark)
    assert (folder / "robustness_matrix.png").stat().st_size > 0
    summary = (folder / "summary.md").read_text()
    assert "## Robustness" in summary and "holds on every variant:" in summary


def test_the_capacity_stage_judges_every_targeting_policy_at_every_capacity(results, tiny_run):
    from studentgym.experiment.capacity import LEARNED_TARGETING, ORACLE, TARGETING_COMPARED

    folder = tiny_run[1]
    table = pd.read_csv(folder / "capacity_benchmark.csv")
    policies = {*TARGETING_COMPARED, "middle_risk", "recommender", ORACLE, LEARNED_TARGETING}
    for capacity in TINY.capacities:
        rows = table[table["capacity"] == capacity].set_index("policy")
        assert set(rows.index) == policies
        assert rows.loc[LEARNED_TARGETING, "seeds"] == TINY.training_seeds
        assert (rows["hours_per_student_week"] <= capacity + 1e-9).all()  # never over capacity
        for base in TARGETING_COMPARED:
            assert rows.loc[base, f"verdict_vs_{base}"] == "baseline"
            assert rows[f"return_minus_{base}_p_holm"].drop(base).between(0, 1).all()
        assert rows.loc[ORACLE, "share_of_oracle_gain"] == pytest.approx(1.0)
    # the learned tables trained in the training world on training students only
    for runs in results.capacity.runs.values():
        assert len(runs) == TINY.training_seeds
    fairness = pd.read_csv(folder / "capacity_fairness.csv")
    assert set(fairness["grouping"]) == {"risk_decile", "imd_band"}
    deciles = fairness[(fairness["grouping"] == "risk_decile") & (fairness["policy"] == ORACLE)]
    assert deciles.groupby("capacity")["students"].sum().eq(TINY.eval_students).all()
    summary = (folder / "summary.md").read_text()
    assert "## Who won at each capacity (judged by the ground truth)" in summary
    assert f"{LEARNED_TARGETING} " in summary and "risk decile 1" in summary
    assert (folder / "capacity_benchmark.png").stat().st_size > 0

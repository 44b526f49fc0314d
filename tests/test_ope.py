"""Off-policy estimators against the exact value of a small MDP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studentgym.agents.policies import NoIntervention
from studentgym.envs.observation import OBSERVATION_NAMES
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.envs.world import load_world
from studentgym.ope.collect import SoftenedPolicy, collect
from studentgym.ope.diagnostics import effective_sample_size, lower_bound, support_share
from studentgym.ope.episodes import LoggedEpisodes, read_log
from studentgym.ope.estimators import (
    ESTIMATORS,
    doubly_robust,
    fitted_q_evaluation,
    fitted_q_value,
    importance_sampling,
    per_decision_importance_sampling,
    weighted_importance_sampling,
    weighted_per_decision_importance_sampling,
)
from studentgym.ope.truth import true_values
from studentgym.predictors.schema import SchemaError
from studentgym.simulators.reward import HOUR_PRICE
from studentgym.simulators.student import StudentSimulator

LAYERS, WIDTH, ACTIONS, GAMMA = 3, 2, 2, 0.9
STATES = LAYERS * WIDTH  # state = layer * WIDTH + k: the state records the step


def small_mdp(seed: int = 0):
    """Transitions to the next layer, Bernoulli rewards, a start distribution."""
    rng = np.random.default_rng(seed)
    nxt = rng.dirichlet(np.ones(WIDTH), size=(STATES, ACTIONS))  # over the next layer
    reward = rng.uniform(0.1, 0.9, size=(STATES, ACTIONS))  # P(reward 1)
    start = np.array([0.6, 0.4])
    return nxt, reward, start


def exact_q(target: np.ndarray, mdp) -> np.ndarray:
    """Backward induction over the layers: the target policy's exact action values."""
    nxt, reward, _ = mdp
    q = np.zeros((STATES, ACTIONS))
    for layer in reversed(range(LAYERS)):
        for k in range(WIDTH):
            s = layer * WIDTH + k
            future = 0.0
            if layer + 1 < LAYERS:
                following = slice((layer + 1) * WIDTH, (layer + 2) * WIDTH)
                v_next = (target[following] * q[following]).sum(axis=1)
                future = nxt[s] @ v_next
            q[s] = reward[s] + GAMMA * future
    return q


def exact_value(target, mdp) -> float:
    v = (target * exact_q(target, mdp)).sum(axis=1)
    return float(mdp[2] @ v[:WIDTH])


def log(behaviour: np.ndarray, mdp, n: int, rng) -> LoggedEpisodes:
    nxt, reward, start = mdp
    states = np.zeros((n, LAYERS), np.int64)
    states[:, 0] = rng.choice(WIDTH, n, p=start)
    actions = np.zeros_like(states)
    rewards = np.zeros((n, LAYERS))
    for t in range(LAYERS):
        s = states[:, t]
        u = rng.random(n)
        actions[:, t] = (u > behaviour[s, 0]).astype(np.int64)  # two actions
        rewards[:, t] = rng.random(n) < reward[s, actions[:, t]]
        if t + 1 < LAYERS:
            p_next = nxt[s, actions[:, t]]
            k = (rng.random(n) > p_next[:, 0]).astype(np.int64)
            states[:, t + 1] = (t + 1) * WIDTH + k
    return LoggedEpisodes(
        states, actions, rewards, behaviour[states, actions], np.ones((n, LAYERS), bool)
    )


MDP = small_mdp()
BEHAVIOUR = np.tile([0.5, 0.5], (STATES, 1))
TARGET = np.where(np.arange(STATES)[:, None] % 2 == 0, [0.9, 0.1], [0.2, 0.8])
TRUTH = exact_value(TARGET, MDP)
WRONG_Q = np.full((STATES, ACTIONS), 0.3)  # a poor model: DR must stay unbiased anyway


@pytest.mark.parametrize(
    "estimate",
    [
        lambda ep: importance_sampling(ep, TARGET, GAMMA),
        lambda ep: per_decision_importance_sampling(ep, TARGET, GAMMA),
        lambda ep: doubly_robust(ep, TARGET, WRONG_Q, GAMMA),
    ],
    ids=["IS", "PDIS", "DR"],
)
def test_unbiased_estimators_average_to_the_exact_value_over_small_logs(estimate):
    rng = np.random.default_rng(1)
    values = np.array([estimate(log(BEHAVIOUR, MDP, 40, rng)) for _ in range(600)])
    standard_error = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - TRUTH) < 3.5 * standard_error
    assert abs(values.mean() - TRUTH) < 0.05  # and the test has power


@pytest.mark.parametrize(
    "estimate",
    [
        lambda ep: weighted_importance_sampling(ep, TARGET, GAMMA),
        lambda ep: weighted_per_decision_importance_sampling(ep, TARGET, GAMMA),
        lambda ep: doubly_robust(ep, TARGET, WRONG_Q, GAMMA, weighted=True),
        lambda ep: fitted_q_value(ep, TARGET, GAMMA),
    ],
    ids=["WIS", "WPDIS", "WDR", "FQE"],
)
def test_consistent_estimators_reach_the_exact_value_on_a_large_log(estimate):
    episodes = log(BEHAVIOUR, MDP, 40_000, np.random.default_rng(2))
    assert estimate(episodes) == pytest.approx(TRUTH, abs=0.03)


def test_fqe_recovers_the_exact_action_values_and_a_good_q_makes_dr_precise():
    episodes = log(BEHAVIOUR, MDP, 40_000, np.random.default_rng(3))
    q = fitted_q_evaluation(episodes, TARGET, GAMMA)
    np.testing.assert_allclose(q, exact_q(TARGET, MDP)[episodes.states], atol=0.03)
    q = exact_q(TARGET, MDP)  # DR's control variate: the exact values, then a poor guess
    rng = np.random.default_rng(4)
    small = [log(BEHAVIOUR, MDP, 40, rng) for _ in range(200)]
    spread_good = np.std([doubly_robust(ep, TARGET, q, GAMMA) for ep in small])
    spread_poor = np.std([doubly_robust(ep, TARGET, WRONG_Q, GAMMA) for ep in small])
    spread_is = np.std([importance_sampling(ep, TARGET, GAMMA) for ep in small])
    assert spread_good < spread_poor and spread_good < spread_is


def test_on_policy_logs_give_the_sample_mean_and_a_full_effective_sample():
    episodes = log(TARGET, MDP, 500, np.random.default_rng(5))
    mean_return = (episodes.rewards * GAMMA ** np.arange(LAYERS)).sum(axis=1).mean()
    for estimate in (importance_sampling, weighted_importance_sampling):
        assert estimate(episodes, TARGET, GAMMA) == pytest.approx(mean_return)
    assert effective_sample_size(episodes, TARGET) == pytest.approx(500)
    assert support_share(episodes, TARGET) == 1.0


def test_a_deterministic_target_has_partial_support_and_a_smaller_effective_sample():
    greedy = np.tile([1.0, 0.0], (STATES, 1))
    episodes = log(BEHAVIOUR, MDP, 2_000, np.random.default_rng(6))
    assert support_share(episodes, greedy) == pytest.approx(0.5**LAYERS, abs=0.03)
    assert effective_sample_size(episodes, greedy) == pytest.approx(2_000 * 0.5**LAYERS, rel=0.1)


def test_the_lower_bound_holds_with_its_confidence():
    rng = np.random.default_rng(7)
    high = sum(GAMMA**t for t in range(LAYERS))
    bounds = np.array(
        [
            lower_bound(log(BEHAVIOUR, MDP, 300, rng), TARGET, (0.0, high), 0.9, gamma=GAMMA)
            for _ in range(200)
        ]
    )
    assert np.mean(bounds > TRUTH) <= 0.1  # it may fail at most 10% of the time
    assert np.median(bounds) > TRUTH - 0.8  # and is not vacuous
    with pytest.raises(ValueError, match="0 < confidence < 1"):
        lower_bound(log(BEHAVIOUR, MDP, 10, rng), TARGET, (0.0, high), 1.5)


def test_a_log_file_gives_the_envs_rewards_in_week_order(tmp_path):
    path = tmp_path / "log.csv"
    pd.DataFrame(
        {
            "episode": ["s2", "s1", "s1", "s1"],
            "week": [1, 3, 1, 2],
            "action": [0, 0, 2, 5],
            "propensity": [0.9, 0.9, 0.05, 0.05],
            "final_result": ["Withdrawn", "Distinction", "Distinction", "Distinction"],
            "tutor_hours": [0.0, 0.0, 0.25, 0.0],  # the tutor call was refused (budget)
        }
    ).to_csv(path, index=False)
    episodes = read_log(path)
    assert episodes.mask.tolist() == [[True, True, True], [True, False, False]]
    assert episodes.actions[0].tolist() == [2, 5, 0]  # s1, by week
    cost = HOUR_PRICE * 0.25
    np.testing.assert_allclose(episodes.rewards, [[-cost, 0.0, 1.0], [-1.0, 0.0, 0.0]])
    assert episodes.propensity[0].tolist() == [0.05, 0.05, 0.9]
    assert episodes.observations is None and not episodes.propensity_estimated


def test_a_bad_log_is_refused_naming_every_problem(tmp_path):
    path = tmp_path / "log.csv"
    frame = pd.DataFrame(
        {
            "episode": [1, 1, 2],
            "week": [1, 1, 1],
            "action": [0, 2, 7],
            "propensity": [0.5, 0.0, 0.5],
            "final_result": ["Pass", "Pass", "Passed"],
        }
    )
    frame.to_csv(path, index=False)
    with pytest.raises(SchemaError) as refused:
        read_log(path)
    message = str(refused.value)
    assert str(path) in message and "action" in message  # 7 is not a catalogue id
    frame.assign(action=[0, 2, 1]).to_csv(path, index=False)
    with pytest.raises(SchemaError) as refused:
        read_log(path)
    message = str(refused.value)
    assert "Passed" not in message and "final_result must be one of" in message
    assert "lines 4" in message  # the third data row, after the header
    assert "repeated episode + week on lines 2, 3" in message
    assert "propensity must be in (0, 1]; lines 3" in message
    frame.drop(columns=["propensity", "final_result"]).to_csv(path, index=False)
    with pytest.raises(SchemaError, match="missing columns: final_result"):
        read_log(path)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.csv"):
        read_log(tmp_path / "nowhere.csv")


@pytest.fixture(scope="module")
def simulated_log(world_cache):
    """500 courses in the default world, logged under an exploring 'do nothing'."""
    world = load_world("default")
    simulator = StudentSimulator(world.cohort, world.success_model, outcome_model="ground_truth")
    env = TutoringVectorEnv(num_envs=500, simulator=simulator)
    behaviour = SoftenedPolicy(NoIntervention(), epsilon=0.3)
    targets = {"behaviour": SoftenedPolicy(NoIntervention(), epsilon=0.3), "none": NoIntervention()}
    return collect(env, behaviour, targets, seed=3)


def test_a_logging_run_records_what_the_policies_would_do(simulated_log):
    run = simulated_log
    episodes, log = run.episodes, run.log
    assert episodes.n_episodes == 500 and len(log) == episodes.mask.sum()
    assert set(OBSERVATION_NAMES) <= set(log.columns)
    acted = log["action"] > 0
    assert np.allclose(log.loc[acted, "propensity"], 0.05)  # 0.3 / 6
    assert np.allclose(log.loc[~acted, "propensity"], 0.75)  # 0.7 + 0.05
    assert 0.2 < acted.mean() < 0.3
    # the behaviour judged by itself: weights 1, IS is the logged mean return
    assert importance_sampling(episodes, run.targets["behaviour"]) == pytest.approx(
        episodes.returns.mean()
    )
    assert effective_sample_size(episodes, run.targets["behaviour"]) == pytest.approx(500)
    none = run.targets["none"]
    assert (none[episodes.mask][:, 0] == 1).all()
    # the log read back from its CSV is the same log
    again = LoggedEpisodes.from_frame(log)
    np.testing.assert_array_equal(again.actions, episodes.actions)
    np.testing.assert_allclose(again.rewards, episodes.rewards)


def test_propensities_missing_from_a_log_are_estimated(simulated_log):
    log = simulated_log.log.drop(columns="propensity")
    episodes = LoggedEpisodes.from_frame(log)
    assert episodes.propensity_estimated
    logged = simulated_log.episodes.propensity[episodes.mask]
    assert np.abs(episodes.propensity[episodes.mask] - logged).mean() < 0.02


def test_the_offline_check_writes_its_tables_and_words(tiny_run):
    results, folder = tiny_run
    check = results.offline
    deployable = {
        "no_intervention", "random", "rule_based", "recommender", "best_schedule",
        "qlearning", "qlearning_priors", "learned_schedule", "dqn", "dqn_ensemble",
    }  # fmt: skip
    evaluation = pd.read_csv(folder / "ope_evaluation.csv")
    assert set(evaluation["policy"]) == deployable  # not the oracle: it reads the truth
    assert len(evaluation) == 2 * len(deployable) * len(ESTIMATORS)
    assert evaluation.groupby("size")["logs"].first().to_dict() == {50: 2, 100: 1}
    errors = evaluation["mean_estimate"] - evaluation["true_value"]
    np.testing.assert_allclose(errors, evaluation["bias"])
    rankings = pd.read_csv(folder / "ope_rankings.csv")
    assert rankings["kendall_tau"].dropna().between(-1, 1).all() and len(rankings) == 14
    truth = check.truth.set_index("policy")["true_value"]
    assert truth["no_intervention"] == pytest.approx(  # each training student once
        true_values(
            results.simulators["ground_truth"],
            results.split.train,
            {"none": NoIntervention},
            seed=results.settings.seed + 3,
        )["true_value"].iloc[0]
    )
    assert (folder / "ope_evaluation.png").stat().st_size > 0
    assert "Off-policy evaluation, checked against the truth" in (folder / "summary.md").read_text()
    log = pd.read_csv(folder / "logged_interventions.csv")
    assert log["episode"].nunique() == 50


def test_evaluate_offline_judges_policies_on_a_users_log(tiny_run, run_script, tmp_path):
    _, folder = tiny_run
    out = tmp_path / "estimates.csv"
    result = run_script(
        "evaluate_offline.py",
        "--logs", str(folder / "logged_interventions.csv"),
        "--policy", "none",
        "--policy", "schedule:1=2,5=3",
        "--policy", f"qtable:{folder / 'q_table.npz'}",
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    assert list(table["policy"])[:2] == ["none", "schedule:1=2,5=3"]
    assert {*ESTIMATORS, "lower_bound_95", "ess", "support"} <= set(table.columns)
    assert "50 logged episodes" in result.stdout
    refused = run_script("evaluate_offline.py", "--logs", str(out), "--policy", "none")
    assert refused.returncode == 2 and "missing columns" in refused.stderr
    unknown = run_script(
        "evaluate_offline.py",
        "--logs",
        str(folder / "logged_interventions.csv"),
        "--policy",
        "best",
    )
    assert unknown.returncode == 2 and "unknown policy 'best'" in unknown.stderr
    # a Q-table of the 315-state view of earlier versions is named, not an IndexError
    old = tmp_path / "old_q_table.npz"
    np.savez(old, q_table=np.zeros((315, 6)), visits=np.zeros((315, 6), dtype=np.int64), gamma=1.0)
    earlier = run_script(
        "evaluate_offline.py",
        "--logs",
        str(folder / "logged_interventions.csv"),
        "--policy",
        f"qtable:{old}",
    )
    assert earlier.returncode == 2 and "(1280, 6), got (315, 6)" in earlier.stderr

"""The class env: a weekly tutor capacity shared by a class, one allocation, learned targeting."""

from __future__ import annotations

import itertools
import warnings

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from studentgym.agents.capacity import ClassJudge
from studentgym.agents.contacts import contact_list, explain
from studentgym.agents.lagrangian import IndexPolicy, train_targeting
from studentgym.agents.targeting import LatentOracle, NoTargeting, RandomTargeting, TreatAlike
from studentgym.envs.allocation import allocate, hours_of
from studentgym.envs.classroom import ClassEnv
from studentgym.envs.targeting_view import N_TARGETING_STATES, state_parts, targeting_state
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.io.csvfile import read_spreadsheet_csv
from studentgym.simulators.interventions import COST_HOURS, N_ACTIONS

COST = np.asarray(COST_HOURS)


def test_an_action_over_capacity_is_refused_naming_the_hours_and_nothing_happens():
    env = ClassEnv(n_students=6, capacity_hours=1.0)
    env.reset(seed=0)
    asked = np.array([2, 2, 2, 2, 2, 0])  # five nudges: 1.25 hours
    with pytest.raises(ValueError, match=r"ask for 1\.25 tutor hours in week 1; the class has 1"):
        env.step(asked)
    _, _, _, _, info = env.step(np.array([2, 2, 2, 2, 0, 0]))  # exactly the capacity
    assert info["week"] == 2 and info["hours_used"] <= 1.0
    with pytest.raises(ValueError, match="6 integers"):
        env.step(np.array([0, 1]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    values=st.lists(
        st.lists(st.floats(-1, 1, allow_nan=False), min_size=6, max_size=6), min_size=1, max_size=12
    ),
    capacity=st.sampled_from([0.0, 0.25, 0.5, 1.3, 2.0, 3.75, np.inf]),
    blocked=st.integers(0, 2**12 - 1),
)
def test_the_allocation_never_exceeds_the_hours_and_serves_each_student_once(
    values, capacity, blocked
):
    values = np.asarray(values)
    allowed = np.ones(values.shape, dtype=bool)
    allowed[[i for i in range(len(values)) if blocked >> i & 1], 1:] = False  # ended students
    actions = allocate(values, capacity, allowed)
    assert actions.shape == (len(values),) and hours_of(actions) <= capacity + 1e-9
    served = actions > 0
    assert allowed[np.arange(len(values)), actions].all()
    assert (values[served, actions[served]] > 0).all()  # only positive values are worth hours
    if np.isinf(capacity):  # nothing binds: each student gets their best value per hour
        ratio = np.where(allowed[:, 1:] & (values[:, 1:] > 0), values[:, 1:] / COST[1:], -np.inf)
        best = np.where(np.isfinite(ratio.max(axis=1)), ratio.argmax(axis=1) + 1, 0)
        np.testing.assert_array_equal(actions, best)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    values=st.lists(
        st.lists(st.floats(-1, 1, allow_nan=False), min_size=6, max_size=6), min_size=1, max_size=4
    ),
    slots=st.integers(0, 4),
)
def test_greedy_by_value_per_hour_is_the_brute_force_optimum_when_costs_are_equal(values, slots):
    values = np.asarray(values)
    cost = (0.0, 1.0, 1.0, 1.0, 1.0, 1.0)  # one hour each: then greedy is optimal
    chosen = allocate(values, float(slots), cost_hours=cost)
    worth = values[np.arange(len(values)), chosen][chosen > 0].sum()
    best = 0.0
    for plan in itertools.product(range(N_ACTIONS), repeat=len(values)):
        plan = np.asarray(plan)
        if (plan > 0).sum() <= slots:
            best = max(best, values[np.arange(len(values)), plan][plan > 0].sum())
    assert worth == pytest.approx(best)


def test_score_mode_serves_within_the_hours_in_the_env():
    env = ClassEnv(n_students=40, capacity_hours=3.0, action_mode="scores")
    _, info = env.reset(seed=1)
    rng = np.random.default_rng(0)
    done = False
    while not done:
        enrolled = info["active"]
        _, _, done, truncated, info = env.step(rng.uniform(-1, 1, (40, N_ACTIONS)))
        assert info["hours_used"] <= 3.0 + 1e-9 and not truncated
        assert (info["served"][~enrolled] == 0).all()  # nobody is served after their course
    assert not info["active"].any() and set(info["final_result"]) <= {"Pass", "Fail", "Withdrawn"}


def test_with_no_limit_the_class_is_the_vector_envs_students_step_for_step():
    n, same = 16, {"hour_price": 0.02, "students": "train"}  # any of the vector env's arguments
    env = ClassEnv(n_students=n, capacity_hours=np.inf, **same)
    obs, info = env.reset(seed=3)
    vector = TutoringVectorEnv(num_envs=n, **same)
    v_obs, _ = vector.reset(seed=env.slot_seeds)
    np.testing.assert_array_equal(obs.reshape(n, -1), v_obs)
    rng = np.random.default_rng(0)
    live, steps = np.ones(n, dtype=bool), 0
    while live.any():
        actions = rng.integers(0, N_ACTIONS, n)
        obs, reward, terminated, _, info = env.step(actions)
        v_obs, v_reward, v_terminated, v_truncated, _ = vector.step(actions)
        np.testing.assert_array_equal(obs.reshape(n, -1)[live], v_obs[live])
        np.testing.assert_array_equal(info["student_reward"][live], v_reward[live])
        assert reward == pytest.approx(v_reward[live].sum() / n)
        live &= ~(v_terminated | v_truncated)
        np.testing.assert_array_equal(info["active"], live)
        assert terminated == (not live.any())
        steps += 1
    assert steps == env.n_weeks - 1 or info["final_result"].tolist().count("Withdrawn") == n


def test_gymnasium_and_sb3_checkers_pass_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = gym.make(
            "studentgym/Class-v0", n_students=12, capacity_hours=2.0, action_mode="scores"
        )
        check_env(scores.unwrapped)
        sb3_check_env(scores.unwrapped)
        # random assignments respect no capacity short of everyone's most expensive help
        assign = gym.make("studentgym/Class-v0", n_students=12, capacity_hours=np.inf)
        check_env(assign.unwrapped)
        sb3_check_env(assign.unwrapped)


def test_sb3_ppo_trains_on_a_small_class_in_score_mode():
    env = ClassEnv(n_students=8, capacity_hours=2.0, action_mode="scores")
    model = PPO("MlpPolicy", env, n_steps=256, batch_size=64, n_epochs=2, seed=0, device="cpu")
    model.learn(2_048)
    assert model.num_timesteps >= 2_048
    obs, _ = env.reset(seed=5)
    action, _ = model.predict(obs, deterministic=True)
    _, _, _, _, info = env.step(action)
    assert action.shape == (8, N_ACTIONS) and info["hours_used"] <= 2.0


def test_the_targeting_view_names_phase_risk_engagement_and_what_was_given():
    obs = np.zeros((3, 20))
    obs[:, 8] = np.array([1, 10, 38]) / 39  # weeks 1, 10, 38
    obs[:, 15] = [0.05, 0.55, 0.95]  # P(success)
    obs[:, 1] = [0, 2, 7]  # active days last week
    obs[2, 9 + 1] = 1  # engagement nudge given
    phase, risk, engagement, given_mask = state_parts(targeting_state(obs))
    assert phase.tolist() == [0, 3, 7] and risk.tolist() == [0, 3, 5]
    assert engagement.tolist() == [0, 1, 2] and given_mask.tolist() == [0, 0, 2]
    assert targeting_state(obs).max() < N_TARGETING_STATES


@pytest.fixture(scope="module")
def class_judge():
    """Two classes of 20 students of the default world, judged by the ground truth."""
    from studentgym.envs.setup import DEFAULT, TutoringParams, build_simulator

    simulator = build_simulator(None, None, DEFAULT, TutoringParams(outcome_model="ground_truth"))
    return ClassJudge(simulator, np.arange(400), 40, class_size=20, seed=0)


def test_policies_get_the_same_students_and_the_oracle_serves_within_the_hours(class_judge):
    none = class_judge.rollout(NoTargeting, 0.1)
    oracle = class_judge.rollout(lambda: LatentOracle(n_draws=2), 0.1)
    random = class_judge.rollout(lambda: RandomTargeting(0), 0.1)
    assert (none["student_id"] == oracle["student_id"]).all() and len(none) == 40
    assert (none["tutor_hours"] == 0).all() and (none["interventions"] == 0).all()
    weeks = class_judge.simulator.n_weeks - 1
    for frame in (oracle, random):  # the class's hours over the course, at most
        assert frame.groupby("class")["tutor_hours"].sum().max() <= 0.1 * 20 * weeks + 1e-6
    alike = class_judge.rollout(lambda: TreatAlike({1: 2}), 0.0125)  # 0.25 h a week: one nudge
    assert (alike.groupby("class")["interventions"].sum() == 1).all()
    first = alike[alike["interventions"] > 0]
    assert (first.groupby("class").head(1).index == first.index).all()  # the class list's first


def test_a_targeting_table_trains_in_classes_and_acts_by_its_index(class_judge):
    run = train_targeting(
        class_judge.simulator, np.arange(400, 800), 0.1, 64, class_size=32, seed=0, curve_points=0
    )
    assert run.agent.visits_.sum() > 0 and run.capacity == 0.1
    policy = run.policy
    obs = np.zeros((2, 20))
    values = policy.values(obs.ravel(), {})
    state = targeting_state(obs[0])
    np.testing.assert_allclose(values[0], run.agent.q_table_[state] - run.agent.q_table_[state, 0])
    frame = class_judge.rollout(lambda: policy, 0.1)
    assert len(frame) == 40
    with pytest.raises(ValueError, match="targeting Q-table must be"):
        IndexPolicy(np.zeros((10, 6)))


def test_a_contact_list_fits_the_hours_in_middle_risk_order_and_refuses_bad_hours():
    results = pd.DataFrame(
        {
            "Student_ID": ["a", "b", "c", "d", "e"],
            "success_probability": [0.02, 0.45, 0.55, 0.9, 0.7],
            "recommended_intervention": [
                "Personal tutor re-engagement call",
                "Engagement nudge",
                "Study-skills coaching",
                "No intervention",
                "Engagement nudge",
            ],
            "segment": ["At risk"] * 5,
            "reason": ["r"] * 5,
        }
    )
    contacts = contact_list(results, 2.0)
    assert contacts["Student_ID"].tolist() == [
        "b",
        "c",
        "e",
    ]  # 0.45, 0.55, then 0.7; a: no hour left
    assert contacts["hours_so_far"].iloc[-1] <= 2.0 and contacts["order"].tolist() == [1, 2, 3]
    alert = contact_list(results, 2.0, order="highest")
    assert alert["Student_ID"].tolist() == [
        "a",
        "b",
        "e",
    ]  # 1 h, 0.25 h, 0.25 h; c's 1.5 h no longer fit
    assert "starting with a (P(success) 0.02); 2 of them are on this list" in explain(results, 2.0)
    for bad in (-1, "three", float("nan"), float("inf")):
        with pytest.raises(ValueError, match="hours must be"):
            contact_list(results, bad)


def test_predict_lists_whom_to_contact_within_the_hours(tmp_path, run_script):
    result = run_script(
        "generate_cohort.py", "--students", "60", "--format", "teacher", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    source, out = tmp_path / "students.csv", tmp_path / "results.csv"
    result = run_script("predict.py", "--input", str(source), "--out", str(out), "--hours", "3")
    assert result.returncode == 0, result.stderr
    assert "whom to contact this week, in order (3 tutor hours)" in result.stdout
    assert "Highest risk first" in result.stdout and "What the order can rest on" in result.stdout
    contacts = read_spreadsheet_csv(tmp_path / "results_contacts.csv", text=["Student_ID"])
    assert len(contacts) > 0 and contacts["hours_so_far"].max() <= 3.0
    for bad, message in (("-1", "finite number >= 0"), ("three", "invalid float value")):
        result = run_script("predict.py", "--input", str(source), "--hours", bad)
        assert result.returncode == 2 and message in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("predict.py: error:")

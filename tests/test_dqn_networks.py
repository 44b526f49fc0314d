"""The DQN variants the benchmark trains: the plan-advantage network, all-action targets."""

from __future__ import annotations

import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3 import DQN

from studentgym.agents.all_action_dqn import AllActionDQN
from studentgym.agents.plan_network import PlanAdvantagePolicy
from studentgym.agents.sb3 import SB3VecEnv
from studentgym.envs.observation import OBSERVATION_NAMES, P_SUCCESS, WEEK_FRACTION

SMALL = {"n_students": 1500}
STUDENT_ONLY = [
    OBSERVATION_NAMES.index(name)
    for name in ("log_clicks_last_week", "score_mean", "imd_decile", "prev_attempts")
]


def advantages(model: DQN, obs: np.ndarray) -> np.ndarray:
    with th.no_grad():
        q = model.q_net(th.as_tensor(obs, dtype=th.float32)).numpy()
    return q - q[:, :1]


def test_plan_network_advantages_see_the_plan_and_risk_not_the_student(tmp_path):
    env = SB3VecEnv(32, **SMALL)
    model = DQN(PlanAdvantagePolicy, env, learning_starts=50, buffer_size=2_000, seed=0)
    model.learn(400)  # trained a little, so that the heads are not at their initial values
    obs = env.reset()
    other_student = obs.copy()
    other_student[:, STUDENT_ONLY] = np.random.default_rng(0).permutation(obs[:, STUDENT_ONLY])
    with th.no_grad():
        q, q_other = (model.q_net(th.as_tensor(o)).numpy() for o in (obs, other_student))
    # the value sees the student; the advantage only the plan, the risk and the budget
    assert not np.allclose(q, q_other)
    np.testing.assert_allclose(advantages(model, other_student), advantages(model, obs), atol=1e-6)
    budget = OBSERVATION_NAMES.index("budget_used")
    for column, change in ((WEEK_FRACTION, 5 / 39), (P_SUCCESS, 0.3), (budget, 0.3)):
        moved = obs.copy()
        moved[:, column] = np.clip(moved[:, column] + change, 0, 1)
        assert not np.allclose(advantages(model, moved), advantages(model, obs)), column
    # saved and loaded with SB3's own load, the network and its options come back
    model.save(tmp_path / "plan.zip")
    loaded = DQN.load(tmp_path / "plan.zip", device="cpu")
    assert loaded.policy.q_net.advantage_features == ["p_success", "budget_used"]
    np.testing.assert_array_equal(advantages(loaded, obs), advantages(model, obs))


def test_plan_network_refuses_other_spaces_and_unknown_features():
    env = SB3VecEnv(4, **SMALL)
    with pytest.raises(ValueError, match=r"unknown advantage feature\(s\) \['grit'\]"):
        DQN(PlanAdvantagePolicy, env, policy_kwargs={"advantage_features": ["grit"]})
    wrong = spaces.Box(0, 1, (4,), np.float32)
    with pytest.raises(ValueError, match="needs the tutoring env's Box"):
        PlanAdvantagePolicy(wrong, spaces.Discrete(6), lambda _: 1e-3)


def test_all_action_dqn_stores_every_actions_week_beside_the_step_taken():
    env = SB3VecEnv(16, shaping=1.0, gamma=1.0, **SMALL)  # shaped, as dqn.yml trains
    model = AllActionDQN(
        "MlpPolicy", env, learning_starts=50, buffer_size=4_000, gamma=1.0, n_steps=4, seed=0
    )
    model.learn(800)
    buffer = model.replay_buffer
    rows = slice(0, buffer.pos)
    taken = buffer.actions[rows, :, 0].astype(int)
    pick = np.take_along_axis
    # the lookahead row of the action taken is the step that was stored
    ahead_obs = pick(buffer.next_observations_all[rows], taken[..., None, None], axis=2)[:, :, 0]
    np.testing.assert_array_equal(ahead_obs, buffer.next_observations[rows])
    ahead_reward = pick(buffer.rewards_all[rows], taken[..., None], axis=2)[..., 0]
    np.testing.assert_allclose(ahead_reward, buffer.rewards[rows], rtol=1e-6)
    # and the other actions' weeks differ from it (they are not copies)
    assert (buffer.rewards_all[rows] != buffer.rewards[rows][..., None]).any()
    sample = buffer.sample(64)
    assert sample.next_observations_all.shape == (64, 6, 20)
    assert sample.rewards_all.shape == sample.terminated_all.shape == (64, 6)


def test_all_action_dqn_needs_an_env_that_can_look_ahead():
    from stable_baselines3.common.env_util import make_vec_env

    env = make_vec_env("CartPole-v1", n_envs=2)
    with pytest.raises(TypeError, match="needs an env with lookahead"):
        AllActionDQN("MlpPolicy", env, learning_starts=10, buffer_size=500).learn(20)


def test_the_yaml_names_its_network_as_the_zoo_does():
    from studentgym.agents.dqn import load_hyperparams, policy_class
    from studentgym.hyperparams.zoo_dqn import hyperparams as zoo

    packaged = load_hyperparams()
    assert policy_class(packaged["policy"]) is PlanAdvantagePolicy
    assert policy_class("MlpPolicy") == "MlpPolicy"  # SB3's own names pass through
    with pytest.raises(AttributeError):
        policy_class("studentgym.agents.plan_network.NoSuchPolicy")
    # the zoo gets the same network by the same dotted name, and none of the keys it would
    # pass to SB3's DQN and DQN does not take
    (zoo_params,) = zoo.values()
    assert zoo_params["policy"] == packaged["policy"]
    assert not {"all_actions", "n_models", "action_margin"} & set(zoo_params)

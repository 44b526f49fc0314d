"""Stable-Baselines3 trains on the native vector env through the adapter."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from stable_baselines3 import DQN

from studentgym.agents.dqn import GreedyDQN, load_hyperparams, train_dqn
from studentgym.agents.sb3 import SB3VecEnv
from studentgym.envs.setup import default_world
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.simulators.student import StudentSimulator

SMALL = {"n_students": 1500}


def test_same_step_autoreset_matches_next_step_trajectories():
    """SAME_STEP only moves the restart earlier: rewards and ends are the same."""
    same = TutoringVectorEnv(num_envs=8, autoreset_mode=AutoresetMode.SAME_STEP, **SMALL)
    assert same.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    obs, _ = same.reset(seed=2)
    first_episode_rewards, done = np.zeros(8), np.zeros(8, dtype=bool)
    while not done.all():
        obs, reward, terminated, _, info = same.step(np.full(8, 2))
        first_episode_rewards += np.where(done, 0.0, reward)
        if terminated.any():
            assert info["_final_obs"].tolist() == terminated.tolist()
            # the returned observation is already the next student's first week
            assert np.allclose(obs[terminated, 8], 1 / 39)
        done |= terminated
    nxt = TutoringVectorEnv(num_envs=8, **SMALL)
    nxt.reset(seed=2)
    rewards, done = np.zeros(8), np.zeros(8, dtype=bool)
    while not done.all():
        _, reward, terminated, _, _ = nxt.step(np.full(8, 2))
        rewards += np.where(done, 0.0, reward)
        done |= terminated
    np.testing.assert_allclose(first_episode_rewards, rewards)


def test_adapter_gives_sb3_terminal_observations_and_dqn_trains():
    env = SB3VecEnv(16, **SMALL)
    env.seed(0)
    obs = env.reset()
    assert obs.shape == (16, 20) and env.observation_space.contains(obs[0])
    seen_end = False
    for _ in range(60):
        obs, rewards, dones, infos = env.step(np.full(16, 2))
        assert rewards.dtype == np.float32 and len(infos) == 16
        for i in np.flatnonzero(dones):
            seen_end = True
            assert env.observation_space.contains(infos[i]["terminal_observation"])
            assert infos[i]["episode_result"] in {"Pass", "Fail", "Withdrawn"}
    assert seen_end
    model = DQN(
        "MlpPolicy",
        env,
        learning_starts=100,
        buffer_size=5_000,
        train_freq=4,
        target_update_interval=200,
        seed=0,
    )
    model.learn(600)
    actions, _ = model.predict(obs, deterministic=True)
    assert actions.shape == (16,) and set(np.unique(actions)) <= set(range(6))


def test_packaged_dqn_hyperparams_and_training_writes_the_model(tmp_path):
    params = load_hyperparams()
    assert params["target_update_interval"] < 10_000  # not SB3's Atari default
    assert params["env_kwargs"]["shaping"] > 0
    with pytest.raises(KeyError, match="no DQN hyperparameters"):
        load_hyperparams("CartPole-v1")
    cohort, model = default_world(1500, 39, 0)
    sim = StudentSimulator(cohort, model)
    calls = []

    def judge(policy):
        env = TutoringVectorEnv(num_envs=50, simulator=sim)
        obs, info = env.reset(seed=0)
        actions = policy.act(obs, info)
        assert actions.shape == (50,)
        calls.append(1)
        return float(len(calls)), 0.0, 2.0 * len(calls)

    small = {**params, "n_envs": 4, "learning_starts": 100, "buffer_size": 2_000}
    policy, curve = train_dqn(
        {"simulator": sim},
        judge,
        total_timesteps=800,
        hyperparams=small,
        eval_points=4,
        out=tmp_path,
    )
    assert curve["steps"].tolist() == [0, 200, 400, 600, 800]
    assert curve["value"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert isinstance(policy, GreedyDQN) and policy.normalizer is not None
    for name in ("dqn.zip", "monitor.csv", "vecnormalize.pkl"):
        assert (tmp_path / name).stat().st_size > 0, name
    reloaded = DQN.load(tmp_path / "dqn.zip")
    obs = policy.normalizer.normalize_obs(np.zeros((3, 20), dtype=np.float32))
    np.testing.assert_array_equal(
        reloaded.predict(obs, deterministic=True)[0],
        policy.model.predict(obs, deterministic=True)[0],
    )

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


# SB3 2.9 warns on DQN.load that n_steps is ignored, yet the loaded model keeps its
# NStepReplayBuffer with n_steps and gamma (checked by hand): a spurious message
@pytest.mark.filterwarnings("ignore:`n_steps=16` is ignored:UserWarning")
def test_packaged_dqn_hyperparams_and_training_writes_the_model(tmp_path):
    params = load_hyperparams()
    # gradient steps between target updates: about 125, not the ~2,500 of SB3's Atari default
    updates = params["target_update_interval"] // params["n_envs"] * params["gradient_steps"]
    assert updates < 1_000
    assert params["env_kwargs"]["shaping"] > 0
    # the benchmark judges the undiscounted return: the learner (and its shaping) optimise it
    assert params["gamma"] == 1.0
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

    small = {**params, "n_envs": 4, "learning_starts": 100, "buffer_size": 2_000, "n_models": 2}
    policy, curve = train_dqn(
        {"simulator": sim},
        judge,
        total_timesteps=800,
        hyperparams=small,
        eval_points=4,
        out=tmp_path,
    )
    # each seed's curve judges that model alone, from its start
    assert curve["seed"].tolist() == [0] * 5 + [1] * 5
    assert curve["steps"].tolist() == [0, 200, 400, 600, 800] * 2
    assert curve["value"].tolist() == [float(v) for v in range(1, 11)]
    assert curve.groupby("seed")["episodes"].apply(lambda e: e.is_monotonic_increasing).all()
    assert isinstance(policy, GreedyDQN) and len(policy.models) == 2
    assert policy.margin == params["action_margin"]
    for seed, model, normalizer in zip((0, 1), policy.models, policy.normalizers, strict=True):
        assert normalizer is not None
        for name in ("dqn.zip", "monitor.csv", "vecnormalize.pkl"):
            assert (tmp_path / f"seed_{seed}" / name).stat().st_size > 0, name
        reloaded = DQN.load(tmp_path / f"seed_{seed}" / "dqn.zip")
        obs = normalizer.normalize_obs(np.zeros((3, 20), dtype=np.float32))
        np.testing.assert_array_equal(
            reloaded.predict(obs, deterministic=True)[0],
            model.predict(obs, deterministic=True)[0],
        )
    with pytest.raises(ValueError, match="n_models must be >= 1"):
        train_dqn({"simulator": sim}, judge, 800, {**small, "n_models": 0})


def test_greedy_dqn_intervenes_only_with_a_lead_over_doing_nothing():
    env = SB3VecEnv(64, **SMALL)
    env.seed(3)
    obs = env.reset()
    model = DQN("MlpPolicy", env, learning_starts=10**9, seed=0)  # untrained: arbitrary values
    plain = GreedyDQN(model)
    q = plain.q_values(obs)
    assert q.shape == (64, 6)
    np.testing.assert_array_equal(plain.act(obs, {}), model.predict(obs, deterministic=True)[0])
    lead = q.max(axis=1) - q[:, 0]
    margin = float(np.median(lead[lead > 0]))
    actions = GreedyDQN(model, margin=margin).act(obs, {})
    strong = lead > margin
    assert 0 < strong.sum() < (lead > 0).sum()
    np.testing.assert_array_equal(actions[strong], q[strong].argmax(axis=1))
    assert (actions[~strong] == 0).all()
    with pytest.raises(ValueError, match="margin must be >= 0"):
        GreedyDQN(model, margin=-0.01)


def test_greedy_dqn_ensemble_averages_the_models_q_values():
    env = SB3VecEnv(16, **SMALL)
    env.seed(0)
    obs = env.reset()
    models = [DQN("MlpPolicy", env, learning_starts=10**9, seed=s) for s in (0, 1)]
    q0, q1 = (GreedyDQN(m).q_values(obs) for m in models)
    assert not np.allclose(q0, q1)
    np.testing.assert_allclose(GreedyDQN(models).q_values(obs), (q0 + q1) / 2, rtol=1e-6)
    member = GreedyDQN(models, margin=0.01).member(1)
    assert member.models == [models[1]] and member.margin == 0.01
    np.testing.assert_array_equal(member.q_values(obs), q1)
    with pytest.raises(ValueError, match="1 normalizers for 2 models"):
        GreedyDQN(models, [None])
    with pytest.raises(ValueError, match="at least one model"):
        GreedyDQN([])

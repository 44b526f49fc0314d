"""Stable-Baselines3 trains on the native vector env through the adapter."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from stable_baselines3 import DQN
from stable_baselines3.common.vec_env import VecNormalize

from studentgym.agents.dqn import GreedyDQN, StepProgress, load_hyperparams, train_dqn
from studentgym.agents.sb3 import SB3VecEnv
from studentgym.agents.scaling import ObservationScaler
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.envs.world import WorldSpec, load_world
from studentgym.simulators.student import StudentSimulator

SMALL = {"n_students": 1500}
PLAN_POLICY = "studentgym.agents.plan_network.PlanAdvantagePolicy"


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


def test_adapter_gives_sb3_terminal_observations_and_dqn_trains(tmp_path, monkeypatch):
    monkeypatch.setenv("SB3_LOGDIR", str(tmp_path))  # SB3's default logger makes a folder
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


@pytest.mark.parametrize(
    "network",
    [
        {},
        {
            "policy": "MlpPolicy",
            "policy_kwargs": {"net_arch": [64, 64]},
            "normalize": True,
            "all_actions": False,
        },
    ],
    ids=["packaged", "mlp-normalized"],
)
def test_packaged_dqn_hyperparams_and_training_writes_the_model(tmp_path, network):
    params = load_hyperparams()
    # gradient steps between target updates: about 125, not the ~2,500 of SB3's Atari default
    updates = params["target_update_interval"] // params["n_envs"] * params["gradient_steps"]
    assert updates < 1_000
    assert params["env_kwargs"]["shaping"] > 0
    # the benchmark judges the undiscounted return: the learner (and its shaping) optimise it
    assert params["gamma"] == 1.0
    with pytest.raises(KeyError, match="no DQN hyperparameters"):
        load_hyperparams("CartPole-v1")
    world = load_world(WorldSpec(1500))
    cohort, model = world.cohort, world.success_model
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
    small.update(network)
    steps = []
    policy, curve = train_dqn(
        {"simulator": sim},
        judge,
        total_timesteps=800,
        hyperparams=small,
        eval_points=4,
        out=tmp_path,
        progress=steps.append,
    )
    assert sum(steps) == 2 * 800 and set(steps) == {4}  # each step's 4 slots, both models
    # each seed's curve judges that model alone, from its start
    assert curve["seed"].tolist() == [0] * 5 + [1] * 5
    assert curve["steps"].tolist() == [0, 200, 400, 600, 800] * 2
    assert curve["value"].tolist() == [float(v) for v in range(1, 11)]
    assert curve.groupby("seed")["episodes"].apply(lambda e: e.is_monotonic_increasing).all()
    assert isinstance(policy, GreedyDQN) and len(policy.models) == 2
    assert policy.margin == params["action_margin"]
    # the trained policy keeps no env (and its simulator) and no replay buffer: it is sent
    # between processes when the worlds train at once
    assert all(m.env is m.replay_buffer is m.get_vec_normalize_env() is None for m in policy.models)
    assert len(pickle.dumps(policy)) < len(pickle.dumps(sim)) / 10
    written = ("dqn.zip", "monitor.csv") + ("observations.npz",) * small["normalize"]
    for seed in (0, 1):
        for name in written:
            assert (tmp_path / f"seed_{seed}" / name).stat().st_size > 0, name
        statistics = tmp_path / f"seed_{seed}" / "observations.npz"
        assert statistics.exists() == small["normalize"]
    assert not list(tmp_path.rglob("*.pkl"))  # nothing a user would have to unpickle
    # the saved policy acts exactly as the trained one: models, statistics and margin
    loaded = GreedyDQN.load(tmp_path, env=TutoringVectorEnv(4, simulator=sim))
    assert loaded.world == sim.world_fingerprint == policy.world
    another = TutoringVectorEnv(4, n_students=1500, cohort_seed=1)
    with pytest.raises(ValueError, match=r"the DQN policy .* was trained in world"):
        GreedyDQN.load(tmp_path, env=another)
    if small["normalize"]:
        with pytest.raises(ValueError, match="observation statistics"):  # each member's too
            ObservationScaler.load(tmp_path / "seed_0" / "observations.npz", env=another)
    obs = SB3VecEnv(64, **SMALL).reset()
    assert loaded.margin == policy.margin and len(loaded.models) == 2
    np.testing.assert_array_equal(loaded.q_values(obs), policy.q_values(obs))
    np.testing.assert_array_equal(loaded.act(obs, {}), policy.act(obs, {}))
    with pytest.raises(ValueError, match="n_models must be >= 1"):
        train_dqn({"simulator": sim}, judge, 800, {**small, "n_models": 0})
    plan_normalized = {**small, "policy": PLAN_POLICY, "normalize": True}
    with pytest.raises(ValueError, match="PlanAdvantagePolicy reads raw observations"):
        train_dqn({"simulator": sim}, judge, 800, plan_normalized)


def test_step_progress_reports_new_steps_up_to_the_total():
    updates = []
    callback = StepProgress(updates.append, total=10)
    callback.model = SimpleNamespace(num_timesteps=0)
    for done in (4, 8, 12):  # SB3's last step of 4 slots passes the 10 asked
        callback.model.num_timesteps = done
        callback.on_step()
    assert updates == [4, 4, 2]


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


def test_observation_scaler_applies_vecnormalize_statistics_and_saves_without_pickle(tmp_path):
    env = VecNormalize(SB3VecEnv(32, **SMALL), norm_obs=True, norm_reward=False)
    env.seed(1)
    env.reset()
    for _ in range(20):  # gather running statistics
        env.step(np.full(32, 2))
    raw = env.get_original_obs()
    scaler = ObservationScaler.from_vecnormalize(env)
    np.testing.assert_array_equal(scaler.normalize_obs(raw), env.normalize_obs(raw))
    loaded = ObservationScaler.load(scaler.save(tmp_path / "stats.npz"))
    np.testing.assert_array_equal(loaded.normalize_obs(raw), env.normalize_obs(raw))
    (tmp_path / "bad.npz").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="not written by ObservationScaler"):
        ObservationScaler.load(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError):
        ObservationScaler.load(tmp_path / "absent.npz")


def test_greedy_dqn_load_refuses_what_is_not_a_saved_policy(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"policy\.json"):
        GreedyDQN.load(tmp_path)
    (tmp_path / "policy.json").write_text('{"margin": 0.0}')
    with pytest.raises(ValueError, match="not a GreedyDQN manifest"):
        GreedyDQN.load(tmp_path)
    env = SB3VecEnv(4, **SMALL)
    GreedyDQN(DQN("MlpPolicy", env, learning_starts=10**9, seed=0), margin=0.01).save(tmp_path)
    (tmp_path / "model_0" / "dqn.zip").unlink()
    with pytest.raises(FileNotFoundError, match=r"dqn\.zip"):
        GreedyDQN.load(tmp_path)

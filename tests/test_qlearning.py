"""Q-learning against the exact optimum of a small MDP, schedules and persistence."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from studentgym.agents.mdp import policy_value, value_iteration
from studentgym.agents.qlearning import QLearningAgent

GAMMA = 0.95
N_STATES, N_ACTIONS, TERMINAL = 6, 2, 5


def river() -> tuple[np.ndarray, np.ndarray]:
    """A stochastic chain: left is safe and small, swimming right pays at the far end."""
    P = np.zeros((N_STATES, N_ACTIONS, N_STATES))
    R = np.full((N_STATES, N_ACTIONS), -0.01)
    for s in range(TERMINAL):
        P[s, 0, max(s - 1, 0)] = 1.0
        P[s, 1, min(s + 1, TERMINAL)] += 0.6
        P[s, 1, s] += 0.3
        P[s, 1, max(s - 1, 0)] += 0.1
    R[0, 0] = 0.02  # a small reward for staying at the bank
    R[TERMINAL - 1, 1] = 0.6  # expected: reaching the end with p 0.6 pays 1
    P[TERMINAL, :, TERMINAL] = 1.0
    R[TERMINAL] = 0.0
    return P, R


class RiverEnv(gym.Env):
    observation_space = spaces.Discrete(N_STATES)
    action_space = spaces.Discrete(N_ACTIONS)

    def __init__(self) -> None:
        self.P, self.R = river()
        self.cumulative = np.cumsum(self.P, axis=2)
        self.cumulative[..., -1] = 1.0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s, self.t = 0, 0
        return self.s, {}

    def step(self, action):
        reward = float(self.R[self.s, action])
        if self.s == TERMINAL - 1 and action == 1:
            reward = 0.0  # the expected 0.6 is paid as 1 on arrival below
        nxt = int(np.searchsorted(self.cumulative[self.s, action], self.np_random.random()))
        if nxt == TERMINAL:
            reward += 1.0
        self.s, self.t = nxt, self.t + 1
        return nxt, reward, nxt == TERMINAL, self.t >= 60, {}


def test_qlearning_reaches_97_percent_of_the_optimum():
    P, R = river()
    v_star, _ = value_iteration(P, R, GAMMA)
    agent = QLearningAgent(N_STATES, N_ACTIONS, gamma=GAMMA, seed=0)
    agent.learn(RiverEnv(), episodes=800)
    v_learned = policy_value(P, R, agent.predict(np.arange(N_STATES)), GAMMA)
    assert v_star[0] > 0
    assert v_learned[0] >= 0.97 * v_star[0], (v_learned[0], v_star[0])
    assert len(agent.learning_curve_) == 800


def test_qlearning_learns_from_a_vector_env():
    P, R = river()
    v_star, _ = value_iteration(P, R, GAMMA)
    envs = gym.vector.SyncVectorEnv([RiverEnv for _ in range(8)])
    agent = QLearningAgent(N_STATES, N_ACTIONS, gamma=GAMMA, seed=1).learn(envs, episodes=800)
    v_learned = policy_value(P, R, agent.predict(np.arange(N_STATES)), GAMMA)
    assert v_learned[0] >= 0.97 * v_star[0]
    assert len(agent.learning_curve_) == 800


def test_callback_sees_the_table_before_during_and_after_training():
    envs = gym.vector.SyncVectorEnv([RiverEnv for _ in range(4)])
    seen = []
    agent = QLearningAgent(N_STATES, N_ACTIONS, gamma=GAMMA, seed=2)
    agent.learn(
        envs,
        100,
        callback=lambda a, done: seen.append((done, a.q_table_.copy())),
        callback_every=25,
    )
    assert [done for done, _ in seen] == [0, 25, 50, 75, 100]
    assert not seen[0][1].any() and seen[-1][1].any()  # zeros before, learned after
    with pytest.raises(ValueError, match="vector env"):
        agent.learn(RiverEnv(), 5, callback=lambda a, done: None)


def test_schedules_and_validation():
    agent = QLearningAgent(3, 2, epsilon_start=1.0, epsilon_end=0.1, exploration_fraction=0.5)
    assert agent.epsilon(0, 100) == 1.0 and agent.epsilon(50, 100) == pytest.approx(0.1)
    assert agent.epsilon(25, 100) == pytest.approx(0.55)
    assert agent.epsilon(99, 100) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="initial_q"):
        QLearningAgent(3, 2, initial_q=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="gamma"):
        QLearningAgent(3, 2, gamma=1.5)


def test_save_and_load(tmp_path):
    agent = QLearningAgent(4, 3, initial_q=np.arange(12.0).reshape(4, 3) / 7)
    agent.visits_[1, 2] = 5
    loaded = QLearningAgent.load(agent.save(tmp_path / "q.npz"))
    np.testing.assert_array_equal(loaded.q_table_, agent.q_table_)
    assert loaded.visits_[1, 2] == 5
    agent.save(tmp_path / "q.csv", action_names=["a", "b", "c"])
    assert (tmp_path / "q.csv").read_text().splitlines()[0] == "state,a,b,c"
    with pytest.raises(ValueError, match=r"\.npz or \.csv"):
        agent.save(tmp_path / "q.pkl")
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a Q-table"):
        QLearningAgent.load(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError):
        QLearningAgent.load(tmp_path / "absent.npz")

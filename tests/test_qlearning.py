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


class BernoulliBandit(gym.Env):
    """One state, one step: action 0 pays 1 with probability 0.3, action 1 with 0.6."""

    observation_space = spaces.Discrete(1)
    action_space = spaces.Discrete(2)
    PAYOFF = (0.3, 0.6)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        reward = float(self.np_random.random() < self.PAYOFF[action])
        return 0, reward, True, False, {}


def test_batched_updates_stay_in_the_reward_range_and_find_the_true_values():
    """256 copies in one state: every step, hundreds of transitions share (s, a)."""
    envs = gym.vector.SyncVectorEnv([BernoulliBandit for _ in range(256)])
    tables = []
    agent = QLearningAgent(1, 2, gamma=1.0, lr_min=0.0, seed=0)
    agent.learn(
        envs, 60_000, callback=lambda a, done: tables.append(a.q_table_.copy()), callback_every=256
    )
    tables = np.array(tables)
    assert len(tables) > 200  # the table was seen after (nearly) every vector step
    assert tables.min() >= 0.0 and tables.max() <= 1.0  # rewards are 0 or 1
    np.testing.assert_allclose(agent.q_table_[0], BernoulliBandit.PAYOFF, atol=0.05)
    # one transition per one-step episode; the last vector step finishes all 256 slots
    assert agent.visits_.sum() == 256 * -(-60_000 // 256)


def test_qlearning_learns_from_a_vector_env_of_256_copies():
    P, R = river()
    v_star, _ = value_iteration(P, R, GAMMA)
    envs = gym.vector.SyncVectorEnv([RiverEnv for _ in range(256)])
    counted = []
    agent = QLearningAgent(N_STATES, N_ACTIONS, gamma=GAMMA, seed=1).learn(
        envs, episodes=5_000, progress=counted.append
    )
    # a progress bar counts to the episodes asked, though slots ending together pass them
    assert sum(counted) == 5_000 and min(counted) >= 0
    assert np.abs(agent.q_table_).max() <= 1.0 + 0.02  # returns lie in [-0.6, 1.02]
    v_learned = policy_value(P, R, agent.predict(np.arange(N_STATES)), GAMMA)
    assert v_learned[0] >= 0.97 * v_star[0]
    assert len(agent.learning_curve_) == 5_000


def test_a_batch_gives_the_same_table_as_its_transitions_one_by_one():
    rng = np.random.default_rng(0)
    s, a = rng.integers(0, 3, 500), rng.integers(0, 2, 500)
    r, s_next, terminal = rng.random(500), rng.integers(0, 3, 500), rng.random(500) < 0.3
    batched = QLearningAgent(3, 2, gamma=0.9, seed=0)
    batched.update(s, a, r, s_next, terminal)
    one_by_one = QLearningAgent(3, 2, gamma=0.9, seed=0)
    q, visits = one_by_one.q_table_, one_by_one.visits_
    for i in range(500):  # the textbook update, in plain Python
        target = r[i] + (0.0 if terminal[i] else 0.9 * q[s_next[i]].max())
        step = max(0.01, (1.0 + visits[s[i], a[i]]) ** -0.7)
        q[s[i], a[i]] += step * (target - q[s[i], a[i]])
        visits[s[i], a[i]] += 1
    np.testing.assert_allclose(batched.q_table_, q, rtol=1e-12)
    np.testing.assert_array_equal(batched.visits_, visits)


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
    lines = (tmp_path / "q.csv").read_text().splitlines()
    assert lines[0] == "state,a,b,c,visits_a,visits_b,visits_c"
    assert lines[2].endswith(",0,0,5")  # state 1: visits are counts, not floats
    with pytest.raises(ValueError, match=r"\.npz or \.csv"):
        agent.save(tmp_path / "q.pkl")
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a Q-table"):
        QLearningAgent.load(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError):
        QLearningAgent.load(tmp_path / "absent.npz")
    # loaded for an env whose Discrete view has another number of states: named
    river = QLearningAgent(N_STATES, N_ACTIONS, initial_q=np.ones((N_STATES, N_ACTIONS)))
    assert QLearningAgent.load(river.save(tmp_path / "river.npz"), env=RiverEnv()).n_states == 6
    with pytest.raises(ValueError, match="has 4 states, the env's view 6"):
        QLearningAgent.load(tmp_path / "q.npz", env=RiverEnv())


class RiverVectorEnv(gym.vector.VectorEnv):
    """``n`` rivers with a ``lookahead()``: each slot's next uniform is drawn in advance,
    so every action tried meets the same chance (NEXT_STEP autoreset)."""

    def __init__(self, n: int, seed: int = 0) -> None:
        self.num_envs, self.P, self.R = n, *river()
        self.cumulative = np.cumsum(self.P, axis=2)
        self.cumulative[..., -1] = 1.0
        self.single_observation_space = spaces.Discrete(N_STATES)
        self.single_action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, n)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, n)
        self.rng = np.random.default_rng(seed)

    def reset(self, *, seed=None, options=None):
        self.s, self.restart = (
            np.zeros(self.num_envs, dtype=np.int64),
            np.zeros(self.num_envs, bool),
        )
        self.u = self.rng.random(self.num_envs)
        return self.s.copy(), {}

    def lookahead(self):
        """RiverEnv's step for each action, with the slot's next uniform."""
        nxt = np.stack(
            [(self.u[:, None] > self.cumulative[self.s, a]).sum(1) for a in range(N_ACTIONS)], 1
        )
        reward = self.R[self.s].copy()
        reward[self.s == TERMINAL - 1, 1] = 0.0  # paid as 1 on arrival, as RiverEnv
        reward += nxt == TERMINAL
        nxt[self.restart], reward[self.restart] = 0, 0.0  # the autoreset step
        return nxt, reward, (nxt == TERMINAL) & ~self.restart[:, None], np.zeros_like(nxt, bool)

    def step(self, actions):
        nxt, reward, terminated, truncated = self.lookahead()
        rows = np.arange(self.num_envs)
        self.s = nxt[rows, actions]
        self.restart = terminated[rows, actions]
        self.u = self.rng.random(self.num_envs)
        return self.s.copy(), reward[rows, actions], self.restart.copy(), truncated[:, 0], {}


def test_all_action_updates_reach_the_optimum_and_update_every_action():
    P, R = river()
    v_star, _ = value_iteration(P, R, GAMMA)
    env = RiverVectorEnv(64)
    agent = QLearningAgent(N_STATES, N_ACTIONS, gamma=GAMMA, lr_power=1.0, lr_min=0.0, seed=3)
    agent.learn(env, episodes=2_000, all_actions=True)
    v_learned = policy_value(P, R, agent.predict(np.arange(N_STATES)), GAMMA)
    assert v_learned[0] >= 0.97 * v_star[0], (v_learned[0], v_star[0])
    visited = agent.visits_.sum(axis=1) > 0
    assert visited[:TERMINAL].all() and not visited[TERMINAL]  # never acts in the end state
    # both actions of a visited state, once per visit each
    np.testing.assert_array_equal(agent.visits_[:, 0], agent.visits_[:, 1])
    # with 1 / visits steps, each value is the mean of its targets; none may exceed the range
    assert np.abs(agent.q_table_).max() <= 1.0 + 0.02
    with pytest.raises(ValueError, match="lookahead"):
        agent.learn(gym.vector.SyncVectorEnv([RiverEnv for _ in range(2)]), 10, all_actions=True)
    with pytest.raises(ValueError, match="lookahead"):
        agent.learn(RiverEnv(), 10, all_actions=True)

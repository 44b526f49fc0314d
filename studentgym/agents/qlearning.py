"""Tabular Q-learning, able to learn from a single env or many students at once.

``Q[s, a] += lr(s, a) * (r + gamma * (1 - terminated) * max_a' Q[s', a'] - Q[s, a])``

- exploration: epsilon-greedy, epsilon decaying linearly from ``epsilon_start`` to
  ``epsilon_end`` over the first ``exploration_fraction`` of the episodes;
- learning rate: ``max(lr_min, (1 + visits(s, a)) ** -lr_power)``, a per-pair
  decaying step (Robbins-Monro for ``0.5 < lr_power <= 1``);
- initial table: zeros, or any ``(n_states, n_actions)`` prior, such as the
  recommender's (:func:`studentgym.recommenders.priors.q_priors`);
- all-action updates (``learn(..., all_actions=True)``, for an env with a generative
  model such as ``TutoringVectorEnv.lookahead``): at every visited state each action's
  transition is simulated with the random numbers the real step uses, and all six
  (state, action) pairs are updated, not only the one taken (Q-learning with a
  generative model, as in Kearns and Singh's 1999 phased Q-learning, restricted to the
  states the behaviour policy visits). The actions' targets then differ only by what
  the actions do, so their comparison is not drowned in the noise of who the student
  was and what happened to them: in the tutoring env, where one intervention is worth
  0.005-0.03 and a course's return has an SD of 0.6, this is what lets the table find
  a good plan (validation students, ground truth, 50,000 students in the classifier
  simulator, seeds 0-2: +0.111, +0.092, +0.109 over doing nothing; with one-action
  updates, same view, students and schedules: -0.030, -0.025, +0.004).

With a Gymnasium ``VectorEnv`` (NEXT_STEP autoreset) the slots' transitions of one
step are applied one after another, in slot order, exactly as if they had come
from a single env: when several slots share a (state, action), each update moves
the value from where the previous one left it, with its own step size. (Adding
all their steps at once from the same old value overshoots: 256 students in one
state would move it 256 steps.) The transition into an autoreset is skipped.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numba
import numpy as np
import pandas as pd

from studentgym.atomic import atomic_path, atomic_write_csv
from studentgym.envs.world import check_world, world_of


class QLearningAgent:
    """Epsilon-greedy tabular Q-learning.

    Args:
        n_states, n_actions: table size.
        gamma: discount.
        epsilon_start, epsilon_end, exploration_fraction: the exploration schedule.
        lr_power, lr_min: the learning-rate schedule.
        initial_q: starting table (zeros if None).
        seed: seed of exploration.

    Attributes:
        q_table_: the learned ``(n_states, n_actions)`` table.
        visits_: updates per (state, action).
        learning_curve_: DataFrame of ``episode`` and ``return`` per finished episode.
        world_: fingerprint of the world it learned in (None before :meth:`learn`, or in
            an env that is not studentgym's); :meth:`save` records it, :meth:`load` checks it.
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        gamma: float = 0.99,
        epsilon_start: float = 1.0,
        epsilon_end: float = 0.05,
        exploration_fraction: float = 0.5,
        lr_power: float = 0.7,
        lr_min: float = 0.01,
        initial_q: np.ndarray | None = None,
        seed: int = 0,
    ) -> None:
        if not 0 <= gamma <= 1:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        if not (0 <= epsilon_end <= epsilon_start <= 1 and 0 < exploration_fraction <= 1):
            raise ValueError("need 0 <= epsilon_end <= epsilon_start <= 1, 0 < fraction <= 1")
        self.n_states, self.n_actions = int(n_states), int(n_actions)
        self.gamma = gamma
        self.epsilon_start, self.epsilon_end = epsilon_start, epsilon_end
        self.exploration_fraction = exploration_fraction
        self.lr_power, self.lr_min = lr_power, lr_min
        self.seed = seed
        if initial_q is None:
            initial_q = np.zeros((self.n_states, self.n_actions))
        initial_q = np.asarray(initial_q, dtype=float)
        if initial_q.shape != (self.n_states, self.n_actions):
            raise ValueError(
                f"initial_q must be {(self.n_states, self.n_actions)}, got {initial_q.shape}"
            )
        self.q_table_ = initial_q.copy()
        self.world_: str | None = None
        self.visits_ = np.zeros((self.n_states, self.n_actions), dtype=np.int64)
        self.learning_curve_ = pd.DataFrame(columns=["episode", "return"])
        self._rng = np.random.default_rng(seed)

    # ------------------------------------------------------------------ acting
    def epsilon(self, episode: int, total: int) -> float:
        """Exploration rate after ``episode`` of ``total`` episodes."""
        progress = min(episode / max(self.exploration_fraction * total, 1e-9), 1.0)
        return self.epsilon_start + progress * (self.epsilon_end - self.epsilon_start)

    def predict(self, obs) -> np.ndarray | int:
        """Greedy actions for state(s) (ties go to the lowest action id)."""
        greedy = np.argmax(self.q_table_[np.asarray(obs)], axis=-1)
        return int(greedy) if np.ndim(greedy) == 0 else greedy

    def _explore(self, states: np.ndarray, epsilon: float) -> np.ndarray:
        random_actions = self._rng.integers(0, self.n_actions, len(states))
        explore = self._rng.random(len(states)) < epsilon
        return np.where(explore, random_actions, np.argmax(self.q_table_[states], axis=1))

    def update(self, s, a, r, s_next, terminal) -> None:
        """Apply the transitions ``(s, a, r, s_next, terminal)`` (arrays) in order: what
        :meth:`learn` does with each step's, for trainers that collect their own (e.g.
        :func:`studentgym.agents.lagrangian.train_targeting` in a class)."""
        _sequential_update(
            self.q_table_,
            self.visits_,
            np.asarray(s, dtype=np.int64),
            np.asarray(a, dtype=np.int64),
            np.asarray(r, dtype=np.float64),
            np.asarray(s_next, dtype=np.int64),
            np.asarray(terminal, dtype=np.bool_),
            float(self.gamma),
            float(self.lr_power),
            float(self.lr_min),
        )

    # ------------------------------------------------------------------ learning
    def learn(
        self,
        env,
        episodes: int,
        progress=None,
        callback=None,
        callback_every: int | None = None,
        all_actions: bool = False,
    ) -> QLearningAgent:
        """Run ``episodes`` episodes (summed over slots for a vector env).

        Args:
            env: a Gymnasium env or VectorEnv with Discrete (single) observations.
            episodes: episodes to complete.
            progress: optional callable ``(new_episodes)``, e.g. a progress bar's update.
            callback: optional callable ``(agent, episodes_done)``, called before
                training and then each time ``callback_every`` more episodes are done
                (vector envs only), e.g. to evaluate the greedy policy.
            callback_every: episodes between callbacks.
            all_actions: update every action of each visited state from the env's
                ``lookahead()`` (see the module docstring), then take the behaviour
                action; a vector env with ``lookahead()`` only.

        Raises:
            ValueError: for ``episodes < 1``, a callback on a single env, or
                ``all_actions`` on an env without ``lookahead()``.
        """
        if episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {episodes}")
        if all_actions and not (
            isinstance(env, gym.vector.VectorEnv) and hasattr(env, "lookahead")
        ):
            raise ValueError(
                "all_actions needs a vector env with lookahead(), such as "
                "TutoringVectorEnv or its TabularVectorObservation"
            )
        self.world_ = world_of(env) or self.world_
        if isinstance(env, gym.vector.VectorEnv):
            return self._learn_vector(
                env, episodes, progress, callback, callback_every, all_actions
            )
        if callback is not None:
            raise ValueError("callbacks need a vector env")
        returns = []
        for episode in range(episodes):
            state, _ = env.reset(seed=int(self._rng.integers(2**31)) if episode == 0 else None)
            total, done = 0.0, False
            eps = self.epsilon(episode, episodes)
            while not done:
                action = int(self._explore(np.array([state]), eps)[0])
                next_state, reward, terminated, truncated, _ = env.step(action)
                self.update(
                    np.array([state]),
                    np.array([action]),
                    np.array([reward]),
                    np.array([next_state]),
                    np.array([terminated]),
                )
                total += reward
                state, done = next_state, terminated or truncated
            returns.append(total)
            if progress:
                progress(1)
        self._record(returns)
        return self

    def _learn_vector(
        self, env, episodes: int, progress, callback, every, all_actions: bool
    ) -> QLearningAgent:
        n = env.num_envs
        next_call = 0 if callback else episodes + 1
        every = max(int(every or episodes), 1)
        states, _ = env.reset(seed=int(self._rng.integers(2**31)))
        restarting = np.zeros(n, dtype=bool)
        running = np.zeros(n)
        returns: list[float] = []
        while len(returns) < episodes:
            if len(returns) >= next_call:
                callback(self, next_call)
                next_call += every
            live = ~restarting  # a restarting slot's step is the autoreset, not a transition
            if all_actions:
                tried, tried_rewards, tried_terminated, _ = env.lookahead()
                self.update(
                    np.repeat(states[live], self.n_actions),
                    np.tile(np.arange(self.n_actions), int(live.sum())),
                    tried_rewards[live].ravel(),
                    tried[live].ravel(),
                    tried_terminated[live].ravel(),
                )
            actions = self._explore(states, self.epsilon(len(returns), episodes))
            next_states, rewards, terminated, truncated, _ = env.step(actions)
            if not all_actions:
                self.update(
                    states[live], actions[live], rewards[live], next_states[live], terminated[live]
                )
            running += np.where(live, rewards, 0.0)
            ended = live & (terminated | truncated)
            counted = min(len(returns), episodes)
            returns.extend(running[ended].tolist())
            if progress and ended.any():
                # slots that end together can pass ``episodes``; the bar counts to it
                progress(min(len(returns), episodes) - counted)
            running[ended] = 0.0
            restarting = ended
            states = next_states
        self._record(returns[:episodes])
        if next_call <= episodes:
            callback(self, episodes)
        return self

    def _record(self, returns: list[float]) -> None:
        start = len(self.learning_curve_)
        curve = pd.DataFrame({"episode": np.arange(start, start + len(returns)), "return": returns})
        self.learning_curve_ = (
            curve if start == 0 else pd.concat([self.learning_curve_, curve], ignore_index=True)
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path, state_names=None, action_names=None) -> Path:
        """Write the table: ``.npz`` (exact, reloadable) or ``.csv`` (for people: a row per
        state, the Q-value of each action, then ``visits_<action>``, the updates behind it).

        Raises:
            ValueError: for another file extension.
        """
        path = Path(path)
        if path.suffix == ".npz":
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.savez(
                    f,
                    q_table=self.q_table_,
                    visits=self.visits_,
                    gamma=self.gamma,
                    world=self.world_ or "",
                )
            return path
        if path.suffix == ".csv":
            actions = list(action_names or range(self.n_actions))
            index = pd.Index(state_names or range(self.n_states), name="state")
            q = pd.DataFrame(self.q_table_, index=index, columns=actions)
            visits = pd.DataFrame(
                self.visits_, index=index, columns=[f"visits_{a}" for a in actions]
            )
            return atomic_write_csv(q.join(visits), path, index=True)
        raise ValueError(f"save to .npz or .csv, not {path.suffix!r}")

    @classmethod
    def load(
        cls, path: str | Path, env=None, other_world: bool = False, **kwargs
    ) -> QLearningAgent:
        """An agent with the table of a ``.npz`` written by :meth:`save` (no pickle).

        Args:
            env: the env it will act in; it must be the world the table was learned in.
            other_world: load into another world anyway (with a warning).
            kwargs: the agent's other arguments (learning rate, exploration).

        Raises:
            FileNotFoundError, ValueError: for a missing file, one without a Q-table,
                a table learned in another world than ``env``'s, or over another number
                of states than ``env``'s Discrete observations.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no Q-table file at {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                q, visits, gamma = data["q_table"], data["visits"], float(data["gamma"])
                world = str(data["world"]) if "world" in data else ""
        except (KeyError, ValueError, OSError) as err:
            raise ValueError(f"{path} is not a Q-table written by QLearningAgent.save") from err
        check_world(world or None, env, f"the Q-table {path}", other_world)
        space = getattr(env, "single_observation_space", getattr(env, "observation_space", None))
        if getattr(space, "n", q.shape[0]) != q.shape[0]:
            raise ValueError(
                f"the Q-table {path} has {q.shape[0]} states, the env's view {space.n}: it "
                "was learned over another tabular view (earlier studentgym versions had 315)"
            )
        agent = cls(q.shape[0], q.shape[1], gamma=gamma, initial_q=q, **kwargs)
        agent.visits_, agent.world_ = visits, world or None
        return agent


@numba.njit(cache=True, nogil=True)
def _sequential_update(q, visits, s, a, r, s_next, terminal, gamma, lr_power, lr_min) -> None:
    # One transition at a time: a later transition of the batch sees the table as
    # the earlier ones left it (its bootstrap target and its own value).
    for i in range(len(s)):
        target = r[i]
        if not terminal[i]:
            target += gamma * q[s_next[i]].max()
        lr = max(lr_min, (1.0 + visits[s[i], a[i]]) ** -lr_power)
        q[s[i], a[i]] += lr * (target - q[s[i], a[i]])
        visits[s[i], a[i]] += 1

"""DQN that learns every action's value at each state it visits, from the env's lookahead.

Stable-Baselines3's DQN learns from the one transition its behaviour policy took: each
sample moves one of the six Q-values, and an intervention's effect on a student (a few
points of P(success)) is smaller than the noise of what one student happens to do next.
The tutoring env is a simulator, so it can say what every action would have done this
week with the same random numbers
(:meth:`~studentgym.envs.vector.TutoringVectorEnv.lookahead`): the six outcomes of a
state differ only by what the actions do. :class:`AllActionDQN` stores them with each
transition (:class:`LookaheadReplayBuffer`) and regresses all six Q-values at once, as
:meth:`~studentgym.agents.qlearning.QLearningAgent.learn` does with ``all_actions=True``
for the table.

The targets keep DQN's n-step return for the level and take the differences between
actions from the lookahead::

    target(s, a) = G_n(s, a_taken) + y(s, a) - y(s, a_taken),
    y(s, a) = r(s, a) + gamma * (1 - terminated_a) * max_b Q_target(s'_a, b),

where ``G_n`` is SB3's n-step target of the action taken. One-step targets alone
bootstrap the upward bias of a max over noisy values at every week, and over a
38-week undiscounted course it compounds (measured: Q(s, none) +0.5 at the course's
start where returns average -0.02); n-step returns pay it once per n weeks, and
``y(s, a) - y(s, a_taken)`` compares the same network at next states that differ only
by the action, so its bias cancels. With ``n_steps=1`` the target is ``y(s, a)``.
Everything else (exploration, target network, saving, ``predict``) is SB3's DQN, and a
saved model loads with ``DQN.load``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import DQN
from stable_baselines3.common.buffers import NStepReplayBuffer
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from torch.nn import functional as F


class LookaheadSamples(NamedTuple):
    """SB3's ``ReplayBufferSamples`` of the transitions taken (n-step returns), with every
    action's one-week outcome of the same states: ``next_observations_all``
    ``(batch, n_actions, *obs_shape)``, ``rewards_all`` and ``terminated_all``
    ``(batch, n_actions)``."""

    observations: th.Tensor
    actions: th.Tensor
    next_observations: th.Tensor
    dones: th.Tensor
    rewards: th.Tensor
    discounts: th.Tensor
    next_observations_all: th.Tensor
    rewards_all: th.Tensor
    terminated_all: th.Tensor


class LookaheadReplayBuffer(NStepReplayBuffer):
    """SB3's n-step replay buffer that also keeps every action's one-week outcome.

    :meth:`add_lookahead` stores the lookahead of the states the next :meth:`add` stores
    (call it first); :meth:`sample` returns :class:`LookaheadSamples`. Takes
    ``NStepReplayBuffer``'s arguments (``n_steps=1`` gives one-step returns).

    Raises:
        ValueError: for an action space that is not Discrete.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("n_steps", 1)
        super().__init__(*args, **kwargs)
        if not isinstance(self.action_space, spaces.Discrete):
            raise ValueError(
                f"LookaheadReplayBuffer needs Discrete actions, got {self.action_space}"
            )
        shape = (self.buffer_size, self.n_envs, int(self.action_space.n))
        dtype = self.observations.dtype
        self.next_observations_all = np.zeros((*shape, *self.obs_shape), dtype=dtype)
        self.rewards_all = np.zeros(shape, dtype=np.float32)
        self.terminated_all = np.zeros(shape, dtype=np.float32)

    def add_lookahead(
        self, next_obs: np.ndarray, reward: np.ndarray, terminated: np.ndarray
    ) -> None:
        """Every action's next observation ``(n_envs, n_actions, *obs_shape)``, reward and
        termination ``(n_envs, n_actions)`` from the states of the next :meth:`add`."""
        self.next_observations_all[self.pos] = next_obs
        self.rewards_all[self.pos] = reward
        self.terminated_all[self.pos] = terminated

    def _get_samples(self, batch_inds: np.ndarray, env=None) -> LookaheadSamples:
        # the parent draws the slots with numpy's global generator (which SB3's
        # set_random_seed seeds) as its first random call: draw the same ones here
        state = np.random.get_state()  # noqa: NPY002
        env_indices = np.random.randint(0, self.n_envs, size=batch_inds.shape)  # noqa: NPY002
        np.random.set_state(state)  # noqa: NPY002
        taken = super()._get_samples(batch_inds, env)
        extra = (
            self._normalize_obs(self.next_observations_all[batch_inds, env_indices], env),
            self._normalize_reward(self.rewards_all[batch_inds, env_indices], env),
            self.terminated_all[batch_inds, env_indices],
        )
        return LookaheadSamples(*taken, *map(self.to_torch, extra))


def lookahead_env(env: VecEnv) -> Any:
    """The env under ``env``'s SB3 wrappers that has ``lookahead()`` (an
    :class:`~studentgym.agents.sb3.SB3VecEnv`'s tutoring env).

    Raises:
        TypeError: if there is none.
    """
    while isinstance(env, VecEnvWrapper):
        env = env.venv
    inner = getattr(env, "env", env)
    if not callable(getattr(inner, "lookahead", None)):
        raise TypeError(f"AllActionDQN needs an env with lookahead(), got {env}")
    return inner


class AllActionDQN(DQN):
    """SB3's DQN regressing all actions' Q-values at each visited state (module docstring).

    Before every step the env's ``lookahead()`` gives each action's next observation,
    reward and termination; :class:`LookaheadReplayBuffer` keeps them with the transition
    taken; the loss is the Huber loss of ``Q(s, .)`` against the six targets. Takes DQN's
    arguments, ``n_steps`` included.

    Raises:
        ValueError: for a replay buffer class other than :class:`LookaheadReplayBuffer`.
        TypeError: at ``learn`` if the env has no ``lookahead()`` (see :func:`lookahead_env`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        buffer = kwargs.pop("replay_buffer_class", None) or LookaheadReplayBuffer
        if buffer is not LookaheadReplayBuffer:
            raise ValueError(f"AllActionDQN needs LookaheadReplayBuffer, got {buffer}")
        n_steps = kwargs.pop("n_steps", 1)
        buffer_kwargs = {"n_steps": n_steps, "gamma": kwargs.get("gamma", 0.99)}
        kwargs["replay_buffer_kwargs"] = {**buffer_kwargs, **kwargs.get("replay_buffer_kwargs", {})}
        self._lookahead: tuple[np.ndarray, ...] | None = None
        super().__init__(*args, replay_buffer_class=buffer, **kwargs)

    def _sample_action(self, learning_starts, action_noise=None, n_envs=1):
        # the slots' students are the ones the action is chosen for: look ahead now
        obs, reward, terminated, _ = lookahead_env(self.env).lookahead()
        self._lookahead = obs, reward, terminated
        return super()._sample_action(learning_starts, action_noise, n_envs)

    def _store_transition(self, replay_buffer, buffer_action, new_obs, reward, dones, infos):
        replay_buffer.add_lookahead(*self._lookahead)
        super()._store_transition(replay_buffer, buffer_action, new_obs, reward, dones, infos)

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        losses = []
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            with th.no_grad():
                best_next = self.q_net_target(data.next_observations).max(dim=1).values
                taken = data.rewards + (1 - data.dones) * data.discounts * best_next[:, None]
                ahead = self.q_net_target(data.next_observations_all.flatten(0, 1))
                ahead = ahead.max(dim=1).values.view_as(data.rewards_all)
                one_week = data.rewards_all + (1 - data.terminated_all) * self.gamma * ahead
                actions = data.actions.long()
                target = taken + one_week - one_week.gather(1, actions)
            loss = F.smooth_l1_loss(self.q_net(data.observations), target)
            losses.append(loss.item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", np.mean(losses))

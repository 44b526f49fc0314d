"""A finite view of the tutoring env for tabular agents: 27 states.

The state is what a tutor's rule of thumb uses, ``risk * 9 + engagement * 3 + phase``:

=============  =========================================  =======================
component      from the observation                       levels
=============  =========================================  =======================
risk           classifier's P(success) (index 15)         0: < 0.35 (high risk),
                                                          1: < 0.65, 2: >= 0.65
engagement     active days last week (index 1)            0: none, 1: 1-3, 2: 4-7
phase          share of the course elapsed (index 8)      0: < 1/3, 1: < 2/3, 2: rest
=============  =========================================  =======================
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import VectorObservationWrapper
from gymnasium.vector.utils import batch_space

from studentgym.envs.observation import ACTIVE_DAYS, P_SUCCESS, WEEK_FRACTION
from studentgym.envs.tutoring import TutoringEnv
from studentgym.envs.vector import TutoringVectorEnv

RISK_EDGES = (0.35, 0.65)
ENGAGEMENT_EDGES = (0.5, 3.5)  # active days: 0 | 1-3 | 4-7
PHASE_EDGES = (1 / 3, 2 / 3)
N_STATES = 27
RISK_NAMES = ("high risk", "medium risk", "low risk")
ENGAGEMENT_NAMES = ("inactive", "low activity", "active")
PHASE_NAMES = ("early", "middle", "late")


def tabular_state(obs: np.ndarray) -> np.ndarray | int:
    """The state index of an observation ``(20,)`` (an int) or a batch ``(n, 20)``."""
    obs = np.asarray(obs)
    risk = np.searchsorted(RISK_EDGES, obs[..., P_SUCCESS], side="right")
    engagement = np.searchsorted(ENGAGEMENT_EDGES, obs[..., ACTIVE_DAYS], side="right")
    phase = np.searchsorted(PHASE_EDGES, obs[..., WEEK_FRACTION], side="right")
    state = risk * 9 + engagement * 3 + phase
    return int(state) if state.ndim == 0 else state.astype(np.int64)


def state_name(state: int) -> str:
    """E.g. ``"high risk / inactive / early"``."""
    risk, rest = divmod(int(state), 9)
    engagement, phase = divmod(rest, 3)
    return f"{RISK_NAMES[risk]} / {ENGAGEMENT_NAMES[engagement]} / {PHASE_NAMES[phase]}"


class TabularObservation(gym.ObservationWrapper):
    """Replaces the Box observation by the :func:`tabular_state` index (``Discrete(27)``)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space = spaces.Discrete(N_STATES)

    def observation(self, observation: np.ndarray) -> int:
        return tabular_state(observation)


class TabularVectorObservation(VectorObservationWrapper):
    """The vector counterpart: observations are ``num_envs`` state indices."""

    def __init__(self, env) -> None:
        super().__init__(env)
        self.single_observation_space = spaces.Discrete(N_STATES)
        self.observation_space = batch_space(self.single_observation_space, env.num_envs)

    def observations(self, observations: np.ndarray) -> np.ndarray:
        return tabular_state(observations)


def make_tabular_env(**kwargs) -> TabularObservation:
    """``TutoringEnv(**kwargs)`` seen through :class:`TabularObservation`."""
    return TabularObservation(TutoringEnv(**kwargs))


def make_tabular_vector_env(num_envs: int = 64, **kwargs) -> TabularVectorObservation:
    """``TutoringVectorEnv(num_envs, **kwargs)`` seen through :class:`TabularVectorObservation`."""
    return TabularVectorObservation(TutoringVectorEnv(num_envs=num_envs, **kwargs))

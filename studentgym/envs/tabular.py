"""A finite view of the tutoring env for tabular agents: 1,280 states.

The state is the tutor's plan so far, ``week * 32 + given``:

=============  =========================================  ===============================
component      from the observation                       levels
=============  =========================================  ===============================
week           share of the course elapsed (index 8),     0, 1, ..., 39 (decisions fall in
               as a week of a 39-week course              weeks 1-38; other course lengths
                                                          by their share of the course)
given          which interventions 1-5 were delivered at  0-31: bit ``k - 1`` set once
               least once (indices 9-13)                  intervention ``k`` was given
=============  =========================================  ===============================

Every fixed schedule (the same interventions in the same weeks for everyone) is a
table in this view, and so is a plan that adapts to what was actually delivered
(an intervention the budget refused is tried again). A student's own signals (the
classifier's risk, last week's activity) are not in it, by measurement on validation
students (ground truth, gain over doing nothing; Q-learning with all-action updates,
:mod:`studentgym.agents.qlearning`, trained in the classifier simulator on 50,000
students a seed, 1,024 at a time): this view +0.111, +0.092, +0.109 (seeds 0-2); with
the classifier's risk level as well (three times the states) +0.069, +0.107, +0.084;
the earlier rule-of-thumb view (risk x engagement x phase x interventions so far, 315
states) +0.034, +0.033, +0.030, less than one-action Q-learning reached in it. That
view aliased the course week and which interventions were given, what the best
policies use (a different intervention in each of the first weeks).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import VectorWrapper
from gymnasium.vector.utils import batch_space

from studentgym.envs.observation import OBSERVATION_NAMES, WEEK_FRACTION
from studentgym.envs.tutoring import TutoringEnv
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.simulators.interventions import CATALOGUE

COURSE_WEEKS = 39  # the week levels are weeks of a course of this length
N_WEEK, N_GIVEN = COURSE_WEEKS + 1, 2 ** (len(CATALOGUE) - 1)
N_STATES = N_WEEK * N_GIVEN
# the observation's given_* columns (interventions 1-5)
GIVEN_COLUMNS = slice(
    OBSERVATION_NAMES.index("given_study_skills"), OBSERVATION_NAMES.index("given_study_skills") + 5
)
_BITS = 1 << np.arange(len(CATALOGUE) - 1)


def tabular_state(obs: np.ndarray) -> np.ndarray | int:
    """The state index of an observation ``(20,)`` (an int) or a batch ``(..., 20)``."""
    obs = np.asarray(obs)
    return state_of(obs[..., WEEK_FRACTION], obs[..., GIVEN_COLUMNS] > 0)


def state_of(week_fraction, given) -> np.ndarray | int:
    """The state index from the share of the course elapsed and ``given``, booleans
    ``(..., 5)`` saying which interventions 1-5 were delivered (scalars or arrays)."""
    week = np.clip(np.rint(np.asarray(week_fraction) * COURSE_WEEKS), 0, COURSE_WEEKS)
    state = week.astype(np.int64) * N_GIVEN + (np.asarray(given) * _BITS).sum(-1)
    return int(state) if np.ndim(state) == 0 else state


def state_parts(states: np.ndarray | int) -> tuple:
    """``(week, given)`` of state index(es): the week level and the 5-bit mask."""
    return np.divmod(states, N_GIVEN)


def check_q_table(*tables: np.ndarray) -> None:
    """Raise unless every table is ``(N_STATES, 6)``, one row per state of this view.

    Raises:
        ValueError: naming the shape found, e.g. a table learned over the 315-state view
            of earlier versions.
    """
    for table in tables:
        if np.shape(table) != (N_STATES, len(CATALOGUE)):
            raise ValueError(
                f"a Q-table over the tabular view (course week x interventions given) has "
                f"{N_STATES} states, shape ({N_STATES}, {len(CATALOGUE)}), got "
                f"{np.shape(table)}: it was learned over another view (earlier studentgym "
                "versions had 315 states); train it again with scripts/train_agent.py"
            )


def given_names(given: int) -> str:
    """The interventions of a given-mask by key, in catalogue order, e.g.
    ``"assessment_practice, tutor_call"``, or ``"none"``."""
    names = [item.key for item, bit in zip(CATALOGUE[1:], _BITS, strict=True) if given & bit]
    return ", ".join(names) or "none"


def state_name(state: int) -> str:
    """E.g. ``"week 3 / given: assessment_practice, tutor_call"``."""
    week, given = (int(x) for x in state_parts(int(state)))
    return f"week {week} / given: {given_names(given)}"


class TabularObservation(gym.ObservationWrapper):
    """Replaces the Box observation by the :func:`tabular_state` index (``Discrete(1280)``)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space = spaces.Discrete(N_STATES)

    def observation(self, observation: np.ndarray) -> int:
        return tabular_state(observation)


class TabularVectorObservation(VectorWrapper):
    """The vector counterpart: observations are ``num_envs`` state indices.

    Works under both autoreset modes: with ``SAME_STEP`` the final observations in
    ``info["final_obs"]`` are state indices too (Gymnasium's
    ``VectorObservationWrapper`` refuses that mode, so this is a plain ``VectorWrapper``).

    Args:
        env: a ``TutoringVectorEnv``.
        view: the finite view, observations -> state indices (default this module's
            :func:`tabular_state`; the targeting view is
            ``studentgym.envs.targeting_view.targeting_state``).
        n_states: the number of states of ``view``.
    """

    def __init__(self, env, view=tabular_state, n_states: int = N_STATES) -> None:
        super().__init__(env)
        self.view = view
        self.single_observation_space = spaces.Discrete(n_states)
        self.observation_space = batch_space(self.single_observation_space, env.num_envs)

    def reset(self, *, seed=None, options=None):
        observations, info = self.env.reset(seed=seed, options=options)
        return self.view(observations), info

    def step(self, actions):
        observations, reward, terminated, truncated, info = self.env.step(actions)
        if "final_obs" in info:
            final = info["final_obs"].copy()
            for i in np.flatnonzero(info["_final_obs"]):
                final[i] = self.view(final[i])
            info = {**info, "final_obs": final}
        return self.view(observations), reward, terminated, truncated, info

    def lookahead(self):
        """The wrapped env's ``lookahead()`` with states for observations: ``(num_envs, 6)``."""
        observations, reward, terminated, truncated = self.env.lookahead()
        return self.view(observations), reward, terminated, truncated


def make_tabular_env(**kwargs) -> TabularObservation:
    """``TutoringEnv(**kwargs)`` seen through :class:`TabularObservation`."""
    return TabularObservation(TutoringEnv(**kwargs))


def make_tabular_vector_env(num_envs: int = 64, **kwargs) -> TabularVectorObservation:
    """``TutoringVectorEnv(num_envs, **kwargs)`` seen through :class:`TabularVectorObservation`."""
    return TabularVectorObservation(TutoringVectorEnv(num_envs=num_envs, **kwargs))

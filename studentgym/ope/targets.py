"""Target policies for a log that holds observations: named on a command line, and
their probabilities at every logged decision."""

from __future__ import annotations

import numpy as np

from studentgym.agents.dqn import GreedyDQN
from studentgym.agents.policies import FixedSchedule, NoIntervention, RandomPolicy, TabularPolicy
from studentgym.agents.qlearning import QLearningAgent
from studentgym.ope.collect import action_probabilities
from studentgym.ope.episodes import LoggedEpisodes
from studentgym.simulators.interventions import N_ACTIONS

SPECS = (
    "none",
    "random",
    "schedule:WEEK=ACTION,... (e.g. schedule:1=2,5=3)",
    "qtable:PATH (a q_table.npz)",
    "dqn:FOLDER (a saved GreedyDQN)",
)
"""The policies a log can be judged for, as written on the command line."""


def policy_from_spec(spec: str, n_weeks: int = 39):
    """The policy a spec of :data:`SPECS` names (it acts on observations alone).

    Raises:
        ValueError: naming the spec and the accepted forms; FileNotFoundError for a
            missing Q-table or DQN folder.
    """
    kind, _, argument = spec.partition(":")
    if kind == "none" and not argument:
        return NoIntervention()
    if kind == "random" and not argument:
        return RandomPolicy()
    if kind == "schedule" and argument:
        try:
            plan = {int(w): int(a) for w, a in (item.split("=") for item in argument.split(","))}
        except ValueError:
            raise ValueError(f"{spec!r}: a schedule is schedule:WEEK=ACTION,...") from None
        return FixedSchedule(plan, n_weeks)
    if kind == "qtable" and argument:
        return TabularPolicy(QLearningAgent.load(argument).q_table_)
    if kind == "dqn" and argument:
        return GreedyDQN.load(argument)
    raise ValueError(f"unknown policy {spec!r}; use one of: {'; '.join(SPECS)}")


def logged_probabilities(policy, episodes: LoggedEpisodes) -> np.ndarray:
    """``(episodes, horizon, 6)`` the policy's probabilities at every logged decision,
    computed from the logged observations (every action is taken as affordable).

    Raises:
        ValueError: if the log has no observation columns.
    """
    if episodes.observations is None:
        raise ValueError("the log has no observation columns to judge a policy on")
    obs = episodes.observations[episodes.mask].astype(np.float32)
    info = {"action_mask": np.ones((len(obs), N_ACTIONS), dtype=np.int8)}
    probabilities = np.zeros((*episodes.mask.shape, N_ACTIONS))
    probabilities[..., 0] = 1.0
    probabilities[episodes.mask] = action_probabilities(policy, obs, info)
    return probabilities

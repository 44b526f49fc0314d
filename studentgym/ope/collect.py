"""Logging runs: interventions given by a stochastic policy, written as a log.

A university's records come from its own (logging) policy. Here the policy is run on
simulated students, and every action's probability is recorded, so that a target
policy's value can be estimated from the log (:mod:`studentgym.ope.estimators`) and
compared with its true value (:mod:`studentgym.ope.truth`). The target policies'
probabilities at the logged decisions are recorded in the same pass, because some
policies read more than the observation (the rule matrix reads every feature).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from studentgym.envs.observation import OBSERVATION_NAMES
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.ope.episodes import LoggedEpisodes
from studentgym.simulators.interventions import N_ACTIONS


def action_probabilities(policy, obs: np.ndarray, info: dict) -> np.ndarray:
    """``(n, 6)`` probabilities of each action under ``policy`` for a batch.

    A policy with ``action_probabilities(obs, info)`` gives them; any other is taken
    as deterministic (its action has probability 1).
    """
    if hasattr(policy, "action_probabilities"):
        return np.asarray(policy.action_probabilities(obs, info), dtype=float)
    actions = np.asarray(policy.act(obs, info), dtype=np.int64)
    return np.eye(N_ACTIONS)[actions]


class SoftenedPolicy:
    """A policy that explores: ``policy``'s action with probability ``1 - epsilon``,
    otherwise an action drawn uniformly from the catalogue (so every action has
    probability at least ``epsilon / 6``).

    Raises:
        ValueError: if ``epsilon`` is not in (0, 1].
    """

    def __init__(self, policy, epsilon: float = 0.2, seed: int = 0) -> None:
        if not 0 < epsilon <= 1:
            raise ValueError(f"epsilon must be in (0, 1], got {epsilon}")
        self.policy, self.epsilon = policy, epsilon
        self._rng = np.random.default_rng(seed)

    def bind(self, env) -> None:
        if hasattr(self.policy, "bind"):
            self.policy.bind(env)

    def action_probabilities(self, obs: np.ndarray, info: dict) -> np.ndarray:
        base = action_probabilities(self.policy, np.atleast_2d(obs), info)
        return (1 - self.epsilon) * base + self.epsilon / N_ACTIONS

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        return sample_actions(self.action_probabilities(obs, info), self._rng)


def sample_actions(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of ``(n, actions)`` probabilities."""
    cumulative = np.cumsum(probabilities, axis=1)
    drawn = rng.random((len(probabilities), 1)) * cumulative[:, -1:]
    return np.minimum((drawn >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


@dataclass
class LoggingRun:
    """A log and what the target policies would have done at its decisions.

    Attributes:
        log: the log, in :mod:`studentgym.ope.episodes`' format (plus ``student_id``).
        episodes: the log as arrays (episode ``i`` is slot ``i``).
        targets: policy name -> ``(episodes, horizon, 6)`` its action probabilities at
            each logged decision.
    """

    log: pd.DataFrame
    episodes: LoggedEpisodes
    targets: dict[str, np.ndarray]

    def take(self, rows: slice) -> LoggingRun:
        """The episodes ``rows`` alone (a smaller log from the same policy)."""
        e = self.episodes
        mask = e.mask[rows]
        horizon = int(mask.any(axis=0).nonzero()[0].max()) + 1
        cut = (rows, slice(0, horizon))
        part = LoggedEpisodes(
            e.states[cut],
            e.actions[cut],
            e.rewards[cut],
            e.propensity[cut],
            e.mask[cut],
            None if e.observations is None else e.observations[cut],
        )
        first, stop, _ = rows.indices(e.n_episodes)
        log = self.log[self.log["episode"].between(first, stop - 1)]
        return LoggingRun(log, part, {k: v[cut] for k, v in self.targets.items()})


def collect(
    env: TutoringVectorEnv,
    behaviour,
    targets: dict | None = None,
    seed: int = 0,
) -> LoggingRun:
    """One course per slot of ``env`` under ``behaviour``, logged with propensities.

    Args:
        env: the vector env the students live in (its outcome model is the truth
            the log records); one episode per slot.
        behaviour: the logging policy; must give ``action_probabilities`` (e.g. a
            :class:`SoftenedPolicy`) so that every logged action has a known
            probability.
        targets: name -> policy whose probabilities at each logged decision are
            recorded (see :func:`action_probabilities`).
        seed: the env's reset seed and the seed of the logging policy's draws.

    Raises:
        TypeError: if ``behaviour`` has no ``action_probabilities``.
    """
    if not hasattr(behaviour, "action_probabilities"):
        raise TypeError("the logging policy must give action_probabilities(obs, info)")
    targets = targets or {}
    for policy in (behaviour, *targets.values()):
        if hasattr(policy, "bind"):
            policy.bind(env)
    rng = np.random.default_rng(seed)
    n = env.num_envs
    obs, info = env.reset(seed=seed)
    done = np.zeros(n, dtype=bool)
    steps: list[dict] = []
    while not done.all():
        live = np.flatnonzero(~done)
        probabilities = action_probabilities(behaviour, obs, info)
        actions = np.where(done, 0, sample_actions(probabilities, rng))
        step = {
            "episode": live,
            "student_id": info["student_id"][live],
            "week": info["week"][live],
            "action": actions[live],
            "propensity": probabilities[live, actions[live]],
            "observation": obs[live].astype(float),
            "targets": {k: action_probabilities(p, obs, info)[live] for k, p in targets.items()},
        }
        hours_before = info["cost_hours"].copy()
        obs, _, terminated, truncated, info = env.step(actions)
        step["tutor_hours"] = (info["cost_hours"] - hours_before)[live]
        step["final_result"] = info["final_result"][live]
        steps.append(step)
        done |= terminated | truncated
    return _as_run(steps, n, list(targets))


def _as_run(steps: list[dict], n: int, names: list[str]) -> LoggingRun:
    """The per-step records as a log frame, its arrays and the targets' arrays."""
    last_result = np.empty(n, dtype=object)
    for step in steps:  # an episode's result is known at its last step
        known = step["final_result"] != None  # noqa: E711 (object array)
        last_result[step["episode"][known]] = step["final_result"][known]
    columns = {
        key: np.concatenate([s[key] for s in steps])
        for key in ("episode", "student_id", "week", "action", "propensity", "tutor_hours")
    }
    observations = np.concatenate([s["observation"] for s in steps])
    log = pd.DataFrame(
        {
            **columns,
            "final_result": last_result[columns["episode"]],
            **dict(zip(OBSERVATION_NAMES, observations.T, strict=True)),
        }
    )
    episodes = LoggedEpisodes.from_frame(log)
    horizon = episodes.mask.shape[1]
    step_of = np.concatenate([np.full(len(s["episode"]), t) for t, s in enumerate(steps)])
    targets = {}
    for name in names:
        probabilities = np.zeros((n, horizon, N_ACTIONS))
        probabilities[..., 0] = 1.0  # padded decisions: unused, but valid rows
        probabilities[columns["episode"], step_of] = np.concatenate(
            [s["targets"][name] for s in steps]
        )
        targets[name] = probabilities
    return LoggingRun(log, episodes, targets)

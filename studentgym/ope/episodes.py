"""Logged interventions: the log format, its reader, and the padded arrays estimators read.

A log has one row per decision (a student-week on which a tutor could intervene):

================  ========================================================  ========
column            meaning                                                   needed
================  ========================================================  ========
``episode``       one student's course (any identifier)                     yes
``week``          course week of the decision; orders an episode's rows     yes
``action``        catalogue id given (0 = none; ``studentgym.simulators.``  yes
                  ``interventions.CATALOGUE``)
``final_result``  Pass, Distinction, Fail or Withdrawn (same on every row)  yes
``propensity``    the logging policy's probability of ``action``, (0, 1]    if known
``tutor_hours``   hours delivered that week (default: the action's cost)    no
observation       the env's 20 observation columns                          to judge
columns           (``studentgym.envs.observation.OBSERVATION_NAMES``)       policies
                                                                            that read
                                                                            them
================  ========================================================  ========

Rewards are the env's (:mod:`studentgym.simulators.reward`): ``-HOUR_PRICE`` per tutor
hour each week, and +1 (Pass, Distinction) or -1 (Fail, Withdrawn) at an episode's
last row. A log without propensities gets them estimated (a multinomial logistic
regression of the action on the observation), and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from studentgym.envs.observation import OBSERVATION_NAMES
from studentgym.envs.tabular import tabular_state
from studentgym.io.tables import read_table
from studentgym.predictors.schema import Column, SchemaError, check_schema, describe_rows
from studentgym.simulators.config import RESULTS
from studentgym.simulators.interventions import COST_HOURS, N_ACTIONS
from studentgym.simulators.reward import HOUR_PRICE, cost_reward, outcome_reward

LOG_SCHEMA = {
    "episode": Column("categorical"),
    "week": Column("numeric", 0, np.inf),
    "action": Column("numeric", 0, N_ACTIONS - 1),
    "final_result": Column("categorical"),
}
OPTIONAL_SCHEMA = {"propensity": Column("numeric", 0, 1), "tutor_hours": Column("numeric", 0)}
SUCCESS_RESULTS = ("Pass", "Distinction")


@dataclass(frozen=True)
class LoggedEpisodes:
    """``n`` episodes of at most ``horizon`` decisions, padded after their end.

    Attributes:
        states, actions: ``(n, horizon)`` integers (0 where padded); ``states`` index a
            finite view (the env's 1,280 tabular states for an env log).
        rewards: ``(n, horizon)`` rewards (0 where padded).
        propensity: ``(n, horizon)`` the logging policy's probability of the logged
            action (1 where padded).
        mask: ``(n, horizon)`` True where a decision was logged.
        observations: ``(n, horizon, d)`` what was observed at each decision, or None.
        propensity_estimated: the propensities were estimated, not logged.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    propensity: np.ndarray
    mask: np.ndarray
    observations: np.ndarray | None = None
    propensity_estimated: bool = False

    def __post_init__(self) -> None:
        shapes = {a.shape for a in (self.states, self.actions, self.rewards, self.propensity)}
        if len(shapes | {self.mask.shape}) != 1 or self.mask.ndim != 2:
            raise ValueError(f"every array must be (episodes, horizon), got {shapes}")
        if self.observations is not None and self.observations.shape[:2] != self.mask.shape:
            raise ValueError("observations must be (episodes, horizon, features)")
        logged = self.propensity[self.mask]
        if not ((logged > 0) & (logged <= 1)).all():
            raise ValueError("propensities of logged actions must lie in (0, 1]")

    @property
    def n_episodes(self) -> int:
        return self.mask.shape[0]

    @property
    def features(self) -> np.ndarray:
        """``(n, horizon, d)`` regression features of each decision: the observation with
        a leading 1, or a one-hot of the state when there are no observations."""
        if self.observations is not None:
            ones = np.ones((*self.mask.shape, 1))
            return np.concatenate([ones, self.observations], axis=-1)
        return np.eye(int(self.states.max()) + 1)[self.states]

    @property
    def returns(self) -> np.ndarray:
        """``(n,)`` undiscounted return of each episode."""
        return np.where(self.mask, self.rewards, 0.0).sum(axis=1)

    @classmethod
    def from_frame(
        cls, log: pd.DataFrame, hour_price: float = HOUR_PRICE, what: str = "the log"
    ) -> LoggedEpisodes:
        """From a log in the module's format (rows in any order).

        Raises:
            SchemaError: naming missing or mistyped columns, unknown final results, an
                episode whose final result changes or whose weeks repeat, and
                propensities outside (0, 1] (with their lines).
        """
        _check_log(log, what)
        log = log.sort_values(["episode", "week"], kind="stable")
        episode = pd.factorize(log["episode"])[0]
        step = log.groupby(episode).cumcount().to_numpy()
        last = np.r_[episode[1:] != episode[:-1], True]
        actions = log["action"].to_numpy(np.int64)
        hours = (
            log["tutor_hours"].to_numpy(float)
            if "tutor_hours" in log
            else np.asarray(COST_HOURS)[actions]
        )
        passed = log["final_result"].isin(SUCCESS_RESULTS).to_numpy()
        reward = outcome_reward(last, passed, 0.0, expected=False) + cost_reward(hours, hour_price)
        names = [n for n in OBSERVATION_NAMES if n in log]
        shape = (episode.max() + 1, step.max() + 1)

        def padded(values, fill, dtype):
            out = np.full(shape + np.shape(values)[1:], fill, dtype=dtype)
            out[episode, step] = values
            return out

        mask = padded(True, False, bool)
        observations = None
        states = np.zeros(shape, np.int64)
        if len(names) == len(OBSERVATION_NAMES):
            observations = padded(log[list(OBSERVATION_NAMES)].to_numpy(float), 0.0, float)
            states = np.where(mask, tabular_state(observations), 0)
        arrays = {
            "states": states,
            "actions": padded(actions, 0, np.int64),
            "rewards": padded(reward, 0.0, float),
            "mask": mask,
            "observations": observations,
        }
        if "propensity" in log:
            return cls(propensity=padded(log["propensity"].to_numpy(float), 1.0, float), **arrays)
        if observations is None:
            raise SchemaError(
                ["no propensity column, and no observation columns to estimate it from"], what
            )
        unfinished = cls(propensity=np.ones(shape), **arrays)
        return cls(propensity=estimate_propensity(unfinished), propensity_estimated=True, **arrays)


def _check_log(log: pd.DataFrame, what: str) -> None:
    present = {k: v for k, v in OPTIONAL_SCHEMA.items() if k in log}
    present.update({name: Column("numeric") for name in OBSERVATION_NAMES if name in log})
    check_schema(log, {**LOG_SCHEMA, **present}, what)
    problems = []
    unknown = ~log["final_result"].isin(RESULTS)
    if unknown.any():
        problems.append(
            f"final_result must be one of {', '.join(RESULTS)}; lines "
            + describe_rows(unknown, log.index)
        )
    if log.groupby("episode")["final_result"].nunique().gt(1).any():
        problems.append("an episode's final_result must be the same on all its rows")
    repeated = log.duplicated(["episode", "week"], keep=False)
    if repeated.any():
        problems.append("repeated episode + week on lines " + describe_rows(repeated, log.index))
    if not log["action"].eq(log["action"].round()).all():
        problems.append("action must be a whole catalogue id")
    if "propensity" in log:
        zero = log["propensity"].le(0) | log["propensity"].isna()
        if zero.any():
            problems.append("propensity must be in (0, 1]; lines " + describe_rows(zero, log.index))
    if problems:
        raise SchemaError(problems, what)


def estimate_propensity(episodes: LoggedEpisodes) -> np.ndarray:
    """``(n, horizon)`` probabilities of the logged actions under a multinomial logistic
    regression of the action on the observation (1 where padded)."""
    X = episodes.observations[episodes.mask]
    actions = episodes.actions[episodes.mask]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, actions)
    proba = model.predict_proba(X)
    column = np.searchsorted(model.classes_, actions)
    propensity = np.ones(episodes.mask.shape)
    propensity[episodes.mask] = proba[np.arange(len(actions)), column]
    return propensity


def read_log(path: str | Path, hour_price: float = HOUR_PRICE) -> LoggedEpisodes:
    """Read a CSV log (see the module docstring).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: for an empty file, or (a SchemaError) naming every problem of its
            columns and rows with their line numbers.
    """
    frame = read_table(path, LOG_SCHEMA, required=tuple(LOG_SCHEMA))
    return LoggedEpisodes.from_frame(frame, hour_price, what=str(path))

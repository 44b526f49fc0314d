"""Logged episodes as padded arrays: what every estimator reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LOG_COLUMNS = ("episode", "step", "state", "action", "propensity", "reward")
"""A tidy log: one row per decision (``state`` an integer state of a finite view)."""


@dataclass(frozen=True)
class LoggedEpisodes:
    """``n`` episodes of at most ``horizon`` decisions, padded after their end.

    Attributes:
        states, actions: ``(n, horizon)`` integers (0 where padded).
        rewards: ``(n, horizon)`` rewards (0 where padded).
        propensity: ``(n, horizon)`` the logging policy's probability of the logged
            action (1 where padded).
        mask: ``(n, horizon)`` True where a decision was logged.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    propensity: np.ndarray
    mask: np.ndarray

    def __post_init__(self) -> None:
        shapes = {a.shape for a in (self.states, self.actions, self.rewards, self.propensity)}
        if len(shapes | {self.mask.shape}) != 1 or self.mask.ndim != 2:
            raise ValueError(f"every array must be (episodes, horizon), got {shapes}")
        logged = self.propensity[self.mask]
        if not ((logged > 0) & (logged <= 1)).all():
            raise ValueError("propensities of logged actions must lie in (0, 1]")

    @property
    def n_episodes(self) -> int:
        return self.mask.shape[0]

    @classmethod
    def from_frame(cls, log: pd.DataFrame) -> LoggedEpisodes:
        """From a tidy log with :data:`LOG_COLUMNS` (steps numbered 0, 1, ... per episode).

        Raises:
            ValueError: naming missing columns, steps that are not 0..k-1 in an episode,
                or propensities outside (0, 1].
        """
        missing = [c for c in LOG_COLUMNS if c not in log.columns]
        if missing:
            raise ValueError(f"the log needs the columns {list(LOG_COLUMNS)}; missing {missing}")
        log = log.sort_values(["episode", "step"])
        episode = pd.factorize(log["episode"])[0]
        step = log["step"].to_numpy(np.int64)
        expected = log.groupby(episode).cumcount().to_numpy()
        if not np.array_equal(step, expected):
            raise ValueError("each episode's steps must be numbered 0, 1, 2, ... without gaps")
        n, horizon = episode.max() + 1, step.max() + 1
        arrays = {
            "states": np.zeros((n, horizon), np.int64),
            "actions": np.zeros((n, horizon), np.int64),
            "rewards": np.zeros((n, horizon)),
            "propensity": np.ones((n, horizon)),
            "mask": np.zeros((n, horizon), bool),
        }
        for name, column in (
            ("states", "state"),
            ("actions", "action"),
            ("rewards", "reward"),
            ("propensity", "propensity"),
        ):
            arrays[name][episode, step] = log[column].to_numpy()
        arrays["mask"][episode, step] = True
        return cls(**arrays)

"""An upper reference: a tutor who can see the simulator's ground truth and the future.

At each decision week (1, 1 + every, ...) the oracle plays the rest of the course
for every student once per action: the action now, then nothing, with the
student's own future random numbers (the ones the env will use) and the latent
model as the judge. It gives the action with the best value

    V(a) = (-1 if the student withdraws else 2 P(success | latent path) - 1)
           - hour_price * tutor hours

when that beats doing nothing. This is one step of policy improvement over "never
intervene" with perfect information, so it is a reference no deployable policy
can reach, not an optimum: a sequence planned jointly could do better still.
"""

from __future__ import annotations

import numpy as np

from studentgym.agents.policies import decision_weeks
from studentgym.recommenders.evaluation import course_value
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.reward import HOUR_PRICE


class OraclePolicy:
    """Clairvoyant one-step lookahead on the ground truth; bind it to a TutoringVectorEnv.

    Args:
        hour_price: reward units per tutor hour in the lookahead (the env's price).
        every: weeks between decisions.
    """

    def __init__(self, hour_price: float = HOUR_PRICE, every: int = 4) -> None:
        self.hour_price, self.every = hour_price, every
        self._env = None

    def bind(self, env) -> None:
        """Look ahead in ``env`` (a TutoringVectorEnv) from now on."""
        self._env = env

    def action_values(self, rows: np.ndarray) -> np.ndarray:
        """``(len(rows), 6)`` values V(a) of the students in slots ``rows`` (positions).

        Raises:
            ValueError: if the students are not all in the same course week.
        """
        env = self._env
        sim = env.simulator
        n = len(rows)
        # the six futures of every student in one batch: action-major copies
        state = env.state.take(np.tile(rows, N_ACTIONS))
        if n and state.week.min() != state.week.max():
            raise ValueError("action_values needs students in the same course week")
        first = np.repeat(np.arange(N_ACTIONS), n)
        values = course_value(sim, state, first, self.hour_price)
        return values.reshape(N_ACTIONS, n).T

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        if self._env is None:
            raise RuntimeError("OraclePolicy needs bind(env) before act()")
        obs = np.atleast_2d(obs)
        actions = np.zeros(len(obs), dtype=np.int64)
        rows = decision_weeks(obs, self.every, self._env.n_weeks)
        rows &= self._env.state.week < self._env.n_weeks
        weeks = self._env.state.week
        for week in np.unique(weeks[rows]):  # one lookahead per course week
            same = np.flatnonzero(rows & (weeks == week))
            actions[same] = np.argmax(self.action_values(same), axis=1)  # ties go to 0
        return actions

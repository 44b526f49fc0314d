"""A finite view of a student for targeting under a capacity: who they are now, not only
what was done.

The tabular view of :mod:`studentgym.envs.tabular` holds the plan (course week, what was
given), which is all a policy needs when every student can be helped alike. When the
hours are shared, the question is whom to help, and the state must hold the student:

=============  ==========================================  =============================
component      from the observation                        levels
=============  ==========================================  =============================
phase          course week (index 8, as a week of a        8: weeks 1-2, 3-4, 5-8, 9-12,
               39-week course)                             13-18, 19-24, 25-31, 32-38
risk           the classifier's P(success) (index 15)      6: below 0.15, 0.3, 0.5, 0.7,
                                                           0.85, and above
engagement     active days last week (index 1)             3: none, 1-2, 3 or more
given          which interventions 1-5 were delivered at   32: bit ``k - 1`` once
               least once (indices 9-13)                   intervention ``k`` was given
=============  ==========================================  =============================

``state = ((phase * 6 + risk) * 3 + engagement) * 32 + given``: 4,608 states.
"""

from __future__ import annotations

import numpy as np

from studentgym.envs.observation import ACTIVE_DAYS, P_SUCCESS, WEEK_FRACTION
from studentgym.envs.tabular import _BITS, COURSE_WEEKS, GIVEN_COLUMNS, N_GIVEN

PHASE_STARTS = (3, 5, 9, 13, 19, 25, 32)
"""First course week of each phase after the first."""
RISK_EDGES = (0.15, 0.3, 0.5, 0.7, 0.85)
ENGAGEMENT_EDGES = (1, 3)
N_PHASE, N_RISK, N_ENGAGEMENT = (
    len(PHASE_STARTS) + 1,
    len(RISK_EDGES) + 1,
    len(ENGAGEMENT_EDGES) + 1,
)
N_TARGETING_STATES = N_PHASE * N_RISK * N_ENGAGEMENT * N_GIVEN


def targeting_state(obs: np.ndarray) -> np.ndarray | int:
    """The state index of an observation ``(20,)`` (an int) or a batch ``(..., 20)``."""
    obs = np.asarray(obs)
    week = np.rint(obs[..., WEEK_FRACTION] * COURSE_WEEKS)
    phase = np.searchsorted(PHASE_STARTS, week, side="right")
    risk = np.searchsorted(RISK_EDGES, obs[..., P_SUCCESS], side="right")
    engagement = np.searchsorted(ENGAGEMENT_EDGES, obs[..., ACTIVE_DAYS], side="right")
    given = ((obs[..., GIVEN_COLUMNS] > 0) * _BITS).sum(-1)
    state = ((phase * N_RISK + risk) * N_ENGAGEMENT + engagement) * N_GIVEN + given
    return int(state) if np.ndim(state) == 0 else state.astype(np.int64)


def state_parts(states: np.ndarray | int) -> tuple:
    """``(phase, risk, engagement, given)`` of state index(es)."""
    rest, given = np.divmod(states, N_GIVEN)
    rest, engagement = np.divmod(rest, N_ENGAGEMENT)
    phase, risk = np.divmod(rest, N_RISK)
    return phase, risk, engagement, given

"""What training students' outcomes show: a randomised trial and the response model fitted on it.

**The trial** (:func:`log_responses`). Training students are observed at the decision
week with no intervention so far; each gets one intervention drawn uniformly from the
catalogue (doing nothing included) and nothing else for the rest of the course, and
their *observed* return is logged: +1 for a pass or distinction, -1 for a fail or a
withdrawal, minus :data:`~studentgym.simulators.reward.HOUR_PRICE` per tutor hour.
The same students are enrolled ``replays`` times, each with an independent course
(a new past and a new future). Nothing of the ground truth is logged: no latent need,
no P(success | latent path), only what an institution running the trial would see.

**The response model** (:class:`ResponseModel`). A ridge regression of the return on
what the recommender sees (:data:`RESPONSE_INPUTS`, standardised to ``z``) with an
intervention-specific shift and slope,

    return ~ b0 + z . beta + theta[a] + z . W[a]        (theta[0] = 0, W[0] = 0)

so ``benefit[a](z) = theta[a] + z . W[a]`` is what intervention ``a`` adds over doing
nothing, in reward units. The ``5 x p`` slope matrix ``W`` (interventions x student
inputs) is factorised with TruncatedSVD, keeping the fewest components that reach 90%
of its squared norm: students and interventions meet in a latent space of
``n_components_`` factors (a student's factor ``z V_k^T``, an intervention's ``U_k S_k``),
the collaborative part of the hybrid recommender: a student's scores come from how
students with similar inputs responded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.decomposition import TruncatedSVD
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from studentgym.recommenders.evaluation import Snapshot, snapshot
from studentgym.recommenders.topics import PROFILE_INPUTS, profile_inputs
from studentgym.simulators.interventions import CATALOGUE, N_ACTIONS
from studentgym.simulators.reward import cost_reward, outcome_reward
from studentgym.simulators.student import StudentSimulator

RESPONSE_INPUTS = (*PROFILE_INPUTS, "p_success")
"""What the response model reads: the topic profiler's inputs and the classifier's P(success)."""
VARIANCE_TARGET = 0.90
"""Both of the hybrid's factorisations keep the fewest components reaching this share."""


def fewest_components(cumulative_share: np.ndarray, requested: int | None = None) -> int:
    """``requested``, or the fewest components whose ``cumulative_share`` reaches
    :data:`VARIANCE_TARGET` (all of them if none does)."""
    if requested:
        return int(requested)
    return int(min(np.searchsorted(cumulative_share, VARIANCE_TARGET) + 1, len(cumulative_share)))


def response_inputs(profile: pd.DataFrame, p_success: np.ndarray) -> pd.DataFrame:
    """:data:`RESPONSE_INPUTS` from the profiler's inputs and P(success) (same index)."""
    return profile.assign(p_success=np.asarray(p_success, dtype=float))[list(RESPONSE_INPUTS)]


def snapshot_inputs(snap: Snapshot) -> pd.DataFrame:
    """:data:`RESPONSE_INPUTS` of the students of a snapshot."""
    return response_inputs(profile_inputs(snap.features), snap.p_success)


@dataclass
class LoggedResponses:
    """A randomised trial's log: one row per enrolment.

    Attributes:
        inputs: :data:`RESPONSE_INPUTS` at the decision week.
        action: the intervention given (catalogue id; 0 = none).
        observed_return: the observed return of the whole course (reward units).
    """

    inputs: pd.DataFrame
    action: np.ndarray
    observed_return: np.ndarray

    def table(self) -> pd.DataFrame:
        """Per intervention (``response_trial.csv``): enrolments, mean observed return and
        its difference from doing nothing (the average benefit the trial measured)."""
        frame = pd.DataFrame({"action": self.action, "observed_return": self.observed_return})
        table = (
            frame.groupby("action")["observed_return"]
            .agg(enrolments="size", mean_return="mean")
            .reindex(range(N_ACTIONS))
        )
        table.insert(0, "intervention", [i.key for i in CATALOGUE])
        table["minus_none"] = table["mean_return"] - table.loc[0, "mean_return"]
        return table.rename_axis("action_id").reset_index()


def log_responses(
    simulator: StudentSimulator, rows, week: int = 8, replays: int = 64, seed: int = 0
) -> LoggedResponses:
    """Run the randomised trial (module docstring) on the students at cohort positions ``rows``.

    Raises:
        ValueError: if ``replays < 1`` or ``week`` is not a course week with a future.
    """
    if replays < 1:
        raise ValueError(f"replays must be >= 1, got {replays}")
    if not 1 <= week < simulator.n_weeks:
        raise ValueError(f"week must be in [1, {simulator.n_weeks - 1}], got {week}")
    rng = np.random.default_rng(seed)
    inputs, actions, returns = [], [], []
    for replay in rng.integers(0, 2**32, replays):
        snap = snapshot(simulator, rows, week, int(replay))
        action = rng.integers(0, N_ACTIONS, len(snap.rows))
        state, gone = snap.state.copy(), np.zeros(len(snap.rows), dtype=bool)
        act = action.copy()
        while state.week[0] < simulator.n_weeks:
            _, _, withdrew, u_outcome = simulator.step_batch(state, act, ~gone)
            gone |= withdrew
            act = np.zeros_like(act)
        # the final result as the env draws it: the last week's uniform against P(success)
        passed = ~gone & (u_outcome < simulator.final_success(state))
        inputs.append(snapshot_inputs(snap))
        actions.append(action)
        returns.append(outcome_reward(True, passed, 0.0, expected=False) + cost_reward(state.hours))
    return LoggedResponses(
        pd.concat(inputs, ignore_index=True), np.concatenate(actions), np.concatenate(returns)
    )


class ResponseModel(BaseEstimator):
    """Benefit of each topic intervention over doing nothing, learned from a randomised trial.

    Args:
        alpha: ridge penalty (in squared standardised units, summed over enrolments).
        n_components: latent factors of the slope matrix; None chooses the fewest
            reaching 90% of its squared norm.
        seed: random state of the SVD.

    Attributes:
        scaler_: standardisation of the inputs.
        shift_: ``(5,)`` benefit of each topic intervention at average inputs.
        slopes_: ``(5, p)`` the factorised slope matrix ``U_k S_k V_k``.
        svd_, n_components_, explained_variance_: the factorisation.
    """

    def __init__(self, alpha: float = 1000.0, n_components: int | None = None, seed: int = 0):
        self.alpha = alpha
        self.n_components = n_components
        self.seed = seed

    def fit(self, responses: LoggedResponses, y=None) -> ResponseModel:
        """Fit on a trial's log.

        Raises:
            ValueError: if an input column is missing, an action is outside the
                catalogue, or some action was never tried.
        """
        z = self._standardised(responses.inputs, fit=True)
        action = np.asarray(responses.action, dtype=np.int64)
        if action.min(initial=0) < 0 or action.max(initial=0) >= N_ACTIONS:
            raise ValueError(f"actions must be catalogue ids 0..{N_ACTIONS - 1}")
        tried = np.bincount(action, minlength=N_ACTIONS)
        if (tried == 0).any():
            raise ValueError(f"every action needs enrolments; counts {tried.tolist()}")
        p = z.shape[1]
        ridge = Ridge(alpha=self.alpha).fit(_design(z, action), responses.observed_return)
        coef = ridge.coef_
        self.shift_ = coef[p : p + N_ACTIONS - 1]
        slopes = coef[p + N_ACTIONS - 1 :].reshape(N_ACTIONS - 1, p)
        max_components = N_ACTIONS - 2
        full = TruncatedSVD(max_components, random_state=self.seed).fit(slopes)
        share = np.cumsum(full.singular_values_**2) / max(np.sum(slopes**2), 1e-300)
        k = fewest_components(share, self.n_components)
        self.svd_ = TruncatedSVD(k, random_state=self.seed).fit(slopes)
        self.n_components_ = k
        self.explained_variance_ = float(share[k - 1])
        self.slopes_ = self.svd_.transform(slopes) @ self.svd_.components_
        return self

    def _standardised(self, inputs: pd.DataFrame, fit: bool = False) -> np.ndarray:
        missing = [c for c in RESPONSE_INPUTS if c not in inputs.columns]
        if missing:
            raise ValueError(f"response inputs are missing columns: {', '.join(missing)}")
        X = inputs[list(RESPONSE_INPUTS)].to_numpy(dtype=float)
        if fit:
            self.scaler_ = StandardScaler().fit(X)
        return self.scaler_.transform(X)

    def benefits(self, inputs: pd.DataFrame) -> np.ndarray:
        """``(n, 5)`` predicted gain in return of each topic intervention over none."""
        check_is_fitted(self)
        return self.shift_ + self._standardised(inputs) @ self.slopes_.T


def _design(z: np.ndarray, action: np.ndarray) -> np.ndarray:
    """Columns: inputs, one-hot topic interventions, and their products."""
    given = np.eye(N_ACTIONS)[action][:, 1:]
    return np.column_stack([z, given, (given[:, :, None] * z[:, None, :]).reshape(len(z), -1)])

"""Ground-truth success probabilities part-way through the course.

``cohort.p_success`` is the Bayes ceiling after the whole course. After ``w``
weeks the best any classifier can do is ``P(success | latent path up to week
w-1)``: the rest of the motivation path, withdrawal and the final draw are still
to come. :func:`success_probability_at` integrates them out by Monte Carlo with
the same equations (``dynamics.py``), giving the early-prediction ceiling.
"""

from __future__ import annotations

import numpy as np

from studentgym.simulators import dynamics
from studentgym.simulators.cohort import Cohort


def success_probability_at(
    cohort: Cohort, up_to_week: int, n_draws: int = 64, seed: int = 0, rows=None
) -> np.ndarray:
    """``P(Pass or Distinction | latent state after up_to_week weeks)`` per student.

    Args:
        cohort: a generated cohort (its latent paths are the conditioning state).
        up_to_week: weeks observed, in ``[1, n_weeks]``; ``n_weeks`` gives
            ``cohort.p_success``'s ceiling up to Monte Carlo noise in withdrawal.
        n_draws: Monte Carlo futures per student (standard error below
            ``0.5 / sqrt(n_draws)``).
        seed: seed of the simulated futures.
        rows: optional student positions to compute (default: all).

    Returns:
        Probabilities in [0, 1]; 0 for students who withdrew before ``up_to_week``.

    Raises:
        ValueError: if ``up_to_week`` is outside ``[1, n_weeks]`` or ``n_draws < 1``.
    """
    cfg = cohort.config
    n_weeks = cfg.n_weeks
    if not 1 <= up_to_week <= n_weeks:
        raise ValueError(f"up_to_week must be in [1, {n_weeks}], got {up_to_week}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    rows = np.arange(cfg.n_students) if rows is None else np.asarray(rows)
    rng = np.random.default_rng(seed)
    t = cohort.traits
    ability, needs = t.ability[rows], t.needs[rows]
    past = cohort.motivation[rows, :up_to_week]
    offset, fail_threshold, _ = cfg.module_arrays(cohort.students["code_module"].iloc[rows])
    still_registered = cohort.withdrawal_week[rows] >= up_to_week

    future_weeks = np.arange(up_to_week, n_weeks)
    shocks = cfg.motivation_drift + cfg.motivation_volatility * rng.standard_normal(
        (n_draws, len(rows), len(future_weeks))
    )
    future = past[None, :, -1:] + np.cumsum(shocks, axis=2)
    hazard = dynamics.sigmoid(
        dynamics.withdrawal_logit(
            future_weeks[None, None, :],
            future,
            ability[None, :, None],
            needs[None, :, None, :],
            t.credits_z[rows][None, :, None],
            offset[None, :, None],
            cfg.early_withdrawal_boost,
            cfg.early_withdrawal_weeks,
        )
    )
    survive = np.prod(1.0 - hazard, axis=2)
    mean_motivation = (past.sum(axis=1)[None, :] + future.sum(axis=2)) / n_weeks
    p_fail, _ = dynamics.result_probabilities(
        dynamics.performance(ability[None, :], mean_motivation, needs[None, :, :]),
        fail_threshold[None, :],
        np.inf,
    )
    return np.where(still_registered, (survive * (1.0 - p_fail)).mean(axis=0), 0.0)

"""Sharing a week's tutor hours among students: greedy by value per hour.

Every targeting policy in studentgym acts through :func:`allocate`, and so does the
class env's score mode (:class:`studentgym.envs.classroom.ClassEnv`): given what each
intervention is worth for each student (over doing nothing) and the hours it takes,
it serves the (student, intervention) pairs with the highest value per hour first,
at most one intervention per student, skipping a pair that no longer fits, until no
positive-value pair fits in the hours left.

That is the Lagrangian (Whittle-index) way of acting under a budget (Hawkins 2003;
Killian, Biswas, Shah & Tambe, KDD 2021): with values ``Q(s, a) - Q(s, none)`` of a
per-student Q-function learned at an hour price, the ratio is the index. Greedy by
ratio is the optimum of the relaxed (fractional) problem and of the real one when the
pairs that fill the hours have one cost; with mixed costs it may leave a little
unspent, as any index policy does.
"""

from __future__ import annotations

import numba
import numpy as np

from studentgym.simulators.interventions import COST_HOURS, N_ACTIONS

TOLERANCE = 1e-9
"""Hours within which a sum of quarter hours counts as fitting."""


def allocate(
    values: np.ndarray,
    capacity_hours: float,
    allowed: np.ndarray | None = None,
    cost_hours=COST_HOURS,
) -> np.ndarray:
    """One action per student (catalogue ids) whose hours sum to at most ``capacity_hours``.

    Args:
        values: ``(n, 6)`` value of each action for each student over doing nothing,
            in any unit (column 0 is ignored: nothing is worth nothing over nothing).
        capacity_hours: tutor hours this week (``inf``: no limit; then every student
            gets their best action per hour with a positive value).
        allowed: ``(n, 6)`` booleans (or 0/1), False where an action may not be given
            (a student whose course has ended, a budget that would not cover it).
        cost_hours: hours of each action (the catalogue's).

    Returns:
        ``(n,)`` int64 actions: 0 where a student is not served.

    Raises:
        ValueError: for values not ``(n, 6)``, a NaN value, a negative capacity, or a
            mask of another shape.
    """
    values = np.asarray(values, dtype=np.float64)
    cost = np.asarray(cost_hours, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != N_ACTIONS:
        raise ValueError(f"values must be (students, {N_ACTIONS}), got {values.shape}")
    if np.isnan(values).any():
        raise ValueError("values must not be NaN")
    if not capacity_hours >= 0:
        raise ValueError(f"capacity_hours must be >= 0, got {capacity_hours}")
    allowed = np.ones(values.shape, dtype=bool) if allowed is None else np.asarray(allowed, bool)
    if allowed.shape != values.shape:
        raise ValueError(f"allowed must be {values.shape}, got {allowed.shape}")
    per_hour = values[:, 1:] / cost[1:]
    candidate = allowed[:, 1:] & (values[:, 1:] > 0)
    student, action = np.nonzero(candidate)
    # best value per hour first; ties by student, then by action (stable, reproducible)
    order = np.argsort(-per_hour[student, action], kind="stable")
    actions = np.zeros(len(values), dtype=np.int64)
    _serve(student[order], action[order] + 1, cost, float(capacity_hours), actions)
    return actions


@numba.njit(cache=True)
def _serve(student, action, cost, capacity, out) -> None:
    left = capacity
    for k in range(len(student)):
        i, a = student[k], action[k]
        if out[i] == 0 and cost[a] <= left + TOLERANCE:
            out[i] = a
            left -= cost[a]


def hours_of(actions: np.ndarray, cost_hours=COST_HOURS) -> float:
    """Tutor hours the ``actions`` (catalogue ids) ask for."""
    return float(np.asarray(cost_hours)[np.asarray(actions, dtype=np.int64)].sum())

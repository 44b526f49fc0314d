"""Choosing a reference policy's free parameters on validation students.

A baseline that loses because nobody chose its threshold says little about the
learner that beat it. :func:`tune_policy` tries every combination of a small grid
(e.g. the recommender policy's risk threshold, cadence and repeat cap) with a
:class:`~studentgym.agents.benchmark.Judge` on validation students and keeps the
best mean return against doing nothing; :func:`search_schedule` builds the best
fixed schedule (the same interventions in the same weeks for everyone) one week at
a time. The judge must not hold evaluation students: the chosen policy is then
judged on students the choice never saw, so its evaluated value carries no
winner's curse.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from studentgym.agents.policies import FixedSchedule
from studentgym.simulators.interventions import N_ACTIONS

RECOMMENDER_GRID: dict[str, tuple] = {
    "threshold": (0.3, 0.4, 0.5, 0.6, 0.7),
    "every": (2, 4, 8),
    "max_repeats": (1, 2),
}
""":class:`~studentgym.agents.policies.RecommenderPolicy`: act below this P(success),
every so many weeks, at most so many deliveries of one intervention."""

RULE_GRID: dict[str, tuple] = {
    "threshold": (0.4, 0.5, 0.6),
    "every": (2, 4, 8),
    "max_repeats": (1, 2),
}
""":class:`~studentgym.agents.policies.RuleBasedPolicy`: the matrix's predicted-fail
threshold, its cadence and repeat cap."""


def tune_policy(
    make_policy: Callable[..., Any],
    grid: Mapping[str, Sequence],
    judge: Callable[[Any], tuple[float, float, float]],
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The best parameters of ``make_policy(**params)`` over ``grid``, and every trial.

    Args:
        make_policy: builds a fresh policy from keyword parameters.
        grid: parameter name -> the values to try (every combination is tried).
        judge: ``(policy) -> (value, ci_low, ci_high)``, on validation students.

    Returns:
        ``(best, trials)``: the parameters with the highest value (the first such in
        grid order on ties), and one row per combination with ``value``, ``ci_low``,
        ``ci_high`` and ``chosen``.

    Raises:
        ValueError: for an empty grid or a parameter with no values.
    """
    if not grid or any(len(values) == 0 for values in grid.values()):
        raise ValueError("the grid needs at least one value for every parameter")
    rows = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        value, low, high = judge(make_policy(**params))
        rows.append({**params, "value": value, "ci_low": low, "ci_high": high})
    trials = pd.DataFrame(rows)
    best_row = int(trials["value"].to_numpy().argmax())
    trials["chosen"] = trials.index == best_row
    best = {name: rows[best_row][name] for name in grid}
    return best, trials


def chosen_trial(trials: pd.DataFrame) -> pd.Series | None:
    """The trial that holds the chosen policy's value (for a schedule, its last
    addition), or None if nothing was chosen (nothing beat doing nothing).

    Args:
        trials: the trials of :func:`tune_policy` or :func:`search_schedule`.
    """
    chosen = trials[trials["chosen"]]
    return None if chosen.empty else chosen.iloc[-1]


def search_schedule(
    judge: Callable[[Any], tuple[float, float, float]],
    n_weeks: int = 39,
    max_weeks: int = 8,
) -> tuple[dict[int, int], pd.DataFrame]:
    """The best fixed schedule found by a greedy search, one week at a time, and every trial.

    Week ``k`` (from 1) tries each intervention after the schedule so far and keeps the
    best; the search stops at the first week where none beats giving nothing more, or
    after ``max_weeks``. Early weeks come first because relief persists: an intervention
    given early helps for the rest of the course.

    Args:
        judge: ``(policy) -> (value, ci_low, ci_high)``, the gain over doing nothing on
            validation students (a :class:`~studentgym.agents.benchmark.Judge`), so the
            empty schedule is worth 0.
        n_weeks: course length.
        max_weeks: the longest schedule tried.

    Returns:
        ``(plan, trials)``: ``{week: catalogue id}``, and one row per trial with
        ``week``, ``action``, ``value``, ``ci_low``, ``ci_high`` and ``chosen``.
    """
    plan: dict[int, int] = {}
    current = 0.0  # the empty schedule is doing nothing, the judge's reference
    rows = []
    for week in range(1, max_weeks + 1):
        tried = []
        for action in range(1, N_ACTIONS):
            value, low, high = judge(FixedSchedule({**plan, week: action}, n_weeks))
            tried.append(
                {"week": week, "action": action, "value": value, "ci_low": low, "ci_high": high}
            )
        best = max(tried, key=lambda row: row["value"])
        for row in tried:
            row["chosen"] = row is best and best["value"] > current
        rows += tried
        if best["value"] <= current:
            break
        plan[week], current = best["action"], best["value"]
    return plan, pd.DataFrame(rows)

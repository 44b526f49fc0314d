"""The teacher's question: "I have H tutor hours this week: whom do I contact, with what,
in which order?"

:func:`contact_list` answers it for a scored class (``TeacherModel.score`` for a
teacher CSV, ``AtRiskScorer.score`` for an OULAD export): each student's intervention is
the rule matrix's (their predicted outcome x segment), students are ordered by
:data:`ORDER` and served through the same allocation as every targeting policy of the
capacity benchmark (:func:`studentgym.envs.allocation.allocate`) until the hours run out.

Why middle risk first: in the capacity benchmark (``capacity_benchmark.csv`` of
``python scripts/train_agent.py``; README, "Scarce tutor time"), among the rules that read
only a student's predicted chance of success, serving those whose chance is closest to
1/2 first keeps more of the gain than serving the most at risk first at tight
capacities, and the latent-state oracle's help goes most to the middle of the risk range:
the most at-risk students are the least likely to be turned around by one contact and
the safest need none. The learned index policy does better still, but it needs the
week-by-week view of a student (activity, what was given), which these files do not have.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from studentgym.agents.targeting import ranked, risk_priority
from studentgym.envs.allocation import allocate
from studentgym.simulators.interventions import CATALOGUE, COST_HOURS

ORDER = "middle"
"""Who comes first in a contact list (see the module docstring and ``risk_priority``)."""
_IDS = {item.name: item.id for item in CATALOGUE}
RESTS_ON = {
    "teacher": "What the order can rest on here: a teacher's file has no week-by-week "
    "activity and no record of past help, so only the model's P(success) from the columns "
    "given and the segment's intervention; the capacity benchmark's learned index policy, "
    "which does better, needs the weekly view and is not used.",
    "oulad": "What the order can rest on here: the export's weekly activity gives the features "
    "the simulator's students have, and P(success) after the chosen week; the learned index "
    "policy of the capacity benchmark also needs what each student was given, which the "
    "export does not record, so the order is middle risk first on P(success).",
}
"""What a contact list's order rests on, by the kind of file it comes from."""


def check_hours(hours) -> float:
    """``hours`` as a float of tutor hours.

    Raises:
        ValueError: naming the value, for anything that is not a finite number >= 0.
    """
    try:
        value = float(hours)
    except (TypeError, ValueError):
        raise ValueError(f"hours must be a number of tutor hours, got {hours!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
    return value


def contact_list(
    results: pd.DataFrame, hours: float, id_column: str = "Student_ID", order: str = ORDER
) -> pd.DataFrame:
    """Whom to contact within ``hours``, in order: a row per student served.

    Args:
        results: a scored class with ``success_probability`` and
            ``recommended_intervention`` (catalogue names), ``segment`` and ``reason``.
        hours: tutor hours available this week.
        id_column: the students' identifier column.
        order: ``"middle"`` or ``"highest"`` (risk first).

    Returns:
        ``order`` (1 first), the identifier, ``intervention``, ``tutor_hours``,
        ``hours_so_far``, ``success_probability``, ``segment`` and ``reason``.

    Raises:
        ValueError: for bad hours, or an intervention name not in the catalogue.
    """
    hours = check_hours(hours)
    names = results["recommended_intervention"].to_numpy()
    unknown = sorted(set(names) - set(_IDS))
    if unknown:
        raise ValueError(f"unknown interventions {unknown}")
    actions = np.array([_IDS[name] for name in names], dtype=np.int64)
    priority = risk_priority(results["success_probability"].to_numpy(float), order)
    chosen = allocate(ranked(actions, priority), hours)
    served = np.flatnonzero(chosen > 0)
    served = served[np.argsort(-priority[served], kind="stable")]  # the allocation's order
    cost = np.asarray(COST_HOURS)[chosen[served]]
    return pd.DataFrame(
        {
            "order": np.arange(1, len(served) + 1),
            id_column: results[id_column].to_numpy()[served],
            "intervention": names[served],
            "tutor_hours": cost,
            "hours_so_far": np.cumsum(cost),
            "success_probability": results["success_probability"].to_numpy()[served].round(3),
            "segment": results["segment"].to_numpy()[served],
            "reason": results["reason"].to_numpy()[served],
        }
    )


def explain(results: pd.DataFrame, hours: float, id_column: str = "Student_ID") -> str:
    """What the contact list rests on, in words, and how it differs from highest risk first."""
    contacts = contact_list(results, hours, id_column)
    alert = contact_list(results, hours, id_column, order="highest")
    lines = [
        f"Within {hours:g} tutor hours: {len(contacts)} students, "
        f"{contacts['tutor_hours'].sum():g} hours, each with the rule matrix's intervention "
        "for their predicted outcome and segment.",
        "Order: the students whose predicted chance of success is closest to 1/2 first. "
        "In studentgym's capacity benchmark, help changed the outcome most in the middle of "
        "the risk range: the students most at risk are the least likely to be turned around "
        "by one contact, and the safest need none.",
    ]
    if not alert.empty:
        first = alert.iloc[0]
        shared = len(set(alert[id_column]) & set(contacts[id_column]))
        lines.append(
            f"Highest risk first (an early-alert list) would spend the hours on {len(alert)} "
            f"students, starting with {first[id_column]} (P(success) "
            f"{first['success_probability']:.2f}); {shared} of them are on this list."
        )
    return " ".join(lines)

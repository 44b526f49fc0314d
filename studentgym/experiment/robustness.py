"""The robustness matrix: every policy of a run judged on several student models.

Policies trained and tuned in the run's world are deployed, unchanged, on each variant of
:data:`studentgym.simulators.variants.STUDENT_MODELS` (effects half or 1.5 times as
strong, faster habituation, shorter persistence, harder landing, a more deprived
population, the classifier as judge). Each variant is judged like the benchmark: the
same evaluation students with the same random numbers for every policy, gains paired
against doing nothing, Holm-adjusted over the policies. A policy *holds* on a variant
when its gain over doing nothing is better than zero there (Holm, 5%); the summary
names the policies that hold on every variant and the variants that break each one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.agents.benchmark import Judge
from studentgym.agents.statistics import summarize
from studentgym.predictors.plots import save_figure, subplots
from studentgym.simulators.cohort import Cohort
from studentgym.simulators.student import StudentSimulator, SuccessModel
from studentgym.simulators.variants import student_model

GAIN = "return_minus_no_intervention"
COLUMNS = (
    "judged_on",
    "policy",
    "seeds",
    "success_rate",
    "tutor_hours",
    GAIN,
    f"{GAIN}_ci_low",
    f"{GAIN}_ci_high",
    "verdict_vs_no_intervention",
    "holds",
)


def variant_judge(
    name: str,
    cohort: Cohort,
    success_model: SuccessModel,
    students: np.ndarray,
    n_students: int,
    seed: int,
) -> Judge:
    """The judge of variant ``name``: its simulator on at most ``n_students`` of its
    population among ``students``, with the common random numbers of ``seed``."""
    model = student_model(name)
    simulator = StudentSimulator(
        cohort, success_model, outcome_model=model.judge, response=model.response()
    )
    taught = model.students(cohort, students)
    return Judge(simulator, taught, min(n_students, len(taught)), seed)


def rollouts(policies: Mapping[str, Callable[[], Sequence]], judge: Judge) -> dict[str, list]:
    """Policy name -> ``judge``'s rollout frame of each of its trained copies.

    ``policies`` maps a name to a function giving the policy's trained copies (one per
    training seed; a reference policy is one copy), made afresh for this judge.
    """
    return {name: [judge.rollout(p) for p in make()] for name, make in policies.items()}


def robustness_matrix(
    records: Mapping[str, Mapping[str, list]], none: str, n_boot: int, seed: int
) -> pd.DataFrame:
    """One row per variant and policy: gain over ``none`` with its interval and verdict.

    Args:
        records: variant name -> its :func:`rollouts` (the same policies in every variant).
        none: the no-intervention policy (the gains' reference).
        n_boot, seed: the bootstrap behind the intervals.

    Returns:
        :data:`COLUMNS`; ``holds`` is True where the gain is better than zero (Holm, 5%).
    """
    blocks = [
        summarize(frames, none, none, n_boot, seed).assign(judged_on=name)
        for name, frames in records.items()
    ]
    matrix = pd.concat(blocks, ignore_index=True)
    matrix["holds"] = matrix["verdict_vs_no_intervention"] == "better"
    return matrix[list(COLUMNS)]


def breaking_variants(matrix: pd.DataFrame, policies: Sequence[str]) -> dict[str, list[str]]:
    """Policy -> the variants on which it does not hold (empty: it holds on all)."""
    broken = matrix[~matrix["holds"]]
    return {p: broken.loc[broken["policy"] == p, "judged_on"].tolist() for p in policies}


def plot_robustness(matrix: pd.DataFrame, none: str, path: str | Path) -> Path:
    """Gain over doing nothing (``none``, left out) per policy (rows) and variant
    (columns); a cross where the policy does not hold."""
    matrix = matrix[matrix["policy"] != none]
    gain = matrix.pivot(index="policy", columns="judged_on", values=GAIN)
    holds = matrix.pivot(index="policy", columns="judged_on", values="holds")
    order = list(dict.fromkeys(matrix["policy"]))
    variants = list(dict.fromkeys(matrix["judged_on"]))
    gain, holds = gain.loc[order, variants], holds.loc[order, variants]
    fig, ax = subplots(figsize=(1.1 * len(variants) + 3, 0.45 * len(order) + 2))
    bound = max(float(np.nanmax(np.abs(gain.to_numpy()))), 1e-9)
    image = ax.imshow(gain.to_numpy(), cmap="RdBu", vmin=-bound, vmax=bound, aspect="auto")
    for i, policy in enumerate(order):
        for j, variant in enumerate(variants):
            mark = "" if holds.loc[policy, variant] else " x"
            value = gain.loc[policy, variant]
            colour = "white" if abs(value) > 0.6 * bound else "black"
            ax.text(j, i, f"{value:+.3f}{mark}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(variants)), variants, rotation=35, ha="right")
    ax.set_yticks(range(len(order)), order)
    ax.set_title("Gain over doing nothing by student model (x: not better than zero, Holm 5%)")
    fig.colorbar(image, ax=ax, label="return minus no intervention")
    return save_figure(fig, path)


def robustness_summary(matrix: pd.DataFrame, none: str, references: Sequence[str]) -> list[str]:
    """``summary.md``'s section: the matrix in numbers, who holds everywhere, what breaks whom.

    ``references`` (e.g. the clairvoyant oracle) are shown but not named as holding.
    """
    variants = list(dict.fromkeys(matrix["judged_on"]))
    policies = [p for p in dict.fromkeys(matrix["policy"]) if p != none]
    cells = matrix.set_index(["policy", "judged_on"])
    lines = [
        "",
        "## Robustness: the same policies on other student models",
        "",
        "Gain over no intervention of every policy, trained and tuned as above, deployed",
        "unchanged on each variant of the ground truth (studentgym.simulators.variants);",
        "x: not better than zero (Holm, 5%). robustness_matrix.csv has the intervals.",
        "",
        "| policy | " + " | ".join(variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for policy in policies:
        row = cells.loc[policy].loc[variants, [GAIN, "holds"]]
        marks = [f"{gain:+.4f}" + ("" if holds else " x") for gain, holds in row.to_numpy()]
        lines.append(f"| {policy} | " + " | ".join(marks) + " |")
    breaks = breaking_variants(matrix, policies)
    deployable = [p for p in policies if p not in references]
    holding = [p for p in deployable if not breaks[p]]
    lines += [
        "",
        "Deployable policies whose gain holds on every variant: "
        + (", ".join(holding) if holding else "none")
        + ".",
    ]
    lines += [f"- {p} breaks on: {', '.join(breaks[p])}" for p in deployable if breaks[p]]
    return [*lines, ""]

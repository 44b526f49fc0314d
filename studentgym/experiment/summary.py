"""What the benchmark means, in tables and plain words (``summary.md``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.agents.benchmark import early_value, episodes_to_fraction
from studentgym.agents.qlearning import QLearningAgent
from studentgym.atomic import atomic_write_text
from studentgym.envs.tabular import (
    DOSE_NAMES,
    ENGAGEMENT_NAMES,
    N_STATES,
    PHASE_NAMES,
    RISK_NAMES,
    state_parts,
)
from studentgym.simulators.interventions import CATALOGUE

LEARNED = ("qlearning", "qlearning_priors", "dqn")
REFERENCE_ONLY = ("oracle",)  # sees the ground truth and the future: not deployable


def learning_summary(runs: dict) -> pd.DataFrame:
    """Per tabular run: final greedy value, episodes to 95% of it, mean value early on."""
    rows = []
    for name, run in runs.items():
        curve = run.curve
        rows.append(
            {
                "agent": name,
                "final_value": float(curve["value"].iloc[-1]),
                "episodes_to_95pct": episodes_to_fraction(curve, 0.95),
                "early_value_first_quarter": early_value(curve, 0.25),
                "value_at_start": float(curve["value"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def qlearning_recommendations(agent: QLearningAgent) -> pd.DataFrame:
    """One row per tabular state: its parts, the greedy intervention and its margin."""
    q = agent.q_table_
    risk, engagement, phase, dose = state_parts(np.arange(N_STATES))
    greedy = np.argmax(q, axis=1)
    return pd.DataFrame(
        {
            "state": np.arange(N_STATES),
            "risk": np.asarray(RISK_NAMES)[risk],
            "engagement": np.asarray(ENGAGEMENT_NAMES)[engagement],
            "phase": np.asarray(PHASE_NAMES)[phase],
            "interventions_so_far": np.asarray(DOSE_NAMES)[dose],
            "recommended": [CATALOGUE[a].name for a in greedy],
            "q_margin_over_nothing": q[np.arange(N_STATES), greedy] - q[:, 0],
            "visits": agent.visits_.sum(axis=1),
        }
    )


def _ci(row: pd.Series, column: str, digits: int = 3) -> str:
    return (
        f"{row[column]:+.{digits}f} (95% CI {row[f'{column}_ci_low']:+.{digits}f} to "
        f"{row[f'{column}_ci_high']:+.{digits}f})"
    )


def _verdict(row: pd.Series, column: str, other: str) -> str:
    """ "better than", "worse than" or "not distinguishable from" ``other`` by the CI."""
    if row[f"{column}_ci_low"] > 0:
        return f"better than {other}"
    if row[f"{column}_ci_high"] < 0:
        return f"worse than {other}"
    return f"not distinguishable from {other}"


def write_summary(
    path: str | Path,
    benchmark: pd.DataFrame,
    robust: pd.DataFrame,
    sample_efficiency: pd.DataFrame,
    outcome_model: str,
    baseline: str,
    settings: dict,
) -> Path:
    """``summary.md``: who won, by how much, with intervals; priors; robustness."""
    table = benchmark.set_index("policy")
    vs_base, vs_none = f"return_minus_{baseline}", "return_minus_no_intervention"
    deployable = table.drop(index=[p for p in REFERENCE_ONLY if p in table.index])
    winner = deployable["mean_return"].idxmax()
    lines = [
        "# studentgym benchmark",
        "",
        f"Settings: {', '.join(f'{k}={v}' for k, v in settings.items())}.",
        f"Agents trained on half of the students with the {outcome_model} as the judge; every",
        "policy evaluated on the same held-out students with the same random numbers.",
        "Returns are +1 per success, -1 per fail or withdrawal, minus tutor hours times the",
        "hour price; intervals are 95% bootstrap intervals over students.",
        "",
        "## Who won",
        "",
        f"Best deployable policy by mean return: **{winner}**, "
        f"{_ci(table.loc[winner], vs_base)} against the {baseline} baseline and "
        f"{_ci(table.loc[winner], vs_none)} against no intervention.",
        "",
    ]
    for name in [p for p in LEARNED if p in table.index]:
        row = table.loc[name]
        lines.append(
            f"- {name}: {_verdict(row, vs_none, 'no intervention')} "
            f"({_ci(row, vs_none)}), {_verdict(row, vs_base, 'the ' + baseline)} "
            f"({_ci(row, vs_base)}); success rate {row['success_rate']:.3f}, "
            f"{row['tutor_hours']:.2f} tutor hours per student."
        )
    if "oracle" in table.index:
        lines += [
            "",
            f"The ground-truth oracle (clairvoyant, not deployable) reaches "
            f"{_ci(table.loc['oracle'], vs_none)} over no intervention: the room left.",
        ]
    lines += ["", "## What the priors did", ""]
    eff = sample_efficiency.set_index("agent")
    if {"qlearning", "qlearning_priors"} <= set(eff.index):
        plain, prior = eff.loc["qlearning"], eff.loc["qlearning_priors"]
        lines.append(
            "Greedy value (return minus no intervention on held-out students) during training:"
        )
        lines.append("")
        lines.append(
            "| agent | at start | mean over first quarter | final | episodes to 95% of final |"
        )
        lines.append("|---|---|---|---|---|")
        for name, row in (("without priors", plain), ("with priors", prior)):
            lines.append(
                f"| {name} | {row['value_at_start']:+.4f} | "
                f"{row['early_value_first_quarter']:+.4f} | {row['final_value']:+.4f} | "
                f"{row['episodes_to_95pct']:,.0f} |"
            )
        gain = prior["early_value_first_quarter"] - plain["early_value_first_quarter"]
        word = "raised" if gain > 0 else "lowered"
        lines += [
            "",
            f"The priors {word} the mean greedy value over the first quarter of training by "
            f"{abs(gain):.4f} (single runs; each point's interval is in learning_curves.csv).",
            "The untrained table with priors is the recommender's one-off advice "
            f"({prior['value_at_start']:+.4f} at the start, against 0 for an empty table);",
            "when it is already within 95% of the final value, 'episodes to 95%' is 0 and",
            "says that training did not improve on the advice, not that it was fast.",
        ]
    lines += ["", "## Robustness: the other judge", ""]
    other = robust[robust["outcome_model"] != outcome_model]
    if len(other):
        lines.append(
            f"| policy | gain vs none, {outcome_model} | gain vs none, "
            f"{other['outcome_model'].iloc[0]} |"
        )
        lines.append("|---|---|---|")
        same = robust[robust["outcome_model"] == outcome_model].set_index("policy")
        for policy, row in other.set_index("policy").iterrows():
            lines.append(f"| {policy} | {_ci(same.loc[policy], vs_none)} | {_ci(row, vs_none)} |")
        lines += [
            "",
            "A gain that holds under the classifier but not under the ground truth is a",
            "policy exploiting the classifier rather than helping students.",
        ]
    lines += ["", "## All policies", "", _markdown(benchmark), ""]
    return atomic_write_text("\n".join(lines), path)


def _markdown(frame: pd.DataFrame) -> str:
    columns = ["policy", "success_rate", "withdrawal_rate", "mean_return", "tutor_hours"]
    columns += ["cost_per_extra_success", "imd_success_gap", "gender_success_gap"]
    shown = frame[[c for c in columns if c in frame.columns]]
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = [
        "| " + " | ".join(v if isinstance(v, str) else f"{v:.4f}" for v in row.tolist()) + " |"
        for _, row in shown.iterrows()
    ]
    return "\n".join([header, rule, *body])

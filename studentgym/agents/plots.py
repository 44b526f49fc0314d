"""PNG figures of the agents' benchmark (matplotlib's object API: no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.envs.tabular import N_STATES, state_name
from studentgym.predictors.plots import save_figure, subplots
from studentgym.simulators.interventions import CATALOGUE


def plot_learning_curves(curves: pd.DataFrame, path: str | Path) -> Path:
    """Greedy value against episodes per agent: the mean over seeds, the seeds' range shaded.

    ``curves`` has ``agent``, ``trained_on``, ``seed``, ``episodes`` and ``value``; the
    first training world's curves are drawn.
    """
    world = curves["trained_on"].iloc[0]
    fig, ax = subplots(figsize=(8, 5))
    for agent, g in curves[curves["trained_on"] == world].groupby("agent", sort=False):
        # each seed's k-th evaluation, averaged: seeds evaluate at the same points
        g = g.assign(point=g.groupby("seed").cumcount())
        by_point = g.groupby("point")
        episodes = by_point["episodes"].mean()
        (line,) = ax.plot(episodes, by_point["value"].mean(), marker="o", ms=3, label=agent)
        ax.fill_between(
            episodes,
            by_point["value"].min(),
            by_point["value"].max(),
            alpha=0.2,
            color=line.get_color(),
        )
    ax.axhline(0.0, color="grey", lw=1, ls="--", label="no intervention")
    ax.set_xlabel("training episodes (students), per seed")
    ax.set_ylabel("validation return minus no intervention")
    ax.set_title(f"Greedy policy during training in the {world} world (band: range over seeds)")
    ax.legend()
    return save_figure(fig, path)


def plot_policy_comparison(
    table: pd.DataFrame, metric: str, path: str | Path, labels: list[str] | None = None
) -> Path:
    """``metric`` per policy with its 95% interval (columns ``metric``, ``_ci_low/_high``).

    ``labels`` replace the policy names on the axis (e.g. to mark flagged policies).
    """
    fig, ax = subplots(figsize=(8, 0.5 * len(table) + 1.5))
    y = np.arange(len(table))
    value = table[metric].to_numpy()
    err = np.vstack(
        [value - table[f"{metric}_ci_low"].to_numpy(), table[f"{metric}_ci_high"] - value]
    )
    ax.barh(y, value, xerr=err, capsize=3, color="tab:blue", alpha=0.8)
    ax.set_yticks(y, table["policy"] if labels is None else labels)
    ax.invert_yaxis()
    ax.axvline(0.0, color="grey", lw=1)
    ax.set_xlabel(metric.replace("_", " ") + " (judged by the ground truth)")
    ax.set_title("Policies on the same evaluation students (95% intervals: students and seeds)")
    return save_figure(fig, path)


def plot_q_table(q_table: np.ndarray, path: str | Path) -> Path:
    """The Q-table as a heatmap (states x actions), the greedy action marked."""
    fig, ax = subplots(figsize=(8, 0.16 * N_STATES + 1.5))
    image = ax.imshow(q_table, aspect="auto", cmap="viridis")
    greedy = np.argmax(q_table, axis=1)
    ax.scatter(greedy, np.arange(len(q_table)), marker="o", s=8, color="red", label="greedy")
    ax.set_xticks(range(len(CATALOGUE)), [item.key for item in CATALOGUE], rotation=30)
    ax.set_yticks(range(N_STATES), [state_name(s) for s in range(N_STATES)], fontsize=5)
    ax.set_title("Q-table (with recommender priors, first training seed)")
    fig.colorbar(image, ax=ax, label="Q (shaped return)")
    ax.legend(loc="upper right")
    return save_figure(fig, path)


def plot_action_frequency(frequency: pd.DataFrame, path: str | Path) -> Path:
    """Interventions delivered per student by policy, stacked by catalogue action."""
    fig, ax = subplots(figsize=(9, 5))
    left = np.zeros(len(frequency))
    y = np.arange(len(frequency))
    for column in frequency.columns:
        ax.barh(y, frequency[column], left=left, label=column)
        left += frequency[column].to_numpy()
    ax.set_yticks(y, frequency.index)
    ax.invert_yaxis()
    ax.set_xlabel("interventions delivered per student (course)")
    ax.set_title("What each policy recommends")
    ax.legend(fontsize=8)
    return save_figure(fig, path)

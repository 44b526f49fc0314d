"""PNG figures of the agents' benchmark (matplotlib's object API: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from studentgym.envs.tabular import COURSE_WEEKS, N_STATES, check_q_table, state_parts
from studentgym.predictors.plots import save_figure, subplots
from studentgym.simulators.interventions import CATALOGUE, MARKS, N_ACTIONS


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


def plot_q_table(q_table: np.ndarray, visits: np.ndarray, path: str | Path) -> Path:
    """:func:`q_table_figure`, written as PNG."""
    return save_figure(q_table_figure(q_table, visits), path)


def q_table_figure(q_table: np.ndarray, visits: np.ndarray) -> Figure:
    """The Q-table's greedy policy: a cell per course week (columns) and set of
    interventions given so far (rows, as letters), coloured and lettered by the greedy
    action; pale where the state was rarely updated (under 1% of the most updated
    state's updates: off the paths the policies took), white where never (its values
    are the priors). Only the sets some state of which was updated get a row.

    ``q_table`` and ``visits`` are ``(N_STATES, N_ACTIONS)``, as ``QLearningAgent``'s
    ``q_table_`` and ``visits_`` (or ``Q_table.csv``'s columns).

    Raises:
        ValueError: for tables of another shape, e.g. a ``Q_table.csv`` written by an
            earlier studentgym over another tabular view.
    """
    check_q_table(q_table, visits)
    week, given = state_parts(np.arange(N_STATES))
    greedy = np.argmax(q_table, axis=1)
    updated = visits.sum(axis=1) > 0
    sets = np.unique(given[updated]) if updated.any() else np.zeros(1, dtype=np.int64)
    row_of = {int(g): k for k, g in enumerate(sets)}
    weeks = np.arange(1, COURSE_WEEKS)  # the decision weeks
    colours = [(0.78, 0.78, 0.78), *matplotlib.colormaps["tab10"].colors[: N_ACTIONS - 1]]
    height = 0.28 * len(sets) + 2.2  # inches: a row per set, then title, axis and legend
    fig = Figure(figsize=(13, height))
    ax = fig.subplots()
    image = np.ones((len(sets), len(weeks), 4))
    per_state = visits.sum(axis=1)
    rare = per_state < 0.01 * per_state.max()
    for state in np.flatnonzero(updated & (week >= 1) & (week < COURSE_WEEKS)):
        row, column = row_of[int(given[state])], week[state] - 1
        colour = np.asarray(colours[greedy[state]])
        image[row, column, :3] = 0.35 * colour + 0.65 if rare[state] else colour
        ax.text(column, row, MARKS[greedy[state]] or "-", ha="center", va="center", fontsize=6)
    ax.imshow(image, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(weeks)), weeks, fontsize=7)
    ax.set_xlabel("course week")
    labels = ["".join(m for k, m in enumerate(MARKS[1:]) if g >> k & 1) or "none" for g in sets]
    ax.set_yticks(range(len(sets)), labels, fontsize=7)
    ax.set_ylabel("interventions given so far")
    handles = [
        Patch(color=colours[a], label=f"{MARKS[a] or '-'}  {item.name}")
        for a, item in enumerate(CATALOGUE)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=N_ACTIONS, fontsize=8, frameon=False)
    fig.suptitle(
        "Greedy action of the Q-table by course week and interventions given (with "
        "recommender priors, first training seed; pale: rarely updated, white: never)",
        fontsize=10,
    )
    fig.subplots_adjust(bottom=1.1 / height, top=1 - 0.5 / height, left=0.08, right=0.98)
    return fig


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

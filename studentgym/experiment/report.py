"""The files a run writes: tables, the learned Q-table, figures and ``summary.md``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.agents import plots
from studentgym.agents.evaluation import ACTION_KEYS
from studentgym.agents.qlearning import QLearningAgent
from studentgym.atomic import atomic_write_csv
from studentgym.envs.tabular import N_STATES, given_names, state_name, state_parts
from studentgym.experiment.capacity import write_capacity
from studentgym.experiment.robustness import plot_robustness
from studentgym.experiment.settings import NONE, REFERENCE_ONLY, VERDICT_JUDGE
from studentgym.experiment.summary import learning_summary, write_summary
from studentgym.ope.report import offline_tables, plot_offline_check
from studentgym.simulators.interventions import CATALOGUE


def qlearning_recommendations(agent: QLearningAgent) -> pd.DataFrame:
    """One row per tabular state: its parts, the greedy intervention, its margin, visits."""
    q = agent.q_table_
    week, given = state_parts(np.arange(N_STATES))
    greedy = np.argmax(q, axis=1)
    return pd.DataFrame(
        {
            "state": np.arange(N_STATES),
            "week": week,
            "given_so_far": [given_names(g) for g in given],
            "recommended": [CATALOGUE[a].name for a in greedy],
            "q_margin_over_nothing": q[np.arange(N_STATES), greedy] - q[:, 0],
            "visits": agent.visits_.sum(axis=1),
        }
    )


def learning_curves(results) -> pd.DataFrame:
    """Every learned agent's curves: agent, world, seed, episodes, steps, value, interval."""
    frames = [
        agent.curves.assign(agent=name, trained_on=world)
        for world, agents in results.agents.items()
        for name, agent in agents.items()
        if len(agent.curves)
    ]
    columns = ["agent", "trained_on", "seed", "episodes", "steps", "value", "ci_low", "ci_high"]
    return pd.concat(frames, ignore_index=True)[columns]


def action_frequency(results) -> pd.DataFrame:
    """Interventions delivered per student by each policy (default world, ground truth)."""
    records = results.records[VERDICT_JUDGE][results.settings.train_on[0]]
    columns = [f"delivered_{key}" for key in ACTION_KEYS[1:]]
    return pd.DataFrame(
        {
            name: np.mean([f[columns].mean().to_numpy() for f in frames], axis=0)
            for name, frames in records.items()
        },
        index=[item.name for item in CATALOGUE[1:]],
    ).T


def _labels(benchmark: pd.DataFrame) -> list[str]:
    """Policy names, marked where a reader must not take the bar at face value."""
    marks = []
    for policy, gaming in zip(benchmark["policy"], benchmark["gaming_gap_ci_low"] > 0, strict=True):
        mark = " (clairvoyant)" if policy in REFERENCE_ONLY else ""
        marks.append(policy + mark + (" (gaming flag)" if gaming else ""))
    return marks


def write_report(results, out: str | Path) -> list[Path]:
    """Write every table, the Q-table, the figures and ``summary.md`` into ``out``."""
    out = Path(out)
    curves = learning_curves(results)
    frequency = action_frequency(results)
    # the table shown: Q-learning with priors, first training seed, default world
    agent = results.agents[results.settings.train_on[0]]["qlearning_priors"].tables[0]
    names = [state_name(s) for s in range(N_STATES)]
    files = []
    if results.robustness is not None:
        files.append(atomic_write_csv(results.robustness, out / "robustness_matrix.csv"))
        files.append(plot_robustness(results.robustness, NONE, out / "robustness_matrix.png"))
    if results.capacity is not None:
        files += write_capacity(results.capacity, out)
    if results.offline is not None:
        files += [atomic_write_csv(t, out / n) for n, t in offline_tables(results.offline).items()]
        files.append(plot_offline_check(results.offline, out / "ope_evaluation.png"))
    return [
        *files,
        atomic_write_csv(results.benchmark, out / "policy_benchmark.csv"),
        atomic_write_csv(results.robust, out / "robust_evaluation.csv"),
        atomic_write_csv(results.seeds, out / "policy_benchmark_seeds.csv"),
        atomic_write_csv(results.tuning, out / "baseline_tuning.csv"),
        atomic_write_csv(curves, out / "learning_curves.csv"),
        atomic_write_csv(learning_summary(curves), out / "sample_efficiency.csv"),
        agent.save(out / "Q_table.csv", names, [item.key for item in CATALOGUE]),
        agent.save(out / "q_table.npz"),
        atomic_write_csv(qlearning_recommendations(agent), out / "qlearning_recommendations.csv"),
        atomic_write_csv(
            frequency.rename_axis("policy").reset_index(), out / "action_frequency.csv"
        ),
        plots.plot_learning_curves(curves, out / "learning_curves.png"),
        plots.plot_policy_comparison(
            results.benchmark,
            "return_minus_no_intervention",
            out / "policy_comparison.png",
            _labels(results.benchmark),
        ),
        plots.plot_q_table(agent.q_table_, agent.visits_, out / "q_table.png"),
        plots.plot_action_frequency(frequency, out / "recommendation_frequency.png"),
        write_summary(out / "summary.md", results, curves),
    ]

"""Training the learned agents of a run: every agent, every training seed, every world.

An agent is trained ``training_seeds`` times in each world of ``train_on`` (the
classifier simulator, the realistic default, and the ground truth), always on the
split's training students, with learning curves judged on validation students.
Each trained copy is one policy; the benchmark judges them all and reports the mean
over seeds. DQN's copies are also its ensemble, judged as one more policy.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from studentgym.agents.benchmark import learn_schedule, train_qlearning
from studentgym.agents.dqn import load_hyperparams, train_dqn
from studentgym.agents.policies import TabularPolicy
from studentgym.agents.qlearning import QLearningAgent
from studentgym.experiment.settings import Settings
from studentgym.simulators.student import StudentSimulator

SEEDED = ("qlearning", "qlearning_priors", "learned_schedule", "dqn")
"""Learned policies with one trained copy per training seed: Q-learning without and with
the recommender's priors, the fixed schedule found by policy search, and each DQN run alone."""
LEARNED = (*SEEDED, "dqn_ensemble")
"""Every learned policy: the seeded ones and DQN's runs acting as one ensemble."""


@dataclass
class LearnedAgent:
    """One learned agent trained with several seeds in one world.

    Attributes:
        name: one of :data:`LEARNED`.
        trained_on: the outcome model of the training world.
        seeds: the training seeds, one per policy (the ensemble lists its members').
        policies: the deployable policies (``act(obs, info)``), one per trained copy.
        students: the cohort positions it was trained on.
        curves: greedy value on validation students during training, per ``seed``:
            ``episodes``, ``steps``, ``value``, ``ci_low``, ``ci_high``.
        tables: the Q-learning agents (tabular agents only).
    """

    name: str
    trained_on: str
    seeds: list[int]
    policies: list
    students: np.ndarray
    curves: pd.DataFrame
    tables: list[QLearningAgent] | None = None


def dqn_hyperparams(settings: Settings) -> dict:
    """DQN's hyperparameters for a run: ``dqn.yml``'s, with ``settings.dqn``'s overrides and
    one ensemble member per training seed.

    Raises:
        ValueError: naming an override the file does not have, or ``n_models`` (set by
            ``training_seeds``).
    """
    params = load_hyperparams()
    unknown = sorted(set(settings.dqn) - set(params) | set(settings.dqn) & {"n_models"})
    if unknown:
        raise ValueError(
            f"unknown DQN hyperparameter(s) {unknown} in the settings' dqn overrides; "
            f"known: {sorted(set(params) - {'n_models'})} (n_models is training_seeds)"
        )
    return {**params, **settings.dqn, "n_models": settings.training_seeds}


def dqn_steps(settings: Settings) -> int:
    """Environment steps per DQN model in a run: ``settings.dqn_steps``, or the
    hyperparameters' ``n_timesteps`` (``dqn.yml``'s, or an override's) when it is None."""
    return int(settings.dqn_steps or dqn_hyperparams(settings)["n_timesteps"])


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_workers(workers: int | None) -> None:
    """Raise ValueError, naming it, for a number of worker processes below 1 (None is
    :func:`train_worlds`' default)."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")


def train_worlds(
    simulators: Mapping[str, StudentSimulator],
    students: np.ndarray,
    settings: Settings,
    priors: np.ndarray,
    curve_judge: Callable,
    out: Path,
    workers: int | None = None,
) -> dict[str, dict[str, LearnedAgent]]:
    """:func:`train_agents` in every world of ``settings.train_on``, by world.

    Every training is seeded and runs on one thread, so the worlds can train at once in
    separate processes and the agents are the same to the bit as one after the other.

    Args:
        simulators: the simulator of each world, by outcome model.
        out: folder for DQN's models, one subfolder per world.
        workers: processes training at once: None for one per world, as many as
            :func:`available_cpus`; 1 trains the worlds in this process, in turn.
        students, settings, priors, curve_judge: as in :func:`train_agents`.

    Raises:
        ValueError: for ``workers`` below 1.
    """
    check_workers(workers)
    worlds = list(settings.train_on)
    workers = min(workers or available_cpus(), len(worlds))
    jobs = [(simulators[w], students, settings, priors, curve_judge, out / w) for w in worlds]
    if workers == 1:
        return {world: train_agents(*job) for world, job in zip(worlds, jobs, strict=True)}
    # spawn, not fork: a forked child would inherit the OpenMP and torch thread pools
    # the earlier stages started, which are not safe to use after a fork
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        trained = list(pool.map(train_agents, *zip(*jobs, strict=True), range(len(worlds))))
    if sys.stderr.isatty():
        # a bar cleared last by a worker leaves the terminal's cursor at the end of a line
        sys.stderr.write("\r")
    return dict(zip(worlds, trained, strict=True))


def progress_bar(label: str, total: int, unit: str, position: int) -> tqdm:
    """A training's progress bar on line ``position`` (worlds training at once in other
    processes use one line each), shown only on a terminal. It is cleared when done: the
    stage prints each agent's result after, and bars of two processes left on screen
    overwrite each other's lines."""
    return tqdm(
        total=total,
        desc=label,
        unit=unit,
        unit_scale=True,
        disable=None,
        position=position,
        leave=False,
    )


def train_agents(
    simulator: StudentSimulator,
    students: np.ndarray,
    settings: Settings,
    priors: np.ndarray,
    curve_judge: Callable,
    out: Path,
    bar_position: int = 0,
) -> dict[str, LearnedAgent]:
    """Every learned agent of :data:`LEARNED`, trained on ``students`` in ``simulator``.

    Args:
        simulator: the training world (its outcome model decides the results).
        students: training students' cohort positions.
        settings: seeds, episodes, the schedule search's students and DQN steps.
        priors: the recommender's initial Q-table for ``qlearning_priors``.
        curve_judge: ``(policy) -> (value, low, high)`` on validation students.
        out: folder for DQN's models (``seed_<k>/``).
        bar_position: line of the progress bars (worlds training at once use one each).
    """
    world = simulator.outcome_model
    seeds = [settings.seed + k for k in range(settings.training_seeds)]
    agents: dict[str, LearnedAgent] = {}
    for name, initial in (("qlearning", None), ("qlearning_priors", priors)):
        runs, curves = [], []
        for seed in seeds:
            label = f"{name}, {world}, seed {seed}"
            with progress_bar(label, settings.episodes, " episodes", bar_position) as bar:
                run = train_qlearning(
                    simulator,
                    students,
                    settings.episodes,
                    curve_judge,
                    initial_q=initial,
                    curve_points=settings.curve_points,
                    seed=seed,
                    progress=bar.update,
                )
            runs.append(run.agent)
            curves.append(run.curve.assign(seed=seed, steps=np.nan))
        agents[name] = LearnedAgent(
            name,
            world,
            seeds,
            [TabularPolicy(agent.q_table_) for agent in runs],
            students,
            pd.concat(curves, ignore_index=True),
            runs,
        )
    label = f"dqn, {world}, " + (
        f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"
    )
    steps = dqn_steps(settings)
    with progress_bar(label, steps * len(seeds), " steps", bar_position) as bar:
        ensemble, curve = train_dqn(
            {"simulator": simulator, "students": students},
            curve_judge,
            total_timesteps=steps,
            hyperparams=dqn_hyperparams(settings),
            eval_points=settings.curve_points,
            seed=settings.seed,
            out=out,
            progress=bar.update,
        )
    members = [ensemble.member(k) for k in range(len(seeds))]
    agents["dqn"] = LearnedAgent("dqn", world, seeds, members, students, curve)
    agents["dqn_ensemble"] = LearnedAgent(
        "dqn_ensemble", world, seeds, [ensemble], students, curve.iloc[:0]
    )
    schedules = [
        learn_schedule(simulator, students, curve_judge, settings.schedule_students, seed)
        for seed in seeds
    ]
    agents["learned_schedule"] = LearnedAgent(
        "learned_schedule",
        world,
        seeds,
        [run.policy for run in schedules],
        students,
        pd.concat(
            [
                run.curve.assign(seed=seed, steps=np.nan)
                for run, seed in zip(schedules, seeds, strict=True)
            ],
            ignore_index=True,
        ),
    )
    return {name: agents[name] for name in LEARNED}

"""Evaluating policies on the same students with the same random numbers.

:func:`rollout` runs a policy in a :class:`~studentgym.envs.vector.TutoringVectorEnv`
seeded with ``seed``: slot ``i`` always gets the same student and the same random
numbers whatever the policy (common random numbers), so differences between
policies are paired. :mod:`~studentgym.agents.statistics` turns rollouts into
tables with intervals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from studentgym.envs.vector import TutoringVectorEnv
from studentgym.simulators.config import IMD_DECILE
from studentgym.simulators.interventions import CATALOGUE, N_ACTIONS

ACTION_KEYS = tuple(item.key for item in CATALOGUE)


def rollout(
    policy,
    make_env: Callable[[], TutoringVectorEnv],
    seed: int = 0,
    students: np.ndarray | None = None,
) -> pd.DataFrame:
    """One episode per slot of ``make_env()``; a row per student.

    Args:
        policy: has ``act(obs, info) -> actions`` (batch), and ``bind(env)`` if it must
            see the env (reference policies), called once with the new env.
        make_env: builds the (unseeded) vector env; each call must build the same env.
        seed: the env's reset seed (the common random numbers).
        students: the cohort position of each slot's student (default: drawn from
            the env's pool, with replacement).

    Returns:
        Columns ``student_id``, ``return``, ``success``, ``withdrawn``, ``tutor_hours``,
        ``interventions``, ``imd_decile`` (0-1, NaN if unknown), ``gender`` and
        ``delivered_<action>`` (times each catalogue action was delivered; for
        ``none``, the weeks without an intervention).
    """
    env = make_env()
    if hasattr(policy, "bind"):
        policy.bind(env)
    n = env.num_envs
    obs, info = env.reset(seed=seed, options={"students": students})
    ids = info["student_id"].copy()
    total, done = np.zeros(n), np.zeros(n, dtype=bool)
    result = np.full(n, "", dtype=object)
    hours, interventions = np.zeros(n), np.zeros(n)
    delivered = np.zeros((n, N_ACTIONS), dtype=np.int64)
    while not done.all():
        actions = np.where(done, 0, np.asarray(policy.act(obs, info)))
        obs, reward, terminated, truncated, info = env.step(actions)
        total += np.where(done, 0.0, reward)
        interventions += ~done & info["delivered"]
        given = np.where(info["delivered"], actions, 0)
        np.add.at(delivered, (np.flatnonzero(~done), given[~done]), 1)
        finished = ~done & (terminated | truncated)
        result[finished] = info["final_result"][finished]
        hours[finished] = info["cost_hours"][finished]
        done |= finished
    return pd.DataFrame(
        {
            "student_id": ids,
            "return": total,
            "success": result == "Pass",
            "withdrawn": result == "Withdrawn",
            "tutor_hours": hours,
            "interventions": interventions,
            **groups_of(env.simulator, ids),
            **{f"delivered_{key}": delivered[:, a] for a, key in enumerate(ACTION_KEYS)},
        }
    )


def groups_of(simulator, student_ids) -> dict[str, np.ndarray]:
    """The groups fairness is judged by, per student: ``imd_decile`` (0-1, 0 the most
    deprived, NaN if unknown) and ``gender``, from the simulator's cohort."""
    people = simulator.cohort.students.set_index("id_student")
    return {
        "imd_decile": people["imd_band"].map(IMD_DECILE).reindex(student_ids).to_numpy(float) / 9.0,
        "gender": people["gender"].reindex(student_ids).to_numpy(),
    }


def paired_value(
    policy,
    make_env: Callable[[], TutoringVectorEnv],
    baseline_returns: np.ndarray,
    seed: int = 0,
    students: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """Mean return of ``policy`` minus ``baseline_returns`` (a :func:`rollout` of the
    baseline with the same ``make_env``, ``seed`` and ``students``), with a 95% normal
    interval."""
    return paired_interval(rollout(policy, make_env, seed, students)["return"], baseline_returns)


def paired_interval(
    returns: np.ndarray, baseline_returns: np.ndarray
) -> tuple[float, float, float]:
    """Mean of ``returns - baseline_returns`` (paired per slot) with a 95% normal interval."""
    diff = np.asarray(returns, dtype=float) - np.asarray(baseline_returns)
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)

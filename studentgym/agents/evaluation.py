"""Evaluating policies on the same students with the same random numbers.

:func:`rollout` runs a policy in a :class:`~studentgym.envs.vector.TutoringVectorEnv`
seeded with ``seed``: slot ``i`` always gets the same student and the same random
numbers whatever the policy (common random numbers), so differences between
policies are paired. :func:`summarize` reports, per policy, success and withdrawal
rates, mean return, tutor hours, cost per extra success, and the success gaps
between IMD halves and between genders, each with a 95% bootstrap interval over
students, and the paired difference in return against a baseline policy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from studentgym.envs.observation import OBSERVATION_NAMES
from studentgym.envs.vector import TutoringVectorEnv

IMD = OBSERVATION_NAMES.index("imd_decile")


def rollout(policy, make_env: Callable[[], TutoringVectorEnv], seed: int = 0) -> pd.DataFrame:
    """One episode per slot of ``make_env()``; a row per student.

    Args:
        policy: has ``act(obs, info) -> actions`` (batch).
        make_env: builds the (unseeded) vector env; each call must build the same env.
        seed: the env's reset seed (the common random numbers).

    Returns:
        Columns ``student_id``, ``return``, ``success``, ``withdrawn``, ``tutor_hours``,
        ``interventions``, ``imd_decile`` (0-1, 0.5 if unknown) and ``gender``.
    """
    env = make_env()
    n = env.num_envs
    obs, info = env.reset(seed=seed)
    ids, imd = info["student_id"].copy(), obs[:, IMD].astype(float)
    total, done = np.zeros(n), np.zeros(n, dtype=bool)
    result = np.full(n, "", dtype=object)
    hours, interventions = np.zeros(n), np.zeros(n)
    while not done.all():
        actions = np.where(done, 0, np.asarray(policy.act(obs, info)))
        obs, reward, terminated, truncated, info = env.step(actions)
        total += np.where(done, 0.0, reward)
        interventions += ~done & info["delivered"]
        finished = ~done & (terminated | truncated)
        result[finished] = info["final_result"][finished]
        hours[finished] = info["cost_hours"][finished]
        done |= finished
    gender = env.simulator.cohort.students.set_index("id_student")["gender"]
    return pd.DataFrame(
        {
            "student_id": ids,
            "return": total,
            "success": result == "Pass",
            "withdrawn": result == "Withdrawn",
            "tutor_hours": hours,
            "interventions": interventions,
            "imd_decile": imd,
            "gender": gender.reindex(ids).to_numpy(),
        }
    )


def _metrics(frame: pd.DataFrame, none_success: float) -> dict[str, float]:
    success = frame["success"].mean()
    extra = success - none_success
    rich, poor = frame["imd_decile"] >= 0.5, frame["imd_decile"] < 0.5
    female, male = frame["gender"] == "F", frame["gender"] == "M"
    return {
        "success_rate": success,
        "withdrawal_rate": frame["withdrawn"].mean(),
        "mean_return": frame["return"].mean(),
        "tutor_hours": frame["tutor_hours"].mean(),
        "cost_per_extra_success": frame["tutor_hours"].mean() / extra if extra > 1e-9 else np.nan,
        "imd_success_gap": frame.loc[rich, "success"].mean() - frame.loc[poor, "success"].mean(),
        "gender_success_gap": frame.loc[female, "success"].mean()
        - frame.loc[male, "success"].mean(),
    }


def summarize(
    records: dict[str, pd.DataFrame],
    baseline: str,
    reference_none: str = "no_intervention",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per policy: metrics with 95% bootstrap intervals and the paired return difference.

    Args:
        records: policy name -> :func:`rollout` frame (same slots, same order).
        baseline: the policy paired differences are taken against.
        reference_none: the no-intervention policy (for cost per extra success).
        n_boot: bootstrap resamples of students (the same resamples for every policy).

    Raises:
        ValueError: if the baseline or reference is missing or the frames differ in size.
    """
    for name in (baseline, reference_none):
        if name not in records:
            raise ValueError(f"records have no policy {name!r}")
    n = len(records[baseline])
    if any(len(frame) != n for frame in records.values()):
        raise ValueError("every policy must be evaluated on the same slots")
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, n, (n_boot, n))
    none_frame = records[reference_none]
    rows = []
    for name, frame in records.items():
        point = _metrics(frame, none_frame["success"].mean())
        boot = pd.DataFrame(
            [_metrics(frame.iloc[idx], none_frame["success"].iloc[idx].mean()) for idx in resamples]
        )
        row = {"policy": name}
        for metric, value in point.items():
            row[metric] = value
            row[f"{metric}_ci_low"] = boot[metric].quantile(0.025)
            row[f"{metric}_ci_high"] = boot[metric].quantile(0.975)
        diff = frame["return"].to_numpy() - records[baseline]["return"].to_numpy()
        boot_diff = diff[resamples].mean(axis=1)
        row[f"return_minus_{baseline}"] = diff.mean()
        row[f"return_minus_{baseline}_ci_low"] = np.quantile(boot_diff, 0.025)
        row[f"return_minus_{baseline}_ci_high"] = np.quantile(boot_diff, 0.975)
        rows.append(row)
    return pd.DataFrame(rows)

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
from studentgym.simulators.interventions import CATALOGUE, N_ACTIONS

IMD = OBSERVATION_NAMES.index("imd_decile")
ACTION_KEYS = tuple(item.key for item in CATALOGUE)


def rollout(policy, make_env: Callable[[], TutoringVectorEnv], seed: int = 0) -> pd.DataFrame:
    """One episode per slot of ``make_env()``; a row per student.

    Args:
        policy: has ``act(obs, info) -> actions`` (batch), and ``bind(env)`` if it must
            see the env (reference policies), called once with the new env.
        make_env: builds the (unseeded) vector env; each call must build the same env.
        seed: the env's reset seed (the common random numbers).

    Returns:
        Columns ``student_id``, ``return``, ``success``, ``withdrawn``, ``tutor_hours``,
        ``interventions``, ``imd_decile`` (0-1, 0.5 if unknown), ``gender`` and
        ``delivered_<action>`` (times each catalogue action was delivered; for
        ``none``, the weeks without an intervention).
    """
    env = make_env()
    if hasattr(policy, "bind"):
        policy.bind(env)
    n = env.num_envs
    obs, info = env.reset(seed=seed)
    ids, imd = info["student_id"].copy(), obs[:, IMD].astype(float)
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
            **{f"delivered_{key}": delivered[:, a] for a, key in enumerate(ACTION_KEYS)},
        }
    )


def _metrics(frame: pd.DataFrame, none_success: np.ndarray, idx: np.ndarray) -> dict:
    """Metrics of the students ``idx`` of ``frame``: ``(n,)`` gives floats, ``(B, n)``
    (bootstrap resamples) arrays over resamples. ``none_success``: the no-intervention
    success rate on the same students."""

    def mean(values: np.ndarray) -> np.ndarray:
        return values[idx].mean(axis=-1)

    def group_mean(values: np.ndarray, group: np.ndarray) -> np.ndarray:
        size = group[idx].sum(axis=-1)
        total = (values * group)[idx].sum(axis=-1)
        return np.divide(total, size, out=np.full(np.shape(size), np.nan), where=size > 0)

    success = frame["success"].to_numpy(float)
    imd, gender = frame["imd_decile"].to_numpy(float), frame["gender"].to_numpy()
    rate, hours = mean(success), mean(frame["tutor_hours"].to_numpy(float))
    extra = rate - none_success
    return {
        "success_rate": rate,
        "withdrawal_rate": mean(frame["withdrawn"].to_numpy(float)),
        "mean_return": mean(frame["return"].to_numpy(float)),
        "tutor_hours": hours,
        "cost_per_extra_success": np.divide(
            hours, extra, out=np.full(np.shape(extra), np.nan), where=extra > 1e-9
        ),
        "imd_success_gap": group_mean(success, imd >= 0.5) - group_mean(success, imd < 0.5),
        "gender_success_gap": group_mean(success, gender == "F")
        - group_mean(success, gender == "M"),
    }


def _interval(values: np.ndarray) -> tuple[float, float]:
    """The 2.5% and 97.5% quantiles of the finite values (NaN if there are none)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.nan, np.nan
    return float(np.quantile(finite, 0.025)), float(np.quantile(finite, 0.975))


def summarize(
    records: dict[str, pd.DataFrame],
    baseline: str | tuple[str, ...],
    reference_none: str = "no_intervention",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per policy: metrics with 95% bootstrap intervals and the paired return difference.

    Args:
        records: policy name -> :func:`rollout` frame (same slots, same order).
        baseline: the policy (or policies) paired differences in return are taken against.
        reference_none: the no-intervention policy (for cost per extra success).
        n_boot: bootstrap resamples of students (the same resamples for every policy).

    Raises:
        ValueError: if the baseline or reference is missing or the frames differ in size.
    """
    baselines = (baseline,) if isinstance(baseline, str) else tuple(baseline)
    for name in (*baselines, reference_none):
        if name not in records:
            raise ValueError(f"records have no policy {name!r}")
    n = len(records[reference_none])
    if any(len(frame) != n for frame in records.values()):
        raise ValueError("every policy must be evaluated on the same slots")
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, n, (n_boot, n))
    none_success = records[reference_none]["success"].to_numpy(float)
    everyone = np.arange(n)
    rows = []
    for name, frame in records.items():
        point = _metrics(frame, none_success.mean(), everyone)
        boot = _metrics(frame, none_success[resamples].mean(axis=1), resamples)
        row = {"policy": name}
        for metric, value in point.items():
            row[metric] = float(value)
            low, high = _interval(boot[metric])
            row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = low, high
        for base in baselines:
            diff = frame["return"].to_numpy() - records[base]["return"].to_numpy()
            boot_diff = diff[resamples].mean(axis=1)
            row[f"return_minus_{base}"] = diff.mean()
            row[f"return_minus_{base}_ci_low"] = np.quantile(boot_diff, 0.025)
            row[f"return_minus_{base}_ci_high"] = np.quantile(boot_diff, 0.975)
        rows.append(row)
    return pd.DataFrame(rows)


def paired_value(
    policy, make_env: Callable[[], TutoringVectorEnv], baseline_returns: np.ndarray, seed: int = 0
) -> tuple[float, float, float]:
    """Mean return of ``policy`` minus ``baseline_returns`` (a :func:`rollout` of the
    baseline with the same ``make_env`` and ``seed``), with a 95% normal interval."""
    return paired_interval(rollout(policy, make_env, seed)["return"], baseline_returns)


def paired_interval(
    returns: np.ndarray, baseline_returns: np.ndarray
) -> tuple[float, float, float]:
    """Mean of ``returns - baseline_returns`` (paired per slot) with a 95% normal interval."""
    diff = np.asarray(returns, dtype=float) - np.asarray(baseline_returns)
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)

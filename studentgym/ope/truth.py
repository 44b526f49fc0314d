"""The check only a simulator can run: off-policy estimates against true values.

Logs of training students under a logging policy (:func:`studentgym.ope.collect.collect`)
are cut into logs of several sizes; on each, every estimator estimates every target
policy's value, and the estimates are compared with the policy's true value: its
mean return on the same students under the same ground truth, played out with the
expected outcome (``2 P(success) - 1``, the same expectation as the drawn +-1 with
less noise), once per student. Reported per log size, policy and estimator: bias,
spread and RMSE over the logs, the effective sample size and the share of episodes
the policy could have produced; and per log size and estimator, how often the
estimates rank the policies as their true values do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from studentgym.agents.evaluation import rollout
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.ope.collect import LoggingRun, collect
from studentgym.ope.diagnostics import effective_sample_size, support_share
from studentgym.ope.estimators import estimate_all
from studentgym.simulators.student import StudentSimulator


@dataclass
class OfflineCheck:
    """What :func:`check_estimators` measured.

    Attributes:
        truth: per policy, ``true_value`` and its standard error ``true_value_se``.
        estimates: one row per log size, log, policy and estimator: ``estimate``,
            ``ess`` and ``support`` (diagnostics of the policy on that log).
        evaluation: per log size, policy and estimator: ``true_value``,
            ``mean_estimate``, ``bias``, ``sd``, ``rmse``, ``undefined`` (logs with no
            estimate), ``ess``, ``support`` (means over logs), ``logs``.
        rankings: per log size and estimator: ``kendall_tau`` (mean over logs),
            ``best_found`` and ``order_kept`` (shares of logs whose estimates pick the
            truly best policy, and order all policies as the truth does), ``logs``.
        example: the first log of the smallest size, to try ``evaluate_offline.py`` on.
    """

    truth: pd.DataFrame
    estimates: pd.DataFrame
    evaluation: pd.DataFrame
    rankings: pd.DataFrame
    example: LoggingRun


def true_values(
    simulator: StudentSimulator,
    students: np.ndarray,
    policies: Mapping[str, Callable],
    seed: int = 0,
) -> pd.DataFrame:
    """Each policy's mean return over ``students`` (each once) with the expected outcome.

    Args:
        policies: name -> a function making the policy (a fresh one per call).
    """
    students = np.asarray(students)

    def make_env() -> TutoringVectorEnv:
        return TutoringVectorEnv(
            num_envs=len(students),
            students=students,
            simulator=simulator,
            outcome_reward="expected",
        )

    rows = []
    for name, make in policies.items():
        returns = rollout(make(), make_env, seed, students)["return"].to_numpy()
        se = returns.std(ddof=1) / np.sqrt(len(returns))
        rows.append({"policy": name, "true_value": returns.mean(), "true_value_se": se})
    return pd.DataFrame(rows)


def check_estimators(
    simulator: StudentSimulator,
    students: np.ndarray,
    behaviour: Callable,
    policies: Mapping[str, Callable],
    sizes: Sequence[int] = (1_000, 5_000, 20_000),
    logs: int = 4,
    seed: int = 0,
) -> OfflineCheck:
    """Every estimator on logs of each size, against every policy's true value.

    ``logs`` logging runs of ``max(sizes)`` students (drawn from ``students`` with
    replacement) are made; each is cut into ``max(sizes) // size`` disjoint logs of
    each size, so there are more small logs than large ones.

    Args:
        simulator: the world the students live in (its outcome model is the truth).
        students: cohort positions of the students logged and judged (training ones).
        behaviour: makes the logging policy (it must give ``action_probabilities``).
        policies: name -> makes a target policy.
        sizes: students per log; each must divide the largest.
        logs: logging runs of the largest size.
        seed: seeds the truth's play-outs and the logging runs (``seed + 1 + k``).

    Raises:
        ValueError: if a size does not divide the largest, or fewer than 2 policies.
    """
    largest = max(sizes)
    if any(largest % size for size in sizes) or min(sizes) < 2:
        raise ValueError(f"every size must be >= 2 and divide the largest, got {sizes}")
    if len(policies) < 2:
        raise ValueError("ranking needs at least two policies")
    truth = true_values(simulator, students, policies, seed)
    rows, example = [], None
    for k in range(logs):
        env = TutoringVectorEnv(num_envs=largest, students=students, simulator=simulator)
        run = collect(env, behaviour(), {n: make() for n, make in policies.items()}, seed + 1 + k)
        for size in sorted(sizes):
            for j in range(largest // size):
                part = run.take(slice(j * size, (j + 1) * size))
                example = example or part
                log_id = k * (largest // size) + j
                for name, target in part.targets.items():
                    diagnostics = {
                        "ess": effective_sample_size(part.episodes, target),
                        "support": support_share(part.episodes, target),
                    }
                    for estimator, value in estimate_all(part.episodes, target).items():
                        rows.append(
                            {
                                "size": size,
                                "log": log_id,
                                "policy": name,
                                "estimator": estimator,
                                "estimate": value,
                                **diagnostics,
                            }
                        )
    estimates = pd.DataFrame(rows)
    return OfflineCheck(
        truth, estimates, _evaluation(estimates, truth), _rankings(estimates, truth), example
    )


def _evaluation(estimates: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    frame = estimates.merge(truth[["policy", "true_value"]], on="policy")
    frame["error"] = frame["estimate"] - frame["true_value"]
    keys = ["size", "policy", "estimator"]
    table = frame.groupby(keys, sort=False).agg(
        true_value=("true_value", "first"),
        mean_estimate=("estimate", "mean"),
        bias=("error", "mean"),
        sd=("estimate", "std"),
        rmse=("error", lambda e: float(np.sqrt(np.mean(e.dropna() ** 2)))),
        undefined=("estimate", lambda v: int(v.isna().sum())),
        ess=("ess", "mean"),
        support=("support", "mean"),
        logs=("log", "nunique"),
    )
    return table.reset_index()


def _rankings(estimates: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    true = truth.set_index("policy")["true_value"]
    rows = []
    for (size, estimator), group in estimates.groupby(["size", "estimator"], sort=False):
        wide = group.pivot(index="log", columns="policy", values="estimate")[true.index]
        taus = [_kendall_tau(row, true.to_numpy()) for row in wide.to_numpy()]
        rows.append(
            {
                "size": size,
                "estimator": estimator,
                "kendall_tau": float(np.nanmean(taus)) if not np.isnan(taus).all() else np.nan,
                "best_found": float(
                    np.mean([_argmax(row) == true.argmax() for row in wide.to_numpy()])
                ),
                "order_kept": float(np.mean([t == 1.0 for t in taus])),
                "logs": len(wide),
            }
        )
    return pd.DataFrame(rows)


def _argmax(values: np.ndarray) -> int:
    return -1 if np.isnan(values).any() else int(np.argmax(values))


def _kendall_tau(estimated: np.ndarray, true: np.ndarray) -> float:
    """Kendall's tau between the estimated and the true values (NaN if one is missing)."""
    if np.isnan(estimated).any():
        return np.nan
    return float(kendalltau(estimated, true).statistic)

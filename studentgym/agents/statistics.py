"""Comparing policies on the same students: intervals over students and training seeds, Holm.

Every policy is rolled out on the same evaluation slots with the same random numbers
(:func:`~studentgym.agents.evaluation.rollout`), so differences are paired by student.
A learned policy is trained several times (training seeds) and each trained copy is
rolled out; its row reports the mean over seeds.

Intervals resample both sources of noise at once: ``n_boot`` bootstrap resamples of
the students (the same resamples for every policy, which keeps the pairing) and,
independently for each policy, of its training seeds (with replacement from the
seeds it has). A policy with one seed (a reference policy) gets the students' noise
only. With few seeds the seed part is rough: resampling k seeds with replacement
understates their variance by a factor (k - 1) / k (a third with the default 3).
Metrics get percentile intervals. Paired differences in return get a normal
interval from the bootstrap standard error and a two-sided p-value from the same
normal approximation (so the interval excludes 0 exactly when p < 0.05), and the
p-values of one comparison (every policy against the same baseline) are adjusted by
Holm's step-down method, which controls the chance of any false "better" or "worse"
among them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import erfc, sqrt

import numpy as np
import pandas as pd

ALPHA = 0.05
Z_95 = 1.959963984540054

NAMES = {
    "success": "success_rate",
    "withdrawn": "withdrawal_rate",
    "return": "mean_return",
    "tutor_hours": "tutor_hours",
}
"""Per-student columns whose means are metrics, and the metrics' names."""

Records = Mapping[str, Sequence[pd.DataFrame] | pd.DataFrame]
"""Policy name -> its rollout frame, or one frame per training seed."""


def _seeds(frames: Sequence[pd.DataFrame] | pd.DataFrame) -> list[pd.DataFrame]:
    return [frames] if isinstance(frames, pd.DataFrame) else list(frames)


class Resamples:
    """Bootstrap weights of students and seed draws, shared by every policy compared.

    Args:
        n_students: evaluation slots (students) every frame has.
        n_boot: bootstrap resamples.
        seed: seed of the resampling.

    Attributes:
        weights: ``(n_boot, n_students)`` multinomial counts, each row summing to
            ``n_students`` (a resample of the students with replacement).
    """

    def __init__(self, n_students: int, n_boot: int = 1000, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.n_students, self.n_boot = n_students, n_boot
        uniform = np.full(n_students, 1.0 / n_students)
        self.weights = self.rng.multinomial(n_students, uniform, size=n_boot).astype(float)
        self._draws: dict[tuple[str, int], np.ndarray] = {}

    def seed_draws(self, name: str, n_seeds: int) -> np.ndarray:
        """``(n_boot, n_seeds)`` seed indices drawn with replacement, fixed per policy name."""
        key = (name, n_seeds)
        if key not in self._draws:
            self._draws[key] = self.rng.integers(0, n_seeds, (self.n_boot, n_seeds))
        return self._draws[key]

    def mean(self, values: np.ndarray) -> np.ndarray:
        """``(n_boot,)`` resampled means of per-student ``values``."""
        return self.weights @ values / self.n_students

    def over_seeds(self, name: str, per_seed: np.ndarray) -> np.ndarray:
        """Resampled statistic of a policy: ``per_seed`` is ``(n_seeds, n_boot)``."""
        draws = self.seed_draws(name, len(per_seed))
        return np.take_along_axis(per_seed.T, draws, axis=1).mean(axis=1)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries are left out and stay NaN)."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def normal_p_value(estimate: float, standard_error: float) -> float:
    """Two-sided p-value of ``estimate`` against 0 (1 if the standard error is 0)."""
    if not standard_error > 0:
        return 1.0 if estimate == 0 else 0.0
    return erfc(abs(estimate) / standard_error / sqrt(2.0))


def verdict(estimate: float, p_value: float, alpha: float = ALPHA) -> str:
    """``"better"``, ``"worse"`` or ``"not distinguishable"`` at level ``alpha``."""
    if p_value < alpha:
        return "better" if estimate > 0 else "worse"
    return "not distinguishable"


def _interval(values: np.ndarray) -> tuple[float, float]:
    """The 2.5% and 97.5% quantiles, taken from the sample (an infinite cost stays infinite)."""
    kept = values[~np.isnan(values)]
    if kept.size == 0:
        return np.nan, np.nan
    low, high = np.quantile(kept, [0.025, 0.975], method="inverted_cdf")
    return float(low), float(high)


def _cost_per_extra_success(hours, extra) -> np.ndarray:
    """Tutor hours per extra success; infinite where hours buy no extra success."""
    hours, extra = np.asarray(hours, dtype=float), np.asarray(extra, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = np.where(extra > 1e-12, hours / extra, np.inf)
    return np.where((hours == 0) & (extra <= 1e-12), np.nan, cost)


def _group_gap(frame: pd.DataFrame, first, second, boot: Resamples | None):
    """Success rate of group ``first`` minus group ``second`` (masks over students)."""
    success = frame["success"].to_numpy(float)
    rates = []
    for group in (first, second):
        group = group.astype(float)
        if boot is None:
            total, size = (success * group).sum(), group.sum()
        else:
            total, size = boot.weights @ (success * group), boot.weights @ group
        with np.errstate(divide="ignore", invalid="ignore"):
            rates.append(np.where(size > 0, total / np.where(size > 0, size, 1), np.nan))
    return rates[0] - rates[1]


def _gap_masks(frame: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    imd = frame["imd_decile"].to_numpy(float)  # NaN where the IMD band is unknown
    gender = frame["gender"].to_numpy()
    return {
        # deciles 0-9 scaled to [0, 1]: 5-9 are the less deprived half; unknown is in neither
        "imd_success_gap": (imd > 0.5, imd < 0.5),
        "gender_success_gap": (gender == "F", gender == "M"),
    }


def _per_seed_metrics(frames: list[pd.DataFrame], boot: Resamples | None) -> dict[str, np.ndarray]:
    """Metric -> ``(n_seeds,)`` point values (``boot`` None) or ``(n_seeds, n_boot)``."""
    out: dict[str, list] = {}
    for frame in frames:
        for column in NAMES:
            values = frame[column].to_numpy(float)
            out.setdefault(column, []).append(values.mean() if boot is None else boot.mean(values))
        for gap, (first, second) in _gap_masks(frame).items():
            out.setdefault(gap, []).append(_group_gap(frame, first, second, boot))
    return {metric: np.asarray(values) for metric, values in out.items()}


def paired_difference(
    name: str,
    frames: list[np.ndarray],
    base_name: str,
    base_frames: list[np.ndarray],
    boot: Resamples,
) -> dict[str, float]:
    """Mean over seeds of ``frames`` minus mean over seeds of ``base_frames`` (per-student arrays).

    Returns ``estimate``, ``ci_low``, ``ci_high`` (normal, bootstrap standard error) and ``p``.
    """
    if name == base_name:
        return {"estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p": np.nan}
    estimate = float(np.mean([f.mean() for f in frames]) - np.mean([f.mean() for f in base_frames]))
    resampled = boot.over_seeds(name, np.array([boot.mean(f) for f in frames])) - boot.over_seeds(
        base_name, np.array([boot.mean(f) for f in base_frames])
    )
    error = float(resampled.std(ddof=1))
    return {
        "estimate": estimate,
        "ci_low": estimate - Z_95 * error,
        "ci_high": estimate + Z_95 * error,
        "p": normal_p_value(estimate, error),
    }


def summarize(
    records: Records,
    baselines: str | Sequence[str],
    reference_none: str = "no_intervention",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per policy: metrics (mean over seeds) with 95% intervals, and paired differences.

    Args:
        records: policy name -> :func:`~studentgym.agents.evaluation.rollout` frame, or
            a list of frames, one per training seed (same slots, same order).
        baselines: the policy (or policies) differences in return are taken against.
        reference_none: the no-intervention policy (for the cost per extra success).
        n_boot: bootstrap resamples.
        seed: seed of the resampling.

    Returns:
        One row per policy: ``seeds``; ``success_rate``, ``withdrawal_rate``,
        ``mean_return``, ``tutor_hours``, ``cost_per_extra_success`` (tutor hours per
        extra success over no intervention; ``inf`` when there is none),
        ``imd_success_gap`` (less minus more deprived half, unknown IMD left out) and
        ``gender_success_gap`` (F minus M), each with ``_ci_low`` / ``_ci_high``; and per
        baseline ``return_minus_<baseline>`` with ``_ci_low``, ``_ci_high``, ``_p``,
        ``_p_holm`` (adjusted over every policy against that baseline) and
        ``verdict_vs_<baseline>`` (Holm-adjusted, 5%).

    Raises:
        ValueError: if a baseline or the reference is missing, or frames differ in slots.
    """
    baselines = (baselines,) if isinstance(baselines, str) else tuple(baselines)
    frames = {name: _seeds(value) for name, value in records.items()}
    for name in (*baselines, reference_none):
        if name not in frames:
            raise ValueError(f"records have no policy {name!r}")
    students = frames[reference_none][0]["student_id"].to_numpy()
    for name, seeds in frames.items():
        if not seeds:
            raise ValueError(f"policy {name!r} has no rollout")
        for frame in seeds:
            if len(frame) != len(students) or (frame["student_id"].to_numpy() != students).any():
                raise ValueError("every policy must be evaluated on the same slots, in order")
    boot = Resamples(len(students), n_boot, seed)
    none_point = frames[reference_none][0]["success"].mean()
    none_boot = boot.mean(frames[reference_none][0]["success"].to_numpy(float))
    returns = {name: [f["return"].to_numpy(float) for f in seeds] for name, seeds in frames.items()}
    rows = []
    for name, seeds in frames.items():
        point = {k: v.mean() for k, v in _per_seed_metrics(seeds, None).items()}
        resampled = {k: boot.over_seeds(name, v) for k, v in _per_seed_metrics(seeds, boot).items()}
        point["cost"] = _cost_per_extra_success(point["tutor_hours"], point["success"] - none_point)
        resampled["cost"] = _cost_per_extra_success(
            resampled["tutor_hours"], resampled["success"] - none_boot
        )
        row: dict = {"policy": name, "seeds": len(seeds)}
        for metric, label in {**NAMES, "cost": "cost_per_extra_success"}.items():
            row[label] = float(point[metric])
            row[f"{label}_ci_low"], row[f"{label}_ci_high"] = _interval(resampled[metric])
        for gap in ("imd_success_gap", "gender_success_gap"):
            row[gap] = float(point[gap])
            row[f"{gap}_ci_low"], row[f"{gap}_ci_high"] = _interval(resampled[gap])
        for base in baselines:
            diff = paired_difference(name, returns[name], base, returns[base], boot)
            column = f"return_minus_{base}"
            row[column] = diff["estimate"]
            row[f"{column}_ci_low"], row[f"{column}_ci_high"] = diff["ci_low"], diff["ci_high"]
            row[f"{column}_p"] = diff["p"]
        rows.append(row)
    table = pd.DataFrame(rows)
    order = [c for c in table.columns if not c.startswith("return_minus_")]
    for base in baselines:
        column = f"return_minus_{base}"
        table[f"{column}_p_holm"] = holm(table[f"{column}_p"].to_numpy())
        table[f"verdict_vs_{base}"] = [
            "baseline" if name == base else verdict(estimate, p)
            for name, estimate, p in zip(
                table["policy"], table[column], table[f"{column}_p_holm"], strict=True
            )
        ]
        order += [column, *(f"{column}_{s}" for s in ("ci_low", "ci_high", "p", "p_holm"))]
        order.append(f"verdict_vs_{base}")
    return table[order]


def gaming_gaps(
    by_classifier: Records,
    by_truth: Records,
    reference_none: str = "no_intervention",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per policy: gain over no intervention judged by the classifier minus by the ground truth.

    The same trained copies, students and random numbers under both judges (the judges
    differ only in who decides the final result), so the gap is paired per seed and
    student. A positive gap is gain from moving the classifier's inputs rather than the
    student. Columns ``policy``, ``gaming_gap``, ``_ci_low``, ``_ci_high``, ``_p``.
    """
    none_gap = _seeds(by_classifier[reference_none])[0]["return"].to_numpy(float) - _seeds(
        by_truth[reference_none]
    )[0]["return"].to_numpy(float)
    boot = Resamples(len(none_gap), n_boot, seed)
    rows = []
    for name, frames in by_classifier.items():
        truth = _seeds(by_truth[name])
        gaps = [
            c["return"].to_numpy(float) - t["return"].to_numpy(float)
            for c, t in zip(_seeds(frames), truth, strict=True)
        ]
        diff = paired_difference(name, gaps, reference_none, [none_gap], boot)
        rows.append(
            {
                "policy": name,
                "gaming_gap": diff["estimate"],
                "gaming_gap_ci_low": diff["ci_low"],
                "gaming_gap_ci_high": diff["ci_high"],
                "gaming_gap_p": diff["p"],
            }
        )
    return pd.DataFrame(rows)

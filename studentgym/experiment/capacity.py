"""The capacity benchmark: whom to help when a class shares a weekly number of tutor hours.

For each capacity of ``settings.capacities`` (tutor hours per student-week; ``inf`` for
no limit), every targeting policy (:mod:`studentgym.agents.targeting`) and the learned
index policy (:mod:`studentgym.agents.lagrangian`, ``training_seeds`` tables trained in
classes at that capacity in the run's training world) runs through the course in the
same classes of evaluation students with the same random numbers
(:class:`~studentgym.agents.capacity.ClassJudge`). The ground truth judges. Gains over
doing nothing get intervals over students and training seeds, and verdicts against
doing nothing, random targeting, highest-risk-first and treat-alike, Holm-adjusted over
the policies (:func:`studentgym.agents.statistics.summarize`).

Writes ``capacity_benchmark.csv`` (a row per capacity and policy),
``capacity_fairness.csv`` (who is served and who succeeds by risk decile and IMD band),
``capacity_curves.csv`` (the learned tables' validation value during training) and
``capacity_benchmark.png``; :func:`capacity_summary` is ``summary.md``'s section.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.agents.capacity import ClassJudge
from studentgym.agents.evaluation import paired_interval
from studentgym.agents.lagrangian import TargetingRun, targeting_priors, train_targeting
from studentgym.agents.policies import RecommenderPolicy
from studentgym.agents.statistics import summarize
from studentgym.agents.targeting import (
    BenefitTargeting,
    LatentOracle,
    NoTargeting,
    RandomTargeting,
    RiskTargeting,
    TreatAlike,
)
from studentgym.atomic import atomic_write_csv
from studentgym.experiment.agents import available_cpus, check_workers
from studentgym.experiment.settings import NONE, Settings
from studentgym.predictors.plots import save_figure, subplots
from studentgym.recommenders.rules import RuleBasedRecommender

LEARNED_TARGETING = "index_qlearning"
"""The learned targeting agent (Q-learning per student, acting by the Lagrangian index)."""
ORACLE = "latent_oracle"
TARGETING_COMPARED = (NONE, "random", "highest_risk", "treat_alike")
"""Every policy is compared with these, Holm-adjusted: doing nothing, random targeting,
today's early-alert practice and the schedule that treats everyone alike."""
GAIN = f"return_minus_{NONE}"
IMD_BANDS = ("00-20%", "20-40%", "40-60%", "60-80%", "80-100%")
"""IMD bands of two deciles each; 00-20% the most deprived."""


@dataclass
class CapacityReport:
    """What the capacity stage found.

    Attributes:
        table: ``capacity_benchmark.csv``, a row per capacity and policy.
        fairness: ``capacity_fairness.csv``, per capacity, policy and group.
        curves: ``capacity_curves.csv``, validation value of the learned tables in training.
        runs: capacity -> the learned tables (one per training seed).
    """

    table: pd.DataFrame
    fairness: pd.DataFrame
    curves: pd.DataFrame
    runs: dict[float, list[TargetingRun]]


def targeting_policies(
    recommenders, baselines: dict, cohort, settings: Settings
) -> dict[str, Callable]:
    """Makers of the reference targeting policies of a run: name -> ``() -> policy``
    (the rule matrix at its tuned threshold, the best fixed schedule as tuned)."""
    n_weeks = cohort.config.n_weeks
    rule = RuleBasedRecommender(baselines["rule_based"]["threshold"])
    recommender = RecommenderPolicy(
        recommenders.profiler, recommenders.hybrid, cohort, n_weeks=n_weeks
    )
    return {
        NONE: NoTargeting,
        "random": lambda: RandomTargeting(settings.seed),
        "highest_risk": lambda: RiskTargeting(recommenders.segmenter, rule, "highest"),
        "middle_risk": lambda: RiskTargeting(recommenders.segmenter, rule, "middle"),
        "recommender": lambda: BenefitTargeting(recommender),
        "treat_alike": lambda: TreatAlike(baselines["best_schedule"], n_weeks),
        ORACLE: lambda: LatentOracle(settings.oracle_draws),
    }


@dataclass
class CapacityInputs:
    """What judging one capacity needs from the run (sent once to each worker process)."""

    simulators: dict
    split: object
    recommenders: object
    baselines: dict
    cohort: object
    settings: Settings


@dataclass
class CapacityResult:
    """One capacity's part of the report."""

    table: pd.DataFrame
    fairness: pd.DataFrame
    curves: pd.DataFrame
    runs: list[TargetingRun]


def run_capacity(
    inputs: CapacityInputs, log: Callable[[str], None] = print, workers: int | None = None
) -> CapacityReport:
    """Train the learned targeting tables and judge every targeting policy at every capacity.

    Capacities are judged independently, each seeded, so ``workers`` processes can judge
    them at once (None: as many as the CPUs allow; 1: in turn, in this process) and the
    report does not depend on how many.

    Raises:
        ValueError: for ``workers`` below 1.
    """
    check_workers(workers)
    capacities = list(inputs.settings.capacities)
    workers = min(workers or available_cpus(), len(capacities))
    if workers == 1:
        results = [judge_capacity(inputs, capacity) for capacity in capacities]
    else:
        # spawn, not fork: see train_worlds; the inputs go once to each worker
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_receive, initargs=(inputs,)
        ) as pool:
            results = list(pool.map(_judge_received, capacities))
    for capacity, result in zip(capacities, results, strict=True):
        table = result.table.set_index("policy")
        log(
            f"      capacity {_label(capacity)}: "
            + ", ".join(f"{p} {g:+.3f}" for p, g in table[GAIN].items())
            + f" (learned: {table.loc[LEARNED_TARGETING, 'share_of_oracle_gain']:.0%} of the "
            "oracle's gain)"
        )
    return CapacityReport(
        pd.concat([r.table for r in results], ignore_index=True),
        pd.concat([r.fairness for r in results], ignore_index=True),
        pd.concat([r.curves for r in results], ignore_index=True),
        {c: r.runs for c, r in zip(capacities, results, strict=True)},
    )


_RECEIVED: CapacityInputs | None = None


def _receive(inputs: CapacityInputs) -> None:
    global _RECEIVED
    _RECEIVED = inputs


def _judge_received(capacity: float) -> CapacityResult:
    return judge_capacity(_RECEIVED, capacity)


def judge_capacity(inputs: CapacityInputs, capacity: float) -> CapacityResult:
    """One capacity: ``training_seeds`` learned tables trained in classes at it (the run's
    training world, training students; curves on validation classes), then every policy
    on the evaluation classes, judged by the ground truth."""
    s, split = inputs.settings, inputs.split
    truth, trainer = inputs.simulators["ground_truth"], inputs.simulators[s.train_on[0]]
    judge = ClassJudge(truth, split.evaluation, s.eval_students, s.class_size, s.seed + 2)
    validation = ClassJudge(
        truth, split.validation, s.validation_students, s.class_size, s.seed + 1
    )
    none_validation = validation.rollout(NoTargeting, capacity)["return"].to_numpy()

    def curve_judge(policy):
        frame = validation.rollout(lambda: policy, capacity)
        return paired_interval(frame["return"].to_numpy(), none_validation)

    priors = targeting_priors(inputs.recommenders.hybrid, inputs.recommenders.train)
    runs = [
        train_targeting(
            trainer,
            split.train,
            capacity,
            s.targeting_students,
            judge=curve_judge,
            initial_q=priors,
            seed=s.seed + k,
        )
        for k in range(s.training_seeds)
    ]
    makers = targeting_policies(inputs.recommenders, inputs.baselines, inputs.cohort, s)
    records = {name: [judge.rollout(make, capacity)] for name, make in makers.items()}
    records[LEARNED_TARGETING] = [
        judge.rollout(lambda run=run: run.policy, capacity) for run in runs
    ]
    table = summarize(records, TARGETING_COMPARED, NONE, s.n_boot, s.seed)
    table.insert(0, "capacity", capacity)
    oracle_gain = float(table.loc[table["policy"] == ORACLE, GAIN].iloc[0])
    table["share_of_oracle_gain"] = table[GAIN] / oracle_gain if oracle_gain > 0 else np.nan
    weeks = inputs.cohort.config.n_weeks - 1  # decision weeks of a course
    table["hours_per_student_week"] = table["tutor_hours"] / weeks
    curves = pd.concat(
        [run.curve.assign(capacity=capacity, seed=s.seed + k) for k, run in enumerate(runs)],
        ignore_index=True,
    )
    return CapacityResult(table, served_and_succeeded(records, capacity), curves, runs)


def _label(capacity: float) -> str:
    return "unlimited" if math.isinf(capacity) else f"{capacity:g} h/student-week"


def _groups(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Risk decile (1 = the lowest P(success) when the class starts) and IMD band of each
    student (the same students, in the same order, for every policy)."""
    decile = pd.qcut(frame["p_start"].rank(method="first"), 10, labels=False) + 1
    imd = frame["imd_decile"].to_numpy(float) * 9  # deciles 0-9, NaN if unknown
    known = ~np.isnan(imd)
    two_deciles = np.minimum(np.rint(np.where(known, imd, 0)).astype(int) // 2, len(IMD_BANDS) - 1)
    bands = np.asarray(IMD_BANDS, dtype=object)[two_deciles]
    band = pd.Series(np.where(known, bands, "unknown"), index=frame.index)
    return {"risk_decile": decile.astype(str), "imd_band": band}


def served_and_succeeded(records: dict[str, list[pd.DataFrame]], capacity: float) -> pd.DataFrame:
    """Per policy and group (risk decile, IMD band): students, share served at least once,
    weeks served per student, success rate and its gain over doing nothing (mean over
    training seeds)."""
    none = records[NONE][0]
    groups = _groups(none)
    rows = []
    for name, frames in records.items():
        for grouping, labels in groups.items():
            for label in sorted(labels.unique(), key=_group_order):
                mask = (labels == label).to_numpy()
                success = np.mean([f["success"].to_numpy()[mask].mean() for f in frames])
                rows.append(
                    {
                        "capacity": capacity,
                        "policy": name,
                        "grouping": grouping,
                        "group": label,
                        "students": int(mask.sum()),
                        "served_share": np.mean(
                            [(f["interventions"].to_numpy()[mask] > 0).mean() for f in frames]
                        ),
                        "weeks_served": np.mean(
                            [f["interventions"].to_numpy()[mask].mean() for f in frames]
                        ),
                        "success_rate": success,
                        "success_gain": success - none["success"].to_numpy()[mask].mean(),
                    }
                )
    return pd.DataFrame(rows)


def _group_order(label: str):
    return (0, int(label)) if label.isdigit() else (1, label)


def plot_capacity(table: pd.DataFrame, path: str | Path) -> Path:
    """Gain over doing nothing against capacity, a line per policy with 95% intervals;
    unlimited capacity at the right."""
    capacities = sorted(table["capacity"].unique())
    finite = [c for c in capacities if not math.isinf(c)]
    positions = {
        c: (c if not math.isinf(c) else (max(finite, default=1.0) * 3)) for c in capacities
    }
    fig, ax = subplots(figsize=(7.5, 4.8))
    for policy, rows in table[table["policy"] != NONE].groupby("policy", sort=False):
        x = [positions[c] for c in rows["capacity"]]
        low, high = rows[f"{GAIN}_ci_low"], rows[f"{GAIN}_ci_high"]
        style = "--" if policy == ORACLE else "-"
        width = 2.5 if policy == LEARNED_TARGETING else 1.2
        (line,) = ax.plot(x, rows[GAIN], style, marker="o", lw=width, label=policy)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.12)
    ax.set_xscale("log")
    ax.minorticks_off()  # only the capacities' own ticks
    ax.set_xticks([positions[c] for c in capacities], [_tick(c) for c in capacities])
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlabel("tutor hours per student-week (the class's weekly capacity / students)")
    ax.set_ylabel("return minus no intervention (ground truth)")
    ax.set_title("Gain against capacity (95% intervals over students and seeds)")
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, path)


def _tick(capacity: float) -> str:
    return "unlimited" if math.isinf(capacity) else f"{capacity:g}"


def write_capacity(report: CapacityReport, out: Path) -> list[Path]:
    """The capacity stage's files in ``out``."""
    return [
        atomic_write_csv(report.table, out / "capacity_benchmark.csv"),
        atomic_write_csv(report.fairness, out / "capacity_fairness.csv"),
        atomic_write_csv(report.curves, out / "capacity_curves.csv"),
        plot_capacity(report.table, out / "capacity_benchmark.png"),
    ]


def capacity_summary(report: CapacityReport, class_size: int) -> list[str]:
    """``summary.md``'s section "Who won at each capacity": the gains, the verdicts of the
    learned agent, and what each policy does to the most at-risk students."""
    table = report.table
    policies = [p for p in dict.fromkeys(table["policy"]) if p != NONE]
    lines = [
        "",
        "## Who won at each capacity (judged by the ground truth)",
        "",
        f"Classes of {class_size} evaluation students start the course together and share "
        "a weekly number of tutor hours (capacity per student-week x students); every "
        "policy is served through the same allocation (best value per hour first) in the "
        "same classes with the same random numbers. The hours are paid for whether used or "
        "not, so the return is the outcome alone (+1 success, -1 fail or withdrawal). "
        "Gain in return over no intervention; in brackets the share of the latent-state "
        "oracle's gain (clairvoyant of the state, not of the future; not deployable). "
        f"{LEARNED_TARGETING} is the mean of its training seeds. capacity_benchmark.csv has "
        "the intervals and Holm-adjusted p-values.",
        "",
        "| capacity | " + " | ".join(policies) + " |",
        "|---|" + "---|" * len(policies),
    ]
    for capacity, rows in table.groupby("capacity", sort=True):
        rows = rows.set_index("policy")
        cells = [
            f"{rows.loc[p, GAIN]:+.3f} ({rows.loc[p, 'share_of_oracle_gain']:.0%})"
            for p in policies
        ]
        lines.append(f"| {_tick(capacity)} | " + " | ".join(cells) + " |")
    lines.append("")
    for capacity, rows in table.groupby("capacity", sort=True):
        rows = rows.set_index("policy")
        deployable = rows.drop(index=[ORACLE, NONE])
        best = deployable[GAIN].idxmax()
        learned = rows.loc[LEARNED_TARGETING]
        verdicts = ", ".join(
            f"{_compared(learned[f'verdict_vs_{base}'], base)} "
            f"({learned[f'return_minus_{base}']:+.3f}, "
            f"Holm p {learned[f'return_minus_{base}_p_holm']:.2g})"
            for base in TARGETING_COMPARED[1:]
        )
        lines.append(
            f"- **{_label(capacity)}**: best deployable policy **{best}** "
            f"({deployable.loc[best, GAIN]:+.3f}); {LEARNED_TARGETING} "
            f"{learned[GAIN]:+.3f}, {learned['share_of_oracle_gain']:.0%} of the oracle's "
            f"{rows.loc[ORACLE, GAIN]:+.3f}, {_times(learned[GAIN], rows.loc['random', GAIN])} "
            f"random's; {verdicts}."
        )
    tightest = table[table["capacity"] == table["capacity"].min()].set_index("policy")
    regime = tightest.loc[ORACLE, GAIN] - tightest.loc["treat_alike", GAIN]
    oracle = tightest.loc[ORACLE, GAIN]
    lines += [
        "",
        f"Whom to help matters: at the tightest capacity ({_label(tightest['capacity'].iloc[0])}) "
        f"the latent-state oracle gains {regime:+.3f} more than treating everyone alike, "
        + (
            f"{regime / oracle:.0%} of its own gain." if oracle > 0 else "and gains nothing itself."
        ),
    ]
    lines += _fairness_lines(report.fairness, policies)
    return [*lines, ""]


def _compared(verdict: str, base: str) -> str:
    return (
        f"not distinguishable from {base}"
        if verdict == "not distinguishable"
        else (f"**{verdict}** than {base}")
    )


def _times(value: float, reference: float) -> str:
    return f"{value / reference:.1f} times" if reference > 0 else "(random gains nothing) vs"


def _fairness_lines(fairness: pd.DataFrame, policies: list[str]) -> list[str]:
    """What each policy does to the most at-risk tenth and the most deprived IMD band."""
    lines = [
        "",
        "Who is served and who succeeds (capacity_fairness.csv): for the tenth of students "
        "most at risk when the class starts (risk decile 1) and the most deprived IMD band "
        "(0-20%), the share served at least once and their gain in success rate over no "
        "intervention:",
        "",
        "| capacity | policy | decile 1 served | decile 1 success gain | "
        "IMD 0-20% served | IMD 0-20% success gain | most helped decile |",
        "|---|---|---|---|---|---|---|",
    ]
    for capacity, rows in fairness.groupby("capacity", sort=True):
        for policy in policies:
            mine = rows[rows["policy"] == policy]
            deciles = mine[mine["grouping"] == "risk_decile"].set_index("group")
            imd = mine[mine["grouping"] == "imd_band"].set_index("group")
            first = deciles.loc["1"]
            poor = imd.loc["00-20%"] if "00-20%" in imd.index else None
            top = deciles["success_gain"].idxmax()
            lines.append(
                f"| {_tick(capacity)} | {policy} | {first['served_share']:.0%} | "
                f"{first['success_gain']:+.3f} | "
                + (
                    f"{poor['served_share']:.0%} | {poor['success_gain']:+.3f}"
                    if poor is not None
                    else "- | -"
                )
                + f" | {top} ({deciles.loc[top, 'success_gain']:+.3f}) |"
            )
    return lines

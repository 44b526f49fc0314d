"""``summary.md``: what a run found, in words a researcher can check against the tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.agents.benchmark import early_value, episodes_to_fraction
from studentgym.agents.statistics import Resamples, paired_difference
from studentgym.agents.tuning import chosen_trial
from studentgym.atomic import atomic_write_text
from studentgym.experiment.agents import LEARNED, SEEDED, dqn_steps
from studentgym.experiment.capacity import capacity_summary
from studentgym.experiment.robustness import robustness_summary
from studentgym.experiment.settings import (
    BASELINE,
    NONE,
    NOT_TRAINED,
    REFERENCE_ONLY,
    RULE,
    SCHEDULE,
    VERDICT_JUDGE,
    describe_plan,
)
from studentgym.ope.report import offline_summary
from studentgym.simulators.reward import HOUR_PRICE

SINGLE_RUN = {
    "dqn_ensemble": "It is DQN's seeds acting as one policy: one ensemble was trained, so "
    "its interval holds the students' noise, not the learner's."
}
WORLDS = {
    "classifier": "the simulator built from data, all an institution has before deployment",
    "ground_truth": "the latent model itself, which no institution has",
}


def _ci(row: pd.Series, column: str, digits: int = 3) -> str:
    return (
        f"{row[column]:+.{digits}f} (95% CI {row[f'{column}_ci_low']:+.{digits}f} to "
        f"{row[f'{column}_ci_high']:+.{digits}f})"
    )


def _verdict(row: pd.Series, base: str, label: str) -> str:
    word = row[f"verdict_vs_{base}"]
    p = row[f"return_minus_{base}_p_holm"]
    if word == "not distinguishable":
        return f"not distinguishable from {label} (Holm p = {p:.2f})"
    return f"**{word}** than {label} (Holm p = {p:.3g})"


def learning_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """Per agent counted in episodes (curves without ``steps``: the tabular agents and the
    learned schedule, not DQN), world and seed: final value, episodes to 95% of it, early
    value."""
    rows = []
    by_episode = curves[curves["steps"].isna()]
    for (agent, world, seed), curve in by_episode.groupby(
        ["agent", "trained_on", "seed"], sort=False
    ):
        rows.append(
            {
                "agent": agent,
                "trained_on": world,
                "seed": seed,
                "value_at_start": float(curve["value"].iloc[0]),
                "early_value_first_quarter": early_value(curve, 0.25),
                "final_value": float(curve["value"].iloc[-1]),
                "episodes_to_95pct": episodes_to_fraction(curve, 0.95),
            }
        )
    return pd.DataFrame(rows)


def write_summary(path: str | Path, results, curves: pd.DataFrame) -> Path:
    """Write ``summary.md`` for a :class:`~studentgym.experiment.Results`."""
    s = results.settings
    table = results.benchmark.set_index("policy")
    flagged = set(table.index[table["gaming_gap_ci_low"] > 0])
    tuned = "; ".join(_describe(name, params) for name, params in results.baselines.items())
    world = s.train_on[0]
    lines = [
        "# studentgym benchmark",
        "",
        f"Settings: seed={s.seed}, students={results.cohort.config.n_students}"
        f"{', data=' + s.data if s.data else ''}, student_model={s.student_model}, "
        f"training_seeds={s.training_seeds}, "
        f"episodes={s.episodes}, dqn_steps={dqn_steps(s)}, "
        f"{f'dqn={dict(s.dqn)}, ' if s.dqn else ''}"
        f"eval_students={len(results.judges[VERDICT_JUDGE].slots)}, n_boot={s.n_boot}. "
        f"Tuned baselines: {tuned}.",
        "",
        "How to read it. Every policy runs on the same "
        f"{len(results.judges[VERDICT_JUDGE].slots):,} evaluation students, which nothing was "
        "fitted or tuned on, with the same random numbers, so differences are paired by "
        "student. The return is +1 per success and -1 per fail or withdrawal, minus "
        f"{HOUR_PRICE} per tutor hour. **Verdicts are the ground truth's**: what happens to "
        "the simulated students. Learned agents train on the training students in the "
        f"{world} simulator ({WORLDS[world]}), "
        f"{s.training_seeds} training seeds each; their rows are the mean over seeds and "
        "their 95% intervals resample students and seeds. Verdicts against no intervention, "
        f"the tuned {BASELINE}, the tuned rule matrix and the best fixed schedule are "
        "Holm-adjusted over all "
        f"{len(table) - 1} policies compared with each.",
        "",
        "## Who won (judged by the ground truth)",
        "",
    ]
    candidates = table.drop(index=[p for p in (*REFERENCE_ONLY, *flagged) if p in table.index])
    ranked = candidates["mean_return"].sort_values(ascending=False)
    winner, runner_up = ranked.index[0], ranked.index[1]
    lead = _lead(results, winner, runner_up)
    lines += [
        f"Highest mean return of the deployable policies without a gaming flag: **{winner}**, "
        f"{_ci(table.loc[winner], f'return_minus_{BASELINE}')} against the tuned {BASELINE} "
        f"and {_ci(table.loc[winner], f'return_minus_{NONE}')} against no intervention. "
        f"Its lead over the runner-up, {runner_up}, is {lead['estimate']:+.3f} (95% CI "
        f"{lead['ci_low']:+.3f} to {lead['ci_high']:+.3f}, not adjusted): "
        + (
            "a lead the interval supports."
            if lead["ci_low"] > 0
            else "the two are not distinguishable, so the ranking between them is not a finding."
        )
        + (
            f" {winner} is one trained policy, so these intervals hold the students' noise "
            "but not the learner's: another training run may land elsewhere."
            if winner in SINGLE_RUN
            else ""
        ),
        "",
        "The learned agents, each against no intervention, the tuned "
        f"{BASELINE}, the tuned rule matrix and the best fixed schedule (gain in return per "
        "student; seeds' own gains in brackets):",
        "",
    ]
    per_seed = results.seeds[(results.seeds["trained_on"] == world)].groupby("policy")[
        f"return_minus_{NONE}"
    ]
    for name in [p for p in LEARNED if p in table.index]:
        row = table.loc[name]
        seeds = per_seed.get_group(name) if name in SEEDED else None
        spread = f" [seeds {', '.join(f'{v:+.3f}' for v in seeds)}]" if seeds is not None else ""
        beaten = [
            label
            for base, label in (
                (BASELINE, f"the tuned {BASELINE}"),
                (RULE, "the rule matrix"),
                (SCHEDULE, "the schedule"),
            )
            if row[f"verdict_vs_{base}"] != "better"
        ]
        lines.append(
            f"- **{name}**: {_ci(row, f'return_minus_{NONE}')}{spread}, "
            f"{_verdict(row, NONE, 'no intervention')}; "
            f"{_ci(row, f'return_minus_{BASELINE}')} against the tuned {BASELINE}, "
            f"{_verdict(row, BASELINE, 'the tuned ' + BASELINE)}; "
            f"{_ci(row, f'return_minus_{RULE}')} against the tuned rule matrix, "
            f"{_verdict(row, RULE, 'the rule matrix')}; "
            f"{_ci(row, f'return_minus_{SCHEDULE}')} against the best fixed schedule, "
            f"{_verdict(row, SCHEDULE, 'the schedule')}"
            + (f" — **it does not beat {_either(beaten)}**" if beaten else "")
            + f". Success rate {row['success_rate']:.3f}, {row['tutor_hours']:.2f} tutor hours "
            "per student."
            + (f" {SINGLE_RUN[name]}" if name in SINGLE_RUN else "")
            + (_learned_plans(results, world) if name == "learned_schedule" else "")
            + (" Flagged for gaming (below)." if name in flagged else "")
        )
    if "oracle" in table.index:
        lines += [
            "",
            f"The ground-truth oracle (clairvoyant: it sees each student's future; not "
            f"deployable) reaches {_ci(table.loc['oracle'], f'return_minus_{NONE}')} over no "
            "intervention. It looks one decision ahead every four weeks, so it is a reference, "
            "not a ceiling: a policy that acts more often can come close to it or pass it.",
        ]
    lines += _gaming_section(results, flagged, world)
    if results.capacity is not None:
        lines += capacity_summary(results.capacity, s.class_size)
    lines += _matrix_section(results)
    if results.robustness is not None:
        lines += robustness_summary(results.robustness, NONE, REFERENCE_ONLY)
    lines += _baselines_section(results)
    lines += _recommender_section(results.recommenders.evaluation)
    lines += _priors_section(curves, world)
    lines += ["", "## All policies (ground truth)", "", _markdown(results.benchmark), ""]
    if results.offline is not None:
        lines += offline_summary(
            results.offline,
            f"the tuned rule matrix, replaced by a uniformly random action in "
            f"{s.logging_epsilon:.0%} of student-weeks",
        )
    lines += _reproducibility_section()
    return atomic_write_text("\n".join(lines), path)


def _either(names: list[str]) -> str:
    """``"a"``, ``"a or b"``, ``"a, b or c"``."""
    return " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)


def _learned_plans(results, world: str) -> str:
    """The learned schedules in words, one per training seed."""
    agent = results.agents[world]["learned_schedule"]
    plans = "; ".join(
        f"seed {seed}: {describe_plan(policy.plan)}"
        for seed, policy in zip(agent.seeds, agent.policies, strict=True)
    )
    return (
        " It is the same for every student: the fixed schedule that policy search with common "
        f"random numbers found in the {world} simulator on training students ({plans})."
    )


def _lead(results, winner: str, runner_up: str) -> dict[str, float]:
    """The winner's mean return minus the runner-up's, paired, over students and seeds."""
    s = results.settings
    records = results.records[VERDICT_JUDGE][s.train_on[0]]
    returns = {n: [f["return"].to_numpy(float) for f in records[n]] for n in (winner, runner_up)}
    boot = Resamples(len(returns[winner][0]), s.n_boot, s.seed)
    return paired_difference(winner, returns[winner], runner_up, returns[runner_up], boot)


def _gaming_section(results, flagged: set, world: str) -> list[str]:
    robust = results.robust
    mine = robust[robust["trained_on"].isin([world, NOT_TRAINED])]
    truth = mine[mine["judged_by"] == VERDICT_JUDGE].set_index("policy")
    believed = mine[mine["judged_by"] == "classifier"].set_index("policy")
    lines = [
        "",
        "## Gaming: what the classifier judge would have said",
        "",
        "The classifier judge is what a simulator built from data believes; the gaming gap",
        "is a policy's gain over no intervention under it minus its gain under the ground",
        "truth (paired by student and seed): gain got by moving the classifier's inputs",
        "rather than the student. A policy whose gap's 95% interval lies above 0 is",
        "flagged (not adjusted for multiplicity: a flag is a warning, so it errs towards",
        "flagging) and is never named the winner.",
        "",
        "| policy | gain vs none, ground truth | gain vs none, classifier | gaming gap | flag |",
        "|---|---|---|---|---|",
    ]
    for policy, row in truth.iterrows():
        lines.append(
            f"| {policy} | {_ci(row, f'return_minus_{NONE}')} | "
            f"{_ci(believed.loc[policy], f'return_minus_{NONE}')} | {_ci(row, 'gaming_gap')} | "
            f"{'**gaming**' if policy in flagged else ''} |"
        )
    lines += [
        "",
        "Flagged: " + (", ".join(sorted(flagged)) if flagged else "none") + ".",
    ]
    return lines


def _matrix_section(results) -> list[str]:
    robust = results.robust
    learned = robust[robust["trained_on"] != NOT_TRAINED]
    if learned.empty:
        return []
    cells = learned.set_index(["policy", "trained_on", "judged_by"])[f"return_minus_{NONE}"]
    worlds = list(dict.fromkeys(learned["trained_on"]))
    judges = ["ground_truth", "classifier"]
    header = " | ".join(f"trained on {w}, judged by {j}" for w in worlds for j in judges)
    lines = [
        "",
        "## Trained on x judged by",
        "",
        "Gain over no intervention (mean over seeds) of each learned agent trained in each",
        "world and judged by each judge; robust_evaluation.csv has the intervals.",
        "",
        f"| agent | {header} |",
        "|---|" + "---|" * (len(worlds) * len(judges)),
    ]
    for policy in dict.fromkeys(learned["policy"]):
        values = [cells.get((policy, w, j), np.nan) for w in worlds for j in judges]
        lines.append(f"| {policy} | " + " | ".join(f"{v:+.4f}" for v in values) + " |")
    return lines


def _baselines_section(results) -> list[str]:
    tuning = results.tuning
    n = min(results.settings.validation_students, len(results.split.validation))
    lines = [
        "",
        "## The tuned baselines",
        "",
        f"Each reference policy's free parameters were chosen on {n:,} validation students",
        "by the ground truth (baseline_tuning.csv has every trial):",
        "",
    ]
    for policy, trials in tuning.groupby("policy", sort=False):
        best = chosen_trial(trials)
        if best is None:
            lines.append(f"- {policy}: nothing beat doing nothing ({len(trials)} trials).")
            continue
        lines.append(
            f"- {_describe(policy, results.baselines[policy])}: validation gain over no "
            f"intervention {best['value']:+.4f} (95% CI {best['ci_low']:+.4f} to "
            f"{best['ci_high']:+.4f}), best of {len(trials)} trials."
        )
    lines += [
        "",
        f"{SCHEDULE} uses nothing about the student: a learned policy that does not beat it",
        "has not shown that personalising pays.",
    ]
    return lines


def _recommender_section(evaluation: pd.DataFrame) -> list[str]:
    table = evaluation.set_index("recommender")
    first = evaluation.iloc[0]
    lines = [
        "",
        "## The recommenders, one decision each",
        "",
        f"At week {first['decision_week']} each of {first['students']:,} evaluation students "
        "gets one recommendation, judged by its true benefit (the ground truth's expected",
        "value of the rest of the course with it minus without it); precision@1 is the share",
        "of top picks that help, uplift the mean benefit of the top pick",
        "(recommender_evaluation.csv). The hybrid's collaborative part learns from the",
        "randomised trial on training students (response_trial.csv).",
        "",
        "| recommender | precision@1 | NDCG@3 | uplift | share of the oracle's uplift |",
        "|---|---|---|---|---|",
    ]
    oracle = table.loc["oracle", "uplift"] if "oracle" in table.index else np.nan
    for name, row in table.iterrows():
        cells = [
            f"{row[m]:.3f} ({row[f'{m}_ci_low']:.3f} to {row[f'{m}_ci_high']:.3f})"
            if pd.notna(row[m])
            else "-"
            for m in ("precision_at_1", "ndcg_at_3")
        ]
        lines.append(
            f"| {name} | {' | '.join(cells)} | {_ci(row, 'uplift')} | "
            f"{row['uplift'] / oracle:.0%} |"
        )
    return lines


def _describe(name: str, params: dict) -> str:
    if name == SCHEDULE:
        return f"{name} {describe_plan(params)}"
    return f"{name} " + ", ".join(f"{k}={v}" for k, v in params.items())


def _priors_section(curves: pd.DataFrame, world: str) -> list[str]:
    efficiency = learning_summary(curves)
    mine = efficiency[efficiency["trained_on"] == world].groupby("agent")
    if not {"qlearning", "qlearning_priors"} <= set(mine.groups):
        return []
    mean = mine[["value_at_start", "early_value_first_quarter", "final_value"]].mean()
    lines = [
        "",
        "## What the priors did",
        "",
        "Greedy value (return minus no intervention on validation students, ground truth)",
        "during training, mean over seeds (sample_efficiency.csv has each seed):",
        "",
        "| agent | at start | mean over first quarter | final |",
        "|---|---|---|---|",
    ]
    for name, label in (("qlearning", "without priors"), ("qlearning_priors", "with priors")):
        row = mean.loc[name]
        lines.append(
            f"| {label} | {row['value_at_start']:+.4f} | "
            f"{row['early_value_first_quarter']:+.4f} | {row['final_value']:+.4f} |"
        )
    gain = (
        mean.loc["qlearning_priors", "early_value_first_quarter"]
        - mean.loc["qlearning", "early_value_first_quarter"]
    )
    lines += [
        "",
        f"The priors {'raised' if gain > 0 else 'lowered'} the mean greedy value over the first "
        f"quarter of training by {abs(gain):.4f}. The untrained table with priors is the "
        "recommender's one-off advice (its value at the start).",
    ]
    return lines


def _reproducibility_section() -> list[str]:
    return [
        "## Reproducibility",
        "",
        "The same settings on the same machine write identical CSVs. The cohort, the",
        "simulator, the tabular agents and the statistics are numpy and numba code with",
        "seeded, counter-based random numbers. DQN trains with PyTorch on one CPU thread,",
        "so the machine's core count does not change it, but PyTorch's CPU kernels may",
        "round differently on another processor, and over thousands of gradient steps a",
        "different rounding leads training elsewhere: DQN's rows, and any verdict that",
        "rests on them, can differ between machines. Its seeds' spread (above) is the",
        "size of that difference to expect.",
        "",
    ]


def _markdown(frame: pd.DataFrame) -> str:
    columns = ["policy", "seeds", "success_rate", "withdrawal_rate", "mean_return"]
    columns += ["tutor_hours", "cost_per_extra_success", "imd_success_gap", "gender_success_gap"]
    shown = frame[[c for c in columns if c in frame.columns]]
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = [
        "| "
        + " | ".join(
            v
            if isinstance(v, str)
            else (f"{v:d}" if isinstance(v, int | np.integer) else f"{v:.4f}")
            for v in row.tolist()
        )
        + " |"
        for _, row in shown.iterrows()
    ]
    return "\n".join([header, rule, *body])

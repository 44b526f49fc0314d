"""The benchmark behind ``scripts/train_agent.py``, as one importable run.

    from studentgym.experiment import Settings, run
    results = run(Settings.quick(), "outputs")

Stages, in order (each logs a line and, when it ends, its time):

1. **world**: the cohort (generated, or real OULAD students with their synthetic twins'
   latent traits), its final results against OULAD's, and the one train / validation /
   evaluation split (:mod:`studentgym.split`) every later stage receives;
2. **predictors**: the learning-analytics study (model zoo, early prediction, segments,
   fairness) on a sample of the cohort;
3. **env**: the env's weekly success classifier, fitted on the training students, and a
   simulator per judge (the classifier, the ground truth); one student's rollout is shown;
4. **recommenders**: profiler, hybrid (SVD + TF-IDF) and segments fitted on training
   students, judged by the ground truth on evaluation students;
5. **baselines**: the recommender policy's and the rule matrix's free parameters, and
   the best fixed schedule, chosen on validation students by the ground truth;
6. **agents**: Q-learning without and with the recommender's priors, and DQN, each with
   ``training_seeds`` seeds in each world of ``train_on``;
7. **benchmark**: every policy on the same evaluation students with the same random
   numbers, judged by both judges; the verdicts are the ground truth's;
8. **capacity** (``settings.capacity_study``): classes of evaluation students sharing a
   weekly number of tutor hours; every targeting policy and the learned index policy
   (trained in classes at each capacity) judged by the ground truth
   (:mod:`studentgym.experiment.capacity`);
9. **robustness** (``settings.robustness``): every policy of the default training world
   judged on each named student-model variant (:mod:`studentgym.experiment.robustness`);
10. **offline** (``settings.offline_check``): logs of training students under the
   exploring rule matrix, and every off-policy estimator's estimate of each deployable
   policy's value against its true value (:mod:`studentgym.ope.truth`).

The run happens in the ground truth ``settings.student_model`` names (the documented
one by default): its response to interventions drives every simulator, and its
population is who the evaluation students are. Stage 2 is skipped without
``settings.predictor_study``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.agents.benchmark import Judge
from studentgym.agents.oracle import OraclePolicy
from studentgym.agents.policies import (
    FixedSchedule,
    NoIntervention,
    RandomPolicy,
    RecommenderPolicy,
    RuleBasedPolicy,
)
from studentgym.agents.statistics import gaming_gaps, summarize
from studentgym.agents.tuning import (
    RECOMMENDER_GRID,
    RULE_GRID,
    chosen_trial,
    search_schedule,
    tune_policy,
)
from studentgym.atomic import atomic_write_csv
from studentgym.envs.tutoring import TutoringEnv
from studentgym.envs.world import World, WorldSpec, load_world
from studentgym.experiment.agents import (
    LEARNED,
    SEEDED,
    LearnedAgent,
    check_workers,
    train_worlds,
)
from studentgym.experiment.capacity import CapacityInputs, CapacityReport, run_capacity
from studentgym.experiment.report import write_report
from studentgym.experiment.robustness import GAIN as ROBUST_GAIN
from studentgym.experiment.robustness import robustness_matrix, rollouts, variant_judge
from studentgym.experiment.settings import (
    BASELINE,
    COMPARED,
    NONE,
    NOT_TRAINED,
    REFERENCE_ONLY,
    RULE,
    SCHEDULE,
    VERDICT_JUDGE,
    Settings,
    describe_plan,
)
from studentgym.io.calibrate import simulation_cohort
from studentgym.io.oulad import read_oulad
from studentgym.ope.collect import SoftenedPolicy
from studentgym.ope.truth import OfflineCheck, check_estimators
from studentgym.predictors.report import PredictorReport, run_predictors
from studentgym.predictors.weekly import WeeklySuccessModel
from studentgym.recommenders.priors import snapshot_priors
from studentgym.recommenders.report import RecommenderReport, run_recommenders
from studentgym.recommenders.rules import RuleBasedRecommender
from studentgym.simulators import CohortConfig
from studentgym.simulators.cohort import Cohort
from studentgym.simulators.config import OULAD_FINAL_RESULT
from studentgym.simulators.student import OUTCOME_MODELS, StudentSimulator, SuccessModel
from studentgym.simulators.variants import student_model
from studentgym.split import StudentSplit, split_students


@dataclass
class Results:
    """Everything a run built, and the tables it wrote.

    Attributes:
        benchmark: policies trained in the default world, judged by the ground truth
            (``policy_benchmark.csv``).
        robust: every policy x training world x judge, with gaming gaps
            (``robust_evaluation.csv``).
        seeds: each training seed of each learned agent alone, judged by the ground
            truth (``policy_benchmark_seeds.csv``).
        tuning: every trial of the baselines' tuning (``baseline_tuning.csv``).
        baselines: the tuned parameters per reference policy.
        agents: training world -> agent name -> :class:`LearnedAgent`.
        validation: the judge on validation students (baselines' tuning, learning curves).
        judges: outcome model -> the judge on evaluation students.
        records: judge -> training world -> policy -> rollout frames (one per seed).
        stage_seconds: wall-clock seconds of each stage.
        offline: the off-policy estimators' check (``settings.offline_check``), or None.
        robustness: the robustness matrix (``settings.robustness``), or None.
        capacity: the capacity benchmark (``settings.capacity_study``), or None.
        files: every file written into the output folder.
    """

    settings: Settings
    cohort: Cohort
    split: StudentSplit
    predictors: PredictorReport | None
    success_model: SuccessModel
    simulators: dict[str, StudentSimulator]
    recommenders: RecommenderReport
    baselines: dict[str, dict]
    tuning: pd.DataFrame
    agents: dict[str, dict[str, LearnedAgent]]
    validation: Judge
    judges: dict[str, Judge]
    records: dict[str, dict[str, dict[str, list[pd.DataFrame]]]]
    benchmark: pd.DataFrame
    robust: pd.DataFrame
    seeds: pd.DataFrame
    stage_seconds: dict[str, float]
    offline: OfflineCheck | None = None
    robustness: pd.DataFrame | None = None
    capacity: CapacityReport | None = None
    files: list[Path] = dataclasses.field(default_factory=list)


class _Stages:
    """Logs ``[k/total] title`` at the start of a stage and its seconds when the next starts."""

    def __init__(self, log: Callable[[str], None], total: int) -> None:
        self.log, self.seconds, self.total = log, {}, total
        self._name, self._start = None, time.perf_counter()

    def __call__(self, name: str, title: str) -> None:
        self.close()
        self._name, self._start = name, time.perf_counter()
        self.log(f"\n[{len(self.seconds) + 1}/{self.total}] {title}")

    def close(self) -> None:
        if self._name is not None:
            self.seconds[self._name] = time.perf_counter() - self._start
            self.log(f"      ({self.seconds[self._name]:.0f} s)")
            self._name = None


def run(
    settings: Settings,
    out: str | Path,
    log: Callable[[str], None] = print,
    workers: int | None = None,
) -> Results:
    """Run the benchmark with ``settings`` and write its tables into ``out``.

    ``workers`` is how many processes train the agents' worlds at once, and judge the
    capacities at once (see :func:`~studentgym.experiment.agents.train_worlds` and
    :func:`~studentgym.experiment.capacity.run_capacity`; None: as the CPUs allow); the
    results do not depend on it.

    Raises:
        ValueError, FileNotFoundError: for unreadable real data (``settings.data``), a
            cohort too small to split, or ``workers`` below 1; nothing is written then.
    """
    check_workers(workers)  # before anything is written
    out = Path(out)
    s = settings
    stages = 6 + s.predictor_study + s.capacity_study + bool(s.robustness) + s.offline_check
    stage = _Stages(log, stages)
    truth = student_model(s.student_model)

    stage("world", "world: cohort, split, final results against OULAD")
    if s.data:
        tables = read_oulad(s.data)
        cohort, fitted = simulation_cohort(tables, seed=s.seed), None
    else:  # the benchmark world: its classifier is fitted on the training students once
        world = generated_world(s)
        cohort = tables = world.cohort
        fitted = world.success_model
    split = split_students(cohort.config.n_students, s.seed)
    out.mkdir(parents=True, exist_ok=True)
    if s.save_cohort and not s.data:
        cohort.to_csv(out / "cohort")
    observed = tables.students["final_result"].value_counts(normalize=True)
    comparison = pd.DataFrame({"oulad": pd.Series(OULAD_FINAL_RESULT), "this_run": observed})
    atomic_write_csv(
        comparison.rename_axis("final_result").reset_index(), out / "cohort_vs_oulad.csv"
    )
    log(comparison.round(3).to_string())
    log(
        f"      {cohort.config.n_students} students: {len(split.train)} train, "
        f"{len(split.validation)} validation, {len(split.evaluation)} evaluation"
    )

    n_weeks = cohort.config.n_weeks
    predictors = None
    if s.predictor_study:
        stage("predictors", "predictors: model zoo, early prediction, segments, fairness")
        predictors = run_predictors(
            tables,
            out,
            seed=s.seed,
            max_students=s.predictor_students,
            n_splits=s.predictor_folds,
            early_models=s.early_models,
            weeks=[w for w in s.predictor_weeks if w <= n_weeks],
            sequence_weeks=[w for w in s.sequence_weeks if w <= n_weeks],
        )
        columns = ["model", "roc_auc_mean", "roc_auc_std", "f1_mean", "brier_mean"]
        log(predictors.model_scores[columns].round(3).to_string(index=False))
        log(f"      best classifier of the study: {predictors.best_model}")

    stage("env", "env: the weekly success classifier on training students, one student shown")
    success_model = fitted or WeeklySuccessModel().fit(cohort, split.train)
    simulators = run_simulators(cohort, success_model, s)
    _show_one_student(simulators[s.train_on[0]], split.evaluation, s.seed, log)

    stage(
        "recommenders", "recommenders: hybrid (SVD + TF-IDF) and rules, judged by the ground truth"
    )
    recommenders = run_recommenders(
        simulators[VERDICT_JUDGE],
        out,
        split.train,
        split.evaluation,
        n_students=s.recommender_students,
        replays=s.trial_replays,
        seed=s.seed,
    )
    columns = [
        "recommender",
        "precision_at_1",
        "ndcg_at_3",
        "uplift",
        "uplift_ci_low",
        "uplift_ci_high",
    ]
    log(recommenders.evaluation[columns].round(4).to_string(index=False))

    stage("baselines", "baselines: recommender, rule matrix and fixed schedule, on validation")
    validation = validation_judge(simulators[VERDICT_JUDGE], split.validation, s)
    makers = {
        BASELINE: lambda **p: RecommenderPolicy(
            recommenders.profiler, recommenders.hybrid, cohort, n_weeks=n_weeks, **p
        ),
        RULE: lambda threshold, **p: RuleBasedPolicy(
            recommenders.segmenter, RuleBasedRecommender(threshold), n_weeks=n_weeks, **p
        ),
    }
    baselines, trials = {}, []
    for name, grid in ((BASELINE, RECOMMENDER_GRID), (RULE, RULE_GRID)):
        baselines[name], table = tune_policy(makers[name], grid, validation)
        trials.append(table.assign(policy=name))
        best = chosen_trial(table)
        log(f"      {name}: {baselines[name]} (validation gain vs none {best['value']:+.4f})")
    baselines[SCHEDULE], table = search_schedule(validation, n_weeks)
    trials.append(table.assign(policy=SCHEDULE))
    best = chosen_trial(table)
    gain = 0.0 if best is None else best["value"]
    log(f"      {SCHEDULE}: {describe_plan(baselines[SCHEDULE])} (validation gain {gain:+.4f})")
    tuning = pd.concat(trials, ignore_index=True)
    tuning = tuning[["policy", *[c for c in tuning.columns if c != "policy"]]]

    stage("agents", f"agents: {s.training_seeds} seeds each, trained in {', '.join(s.train_on)}")
    priors = snapshot_priors(recommenders.profiler, recommenders.hybrid, recommenders.train)
    agents = train_worlds(simulators, split.train, s, priors, validation, out / "dqn", workers)
    for world in s.train_on:
        for name in SEEDED:
            curve = agents[world][name].curves
            last = curve.groupby("seed")["value"].last()
            log(
                f"      {name} ({world}): final validation gain vs none {last.mean():+.4f} "
                f"(seeds {', '.join(f'{v:+.4f}' for v in last)})"
            )

    stage(
        "benchmark",
        f"benchmark: every policy on {s.eval_students} evaluation students, both judges",
    )
    references = {
        NONE: NoIntervention,
        "random": lambda: RandomPolicy(s.seed),
        RULE: lambda: makers[RULE](**baselines[RULE]),
        BASELINE: lambda: makers[BASELINE](**baselines[BASELINE]),
        SCHEDULE: lambda: FixedSchedule(baselines[SCHEDULE], n_weeks),
        "oracle": OraclePolicy,
    }
    evaluation = truth.students(cohort, split.evaluation)
    judges = {
        m: Judge(simulators[m], evaluation, min(s.eval_students, len(evaluation)), s.seed + 2)
        for m in OUTCOME_MODELS
    }
    records = {}
    for m, judge in judges.items():
        reference = {name: [judge.rollout(make())] for name, make in references.items()}
        records[m] = {
            world: {
                **reference,
                **{
                    name: [judge.rollout(p) for p in agent.policies]
                    for name, agent in agents[world].items()
                },
            }
            for world in s.train_on
        }
    benchmark, robust, seeds = _tables(records, agents, s)
    capacity = None
    if s.capacity_study:
        stage(
            "capacity",
            f"capacity: whom to help, classes of {s.class_size} sharing "
            f"{len(s.capacities)} weekly capacities",
        )
        inputs = CapacityInputs(simulators, split, recommenders, baselines, cohort, s)
        capacity = run_capacity(inputs, log, workers)
    robustness = None
    if s.robustness:
        stage("robustness", f"robustness: every policy on {len(s.robustness)} student models")
        policies = {name: (lambda make=make: [make()]) for name, make in references.items()}
        for name, agent in agents[s.train_on[0]].items():
            policies[name] = lambda agent=agent: agent.policies
        variant_records = {}
        for name in s.robustness:
            model = student_model(name)
            population = model.most_deprived_deciles == truth.most_deprived_deciles
            if model.response() == truth.response() and population:
                # the run's own world under one of its judges: the benchmark rolled it out
                variant_records[name] = records[model.judge][s.train_on[0]]
                continue
            judge = variant_judge(
                name, cohort, success_model, split.evaluation, s.eval_students, s.seed + 2
            )
            variant_records[name] = rollouts(policies, judge)
        robustness = robustness_matrix(variant_records, NONE, s.n_boot, s.seed)
        log(
            robustness.pivot(index="policy", columns="judged_on", values=ROBUST_GAIN)
            .loc[list(policies), list(s.robustness)]
            .round(3)
            .to_string()
        )
    offline = None
    if s.offline_check:
        stage("offline", "offline: off-policy estimators against the true values, on logs")
        deployable = {n: m for n, m in references.items() if n not in REFERENCE_ONLY}
        learned = agents[s.train_on[0]]
        deployable.update({n: (lambda p=a.policies[0]: p) for n, a in learned.items()})
        offline = check_estimators(
            simulators[VERDICT_JUDGE],
            split.train,
            lambda: SoftenedPolicy(references[RULE](), s.logging_epsilon, s.seed),
            deployable,
            s.offline_sizes,
            s.offline_logs,
            s.seed + 3,
        )
        log(offline.rankings.round(3).to_string(index=False))
    results = Results(
        s,
        cohort,
        split,
        predictors,
        success_model,
        simulators,
        recommenders,
        baselines,
        tuning,
        agents,
        validation,
        judges,
        records,
        benchmark,
        robust,
        seeds,
        stage.seconds,
        offline,
        robustness,
        capacity,
    )
    results.files = write_report(results, out)
    stage.close()
    return results


def _show_one_student(simulator: StudentSimulator, students, seed: int, log) -> None:
    """One evaluation student's course under a nudge every four weeks, as the env renders it."""
    env = TutoringEnv(simulator=simulator, students=students, render_mode="ansi")
    env.reset(seed=seed)
    terminated, week, info = False, 0, {}
    while not terminated:
        week += 1
        _, reward, terminated, _, info = env.step(2 if week % 4 == 1 else 0)
        if week <= 3 or terminated:
            log("      " + env.render() + f" | reward {reward:+.3f}")
    log(f"      final result: {info['final_result']}")


def generated_world(s: Settings) -> World:
    """The world of a run on a generated cohort: ``s.students`` students of seed ``s.seed``,
    the weekly classifier fitted on the split's training students (cached on disk)."""
    return load_world(WorldSpec(s.students, CohortConfig.n_weeks, s.seed, fit_on="train"))


def run_simulators(cohort, success_model, s: Settings) -> dict[str, StudentSimulator]:
    """The simulators of a run, one per outcome model (``"classifier"``, ``"ground_truth"``),
    all in the run's student model; ``cohort`` may be a world's roster (no tables needed)."""
    response = student_model(s.student_model).response()
    return {
        m: StudentSimulator(cohort, success_model, outcome_model=m, response=response)
        for m in OUTCOME_MODELS
    }


def validation_judge(simulator: StudentSimulator, validation: np.ndarray, s: Settings) -> Judge:
    """The judge of every choice a run makes (the baselines' parameters, the learning
    curves, DQN's hyperparameter search): ``s.validation_students`` of the split's
    ``validation`` students, never the evaluation ones."""
    return Judge(simulator, validation, min(s.validation_students, len(validation)), s.seed + 1)


def judged_rows(robust: pd.DataFrame, settings: Settings, judge: str) -> pd.DataFrame:
    """The rows of ``robust`` (``robust_evaluation.csv``) for the policies of the default
    training world (and the reference policies) judged by ``judge``; with the verdicts'
    judge, the benchmark table."""
    default = robust["trained_on"].isin([settings.train_on[0], NOT_TRAINED])
    return robust[default & (robust["judged_by"] == judge)].reset_index(drop=True)


def _tables(records, agents, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(benchmark, robust, seeds)`` tables from every rollout."""
    blocks, gaps = [], []
    for world in s.train_on:
        for m in OUTCOME_MODELS:
            table = summarize(records[m][world], COMPARED, NONE, s.n_boot, s.seed)
            learned = table["policy"].isin(LEARNED)
            blocks.append(
                table.assign(trained_on=np.where(learned, world, NOT_TRAINED), judged_by=m)
            )
        gap = gaming_gaps(
            records["classifier"][world], records["ground_truth"][world], NONE, s.n_boot, s.seed
        )
        gaps.append(
            gap.assign(trained_on=np.where(gap["policy"].isin(LEARNED), world, NOT_TRAINED))
        )
    keys = ["policy", "trained_on"]
    robust = pd.concat(blocks, ignore_index=True).drop_duplicates([*keys, "judged_by"])
    gaps = pd.concat(gaps, ignore_index=True).drop_duplicates(keys)
    robust = robust.merge(gaps, on=keys, how="left")
    robust = robust[
        [*keys, "judged_by", *[c for c in robust.columns if c not in (*keys, "judged_by")]]
    ]
    benchmark = judged_rows(robust, s, VERDICT_JUDGE)

    rows = []
    for world in s.train_on:
        truth = records[VERDICT_JUDGE][world]
        for k in range(s.training_seeds):
            chosen = {name: truth[name] for name in COMPARED}
            chosen.update({name: truth[name][k] for name in SEEDED})
            table = summarize(chosen, COMPARED, NONE, s.n_boot, s.seed)
            table = table[table["policy"].isin(SEEDED)]
            seed = [agents[world][name].seeds[k] for name in table["policy"]]
            rows.append(table.assign(trained_on=world, seed=seed))
    columns = ["policy", "trained_on", "seed", "success_rate", "mean_return", "tutor_hours"]
    for base in COMPARED:
        columns += [f"return_minus_{base}{suffix}" for suffix in ("", "_ci_low", "_ci_high")]
    seeds = pd.concat(rows, ignore_index=True)[columns]
    return benchmark, robust.reset_index(drop=True), seeds

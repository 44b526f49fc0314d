"""studentgym's main job: cohort -> predictors -> recommenders -> env -> agents -> benchmark.

1. an OULAD-like cohort, compared with OULAD's final results;
2. the predictors: model zoo, early prediction, segments, fairness, explanations;
3. the recommenders (hybrid SVD + TF-IDF, rules), judged by the ground truth;
4. the tutoring env on this cohort (a short rollout is shown);
5. Q-learning without and with the recommender's priors, and SB3's DQN, trained on
   half of the students;
6. every policy evaluated on the other half with common random numbers, under
   the training judge and under the other outcome model; tables, figures and
   ``summary.md`` in ``--out``.

    python scripts/train_agent.py            # a few minutes on 2 cores
    python scripts/train_agent.py --quick    # under a minute
    python scripts/train_agent.py --data path/to/oulad/   # real OULAD instead

With ``--data`` the predictors run on the real tables, and the env simulates the
real students with latent traits from synthetic twins (``studentgym.io.calibrate``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from studentgym.agents import plots
from studentgym.agents.benchmark import Judge, split_students, train_qlearning
from studentgym.agents.dqn import load_hyperparams, train_dqn
from studentgym.agents.evaluation import ACTION_KEYS
from studentgym.agents.oracle import OraclePolicy
from studentgym.agents.policies import (
    NoIntervention,
    RandomPolicy,
    RecommenderPolicy,
    RuleBasedPolicy,
    TabularPolicy,
)
from studentgym.agents.statistics import summarize
from studentgym.agents.summary import (
    learning_summary,
    qlearning_recommendations,
    write_summary,
)
from studentgym.atomic import atomic_write_csv
from studentgym.envs.tabular import N_STATES, state_name
from studentgym.envs.tutoring import TutoringEnv
from studentgym.io.calibrate import simulation_cohort
from studentgym.io.oulad import read_oulad
from studentgym.predictors.report import run_predictors
from studentgym.predictors.weekly import WeeklySuccessModel
from studentgym.recommenders.priors import snapshot_priors
from studentgym.recommenders.report import run_recommenders
from studentgym.simulators import CohortConfig, CohortGenerator
from studentgym.simulators.interventions import CATALOGUE
from studentgym.simulators.student import OUTCOME_MODELS, StudentSimulator

OULAD_FINAL_RESULT = {"Pass": 0.3793, "Withdrawn": 0.3116, "Fail": 0.2164, "Distinction": 0.0928}
DEFAULTS = {  # (default run, --quick)
    "students": (CohortConfig.n_students, 5_000),
    "episodes": (300_000, 10_000),
    "dqn_steps": (int(load_hyperparams()["n_timesteps"]), 10_000),
    "eval_students": (4_000, 600),
}
BASELINE = "recommender"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed of the whole run")
    parser.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    parser.add_argument(
        "--students", type=int, help="cohort size (default: OULAD's 32,593; 5,000 with --quick)"
    )
    parser.add_argument(
        "--episodes", type=int, help="Q-learning episodes (default 300,000; 10,000 with --quick)"
    )
    parser.add_argument(
        "--dqn-steps",
        type=int,
        help="DQN environment steps (default: n_timesteps of studentgym/hyperparams/dqn.yml; "
        "10,000 --quick)",
    )
    parser.add_argument(
        "--eval-students",
        type=int,
        help="held-out students every policy is evaluated on (default 4,000; 600 --quick)",
    )
    parser.add_argument("--data", help="folder with OULAD's seven CSVs (instead of synthetic)")
    parser.add_argument(
        "--outcome-model",
        choices=OUTCOME_MODELS,
        default="classifier",
        help="who decides the result while the agents train (the other one is the "
        "robustness check); default: classifier",
    )
    args = parser.parse_args(argv)
    for name, (default, quick) in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else default)
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


_CLOCK = [time.perf_counter()]


def stage(number: int, title: str) -> None:
    now = time.perf_counter()
    if number > 1:
        print(f"      ({now - _CLOCK[0]:.0f} s)")
    _CLOCK[0] = now
    print(f"\n[{number}/6] {title}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = dataclasses.replace(CohortConfig(), n_students=args.students)
    except ValueError as err:
        print(f"train_agent.py: error: {err}", file=sys.stderr)
        return 2
    out = Path(args.out)
    started = time.perf_counter()

    if args.data:
        stage(1, f"real data: {args.data}")
        try:
            tables = read_oulad(args.data)
            cohort = simulation_cohort(tables, seed=args.seed)
        except (ValueError, FileNotFoundError) as err:
            print(f"train_agent.py: error: {err}", file=sys.stderr)
            return 2
        config = cohort.config
        print(f"      {config.n_students} registrations, {config.n_weeks} weeks")
    else:
        stage(1, f"cohort: {args.students} students, seed {args.seed}")
        cohort = CohortGenerator(config, seed=args.seed).generate()
        cohort.to_csv(out / "cohort")
        tables = cohort
    out.mkdir(parents=True, exist_ok=True)
    observed = tables.students["final_result"].value_counts(normalize=True)
    comparison = (
        pd.DataFrame({"oulad": pd.Series(OULAD_FINAL_RESULT), "this_run": observed})
        .rename_axis("final_result")
        .reset_index()
    )
    atomic_write_csv(comparison, out / "cohort_vs_oulad.csv")
    print(comparison.round(3).to_string(index=False))

    stage(2, "predictors: model zoo, early prediction, segments, fairness")
    # a lighter study than scripts/train_predictors.py (6,000 students, 5 folds, 12 weeks)
    settings = {"max_students": 3_000, "n_splits": 3, "weeks": [1, 2, 4, 8, 16, 26, config.n_weeks]}
    settings["sequence_weeks"] = [8, config.n_weeks]
    if args.quick:
        settings = {"max_students": 1_000, "n_splits": 3, "weeks": [2, 8, config.n_weeks]}
        settings["sequence_weeks"] = [8]
    settings["weeks"] = [w for w in settings["weeks"] if w <= config.n_weeks]
    settings["sequence_weeks"] = [w for w in settings["sequence_weeks"] if w <= config.n_weeks]
    report = run_predictors(tables, out, seed=args.seed, **settings)
    columns = ["model", "roc_auc_mean", "roc_auc_std", "f1_mean", "brier_mean"]
    print(report.model_scores[columns].round(3).to_string(index=False))
    print(f"      chosen success classifier: {report.best_model}")

    stage(3, "recommenders: hybrid (SVD + TF-IDF) and rules, judged by the ground truth")
    weekly_model = WeeklySuccessModel().fit(cohort)  # the env's classifier, one per week
    simulators = {
        m: StudentSimulator(cohort, weekly_model, outcome_model=m) for m in OUTCOME_MODELS
    }
    recommenders = run_recommenders(
        simulators["ground_truth"], out, n_students=600 if args.quick else 2_000, seed=args.seed
    )
    columns = ["recommender", "precision_at_1", "ndcg_at_3", "uplift"]
    columns += ["uplift_ci_low", "uplift_ci_high"]
    print(recommenders.evaluation[columns].round(4).to_string(index=False))

    stage(4, "tutoring environment: one student, a nudge every 4 weeks")
    env = TutoringEnv(simulator=simulators[args.outcome_model], render_mode="ansi")
    env.reset(seed=args.seed)
    terminated, week, info = False, 0, {}
    while not terminated:
        week += 1
        _, reward, terminated, _, info = env.step(2 if week % 4 == 1 else 0)
        if week <= 4 or terminated:
            print("      " + env.render() + f" | reward {reward:+.3f}")
    print(f"      final result: {info['final_result']}")

    stage(5, f"agents: trained on half of the students, judged by the {args.outcome_model}")
    simulator = simulators[args.outcome_model]
    train_rows, eval_rows = split_students(len(cohort.students), args.seed)
    curve_judge = Judge(simulator, eval_rows, min(args.eval_students, 1_000), args.seed + 1)
    priors = snapshot_priors(
        recommenders.profiler, recommenders.hybrid, recommenders.train, config.n_weeks
    )
    runs, curves = {}, []
    for name, initial in (("qlearning", None), ("qlearning_priors", priors)):
        with tqdm(total=args.episodes, desc=name, unit="ep", mininterval=1, disable=None) as bar:
            runs[name] = train_qlearning(
                simulator,
                train_rows,
                args.episodes,
                curve_judge,
                initial_q=initial,
                seed=args.seed,
                progress=bar.update,
            )
        curves.append(runs[name].curve.assign(agent=name, steps=np.nan))
        final = runs[name].curve.iloc[-1]
        print(f"      {name}: greedy return vs none {final['value']:+.4f}")
    dqn, dqn_curve = train_dqn(
        {"simulator": simulator, "students": train_rows},
        curve_judge,
        total_timesteps=args.dqn_steps,
        seed=args.seed,
        out=out / "dqn",
        progress_bar=sys.stderr.isatty(),
    )
    curves.append(dqn_curve.assign(agent="dqn"))
    print(f"      dqn: greedy return vs none {dqn_curve['value'].iloc[-1]:+.4f}")
    learning_curves = pd.concat(curves, ignore_index=True)[
        ["agent", "episodes", "steps", "value", "ci_low", "ci_high"]
    ]

    stage(6, f"benchmark: every policy on {args.eval_students} held-out students")
    policies = {
        "no_intervention": lambda: NoIntervention(),
        "random": lambda: RandomPolicy(args.seed),
        "rule_based": lambda: RuleBasedPolicy(recommenders.segmenter, recommenders.rules),
        BASELINE: lambda: RecommenderPolicy(
            recommenders.profiler, recommenders.hybrid, cohort, n_weeks=config.n_weeks
        ),
        "qlearning": lambda: TabularPolicy(runs["qlearning"].agent.q_table_),
        "qlearning_priors": lambda: TabularPolicy(runs["qlearning_priors"].agent.q_table_),
        "dqn": lambda: dqn,
        "oracle": lambda: OraclePolicy(),
    }
    tables, records_by_model = [], {}
    for model_name in (args.outcome_model, *(m for m in OUTCOME_MODELS if m != args.outcome_model)):
        judge = Judge(simulators[model_name], eval_rows, args.eval_students, args.seed + 2)
        records = {}
        for name, make in tqdm(
            policies.items(), desc=f"judged by {model_name}", unit="policy", disable=None
        ):
            records[name] = judge.rollout(make())
        records_by_model[model_name] = records
        table = summarize(records, (BASELINE, "no_intervention"), n_boot=500, seed=args.seed)
        tables.append(table.assign(outcome_model=model_name))
    benchmark = tables[0].drop(columns="outcome_model")
    robust = pd.concat(tables, ignore_index=True)

    frequency = pd.DataFrame(
        {
            name: frame[[f"delivered_{k}" for k in ACTION_KEYS[1:]]].mean().to_numpy()
            for name, frame in records_by_model[args.outcome_model].items()
        },
        index=[item.name for item in CATALOGUE[1:]],
    ).T
    agent = runs["qlearning_priors"].agent
    names = [state_name(s) for s in range(N_STATES)]
    sample_efficiency = learning_summary(runs)
    files = [
        agent.save(out / "Q_table.csv", names, [item.key for item in CATALOGUE]),
        agent.save(out / "q_table.npz"),
        atomic_write_csv(qlearning_recommendations(agent), out / "qlearning_recommendations.csv"),
        atomic_write_csv(benchmark, out / "policy_benchmark.csv"),
        atomic_write_csv(robust, out / "robust_evaluation.csv"),
        atomic_write_csv(learning_curves, out / "learning_curves.csv"),
        atomic_write_csv(sample_efficiency, out / "sample_efficiency.csv"),
        atomic_write_csv(
            frequency.rename_axis("policy").reset_index(), out / "action_frequency.csv"
        ),
        plots.plot_learning_curves(learning_curves, out / "learning_curves.png"),
        plots.plot_policy_comparison(
            benchmark, "return_minus_no_intervention", out / "policy_comparison.png"
        ),
        plots.plot_q_table(agent.q_table_, out / "q_table.png"),
        plots.plot_action_frequency(frequency, out / "recommendation_frequency.png"),
        write_summary(
            out / "summary.md",
            benchmark,
            robust,
            sample_efficiency,
            args.outcome_model,
            BASELINE,
            {**vars(args), "dqn_models": len(dqn.models), "dqn_action_margin": dqn.margin},
        ),
    ]
    columns = ["policy", "success_rate", "mean_return", "mean_return_ci_low"]
    columns += ["mean_return_ci_high", "tutor_hours", f"return_minus_{BASELINE}"]
    print(benchmark[columns].round(4).to_string(index=False))
    print(f"\nwrote {len(files)} result files to {out} in {time.perf_counter() - started:.0f} s;")
    print(f"read {out / 'summary.md'} first")
    return 0


if __name__ == "__main__":
    sys.exit(main())

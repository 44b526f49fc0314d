"""The recommender stage end to end: profiles, hybrid, rules, ground-truth evaluation.

:func:`run_recommenders` runs a randomised trial on the training students at the
decision week (:func:`~studentgym.recommenders.response.log_responses`), observes two
disjoint groups of students at that week (drawn from the split's training and
evaluation students), fits the topic profiler, the hybrid recommender (its CF part on
the trial) and the segments on the training side, recommends for the held-out group,
and judges every recommender on the held-out group by the simulator's true benefits.
Writes ``interactions.csv``, ``items.csv``, ``response_trial.csv``,
``hybrid_recommendations.csv``, ``rule_recommendations.csv`` and
``recommender_evaluation.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.atomic import atomic_write_csv
from studentgym.predictors.segments import StudentSegmenter
from studentgym.recommenders.evaluation import Snapshot, ranking_report, snapshot, true_benefits
from studentgym.recommenders.hybrid import HybridRecommender
from studentgym.recommenders.response import LoggedResponses, log_responses, response_inputs
from studentgym.recommenders.rules import RuleBasedRecommender
from studentgym.recommenders.topics import TopicProfiler, items_table, profile_inputs
from studentgym.simulators.reward import HOUR_PRICE
from studentgym.simulators.student import StudentSimulator


@dataclass
class RecommenderReport:
    profiler: TopicProfiler
    hybrid: HybridRecommender
    segmenter: StudentSegmenter
    rules: RuleBasedRecommender
    train: Snapshot
    test: Snapshot
    trial: LoggedResponses
    evaluation: pd.DataFrame
    files: list[Path]


def _ranked(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, axis=1, kind="stable") + 1  # catalogue ids of topic interventions


def run_recommenders(
    simulator: StudentSimulator,
    out: str | Path,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    week: int = 8,
    n_students: int = 2000,
    w_cf: float = 0.7,
    n_draws: int = 16,
    replays: int = 64,
    hour_price: float = HOUR_PRICE,
    seed: int = 0,
) -> RecommenderReport:
    """Fit on one group of students, evaluate on another, write the tables into ``out``.

    Args:
        simulator: whose cohort students are drawn from and whose ground truth judges.
        out: output folder.
        train_rows, test_rows: disjoint cohort positions to draw the fitting and the
            held-out group from (a :class:`~studentgym.split.StudentSplit`'s train and
            evaluation students).
        week: the decision week.
        n_students: students per group at most (fewer if a pool is smaller).
        w_cf: the hybrid's weight of collaborative filtering.
        n_draws: simulated futures per student for the true benefits (fewer make the
            oracle's pick partly a pick of noise, and its uplift too high).
        replays: enrolments of every training student in the randomised trial.
        hour_price: reward units per tutor hour in the benefits.
        seed: seed of the draws, the futures and the random baseline.

    Raises:
        ValueError: if the two groups share a student.
    """
    if np.intersect1d(train_rows, test_rows).size:
        raise ValueError("train_rows and test_rows must be disjoint")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def draw(pool: np.ndarray) -> np.ndarray:
        return np.sort(rng.choice(pool, min(n_students, len(pool)), replace=False))

    train = snapshot(simulator, draw(np.asarray(train_rows)), week, seed + 1)
    test = snapshot(simulator, draw(np.asarray(test_rows)), week, seed + 2)
    trial = log_responses(simulator, np.asarray(train_rows), week, replays, seed + 3)

    profiler = TopicProfiler().fit(profile_inputs(train.features))
    train_levels = profiler.transform(profile_inputs(train.features))
    test_profile = profile_inputs(test.features)
    test_levels = profiler.transform(test_profile)
    test_inputs = response_inputs(test_profile, test.p_success)
    hybrid = HybridRecommender(w_cf=w_cf, seed=seed).fit(train_levels, trial)
    segmenter = StudentSegmenter(3, seed).fit(train.features)
    rules = RuleBasedRecommender()
    rule_table = rules.recommend(test.p_success, segmenter.predict_names(test.features))

    benefits = true_benefits(simulator, test, n_draws, hour_price)
    popular = np.argsort(-train_levels.mean().to_numpy(), kind="stable") + 1
    rankings = {
        "hybrid": _ranked(hybrid.scores(test_levels, test_inputs)),
        "collaborative_only": _ranked(hybrid.cf_scores(test_levels, test_inputs)),
        "content_only": _ranked(hybrid.content_scores(test_levels)),
        "need_profile_hybrid": _ranked(
            HybridRecommender(w_cf, seed=seed).fit(train_levels).scores(test_levels)
        ),
        "rule_based": rule_table["intervention_id"].to_numpy()[:, None],
        "popularity": np.tile(popular, (len(test.rows), 1)),
        "random": np.argsort(rng.random((len(test.rows), 5)), axis=1) + 1,
        "oracle": _ranked(benefits[:, 1:]),
    }
    evaluation = ranking_report(rankings, benefits, seed=seed)
    evaluation.insert(1, "students", len(test.rows))
    evaluation["decision_week"] = week
    evaluation["svd_components"] = hybrid.n_components_
    evaluation["svd_explained_variance"] = hybrid.explained_variance_

    ids = simulator.cohort.students["id_student"].to_numpy()
    interactions = train_levels.set_axis(ids[train.rows]).rename_axis("id_student").reset_index()
    recommendations = hybrid.recommend(
        test_levels.set_axis(ids[test.rows]).rename_axis("id_student"), 3, test_inputs
    )
    rule_table.insert(0, "id_student", ids[test.rows])
    files = [
        atomic_write_csv(interactions, out / "interactions.csv"),
        atomic_write_csv(items_table(), out / "items.csv"),
        atomic_write_csv(trial.table(), out / "response_trial.csv"),
        atomic_write_csv(recommendations, out / "hybrid_recommendations.csv"),
        atomic_write_csv(rule_table, out / "rule_recommendations.csv"),
        atomic_write_csv(evaluation, out / "recommender_evaluation.csv"),
    ]
    return RecommenderReport(
        profiler, hybrid, segmenter, rules, train, test, trial, evaluation, files
    )

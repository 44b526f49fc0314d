"""Recommenders: fold-in, weights, rules, priors and the ground-truth evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studentgym.envs.tabular import N_STATES, state_of
from studentgym.envs.world import WorldSpec, load_world
from studentgym.recommenders.evaluation import ndcg_at_k, precision_at_k
from studentgym.recommenders.hybrid import HybridRecommender, minmax_rows
from studentgym.recommenders.priors import ADVICE_GIVEN, q_priors, snapshot_priors
from studentgym.recommenders.report import run_recommenders
from studentgym.recommenders.response import RESPONSE_INPUTS, LoggedResponses, ResponseModel
from studentgym.recommenders.rules import RuleBasedRecommender
from studentgym.recommenders.topics import TopicProfiler, items_table, profile_inputs
from studentgym.simulators.config import TOPICS
from studentgym.simulators.student import StudentSimulator
from studentgym.split import split_students


@pytest.fixture(scope="module")
def levels():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(600, 2))
    raw = latent @ rng.normal(size=(2, 5)) + 0.3 * rng.normal(size=(600, 5))
    cut = np.quantile(raw, [0.2, 0.4, 0.6, 0.8], axis=0)
    matrix = np.column_stack([np.searchsorted(cut[:, k], raw[:, k]) + 1 for k in range(5)])
    return pd.DataFrame(matrix, columns=list(TOPICS))


def test_fold_in_scores_unseen_students(levels):
    train, unseen = levels.iloc[:400], levels.iloc[400:]
    model = HybridRecommender(seed=0).fit(train)
    V = model.svd_.components_
    expected = model.mean_ + (unseen.to_numpy() - model.mean_) @ V.T @ V
    np.testing.assert_allclose(model.cf_scores(unseen), expected)
    assert model.scores(unseen).shape == (200, 5)
    assert 1 <= model.n_components_ <= 4 and model.explained_variance_ >= 0.9
    # the fold-in is a projection: folding in a projected student changes nothing
    np.testing.assert_allclose(
        model.cf_scores(pd.DataFrame(expected, columns=list(TOPICS))), expected, atol=1e-9
    )


def test_hybrid_weights_are_respected(levels):
    cf_only = HybridRecommender(w_cf=1.0).fit(levels)
    content_only = HybridRecommender(w_cf=0.0).fit(levels)
    mixed = HybridRecommender(w_cf=0.7).fit(levels)
    cf, content = (
        minmax_rows(cf_only.cf_scores(levels)),
        minmax_rows(content_only.content_scores(levels)),
    )
    np.testing.assert_allclose(cf_only.scores(levels), cf)
    np.testing.assert_allclose(content_only.scores(levels), content)
    np.testing.assert_allclose(mixed.scores(levels), 0.7 * cf + 0.3 * content)
    with pytest.raises(ValueError, match="w_cf"):
        HybridRecommender(w_cf=1.5).fit(levels)
    with pytest.raises(ValueError, match="missing topic columns: engagement"):
        HybridRecommender().fit(levels.drop(columns="engagement"))


def test_content_scores_follow_the_matching_topic():
    one_need = pd.DataFrame(np.eye(5, dtype=int) * 4 + 1, columns=list(TOPICS))
    scores = HybridRecommender().fit(one_need).content_scores(one_need)
    np.testing.assert_array_equal(np.argmax(scores, axis=1), np.arange(5))


def test_recommend_returns_ranked_top_k(levels):
    table = HybridRecommender().fit(levels).recommend(levels.iloc[:10], k=3)
    assert len(table) == 30 and table["rank"].tolist()[:3] == [1, 2, 3]
    assert (table.groupby("student")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()
    with pytest.raises(ValueError, match="k must be"):
        HybridRecommender().fit(levels).recommend(levels, k=9)


def test_topic_profiler_levels_and_items():
    cohort = load_world(WorldSpec(1500)).cohort
    from studentgym.predictors.features import weekly_features

    inputs = profile_inputs(weekly_features(cohort, 8))
    levels = TopicProfiler().fit(inputs).transform(inputs)
    assert list(levels.columns) == list(TOPICS)
    assert levels.isin([1, 2, 3, 4, 5]).all().all()
    shares = levels.apply(lambda c: c.value_counts(normalize=True)).fillna(0)
    assert shares.loc[5].between(0.1, 0.3).all()  # quintiles (ties allowed)
    with pytest.raises(ValueError, match="missing columns: score_mean"):
        TopicProfiler().fit(inputs.drop(columns="score_mean"))
    items = items_table()
    assert items["intervention_id"].tolist() == [1, 2, 3, 4, 5] and items["topic"].tolist() == list(
        TOPICS
    )


def test_rule_matrix():
    rules = RuleBasedRecommender(threshold=0.5)
    table = rules.recommend(
        [0.2, 0.8, 0.3, 0.9, 0.1],
        [
            "At risk",
            "High performer",
            "Struggling but engaged",
            "At risk (moderate)",
            "Capable but disengaged",
        ],
    )
    assert table["intervention_id"].tolist() == [5, 0, 3, 2, 2]
    assert table["reason"].iloc[0] == "immediate academic intervention"
    assert table["reason"].iloc[1] == "encourage advanced learning"
    with pytest.raises(ValueError, match="unknown segments"):
        rules.recommend([0.5], ["Genius"])


def test_ranking_metrics_on_a_hand_example():
    benefits = np.array([[0.0, 0.3, -0.1, 0.2, 0.0, 0.0], [0.0, -0.2, -0.1, 0.0, 0.0, 0.4]])
    ranked = np.array([[1, 3, 2], [2, 1, 5]])
    assert precision_at_k(ranked[:, :1], benefits) == 0.5
    assert precision_at_k(ranked, benefits) == pytest.approx(3 / 6)
    ideal = np.array([[1, 3, 2], [5, 1, 2]])
    assert ndcg_at_k(ideal, benefits) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, benefits) < 1.0


def test_priors_shape_order_and_scale():
    scores = np.array(
        [
            [1.0, 0.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.8, 0.0, 0.0],
            [0.2, 0.2, 0.2, 0.2, 0.2],
            [0.6, 1.0, 0.0, 0.0, 0.5],
        ]
    )
    q = q_priors(scores, scale=0.1)
    assert q.shape == (N_STATES, 6) == (1280, 6)
    # every state: the training students' mean score of each intervention
    np.testing.assert_allclose(q[:, 1:], np.tile(0.1 * scores.mean(axis=0), (N_STATES, 1)))
    nothing_given = state_of(3 / 39, np.zeros(5, dtype=bool))
    call_given = state_of(3 / 39, np.eye(5, dtype=bool)[4])
    assert q[nothing_given, 0] == pytest.approx(0.05) and q[call_given, 0] == pytest.approx(0.1)
    # the advice once (the best mean score, study skills at 0.7 > 0.5), then nothing
    assert q[nothing_given].argmax() == 1 and q[call_given].argmax() == 0
    np.testing.assert_allclose(q_priors(np.empty((0, 5)))[:, 1:], 0.05)  # no student: neutral
    with pytest.raises(ValueError, match="hybrid_scores"):
        q_priors(scores[:, :3])


def test_recommenders_beat_random_on_the_ground_truth(tmp_path):
    world = load_world(WorldSpec(4000))
    cohort, model = world.cohort, world.success_model
    sim = StudentSimulator(cohort, model, outcome_model="ground_truth")
    split = split_students(4000, seed=1)
    report = run_recommenders(
        sim, tmp_path, split.train, split.evaluation, n_students=700, n_draws=4, seed=1
    )
    assert set(report.train.rows) <= set(split.train)
    assert set(report.test.rows) <= set(split.evaluation)
    with pytest.raises(ValueError, match="disjoint"):
        run_recommenders(sim, tmp_path, split.train, split.train)
    table = report.evaluation.set_index("recommender")
    for name in (
        "interactions.csv",
        "items.csv",
        "hybrid_recommendations.csv",
        "recommender_evaluation.csv",
    ):
        assert (tmp_path / name).stat().st_size > 0
    hybrid, random_, oracle = table.loc["hybrid"], table.loc["random"], table.loc["oracle"]
    # true benefits are expected values over independent futures of the observed past:
    # learning from the trial's responses, the hybrid ranks by benefit: above chance, and
    # above the same hybrid without the trial (need profiles only)
    assert hybrid["uplift_ci_low"] > random_["uplift"]
    assert hybrid["ndcg_at_3_ci_low"] > random_["ndcg_at_3"]
    assert hybrid["precision_at_1"] > random_["precision_at_1"] + 0.05
    assert hybrid["uplift"] > table.loc["need_profile_hybrid", "uplift"]
    trial = pd.read_csv(tmp_path / "response_trial.csv")
    assert trial["enrolments"].sum() == len(report.trial.action) > 64 * 1000
    for metric in ("precision_at_1", "ndcg_at_3", "uplift"):
        rows = table[table[metric].notna()]
        assert (rows[f"{metric}_ci_low"] <= rows[metric]).all(), metric
        assert (rows[metric] <= rows[f"{metric}_ci_high"]).all(), metric
    assert table.loc["rule_based", ["ndcg_at_3", "ndcg_at_3_ci_low"]].isna().all()  # one pick
    assert oracle["uplift"] > hybrid["uplift"] and oracle["precision_at_1"] > 0.7
    # priors from the training snapshot: the one-off advice where students were seen
    q = snapshot_priors(report.profiler, report.hybrid, report.train)
    assert q.shape == (N_STATES, 6)
    first = state_of(1 / 39, np.zeros(5, dtype=bool))
    assert q[first, 1:].max() > q[first, 0]  # an intervention first
    assert (q[ADVICE_GIVEN, 0] >= q[ADVICE_GIVEN, 1:].max(axis=1)).all()  # then nothing


def _synthetic_trial(n: int = 30_000, seed: int = 0) -> LoggedResponses:
    """A trial where assessment practice helps students with low scores, others nothing."""
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame(rng.normal(size=(n, len(RESPONSE_INPUTS))), columns=RESPONSE_INPUTS)
    action = rng.integers(0, 6, n)
    benefit = np.where(action == 3, 0.2 - 0.3 * inputs["score_last"], 0.0)
    returns = 0.5 * inputs["p_success"] + benefit + 0.5 * rng.normal(size=n)
    return LoggedResponses(inputs, action, returns.to_numpy())


def test_response_model_recovers_who_an_intervention_helps():
    trial = _synthetic_trial()
    model = ResponseModel(alpha=1.0).fit(trial)
    probe = pd.DataFrame(np.zeros((2, len(RESPONSE_INPUTS))), columns=RESPONSE_INPUTS)
    probe["score_last"] = [-1.0, 1.0]  # in the scaler's units these are about -1 and +1 sd
    benefits = model.benefits(probe)
    np.testing.assert_allclose(benefits[:, 2], [0.5, -0.1], atol=0.03)
    np.testing.assert_allclose(np.delete(benefits, 2, axis=1), 0.0, atol=0.03)
    assert model.n_components_ == 1 and model.explained_variance_ > 0.9
    table = trial.table()
    assert table["enrolments"].sum() == len(trial.action) and table.loc[0, "minus_none"] == 0


def test_response_model_refuses_unusable_trials(levels):
    trial = _synthetic_trial(600)
    with pytest.raises(ValueError, match="missing columns: p_success"):
        ResponseModel().fit(
            LoggedResponses(
                trial.inputs.drop(columns="p_success"), trial.action, trial.observed_return
            )
        )
    with pytest.raises(ValueError, match="every action needs enrolments"):
        ResponseModel().fit(
            LoggedResponses(trial.inputs, np.minimum(trial.action, 4), trial.observed_return)
        )
    hybrid = HybridRecommender().fit(levels.iloc[:600], trial)
    with pytest.raises(ValueError, match="needs the students' inputs"):
        hybrid.scores(levels.iloc[:600])
    scores = hybrid.scores(levels.iloc[:600], trial.inputs)
    content = minmax_rows(hybrid.content_scores(levels.iloc[:600]))
    cf = minmax_rows(hybrid.response_.benefits(trial.inputs))
    np.testing.assert_allclose(scores, 0.7 * cf + 0.3 * content)

"""The success classifier and the learning-analytics pipeline."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score

from studentgym.predictors import persistence
from studentgym.predictors.at_risk import AtRiskScorer
from studentgym.predictors.classifier import SuccessClassifier
from studentgym.predictors.early import early_prediction
from studentgym.predictors.explain import logistic_coefficients
from studentgym.predictors.fairness import group_metrics, largest_gaps
from studentgym.predictors.features import NUMERIC_FEATURES, success_target, weekly_features
from studentgym.predictors.preprocessing import IQRCapper
from studentgym.predictors.schema import SchemaError
from studentgym.predictors.segments import StudentSegmenter, name_segments
from studentgym.predictors.sequence import GRUClassifier, weekly_sequences
from studentgym.predictors.zoo import MODEL_NAMES, compare_models, folds, make_model, select_best
from studentgym.simulators import CohortConfig, CohortGenerator


@pytest.fixture(scope="module")
def cohort():
    return CohortGenerator(CohortConfig(n_students=2500), seed=3).generate()


@pytest.fixture(scope="module")
def data(cohort):
    return weekly_features(cohort, cohort.config.n_weeks), success_target(cohort).to_numpy()


def test_imputer_and_capper_learn_from_the_training_fold_only(data):
    X, y = data
    train, test = folds(y, 5, 0)[0]
    X = X.copy()
    X.iloc[test, X.columns.get_loc("clicks_total")] = 1e7  # outliers only in the test fold
    X.iloc[test, X.columns.get_loc("score_mean")] = np.nan
    model = make_model("logistic_regression").fit(X.iloc[train], y[train])
    numeric = model.named_steps["preprocess"].named_transformers_["numeric"]
    columns = list(model.named_steps["preprocess"].transformers_[0][2])
    j = columns.index("clicks_total")
    train_clicks = X["clicks_total"].iloc[train]
    cap = numeric.named_steps["cap"]
    expected = np.median(np.clip(train_clicks, cap.lower_[j], cap.upper_[j]))
    assert numeric.named_steps["impute"].statistics_[j] == pytest.approx(expected)
    assert cap.upper_[j] < 1e6  # the test fold's outliers were not seen
    percent = model.named_steps["preprocess"].named_transformers_["percent"]
    train_scores = X["score_mean"].iloc[train].clip(0, 100)
    assert percent.named_steps["impute"].statistics_[0] == pytest.approx(train_scores.median())


def test_iqr_capper_caps_at_tukey_fences():
    X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0], [np.nan]])
    capper = IQRCapper(factor=1.5).fit(X)
    q1, q3 = 2.0, 4.0
    assert capper.upper_[0] == pytest.approx(q3 + 1.5 * (q3 - q1))
    out = capper.transform(X)
    assert out[4, 0] == pytest.approx(7.0) and np.isnan(out[5, 0])
    with pytest.raises(ValueError, match="factor"):
        IQRCapper(factor=-1).fit(X)


def test_validation_names_every_bad_column(data):
    X, y = data
    bad = X.drop(columns=["clicks_total", "gender"]).copy()
    bad["active_days_total"] = bad["active_days_total"].astype(object)
    bad.iloc[3, bad.columns.get_loc("active_days_total")] = "lots"
    bad.iloc[5, bad.columns.get_loc("submissions")] = -2
    with pytest.raises(SchemaError) as err:
        SuccessClassifier().fit(bad, y)
    message = str(err.value)
    assert "missing columns: clicks_total, gender" in message
    assert "'active_days_total' must be numeric" in message and str(X.index[3]) in message
    assert "'submissions' must lie in [0, inf]" in message and str(X.index[5]) in message
    assert len(err.value.problems) == 3


def test_percentages_are_clamped_not_refused(data):
    X, y = data
    clf = SuccessClassifier().fit(X, y)
    shifted = X.copy()
    top = shifted["score_mean"] == 100
    assert top.any()
    shifted.loc[top, "score_mean"] = 150.0
    np.testing.assert_allclose(clf.predict_proba(shifted), clf.predict_proba(X))


def test_zoo_beats_dummy_and_stays_below_the_ceiling(cohort, data):
    X, y = data
    cv = folds(y, 3, 0)
    scores = compare_models(X, y, cv, MODEL_NAMES)
    dummy = cross_val_score(DummyClassifier(strategy="prior"), X, y, cv=cv, scoring="roc_auc")
    ceiling = roc_auc_score(y, cohort.p_success)
    assert set(scores["model"]) == set(MODEL_NAMES)
    assert dummy.mean() == pytest.approx(0.5)
    assert (scores["roc_auc_mean"] > 0.80).all(), scores[["model", "roc_auc_mean"]]
    assert (scores["roc_auc_mean"] < ceiling).all()
    assert scores["brier_mean"].between(0, 0.25).all()
    best = select_best(scores)
    assert best in MODEL_NAMES
    top = scores.iloc[0]
    chosen = scores.set_index("model").loc[best]
    assert chosen["roc_auc_mean"] >= top["roc_auc_mean"] - 0.002


def test_select_best_breaks_ties_by_brier():
    table = pd.DataFrame(
        {
            "model": ["a", "b", "c"],
            "roc_auc_mean": [0.900, 0.899, 0.85],
            "brier_mean": [0.15, 0.12, 0.10],
        }
    )
    assert select_best(table) == "b"


def test_fast_path_equals_sklearn(data, cohort):
    X, y = data
    clf = SuccessClassifier().fit(X, y)
    assert clf.compiled_ is not None
    score = clf.batch_scorer(X)
    fast = score(X[list(NUMERIC_FEATURES)].to_numpy())
    np.testing.assert_allclose(fast, clf.predict_proba(X)[:, 1], rtol=0, atol=1e-9)
    early = weekly_features(cohort, 1)  # all scores missing: imputation path
    np.testing.assert_allclose(
        clf.batch_scorer(early)(early[list(NUMERIC_FEATURES)].to_numpy()),
        clf.predict_proba(early)[:, 1],
        rtol=0,
        atol=1e-9,
    )


def test_batch_path_for_a_nonlinear_model(data):
    X, y = data
    clf = SuccessClassifier("decision_tree").fit(X, y)
    assert clf.compiled_ is None
    batch = clf.batch_scorer(X)(X[list(NUMERIC_FEATURES)].to_numpy())
    np.testing.assert_allclose(batch, clf.predict_proba(X)[:, 1])


def test_save_and_load_round_trip(tmp_path, data):
    X, y = data
    clf = SuccessClassifier().fit(X, y)
    path = persistence.save_model(clf, tmp_path / "model.skops")
    loaded = persistence.load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_load_refuses_wrong_files(tmp_path, monkeypatch, data):
    with pytest.raises(FileNotFoundError, match="no model file"):
        persistence.load_model(tmp_path / "absent.skops")
    text = tmp_path / "notes.skops"
    text.write_text("not a model")
    with pytest.raises(persistence.ModelFileError, match="not a skops model file"):
        persistence.load_model(text)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(persistence.ModelFileError, match="not a skops model file"):
        persistence.load_model(other)
    X, y = data
    path = persistence.save_model(SuccessClassifier().fit(X, y), tmp_path / "old.skops")
    monkeypatch.setattr(persistence.studentgym, "__version__", "9.9.9")
    with pytest.raises(persistence.ModelFileError, match="refit the model"):
        persistence.load_model(path)


def test_logistic_coefficients_name_the_features(data):
    X, y = data
    table = logistic_coefficients(make_model("logistic_regression").fit(X, y))
    assert "clicks_total" in set(table["feature"]) and "imd_band_0-10%" in set(table["feature"])
    assert np.allclose(table["odds_ratio"], np.exp(table["coefficient"]))


def test_segments_are_named_by_centroid(data):
    X, _ = data
    names = name_segments(
        np.array([[1.0, 1, 1, 1], [-1.0, 1, 1, 1], [-1.0, -1, -1, -1], [-0.2, -0.1, -0.1, -0.1]])
    )
    assert names == ["High performer", "Struggling but engaged", "At risk", "At risk (moderate)"]
    seg = StudentSegmenter(3, seed=0).fit(X)
    assert len(set(seg.names_)) == 3 and -1 <= seg.silhouette_ <= 1
    summary = seg.summary(X)
    assert summary["students"].sum() == len(X) and set(summary["segment"]) == set(seg.names_)
    by_score = summary.sort_values("centroid_score_mean")
    assert by_score.iloc[-1]["segment"].startswith(("High performer", "Capable"))


def test_fairness_metrics_on_a_hand_example():
    success = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.4, 0.2, 0.6, 0.8, 0.1, 0.3, 0.7])
    groups = pd.DataFrame({"gender": ["F"] * 4 + ["M"] * 4})
    report = group_metrics(success, p, groups, ["gender"]).set_index("group")
    assert report.loc["F", "recall_at_risk"] == 0.5  # flagged 1 of 2 at-risk
    assert report.loc["F", "false_positive_rate"] == 0.5  # flagged 1 of 2 successful
    assert report.loc["M", "recall_at_risk"] == pytest.approx(2 / 3)
    assert report.loc["M", "calibration_gap"] == pytest.approx(np.mean(p[4:]) - 0.25)
    gaps = largest_gaps(report.reset_index(), min_group_size=1)
    recall = gaps.set_index("metric").loc["recall_at_risk"]
    assert recall["gap"] == pytest.approx(2 / 3 - 0.5) and recall["highest_group"] == "M"


def test_gru_is_deterministic_and_learns(cohort):
    y = success_target(cohort).to_numpy()
    seq = weekly_sequences(cohort, 8)
    train, test = folds(y, 4, 0)[0]
    a = GRUClassifier(epochs=4, seed=1).fit(seq[train], y[train])
    b = GRUClassifier(epochs=4, seed=1).fit(seq[train], y[train])
    np.testing.assert_array_equal(a.predict_proba(seq[test]), b.predict_proba(seq[test]))
    assert roc_auc_score(y[test], a.predict_proba(seq[test])[:, 1]) > 0.7
    with pytest.raises(ValueError, match="X must be"):
        GRUClassifier().fit(seq[:, :, 0], y)


def test_early_prediction_rises_and_stays_below_the_ceiling(cohort):
    y = success_target(cohort).to_numpy()
    table = early_prediction(
        cohort,
        folds(y, 3, 0),
        weeks=[2, 8, 39],
        models=["logistic_regression"],
        sequence_weeks=[8],
        ceiling_draws=32,
    )
    lr = table[table["model"] == "logistic_regression"].set_index("week")
    assert lr.loc[2, "roc_auc_mean"] < lr.loc[8, "roc_auc_mean"] < lr.loc[39, "roc_auc_mean"]
    assert 0.6 < lr.loc[2, "roc_auc_mean"] < 0.85 and 0.85 < lr.loc[39, "roc_auc_mean"] < 0.97
    assert (table["roc_auc_mean"] < table["ceiling_roc_auc"]).all()
    assert set(table.loc[table["week"] == 8, "model"]) == {"logistic_regression", "gru_sequence"}


def test_at_risk_scorer_ranks_unseen_students_and_refuses_a_week_outside_the_course(
    small_cohort,
):
    train = CohortGenerator(CohortConfig(n_students=2000), seed=1).generate()
    results = AtRiskScorer(week=10).fit(train).score(small_cohort)
    assert roc_auc_score(small_cohort.success, results["success_probability"]) > 0.7
    assert (results["at_risk"] == (results["success_probability"] < 0.5)).all()
    assert results["registered"].tolist() == (small_cohort.withdrawal_week >= 10).tolist()
    with pytest.raises(ValueError, match=r"week must be in \[1, 39\], got 60"):
        AtRiskScorer(week=60).fit(train)

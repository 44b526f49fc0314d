"""Weekly features see only the past, and mean what their names say."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from studentgym.predictors.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    success_target,
    weekly_features,
)
from studentgym.predictors.sequence import weekly_sequences


def test_one_row_per_student_in_order(small_cohort):
    features = weekly_features(small_cohort, 10)
    assert list(features.index) == list(small_cohort.students["id_student"])
    assert list(features.columns) == list(NUMERIC_FEATURES + CATEGORICAL_FEATURES)
    assert (
        features[list(NUMERIC_FEATURES)]
        .drop(columns=["score_mean", "score_last"])
        .notna()
        .all()
        .all()
    )


def test_features_ignore_everything_after_the_week(small_cohort):
    w = 10
    before = weekly_features(small_cohort, w)
    vle = small_cohort.vle.copy()
    vle.loc[vle["week"] >= w, "sum_click"] = 10**6  # rewrite the future
    subs = small_cohort.student_assessments.copy()
    subs.loc[subs["date_submitted"] >= 7 * w, "score"] = 0
    altered = dataclasses.replace(small_cohort, vle=vle, student_assessments=subs)
    pd.testing.assert_frame_equal(before, weekly_features(altered, w))


def test_click_features_match_the_dense_arrays(small_cohort):
    c, w = small_cohort, 6
    f = weekly_features(c, w)
    np.testing.assert_array_equal(f["clicks_total"], c.clicks[:, :w].sum(axis=1))
    np.testing.assert_array_equal(f["clicks_last_week"], c.clicks[:, w - 1])
    np.testing.assert_array_equal(f["active_days_total"], c.active_days[:, :w].sum(axis=1))
    assert f["week_fraction"].eq(w / c.config.n_weeks).all()
    # a student who withdrew in week 0 has been inactive for all w weeks
    gone = c.withdrawal_week == 0
    assert gone.any() and (f["inactivity_streak"].to_numpy()[gone] == w).all()


def test_assessment_features_count_due_and_missed(small_cohort):
    c = small_cohort
    w = int(c.assessment_weeks[2]) + 2  # three assessments due, all deadlines passed
    f = weekly_features(c, w)
    assert (f["assessments_due"] == 3).all()
    assert (f["submissions"] + f["submissions_missed"] == 3).all()
    submitted = ~np.isnan(c.scores[:, :3])
    np.testing.assert_array_equal(f["submissions"], submitted.sum(axis=1))
    some = submitted.any(axis=1)
    expected = np.nanmean(c.scores[some, :3], axis=1)
    np.testing.assert_allclose(f["score_mean"].to_numpy()[some], expected)
    assert np.isnan(f["score_mean"].to_numpy()[~some]).all()
    assert f["confidence_score"].between(0, 1).all() and f["engagement_index"].between(0, 1).all()


@pytest.mark.parametrize("week", [0, 40, -1])
def test_week_out_of_range_is_refused(small_cohort, week):
    with pytest.raises(ValueError, match="up_to_week must be in"):
        weekly_features(small_cohort, week)


def test_success_target(small_cohort):
    y = success_target(small_cohort)
    np.testing.assert_array_equal(y.to_numpy(), small_cohort.success.astype(int))


def test_sequences_shape_and_channels(small_cohort):
    c, w = small_cohort, 12
    seq = weekly_sequences(c, w)
    assert seq.shape == (600, w, 5) and seq.dtype == np.float32
    np.testing.assert_allclose(seq[..., 1], c.active_days[:, :w] / 7.0)
    due_weeks = c.assessment_weeks[c.assessment_weeks < w]
    assert (seq[:, due_weeks, 2] == 1).all() and seq[..., 2].sum() == 600 * len(due_weeks)

"""Structure, determinism, the true-probability output and bad configurations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from studentgym.simulators import CohortConfig, CohortGenerator, ModuleProfile
from studentgym.simulators.cohort import STUDENT_COLUMNS


def test_same_seed_gives_identical_tables():
    config = CohortConfig(n_students=800)
    a = CohortGenerator(config, seed=11).generate()
    b = CohortGenerator(config, seed=11).generate()
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(table, b.tables()[name], obj=name)
    np.testing.assert_array_equal(a.clicks, b.clicks)


def test_different_seeds_differ():
    config = CohortConfig(n_students=800)
    a = CohortGenerator(config, seed=1).generate()
    b = CohortGenerator(config, seed=2).generate()
    assert not a.students.equals(b.students)
    assert not np.array_equal(a.clicks, b.clicks)


def test_accepts_a_numpy_generator():
    config = CohortConfig(n_students=300)
    a = CohortGenerator(config, seed=np.random.default_rng(5)).generate()
    b = CohortGenerator(config, seed=np.random.default_rng(5)).generate()
    pd.testing.assert_frame_equal(a.students, b.students)


def test_tables_have_oulad_columns(small_cohort):
    c = small_cohort
    assert tuple(c.students.columns) == STUDENT_COLUMNS
    assert c.students["id_student"].is_unique
    assert {
        "code_module",
        "code_presentation",
        "id_student",
        "date_registration",
        "date_unregistration",
    } <= set(c.registrations.columns)
    assert {"id_assessment", "id_student", "date_submitted", "is_banked", "score"} == set(
        c.student_assessments.columns
    )
    assert {"id_assessment", "assessment_type", "date", "weight"} <= set(c.assessments.columns)
    assert set(c.assessments["assessment_type"]) == {"TMA", "CMA"}
    assert set(c.student_assessments["id_assessment"]) <= set(c.assessments["id_assessment"])


def test_activity_stops_at_withdrawal(small_cohort):
    c = small_cohort
    n_weeks = c.config.n_weeks
    after = np.arange(n_weeks)[None, :] >= c.withdrawal_week[:, None]
    assert c.clicks[after].sum() == 0 and c.active_days[after].sum() == 0
    assert np.all(c.clicks[c.active_days == 0] == 0)
    assert c.active_days.max() <= 7 and c.clicks.min() >= 0
    # the long table holds exactly the registered weeks
    assert len(c.vle) == int(np.minimum(c.withdrawal_week, n_weeks).sum())
    withdrawn = c.students["final_result"] == "Withdrawn"
    np.testing.assert_array_equal(withdrawn, c.withdrawal_week < n_weeks)


def test_scores_and_missing_submissions(small_cohort):
    c = small_cohort
    submitted = ~np.isnan(c.scores)
    assert 0 <= np.nanmin(c.scores) and np.nanmax(c.scores) <= 100
    assert len(c.student_assessments) == submitted.sum()
    completers = c.withdrawal_week == c.config.n_weeks
    missed = 1 - submitted[completers].mean()
    assert 0.02 < missed < 0.30, f"completers miss {missed:.1%} of submissions"


def test_true_success_probability_is_a_calibrated_ceiling(oulad_cohort):
    c = oulad_cohort
    p = c.p_success
    assert p.shape == (c.config.n_students,)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(p[c.students["final_result"] == "Withdrawn"] == 0)
    np.testing.assert_array_equal(p, c.latent["p_success"].to_numpy())
    # calibrated: in each decile of p the success rate matches the mean probability
    bins = pd.qcut(p, 10, duplicates="drop")
    by_bin = pd.DataFrame({"p": p, "y": c.success}).groupby(bins, observed=True).mean()
    assert np.max(np.abs(by_bin["p"] - by_bin["y"])) < 0.03
    ceiling = roc_auc_score(c.success, p)
    assert 0.85 < ceiling < 1.0  # real signal, not a perfect one
    # and observable summaries do worse than the ceiling
    for observed in (
        c.clicks.sum(axis=1),
        np.nan_to_num(np.nanmean(np.where(np.isnan(c.scores), 0, c.scores), axis=1)),
    ):
        assert roc_auc_score(c.success, observed) < ceiling


def test_needs_are_in_unit_interval(small_cohort):
    needs = small_cohort.traits.needs
    assert needs.shape == (600, 5)
    assert np.all((needs > 0) & (needs < 1))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_students": 0}, "n_students"),
        ({"n_students": -10}, "n_students"),
        ({"n_students": 10.5}, "n_students"),
        ({"n_weeks": 3}, "n_weeks"),
        ({"gender": {"M": 0.6, "F": 0.6}}, "gender proportions sum to 1.2"),
        ({"age_band": {"0-35": 1.2, "35-55": -0.2}}, "age_band has negative"),
        ({"imd_band": {"0-10%": 0.5, "bogus": 0.5}}, "unknown bands"),
        ({"disability_rate": 1.5}, "disability_rate"),
        ({"motivation_volatility": 0.0}, "motivation_volatility"),
        ({"modules": {"AAA": ModuleProfile(10, -5.0, 1.0, 0.0)}}, "fail_threshold"),
        ({"assessments_tma": 30, "assessments_cma": 30}, "more assessments"),
    ],
)
def test_bad_config_raises_a_clear_value_error(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(CohortConfig(), **changes)


def test_generator_rejects_a_non_config():
    with pytest.raises(TypeError, match="CohortConfig"):
        CohortGenerator({"n_students": 10})

"""The generated cohort reproduces OULAD's published marginals and gradients.

Targets are reference/oulad.md's percentages. Demographics are drawn directly
from the marginals, so they must match within 4 binomial standard errors on
32,593 students. Outcomes come from the latent model (calibrated, not drawn), so
they get 4 standard errors plus a stated calibration slack.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studentgym.simulators import EDUCATION_LEVELS, IMD_BANDS

N = 32_593
CALIBRATION_SLACK = 0.01  # outcome shares: within 1 point of OULAD beyond sampling noise


def assert_shares(observed: pd.Series, target: dict, slack: float = 0.0) -> None:
    observed = observed.value_counts(normalize=True, dropna=False)
    for value, share in target.items():
        tol = 4 * np.sqrt(share * (1 - share) / N) + slack
        got = observed.get(value, 0.0)
        assert abs(got - share) <= tol, f"{value!r}: {got:.4f} vs OULAD {share:.4f} (tol {tol:.4f})"


def test_final_result_matches_oulad(oulad_cohort):
    target = {"Pass": 0.3793, "Withdrawn": 0.3116, "Fail": 0.2164, "Distinction": 0.0928}
    assert_shares(oulad_cohort.students["final_result"], target, CALIBRATION_SLACK)


@pytest.mark.parametrize(
    ("column", "target"),
    [
        ("gender", {"M": 0.5484, "F": 0.4516}),
        ("age_band", {"0-35": 0.7040, "35-55": 0.2894, "55<=": 0.0066}),
        (
            "highest_education",
            {
                "A Level or Equivalent": 0.4309,
                "Lower Than A Level": 0.4037,
                "HE Qualification": 0.1451,
                "No Formal quals": 0.0106,
                "Post Graduate Qualification": 0.0097,
            },
        ),
        ("disability", {"Y": 0.0971, "N": 0.9029}),
        ("num_of_prev_attempts", {0: 0.8720, 1: 0.1012, 2: 0.0207, 3: 0.0044}),
        ("code_presentation", {"2013B": 0.1437, "2013J": 0.2714, "2014B": 0.2394, "2014J": 0.3455}),
        ("region", {"Scotland": 0.1057, "London Region": 0.0987, "Ireland": 0.0363}),
        ("code_module", {"AAA": 748 / N, "BBB": 7909 / N, "GGG": 2534 / N}),
    ],
)
def test_demographic_marginals(oulad_cohort, column, target):
    assert_shares(oulad_cohort.students[column], target)


def test_imd_band_spelling_and_missing_share(oulad_cohort):
    imd = oulad_cohort.students["imd_band"]
    assert set(imd.dropna().unique()) == set(IMD_BANDS)
    assert "10-20" in set(imd.dropna())  # OULAD's spelling, without the % sign
    assert_shares(imd, {"0-10%": 0.1016, "90-100%": 0.0779, np.nan: 0.0341})


def test_category_values_are_oulad_spellings(oulad_cohort):
    students = oulad_cohort.students
    assert set(students["highest_education"]) == set(EDUCATION_LEVELS)
    assert set(students["final_result"]) == {"Pass", "Withdrawn", "Fail", "Distinction"}
    assert set(students["age_band"]) == {"0-35", "35-55", "55<="}


def test_studied_credits_distribution(oulad_cohort):
    credits = oulad_cohort.students["studied_credits"]
    assert abs(credits.mean() - 79.8) < 2.5
    assert abs(credits.std() - 41.1) < 5.0
    assert credits.min() == 30
    assert credits.quantile([0.25, 0.5, 0.75, 0.99]).tolist() == [60, 60, 120, 240]
    assert (credits % 30 == 0).mean() > 0.95


def test_module_outcome_splits(oulad_cohort):
    oulad = {  # (Pass, Distinction, Fail, Withdrawn)
        "AAA": (0.651, 0.059, 0.122, 0.168),
        "BBB": (0.389, 0.086, 0.223, 0.302),
        "CCC": (0.266, 0.112, 0.176, 0.445),
        "DDD": (0.355, 0.061, 0.225, 0.359),
        "EEE": (0.441, 0.121, 0.192, 0.246),
        "FFF": (0.384, 0.086, 0.220, 0.310),
        "GGG": (0.441, 0.156, 0.287, 0.115),
    }
    students = oulad_cohort.students
    for module, shares in oulad.items():
        result = students.loc[students["code_module"] == module, "final_result"]
        n = len(result)
        for value, share in zip(("Pass", "Distinction", "Fail", "Withdrawn"), shares, strict=True):
            got = (result == value).mean()
            tol = 4 * np.sqrt(share * (1 - share) / n) + CALIBRATION_SLACK
            assert abs(got - share) <= tol, f"{module} {value}: {got:.3f} vs {share:.3f}"


def rate(students: pd.DataFrame, by: str, level, result: str) -> float:
    return (students.loc[students[by] == level, "final_result"] == result).mean()


def test_imd_gradient(oulad_cohort):
    s = oulad_cohort.students
    # OULAD: distinction 5.1% -> 14.1%, withdrawal 37.2% -> 25.9% from most to least deprived
    assert rate(s, "imd_band", "0-10%", "Distinction") < 0.08
    assert rate(s, "imd_band", "90-100%", "Distinction") > 0.11
    assert (
        rate(s, "imd_band", "0-10%", "Withdrawn") - rate(s, "imd_band", "90-100%", "Withdrawn")
        > 0.06
    )


def test_prior_education_gradient(oulad_cohort):
    s = oulad_cohort.students
    low, he = "Lower Than A Level", "HE Qualification"
    # OULAD: Fail 26.0% vs 16.7%, Distinction 5.5% vs 14.7%
    assert (
        rate(s, "highest_education", low, "Fail") - rate(s, "highest_education", he, "Fail") > 0.04
    )
    assert (
        rate(s, "highest_education", he, "Distinction")
        - rate(s, "highest_education", low, "Distinction")
        > 0.04
    )


def test_previous_attempts_gradient(oulad_cohort):
    s = oulad_cohort.students
    # OULAD: Fail 20.2% with 0, 30.6% with 1, 35.0% with 2 previous attempts
    fails = [rate(s, "num_of_prev_attempts", k, "Fail") for k in (0, 1, 2)]
    assert fails[0] < fails[1] < fails[2]
    assert fails[2] - fails[0] > 0.04


def test_withdrawal_is_spread_and_front_loaded(oulad_cohort):
    reg = oulad_cohort.registrations
    withdrawn = reg["date_unregistration"].notna()
    assert withdrawn.sum() == (oulad_cohort.students["final_result"] == "Withdrawn").sum()
    days = reg.loc[withdrawn, "date_unregistration"]
    # OULAD: about half of all withdrawals before day 28
    assert 0.40 <= (days < 28).mean() <= 0.60
    assert (days < 0).any()  # some withdraw before the start, as in OULAD
    assert (days > 7 * 20).mean() > 0.10  # and the rest spread over the presentation
    assert (days >= reg.loc[withdrawn, "date_registration"]).all()  # never before registering


def test_clicks_are_heavy_tailed(oulad_cohort):
    active = oulad_cohort.vle.loc[oulad_cohort.vle["sum_click"] > 0, "sum_click"]
    median = active.median()
    assert active.mean() > 1.4 * median
    assert active.quantile(0.99) > 6 * median
    assert active.max() > 40 * median


def test_early_clicks_separate_successful_and_at_risk(oulad_cohort):
    # OULAD, weeks 1-4: about 339 clicks and 12.5 active days if successful, 197 and 8.3 if not
    c = oulad_cohort
    clicks, days = c.clicks[:, :4].sum(axis=1), c.active_days[:, :4].sum(axis=1)
    assert 250 < clicks[c.success].mean() < 450 and 130 < clicks[~c.success].mean() < 260
    assert 10 < days[c.success].mean() < 15.5 and 6 < days[~c.success].mean() < 10

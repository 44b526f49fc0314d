"""The OULAD-like cohort generator.

``CohortGenerator(config, seed).generate()`` returns a :class:`Cohort`: OULAD's
tables (same column names where OULAD has them) plus the latent truth behind them.
Everything is vectorised over students; only the assessment schedule is looped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from studentgym.atomic import atomic_write_csv
from studentgym.simulators import dynamics
from studentgym.simulators.config import TOPICS, CohortConfig
from studentgym.simulators.latent import sample_demographics, sample_traits
from studentgym.simulators.roster import LatentTraits

SeedLike = int | np.random.Generator | None

STUDENT_COLUMNS = (
    "id_student",
    "code_module",
    "code_presentation",
    "gender",
    "region",
    "highest_education",
    "imd_band",
    "age_band",
    "num_of_prev_attempts",
    "studied_credits",
    "disability",
    "final_result",
)
"""OULAD's ``studentInfo.csv`` columns, in OULAD's order."""


@dataclass(frozen=True)
class Cohort:
    """A generated cohort: OULAD-shaped tables, dense arrays and the latent truth.

    Tables (pandas, OULAD's column names where OULAD has them):
        students: one row per registration, ``studentInfo.csv``'s columns.
        registrations: ``date_registration`` and ``date_unregistration`` in days
            from the course start (NaN if not withdrawn), plus ``withdrawal_week``.
        vle: one row per student and course week while registered: ``week``,
            ``sum_click`` (clicks that week) and ``active_days`` (0-7).
        assessments: the schedule per module presentation: ``id_assessment``,
            ``assessment_type`` (TMA/CMA), ``date`` (day due), ``weight``, ``week``.
        student_assessments: one row per submission: ``id_assessment``,
            ``id_student``, ``date_submitted``, ``is_banked``, ``score``; a missed
            submission has no row, as in OULAD.
        latent: the ground truth no real dataset has: ability, motivation (start and
            course mean), the five topic needs, the probabilities of withdrawing (given
            the motivation path) and of failing or getting a distinction if completed,
            and ``p_success``.

    Arrays (row ``i`` is ``students.iloc[i]``):
        clicks, active_days: ``(n, n_weeks)`` weekly activity, 0 after withdrawal.
        scores: ``(n, n_assessments)`` scores, NaN where not submitted.
        withdrawal_week: ``(n,)`` course week of withdrawal, ``n_weeks`` if none.
        p_success: ``(n,)`` true probability of Pass or Distinction given the latent
            path and whether the student withdrew: the Bayes ceiling for any
            classifier of the final result.
        motivation: ``(n, n_weeks)`` the latent motivation path.
    """

    config: CohortConfig
    students: pd.DataFrame
    registrations: pd.DataFrame
    vle: pd.DataFrame
    assessments: pd.DataFrame
    student_assessments: pd.DataFrame
    latent: pd.DataFrame
    traits: LatentTraits
    clicks: np.ndarray
    active_days: np.ndarray
    scores: np.ndarray
    assessment_weeks: np.ndarray
    withdrawal_week: np.ndarray
    p_success: np.ndarray
    motivation: np.ndarray

    @property
    def success(self) -> np.ndarray:
        """Boolean array: final result is Pass or Distinction."""
        return self.students["final_result"].isin(["Pass", "Distinction"]).to_numpy()

    def subset(self, rows: np.ndarray) -> Cohort:
        """The cohort restricted to the students at positions ``rows``, in that order."""
        rows = np.asarray(rows)
        ids = self.students["id_student"].to_numpy()[rows]

        def keep(table: pd.DataFrame) -> pd.DataFrame:
            return table[table["id_student"].isin(ids)].reset_index(drop=True)

        per_student = {
            name: getattr(self, name)[rows]
            for name in (
                "clicks",
                "active_days",
                "scores",
                "withdrawal_week",
                "p_success",
                "motivation",
            )
        }
        traits = dataclasses.replace(
            self.traits,
            **{f.name: getattr(self.traits, f.name)[rows] for f in dataclasses.fields(self.traits)},
        )
        return dataclasses.replace(
            self,
            config=dataclasses.replace(self.config, n_students=len(rows)),
            students=self.students.iloc[rows].reset_index(drop=True),
            registrations=self.registrations.iloc[rows].reset_index(drop=True),
            vle=keep(self.vle),
            student_assessments=keep(self.student_assessments),
            latent=self.latent.iloc[rows].reset_index(drop=True),
            traits=traits,
            **per_student,
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file stem, in the order they are written."""
        return {
            "students": self.students,
            "registrations": self.registrations,
            "vle_weekly": self.vle,
            "assessments": self.assessments,
            "student_assessments": self.student_assessments,
            "latent": self.latent,
        }

    def to_csv(self, directory: str | Path) -> list[Path]:
        """Write every table as ``<stem>.csv`` into ``directory`` (created if needed).

        Each file is written to a temporary name and renamed, so an interrupted
        write never leaves a half-written CSV behind.

        Returns:
            The paths written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        return [atomic_write_csv(t, directory / f"{stem}.csv") for stem, t in self.tables().items()]


class CohortGenerator:
    """Generate synthetic OULAD-like cohorts from a documented latent model.

    Args:
        config: the cohort's parameters; OULAD's defaults if omitted.
        seed: an int or a ``numpy.random.Generator``; the same int gives identical
            cohorts.

    Example:
        >>> cohort = CohortGenerator(CohortConfig(n_students=1000), seed=0).generate()
        >>> cohort.students.shape
        (1000, 12)
    """

    def __init__(self, config: CohortConfig | None = None, seed: SeedLike = None) -> None:
        if config is not None and not isinstance(config, CohortConfig):
            raise TypeError(f"config must be a CohortConfig, got {type(config).__name__}")
        self.config = config or CohortConfig()
        self.seed = seed

    def assessment_weeks(self) -> tuple[np.ndarray, np.ndarray]:
        """The schedule: ``(weeks, is_tma)``, sorted by week, no two in one week."""
        cfg = self.config
        n_total = cfg.assessments_tma + cfg.assessments_cma
        weeks = np.round(np.linspace(3, cfg.n_weeks - 2, n_total)).astype(int)
        # alternate TMA and CMA, starting and ending with a TMA
        is_tma = np.zeros(n_total, bool)
        is_tma[np.round(np.linspace(0, n_total - 1, cfg.assessments_tma)).astype(int)] = True
        return weeks, is_tma

    def generate(self) -> Cohort:
        """Draw one cohort. Deterministic for an int seed."""
        cfg = self.config
        rng = np.random.default_rng(self.seed)
        n, n_weeks = cfg.n_students, cfg.n_weeks

        demo = sample_demographics(cfg, rng)
        ids = np.sort(rng.choice(np.arange(10_000, 2_800_000), size=n, replace=False))
        demo.insert(0, "id_student", ids)
        traits = sample_traits(demo, rng)
        withdrawal_offset, fail_threshold, distinction_threshold = cfg.module_arrays(
            demo["code_module"]
        )

        # Motivation path for all weeks at once (a random walk with drift).
        shocks = cfg.motivation_drift + cfg.motivation_volatility * rng.standard_normal(
            (n, n_weeks)
        )
        shocks[:, 0] = 0.0
        motivation = traits.motivation[:, None] + np.cumsum(shocks, axis=1)
        needs = traits.needs[:, None, :]
        eta = dynamics.engagement(motivation, needs)

        # Withdrawal: the first week whose hazard fires.
        hazard = dynamics.sigmoid(
            dynamics.withdrawal_logit(
                np.arange(n_weeks)[None, :],
                motivation,
                traits.ability[:, None],
                needs,
                traits.credits_z[:, None],
                withdrawal_offset[:, None],
                cfg.early_withdrawal_boost,
                cfg.early_withdrawal_weeks,
            )
        )
        fires = rng.random((n, n_weeks)) < hazard
        withdrawn = fires.any(axis=1)
        withdrawal_week = np.where(withdrawn, fires.argmax(axis=1), n_weeks)
        registered = np.arange(n_weeks)[None, :] < withdrawal_week[:, None]

        days, clicks = dynamics.sample_activity(eta, traits.click_scale[:, None], rng)
        days = np.where(registered, days, 0).astype(np.int8)
        clicks = np.where(registered, clicks, 0).astype(np.int32)

        # Assessments: submitted while registered, with a need-dependent probability.
        weeks, is_tma = self.assessment_weeks()
        m_at = motivation[:, weeks]
        submit = rng.random(m_at.shape) < dynamics.submission_probability(eta[:, weeks], needs)
        submit &= registered[:, weeks]
        scores = dynamics.sample_scores(traits.ability[:, None], m_at, needs, rng)
        scores = np.where(submit, scores, np.nan)

        # Final result of completers: ordinal logit on performance.
        z = dynamics.performance(traits.ability, motivation.mean(axis=1), traits.needs)
        p_fail, p_distinction = dynamics.result_probabilities(
            z, fail_threshold, distinction_threshold
        )
        u = rng.random(n)
        result = np.where(
            u < p_fail, "Fail", np.where(u > 1 - p_distinction, "Distinction", "Pass")
        )
        result = np.where(withdrawn, "Withdrawn", result)
        p_success = np.where(withdrawn, 0.0, 1.0 - p_fail)
        p_withdraw = 1.0 - np.prod(1.0 - hazard, axis=1)

        students = demo.assign(final_result=result)[list(STUDENT_COLUMNS)]
        registrations = self._registrations(students, withdrawn, withdrawal_week, rng)
        assessments, student_assessments = self._assessment_tables(
            students, weeks, is_tma, scores, rng
        )
        latent = pd.DataFrame(
            {
                "id_student": ids,
                "ability": traits.ability,
                "motivation_start": traits.motivation,
                "motivation_mean": motivation.mean(axis=1),
                **{f"need_{topic}": traits.needs[:, k] for k, topic in enumerate(TOPICS)},
                "p_withdraw": p_withdraw,
                "p_fail_if_completed": p_fail,
                "p_distinction_if_completed": p_distinction,
                "p_success": p_success,
            }
        )
        return Cohort(
            config=cfg,
            students=students,
            registrations=registrations,
            vle=self._vle_table(students, clicks, days, registered),
            assessments=assessments,
            student_assessments=student_assessments,
            latent=latent,
            traits=traits,
            clicks=clicks,
            active_days=days,
            scores=scores,
            assessment_weeks=weeks,
            withdrawal_week=withdrawal_week,
            p_success=p_success,
            motivation=motivation,
        )

    @staticmethod
    def _registrations(
        students: pd.DataFrame,
        withdrawn: np.ndarray,
        withdrawal_week: np.ndarray,
        rng: np.random.Generator,
    ) -> pd.DataFrame:
        n = len(students)
        day_in_week = rng.integers(0, 7, n)
        registration = -rng.integers(0, 180, n)
        # a week-0 withdrawal may fall before the start (as about a fifth do in OULAD),
        # but never before the registration
        pre_start = (withdrawal_week == 0) & (rng.random(n) < 0.5) & (registration < 0)
        before_start = registration + (rng.random(n) * -registration).astype(np.int64)
        unregistration = np.where(pre_start, before_start, 7 * withdrawal_week + day_in_week)
        return pd.DataFrame(
            {
                "code_module": students["code_module"],
                "code_presentation": students["code_presentation"],
                "id_student": students["id_student"],
                "date_registration": registration,
                "date_unregistration": np.where(withdrawn, unregistration, np.nan),
                "withdrawal_week": pd.Series(withdrawal_week, dtype="Int64").where(withdrawn),
            }
        )

    @staticmethod
    def _vle_table(
        students: pd.DataFrame, clicks: np.ndarray, days: np.ndarray, registered: np.ndarray
    ) -> pd.DataFrame:
        row, week = np.nonzero(registered)
        return pd.DataFrame(
            {
                "id_student": students["id_student"].to_numpy()[row],
                "code_module": students["code_module"].to_numpy()[row],
                "code_presentation": students["code_presentation"].to_numpy()[row],
                "week": week,
                "sum_click": clicks[row, week],
                "active_days": days[row, week],
            }
        )

    def _assessment_tables(
        self,
        students: pd.DataFrame,
        weeks: np.ndarray,
        is_tma: np.ndarray,
        scores: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        presentations = (
            students[["code_module", "code_presentation"]]
            .drop_duplicates()
            .sort_values(["code_module", "code_presentation"])
            .reset_index(drop=True)
        )
        k = len(weeks)
        tma_weight = 100.0 / is_tma.sum()
        schedule = presentations.loc[presentations.index.repeat(k)].reset_index(drop=True)
        schedule["id_assessment"] = 1000 + np.arange(len(schedule))
        schedule["assessment_type"] = np.tile(np.where(is_tma, "TMA", "CMA"), len(presentations))
        schedule["week"] = np.tile(weeks, len(presentations))
        schedule["date"] = 7 * schedule["week"] + 5
        schedule["weight"] = np.tile(np.where(is_tma, tma_weight, 0.0), len(presentations))

        # id_assessment of (student's presentation, j-th assessment)
        pres_index = pd.MultiIndex.from_frame(presentations).get_indexer(
            pd.MultiIndex.from_frame(students[["code_module", "code_presentation"]])
        )
        row, j = np.nonzero(~np.isnan(scores))
        lateness = rng.integers(-3, 4, len(row))
        submissions = pd.DataFrame(
            {
                "id_assessment": 1000 + pres_index[row] * k + j,
                "id_student": students["id_student"].to_numpy()[row],
                "date_submitted": 7 * weeks[j] + 5 + lateness,
                "is_banked": np.zeros(len(row), dtype=np.int64),
                "score": scores[row, j].astype(np.int64),
            }
        )
        return schedule[
            [
                "code_module",
                "code_presentation",
                "id_assessment",
                "assessment_type",
                "date",
                "weight",
                "week",
            ]
        ], submissions

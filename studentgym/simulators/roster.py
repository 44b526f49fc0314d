"""The students as the simulator reads them: arrays, without the cohort's tables.

A :class:`~studentgym.simulators.student.StudentSimulator` needs of its cohort only
who the students are (ids, latent traits, the module parameters of their course) and
the few demographics its classifier and observation read. A :class:`Roster` holds
exactly that, as numpy arrays, so that a cached world loads it without generating the
cohort or importing pandas (most of a fresh process's make).

=====================  =============  ==================================================
array                  shape          meaning
=====================  =============  ==================================================
id_student             (n,)           OULAD ``id_student``
traits                 (n,) / (n, 5)  :class:`LatentTraits` at registration
withdrawal_offset      (n,)           the student's module's withdrawal offset
fail_threshold         (n,)           the student's module's fail threshold
static_obs             (n, 4)         IMD decile / 9 (0.5 if unknown), education / 4,
                                      previous attempts (capped at 6), disability
demographics           (n, 2)         previous attempts and studied credits, as the
                                      success classifier reads them
assessment_weeks       (a,)           the course weeks assessments are due
=====================  =============  ==================================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from studentgym.simulators.config import EDUCATION_LEVELS, IMD_DECILE, CohortConfig

if TYPE_CHECKING:
    from studentgym.simulators.cohort import Cohort


@dataclass(frozen=True)
class LatentTraits:
    """Per-student latent state at registration; arrays of length ``n``.

    Attributes:
        ability: stable academic ability (standard-normal scale).
        motivation: motivation at the start of the course.
        needs: ``(n, 5)`` need in each topic of :data:`TOPICS`, in [0, 1].
        click_scale: the student's own log-scale of clicks per active day.
        credits_z: ``log2(studied_credits / 60)``.
        prev_attempts: previous attempts, capped at 3.
    """

    ability: np.ndarray
    motivation: np.ndarray
    needs: np.ndarray
    click_scale: np.ndarray
    credits_z: np.ndarray
    prev_attempts: np.ndarray


@dataclass(frozen=True)
class Roster:
    """A cohort's students as arrays (see the module docstring), and how to regenerate
    the cohort itself: ``seed`` (None if it was not generated from one)."""

    config: CohortConfig
    id_student: np.ndarray
    traits: LatentTraits
    withdrawal_offset: np.ndarray
    fail_threshold: np.ndarray
    static_obs: np.ndarray
    demographics: np.ndarray
    assessment_weeks: np.ndarray
    seed: int | None = None

    @classmethod
    def from_cohort(cls, cohort: Cohort, seed: int | None = None) -> Roster:
        """The roster of ``cohort`` (generated from ``seed``, if it was).

        Raises:
            ValueError: for students of a module the cohort's config does not have.
        """
        students = cohort.students
        offset, fail, _ = cohort.config.module_arrays(students["code_module"])
        decile = students["imd_band"].map(IMD_DECILE)
        education = students["highest_education"].map(
            dict(zip(EDUCATION_LEVELS, range(len(EDUCATION_LEVELS)), strict=True))
        )
        static_obs = np.column_stack(
            [
                decile.fillna(4.5).to_numpy(float) / 9.0,
                education.to_numpy(float) / 4.0,
                np.minimum(students["num_of_prev_attempts"].to_numpy(float), 6.0),
                (students["disability"] == "Y").to_numpy(float),
            ]
        )
        return cls(
            cohort.config,
            students["id_student"].to_numpy(np.int64),
            cohort.traits,
            offset,
            fail,
            static_obs,
            students[["num_of_prev_attempts", "studied_credits"]].to_numpy(float),
            np.asarray(cohort.assessment_weeks),
            seed,
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array by name (the traits as ``traits.<field>``), for saving."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        for name in _TRAITS:
            arrays[f"traits.{name}"] = getattr(self.traits, name)
        return arrays

    @classmethod
    def from_arrays(cls, config: CohortConfig, arrays, seed: int | None = None) -> Roster:
        """The roster whose :meth:`arrays` these are, for ``config``'s cohort.

        Raises:
            KeyError: for a missing array; ValueError for one of the wrong shape or
            not finite.
        """
        n = config.n_students
        shapes = {"static_obs": (n, 4), "demographics": (n, 2), "traits.needs": (n, 5)}
        named = {}
        for name in [*_ARRAYS, *(f"traits.{name}" for name in _TRAITS)]:
            array = np.asarray(arrays[name])
            expected = shapes.get(name, None if name == "assessment_weeks" else (n,))
            if expected is not None and array.shape != expected:
                raise ValueError(f"its {name} has shape {array.shape}, not {expected}")
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise ValueError(f"its {name} is not finite")
            named[name] = array
        traits = LatentTraits(*(named[f"traits.{name}"] for name in _TRAITS))
        return cls(config, traits=traits, seed=seed, **{name: named[name] for name in _ARRAYS})

    def cohort(self) -> Cohort:
        """The cohort these students come from, generated again from ``seed``.

        Raises:
            ValueError: if the roster has no seed (it was made from a given cohort).
        """
        if self.seed is None:
            raise ValueError("this roster was made from a cohort, not a seed: keep that cohort")
        from studentgym.simulators.cohort import CohortGenerator  # imports pandas

        return CohortGenerator(self.config, seed=self.seed).generate()


_ARRAYS = tuple(
    field.name
    for field in dataclasses.fields(Roster)
    if field.name not in ("config", "traits", "seed")
)
_TRAITS = tuple(field.name for field in dataclasses.fields(LatentTraits))

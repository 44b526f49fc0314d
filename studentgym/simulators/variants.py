"""Student-model variants: named departures from the documented ground truth.

A policy that looks good on one student model may not hold up on another (Doroudi,
Aleven & Brunskill 2019), so a verdict should be checked on several plausible ones.
Each variant changes parameters the simulator already documents
(:class:`~studentgym.simulators.student.ResponseParams`, who is taught, who judges);
none adds a code path. Values are relative to the documented defaults:

=======================  ==================================================================
``default``              the ground truth as documented
``weaker_effects``       every delivery is worth half a dose: efficacy ``1 - (1 - e)^0.5``
                         (0.95 -> 0.78, 0.6 -> 0.37), motivation gain x0.5
``stronger_effects``     every delivery is worth 1.5 doses: efficacy ``1 - (1 - e)^1.5``
                         (0.95 -> 0.99, 0.6 -> 0.75), motivation gain x1.5
``faster_habituation``   each repeat of an intervention keeps 30% of its effect (not 60%)
``shorter_persistence``  relief keeps 80% a week (not 95%): half-life 3.1 weeks, not 13.5
``harder_landing``       a student needs one more unit of engagement for half the effect
                         to land (``min_engagement + 1``)
``deprived_population``  the taught students are those from the three most deprived IMD
                         deciles (OULAD's 0-30%; 32% of registrations)
``classifier_judge``     the final result is drawn from the success classifier, not the
                         latent model: what the institution's own model would credit
=======================  ==================================================================

Effects scale by doses, not by multiplying efficacy: efficacy is the share of the
remaining need one delivery relieves, so 0.95 x 1.5 would exceed 1; ``1 - (1 - e)^k`` is
the relief of ``k`` doses in a row without habituation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from studentgym.simulators.cohort import Cohort
from studentgym.simulators.config import IMD_DECILE
from studentgym.simulators.student import OUTCOME_MODELS, ResponseParams

DEFAULT = "default"


@dataclass(frozen=True)
class StudentModel:
    """One variant of the ground truth (see the module's table).

    Attributes:
        description: what differs, in words.
        doses: each delivery relieves as much as this many doses of the default.
        habituation: :attr:`ResponseParams.habituation` (None: the default).
        persistence: :attr:`ResponseParams.persistence` (None: the default).
        landing_shift: added to every :attr:`ResponseParams.min_engagement`.
        most_deprived_deciles: teach only students from this many most deprived IMD
            deciles (None: everyone).
        judge: the outcome model the final result is drawn from.
    """

    description: str
    doses: float = 1.0
    habituation: float | None = None
    persistence: float | None = None
    landing_shift: float = 0.0
    most_deprived_deciles: int | None = None
    judge: str = "ground_truth"

    def __post_init__(self) -> None:
        if self.judge not in OUTCOME_MODELS:
            raise ValueError(f"judge must be one of {OUTCOME_MODELS}, got {self.judge!r}")
        if not self.doses > 0:
            raise ValueError(f"doses must be > 0, got {self.doses}")

    def response(self, base: ResponseParams | None = None) -> ResponseParams:
        """The response parameters of this variant, starting from ``base`` (the default)."""
        base = base or ResponseParams()
        return dataclasses.replace(
            base,
            efficacy=tuple(1.0 - (1.0 - e) ** self.doses for e in base.efficacy),
            motivation_gain=tuple(g * self.doses for g in base.motivation_gain),
            min_engagement=tuple(m + self.landing_shift for m in base.min_engagement),
            habituation=base.habituation if self.habituation is None else self.habituation,
            persistence=base.persistence if self.persistence is None else self.persistence,
        )

    def students(self, cohort: Cohort, rows: np.ndarray) -> np.ndarray:
        """The cohort positions among ``rows`` this variant teaches.

        Raises:
            ValueError: if none of ``rows`` belongs to the variant's population.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if self.most_deprived_deciles is None:
            return rows
        decile = cohort.students["imd_band"].iloc[rows].map(IMD_DECILE).to_numpy(float)
        kept = rows[decile < self.most_deprived_deciles]  # NaN (unknown band) is left out
        if not kept.size:
            raise ValueError(f"no student among {len(rows)} belongs to: {self.description}")
        return kept


STUDENT_MODELS: dict[str, StudentModel] = {
    DEFAULT: StudentModel("the ground truth as documented"),
    "weaker_effects": StudentModel("every delivery worth half a dose", doses=0.5),
    "stronger_effects": StudentModel("every delivery worth 1.5 doses", doses=1.5),
    "faster_habituation": StudentModel("each repeat keeps 30% of its effect", habituation=0.3),
    "shorter_persistence": StudentModel("relief keeps 80% a week", persistence=0.8),
    "harder_landing": StudentModel("one more unit of engagement to land", landing_shift=1.0),
    "deprived_population": StudentModel(
        "students from the three most deprived IMD deciles", most_deprived_deciles=3
    ),
    "classifier_judge": StudentModel("final result drawn from the classifier", judge="classifier"),
}
"""Every named variant, in the order reports show them."""


def student_model(name: str) -> StudentModel:
    """The variant called ``name``.

    Raises:
        ValueError: naming the unknown variant and the known ones.
    """
    if name not in STUDENT_MODELS:
        raise ValueError(f"unknown student model {name!r}; known: {', '.join(STUDENT_MODELS)}")
    return STUDENT_MODELS[name]

"""Building what the tutoring environments run on: cohort, weekly classifier, simulator.

``gym.make("studentgym/Tutoring-v0")`` with no arguments must work quickly and
offline, so the default cohort and its fitted weekly classifier are built once per
process and cached (keyed by size, length and seed).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from studentgym.predictors.weekly import WeeklySuccessModel
from studentgym.simulators import CohortConfig, CohortGenerator
from studentgym.simulators.cohort import Cohort
from studentgym.simulators.reward import HOUR_PRICE, OUTCOME_REWARDS
from studentgym.simulators.student import OUTCOME_MODELS, ResponseParams, StudentSimulator


@dataclass(frozen=True)
class TutoringParams:
    """Reward and constraint parameters of the tutoring environments.

    Attributes:
        hour_price: reward units charged per tutor hour (the outcome is worth +-1).
        budget_hours: tutor hours available per student for the whole course.
        outcome_model: who decides the final result: ``"classifier"`` or ``"ground_truth"``.
        shaping: scale of the potential-based shaping ``shaping * (2 p - 1)`` on the
            classifier's success probability ``p`` (0 disables it).
        gamma: discount used in the shaping term ``gamma * phi(s') - phi(s)``; it keeps
            the optimal policy unchanged for an agent with the same discount.
        outcome_reward: ``"sampled"`` (+1 / -1 for the drawn result) or ``"expected"``
            (``2 P(success) - 1`` of the judge at the end, -1 at a withdrawal): the same
            expected return for every policy, without the noise of the final draw.
    """

    hour_price: float = HOUR_PRICE
    budget_hours: float = 10.0
    outcome_model: str = "classifier"
    shaping: float = 0.0
    gamma: float = 1.0
    outcome_reward: str = "sampled"

    def __post_init__(self) -> None:
        if self.outcome_reward not in OUTCOME_REWARDS:
            raise ValueError(
                f"outcome_reward must be one of {OUTCOME_REWARDS}, got {self.outcome_reward!r}"
            )
        if self.outcome_model not in OUTCOME_MODELS:
            raise ValueError(
                f"outcome_model must be one of {OUTCOME_MODELS}, got {self.outcome_model!r}"
            )
        if not self.hour_price >= 0:
            raise ValueError(f"hour_price must be >= 0, got {self.hour_price}")
        if not self.budget_hours >= 0:
            raise ValueError(f"budget_hours must be >= 0, got {self.budget_hours}")
        if not 0 <= self.gamma <= 1:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")


@lru_cache(maxsize=4)
def default_world(n_students: int, n_weeks: int, seed: int) -> tuple[Cohort, WeeklySuccessModel]:
    """A generated cohort and its fitted weekly classifier, cached per process."""
    config = dataclasses.replace(CohortConfig(), n_students=n_students, n_weeks=n_weeks)
    cohort = CohortGenerator(config, seed=seed).generate()
    return cohort, WeeklySuccessModel().fit(cohort)


def build_simulator(
    cohort: Cohort | None,
    success_model: WeeklySuccessModel | None,
    n_students: int,
    n_weeks: int,
    cohort_seed: int,
    params: TutoringParams,
    response: ResponseParams | None = None,
) -> StudentSimulator:
    """The simulator for given pieces; missing pieces come from :func:`default_world`.

    Raises:
        ValueError: if a success model is given without its cohort.
    """
    if cohort is None:
        if success_model is not None:
            raise ValueError("a success_model needs the cohort it was fitted on")
        cohort, success_model = default_world(int(n_students), int(n_weeks), int(cohort_seed))
    elif success_model is None:
        success_model = WeeklySuccessModel().fit(cohort)
    return StudentSimulator(
        cohort, success_model, params.outcome_model, params.budget_hours, response
    )


def student_pool(simulator: StudentSimulator, students) -> np.ndarray:
    """Cohort positions episodes sample from (all by default).

    Raises:
        ValueError: if ``students`` is empty or has positions outside the cohort.
    """
    n = simulator.n_students
    pool = np.arange(n) if students is None else np.asarray(students, dtype=np.int64).ravel()
    if pool.size == 0 or pool.min() < 0 or pool.max() >= n:
        raise ValueError(f"students must be non-empty cohort positions in [0, {n})")
    return pool

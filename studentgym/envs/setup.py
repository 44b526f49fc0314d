"""Building what the tutoring environments run on: cohort, weekly classifier, simulator.

``gym.make("studentgym/Tutoring-v0")`` with no arguments must work quickly and
offline: the cohort and its fitted weekly classifier come from a cached world
(:mod:`studentgym.envs.world`), built once per machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from studentgym.envs.world import WORLDS, WorldSpec, load_world, resolve
from studentgym.simulators.reward import HOUR_PRICE, OUTCOME_REWARDS
from studentgym.simulators.student import (
    DEFAULT_BUDGET_HOURS,
    OUTCOME_MODELS,
    ResponseParams,
    StudentSimulator,
    SuccessModel,
)
from studentgym.split import split_students

if TYPE_CHECKING:
    from studentgym.simulators.cohort import Cohort

DEFAULT = WORLDS["default"]


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
    budget_hours: float = DEFAULT_BUDGET_HOURS
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


def world_spec(
    world: str | WorldSpec | None, n_students: int, n_weeks: int, cohort_seed: int
) -> WorldSpec:
    """The spec ``world`` names, or the one the three size-and-seed arguments give.

    Raises:
        ValueError: if ``world`` is given together with non-default sizes or seed.
    """
    if world is None:
        return WorldSpec(n_students, n_weeks, cohort_seed)
    if WorldSpec(n_students, n_weeks, cohort_seed) != DEFAULT:
        raise ValueError("give either world= or n_students / n_weeks / cohort_seed, not both")
    return resolve(world)


def build_simulator(
    cohort: Cohort | None,
    success_model: SuccessModel | None,
    spec: WorldSpec,
    params: TutoringParams,
    response: ResponseParams | None = None,
) -> StudentSimulator:
    """The simulator for given pieces; missing ones are ``spec``'s world (:func:`load_world`).

    Raises:
        ValueError: if a success model is given without its cohort.
    """
    if cohort is None:
        if success_model is not None:
            raise ValueError("a success_model needs the cohort it was fitted on")
        world = load_world(spec)
        cohort, success_model = world.roster, world.success_model
    elif success_model is None:
        from studentgym.predictors.weekly import WeeklySuccessModel  # imports scikit-learn

        success_model = WeeklySuccessModel().fit(cohort)
    return StudentSimulator(
        cohort, success_model, params.outcome_model, params.budget_hours, response
    )


SPLIT_PARTS = ("train", "validation", "evaluation")


def student_pool(
    simulator: StudentSimulator,
    students=None,
    student_ids=None,
    split_seed: int = 0,
) -> np.ndarray:
    """Cohort positions episodes sample from (all by default).

    Args:
        students: cohort positions, or the name of a part of the world's split
            (``"train"``, ``"validation"``, ``"evaluation"`` of
            ``split_students(n_students, split_seed)``).
        student_ids: OULAD ``id_student`` values instead (as ``info["student_id"]``).

    Raises:
        ValueError: for both or an empty selection, positions outside the cohort,
            an unknown split part or ids not in the cohort.
    """
    n = simulator.n_students
    if students is not None and student_ids is not None:
        raise ValueError("give students (positions) or student_ids, not both")
    if student_ids is not None:
        return positions_of(simulator, student_ids)
    if isinstance(students, str):
        if students not in SPLIT_PARTS:
            raise ValueError(f"students must be positions or one of {SPLIT_PARTS}: {students!r}")
        return getattr(split_students(n, split_seed), students)
    pool = np.arange(n) if students is None else np.asarray(students, dtype=np.int64).ravel()
    if pool.size == 0 or pool.min() < 0 or pool.max() >= n:
        raise ValueError(f"students must be non-empty cohort positions in [0, {n})")
    return pool


def positions_of(simulator: StudentSimulator, student_ids) -> np.ndarray:
    """Cohort positions of OULAD ``id_student`` values.

    Raises:
        ValueError: if the selection is empty or names ids not in the cohort.
    """
    ids = simulator.roster.id_student
    wanted = np.asarray(student_ids, dtype=np.int64).ravel()
    order = np.argsort(ids)
    found = np.searchsorted(ids, wanted, sorter=order)
    found = np.minimum(found, len(ids) - 1)
    positions = order[found]
    missing = wanted[ids[positions] != wanted]
    if wanted.size == 0 or missing.size:
        raise ValueError(
            f"student_ids must be non-empty ids of the cohort; not in it: {missing[:10].tolist()}"
        )
    return positions


def check_render_mode(render_mode: str | None, metadata: dict) -> None:
    """Gymnasium's rule for a custom env: ``render_mode`` is None or a declared mode.

    ``gym.make`` turns "human" into the ``HumanRendering`` wrapper over "rgb_array",
    and "rgb_array_list" into ``RenderCollection``, before the env sees them.

    Raises:
        ValueError: for any other mode, naming the declared ones.
    """
    modes = metadata["render_modes"]
    if render_mode is not None and render_mode not in modes:
        raise ValueError(
            f"render_mode must be None or one of {modes}, got {render_mode!r} (gym.make "
            "gives 'human' and 'rgb_array_list' through Gymnasium's rendering wrappers)"
        )

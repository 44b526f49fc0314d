"""Judging targeting policies in classes that share a weekly tutor capacity.

:class:`ClassJudge` cuts held-out students into classes and runs a targeting policy
(:mod:`studentgym.agents.targeting`) through a whole course in each, in the class env's
score mode: every policy gets the same classes, seeds and random numbers (common random
numbers), so differences between policies are paired per student, as in
:mod:`studentgym.agents.evaluation`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from studentgym.agents.evaluation import groups_of
from studentgym.envs.classroom import CLASS_HOUR_PRICE, ClassEnv
from studentgym.simulators.student import StudentSimulator


def class_rollout(policy, env: ClassEnv, seed: int, students: np.ndarray) -> pd.DataFrame:
    """One course of the class ``students`` (cohort positions) under ``policy``; a row
    per student: ``student_id``, ``return``, ``success``, ``withdrawn``, ``tutor_hours``,
    ``interventions`` (weeks served), ``p_start`` (the classifier's P(success) when the
    class starts).

    Raises:
        ValueError: if ``env`` is not in score mode.
    """
    if env.action_mode != "scores":
        raise ValueError("class_rollout runs the class env in action_mode='scores'")
    if hasattr(policy, "bind"):
        policy.bind(env)
    obs, info = env.reset(seed=seed, options={"students": students})
    n = env.n_students
    p_start = info["p_success"].copy()
    total, served = np.zeros(n), np.zeros(n, dtype=np.int64)
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(policy.values(obs, info))
        total += info["student_reward"]
        served += info["served"] > 0
        done = terminated or truncated
    result = info["final_result"]
    return pd.DataFrame(
        {
            "student_id": info["student_id"],
            "return": total,
            "success": result == "Pass",
            "withdrawn": result == "Withdrawn",
            "tutor_hours": info["cost_hours"],
            "interventions": served,
            "p_start": p_start,
        }
    )


class ClassJudge:
    """Paired evaluation of targeting policies on fixed classes of held-out students.

    Args:
        simulator: the env's simulator (its outcome model is the judge).
        students: cohort positions the classes are drawn from (distinct students).
        n_students: students judged (at most those given), cut into whole classes of
            ``class_size`` in a seeded order (a remainder is left out).
        class_size: students per class (sharing one capacity).
        seed: chooses and orders the students and seeds each class's course.
        hour_price: reward units per tutor hour.

    Attributes:
        classes: ``(n_classes, class_size)`` cohort positions.

    Raises:
        ValueError: if there are fewer students than one class.
    """

    def __init__(
        self,
        simulator: StudentSimulator,
        students: np.ndarray,
        n_students: int,
        class_size: int = 500,
        seed: int = 0,
        hour_price: float = CLASS_HOUR_PRICE,
    ) -> None:
        students = np.unique(np.asarray(students, dtype=np.int64))
        n_classes = min(n_students, len(students)) // class_size
        if class_size < 1 or n_classes < 1:
            raise ValueError(
                f"need at least one class of {class_size} among {len(students)} students"
            )
        chosen = np.random.default_rng(seed).choice(students, n_classes * class_size, replace=False)
        self.classes = np.sort(chosen.reshape(n_classes, class_size), axis=1)
        self.simulator, self.seed, self.hour_price = simulator, seed, hour_price
        self._envs: dict[float, ClassEnv] = {}

    @property
    def class_size(self) -> int:
        return self.classes.shape[1]

    def env(self, capacity_per_student: float) -> ClassEnv:
        """The class env with ``capacity_per_student`` tutor hours per student-week."""
        if capacity_per_student not in self._envs:
            self._envs[capacity_per_student] = ClassEnv(
                self.class_size,
                capacity_per_student * self.class_size,
                action_mode="scores",
                simulator=self.simulator,
                hour_price=self.hour_price,
            )
        return self._envs[capacity_per_student]

    def rollout(self, make_policy, capacity_per_student: float) -> pd.DataFrame:
        """Every class's course under a fresh ``make_policy()``; a row per student (as
        :func:`class_rollout`, plus ``class`` and the fairness groups of
        :func:`~studentgym.agents.evaluation.groups_of`, as ``rollout`` gives them)."""
        env = self.env(capacity_per_student)
        frames = [
            class_rollout(make_policy(), env, self.seed + k, rows).assign(**{"class": k})
            for k, rows in enumerate(self.classes)
        ]
        frame = pd.concat(frames, ignore_index=True)
        return frame.assign(**groups_of(self.simulator, frame["student_id"]))

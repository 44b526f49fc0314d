"""ClassEnv: a class that starts a course together, and a tutoring team with fixed weekly hours."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from studentgym.envs.allocation import TOLERANCE, allocate, hours_of
from studentgym.envs.setup import check_render_mode
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.simulators.interventions import CATALOGUE, COST_HOURS, N_ACTIONS

ACTION_MODES = ("assign", "scores")
CLASS_HOUR_PRICE = 0.0
"""Reward units per tutor hour in a class: the team's weekly hours are paid for whether
they are used or not, so using them costs nothing; the capacity is the constraint."""
SCORE_BOUND = 1.0


class ClassEnv(gym.Env):
    """
    ## Description

    A tutoring team with ``capacity_hours`` a week supports a class of ``n_students``
    who start the same course together (students of the single-student
    ``TutoringEnv``, stepped by one ``TutoringVectorEnv``: the same dynamics, rewards and
    worlds). One step is one course week for the whole class. Unlike the single env,
    where each student has a private budget, the hours are shared: who gets help is
    the decision, and helping the students most at risk is not always what helps most.

    ## Action Space

    ``action_mode="assign"`` (default): ``MultiDiscrete([6] * n_students)``, the
    intervention for each student (catalogue ids, see ``TutoringEnv``). An action whose
    interventions take more hours than ``capacity_hours`` raises ``ValueError`` naming
    the hours asked and available; nothing is cut silently. Actions for students whose
    course has ended are ignored and take no hours.

    ``action_mode="scores"``: ``Box(-1, 1, (n_students, 6))``, a priority per student and
    intervention (for learners that output scores). The env serves the pairs with the
    highest ``(score[i, a] - score[i, 0]) / hours[a]`` first, one intervention per
    student, until no pair with a positive difference fits in the week's hours
    (``studentgym.envs.allocation.allocate``, the Whittle-index way of acting): any
    action is valid and the hours never exceed the capacity.

    ## Observation Space

    ``Box(n_students * 20)`` of float32: every student's tutor view, the 20 columns of
    ``TutoringEnv``'s observation, student after student (``obs.reshape(n_students, 20)``;
    flat, as Stable-Baselines3's policies expect). A student whose course has ended keeps their last
    observation (P(success), column 15, is 0 after a withdrawal); ``info["active"]``
    says who is still enrolled.

    ## Rewards

    The mean over the class of the students' ``TutoringEnv`` rewards this week (outcome,
    cost and shaping, ``studentgym.simulators.reward``), so a course's return is the
    class's mean return per student; ``info["student_reward"]`` has each student's. The
    hour price is 0 unless given (``CLASS_HOUR_PRICE``): the team's hours are paid for
    whether they are used or not, so a course's return is its outcomes, +1 per success
    and -1 per failure or withdrawal, per student.

    ## Starting State

    ``n_students`` students drawn from the pool (``students=``, e.g. ``"evaluation"``)
    after the first course week, or the cohort positions
    ``reset(options={"students": rows})`` names. ``reset(seed=s)`` gives each student
    ``i`` the seed ``env.slot_seeds[i]`` (drawn from ``s``): the class is what a
    ``TutoringVectorEnv`` reset with ``seed=list(env.slot_seeds)`` starts.

    ## Episode End

    - Termination: when every student's course has ended (withdrawal or course end).
    - Truncation: none.

    ## Info

    Per student (arrays of ``n_students``): ``active``, ``p_success``, ``served`` (the
    intervention delivered this week, 0 if none), ``cost_hours`` (so far),
    ``student_reward``, ``final_result`` (None until known), ``student_id``,
    ``action_mask`` (affordable and enrolled). For the class: ``week``, ``hours_used``
    (delivered this week), ``capacity_hours`` and ``rewards`` (class means of the parts).

    ## Arguments

    | argument       | default   | meaning                                                   |
    |----------------|-----------|-----------------------------------------------------------|
    | n_students     | 100       | students in the class                                     |
    | capacity_hours | 10.0      | tutor hours a week for the class (``inf``: no limit)      |
    | action_mode    | "assign"  | "assign" (an intervention per student) or "scores"        |
    | render_mode    | None      | "ansi" (a line of text)                                   |
    | tutoring       |           | every other keyword goes to ``TutoringVectorEnv``         |
    |                |           | (``world``, ``students``, ``simulator``, ``hour_price``   |
    |                |           | (default 0 here), ``outcome_model``, ``shaping``...)      |

    ``gym.make("studentgym/Class-v0", n_students=..., capacity_hours=...)`` passes them.

    ## Version History

    - v0: initial version.
    """

    metadata: ClassVar[dict] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        n_students: int = 100,
        capacity_hours: float = 10.0,
        action_mode: str = "assign",
        render_mode: str | None = None,
        **tutoring,
    ) -> None:
        check_render_mode(render_mode, self.metadata)
        if int(n_students) < 1:
            raise ValueError(f"n_students must be >= 1, got {n_students}")
        if not capacity_hours >= 0:
            raise ValueError(f"capacity_hours must be >= 0 (inf: no limit), got {capacity_hours}")
        if action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, got {action_mode!r}")
        if "autoreset_mode" in tutoring:  # a class ends together: students are not replaced
            raise ValueError("ClassEnv takes no autoreset_mode")
        self.n_students, self.capacity_hours = int(n_students), float(capacity_hours)
        self.action_mode, self.render_mode = action_mode, render_mode
        tutoring.setdefault("hour_price", CLASS_HOUR_PRICE)
        self.vector_env = TutoringVectorEnv(num_envs=self.n_students, **tutoring)
        self.simulator, self.n_weeks = self.vector_env.simulator, self.vector_env.n_weeks
        single = self.vector_env.single_observation_space
        self.observation_space = spaces.Box(
            np.tile(single.low, self.n_students),
            np.tile(single.high, self.n_students),
            dtype=np.float32,
        )
        if action_mode == "assign":
            self.action_space = spaces.MultiDiscrete(np.full(self.n_students, N_ACTIONS))
        else:
            self.action_space = spaces.Box(
                -SCORE_BOUND, SCORE_BOUND, (self.n_students, N_ACTIONS), dtype=np.float32
            )
        self._cost = np.asarray(COST_HOURS)
        self.slot_seeds: list[int] | None = None
        self._active = np.zeros(self.n_students, dtype=bool)

    @property
    def world_fingerprint(self) -> str:
        """The world's name: see ``StudentSimulator.world_fingerprint``."""
        return self.simulator.world_fingerprint

    @property
    def state(self):
        """The simulator state of the class (``vector_env``'s, the ``TutoringVectorEnv``
        stepping its students; for reference policies that look inside)."""
        return self.vector_env.state

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start a new class; ``options={"students": rows}`` names its cohort positions
        (``{"student_ids": ids}`` by OULAD id).

        Raises:
            ValueError: for a wrong number of students or positions outside the cohort.
        """
        super().reset(seed=seed)
        if seed is not None or self.slot_seeds is None:
            self.slot_seeds = self.np_random.integers(0, 2**31, self.n_students).tolist()
            obs, info = self.vector_env.reset(seed=self.slot_seeds, options=options)
        else:
            obs, info = self.vector_env.reset(options=options)
        n = self.n_students
        self._obs = obs.copy()
        self._active = np.ones(n, dtype=bool)
        self._result = np.full(n, None, dtype=object)
        self._p, self._hours = info["p_success"].copy(), info["cost_hours"].copy()
        self._ids, self._mask = info["student_id"].copy(), info["action_mask"].copy()
        self._week, self._hours_used = int(info["week"][0]), 0.0
        self._served = np.zeros(n, dtype=np.int64)
        zeros = np.zeros(n)
        return self._obs.reshape(-1).copy(), self._info(
            zeros, dict.fromkeys(("outcome", "cost", "shaping"), 0.0)
        )

    def actions_for(self, action) -> np.ndarray:
        """The intervention each student gets for ``action`` (as :meth:`step` decides it).

        Raises:
            ValueError: for an action of the wrong shape or outside the catalogue, or (in
                "assign" mode) one that asks for more hours than the capacity.
        """
        live = self._active
        if self.action_mode == "scores":
            scores = np.asarray(action, dtype=np.float64)
            if scores.shape != (self.n_students, N_ACTIONS) or not np.isfinite(scores).all():
                raise ValueError(
                    f"scores must be finite, shape ({self.n_students}, {N_ACTIONS}), "
                    f"got {scores.shape}"
                )
            allowed = live[:, None] & self._mask.astype(bool)
            return allocate(scores - scores[:, :1], self.capacity_hours, allowed, self._cost)
        actions = np.asarray(action)
        if (
            actions.shape != (self.n_students,)
            or not np.issubdtype(actions.dtype, np.integer)
            or actions.min() < 0
            or actions.max() >= N_ACTIONS
        ):
            raise ValueError(
                f"actions must be {self.n_students} integers in [0, {N_ACTIONS}), got {actions!r}"
            )
        actions = np.where(live, actions, 0).astype(np.int64)
        asked = hours_of(actions, self._cost)
        if asked > self.capacity_hours + TOLERANCE:
            raise ValueError(
                f"the actions ask for {asked:g} tutor hours in week {self._week}; the class "
                f"has {self.capacity_hours:g} (serve fewer students, or use "
                "action_mode='scores' to let the env choose within the hours)"
            )
        return actions

    def step(self, action):
        if not self._active.any():
            raise RuntimeError("the class has finished the course: call reset() before step()")
        actions = self.actions_for(action)
        obs, reward, terminated, truncated, info = self.vector_env.step(actions)
        live = self._active
        n = self.n_students
        self._obs[live] = obs[live]
        self._p[live], self._hours[live] = info["p_success"][live], info["cost_hours"][live]
        ended = live & (terminated | truncated)
        self._result[ended] = info["final_result"][ended]
        self._served = np.where(live & info["delivered"], actions, 0)
        self._hours_used = hours_of(self._served, self._cost)
        self._week = int(info["week"][live][0])
        self._mask = np.where(live[:, None], info["action_mask"], 0).astype(np.int8)
        self._active = live & ~ended
        self._mask[~self._active, 1:] = 0
        student_reward = np.where(live, reward, 0.0)
        parts = {
            k: float(np.sum(np.where(live, v, 0.0)) / n)
            for k, v in info["rewards"].items()
            if not k.startswith("_")
        }
        info = self._info(student_reward, parts)
        return (
            self._obs.reshape(-1).copy(),
            float(student_reward.sum() / n),
            not self._active.any(),
            False,
            info,
        )

    def _info(self, student_reward: np.ndarray, rewards: dict) -> dict:
        return {
            "active": self._active.copy(),
            "p_success": self._p.copy(),
            "served": self._served.copy(),
            "cost_hours": self._hours.copy(),
            "student_reward": student_reward,
            "final_result": self._result.copy(),
            "student_id": self._ids.copy(),
            "action_mask": self._mask.copy(),
            "week": self._week,
            "hours_used": self._hours_used,
            "capacity_hours": self.capacity_hours,
            "rewards": rewards,
        }

    def render(self) -> str | None:
        """ "ansi": the week in one line (enrolled, hours used, mean P(success), served)."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode: make the env with one")
            return None
        if self.slot_seeds is None:
            return None
        counts = np.bincount(self._served, minlength=N_ACTIONS)
        served = ", ".join(
            f"{counts[a]} {CATALOGUE[a].key}" for a in range(1, N_ACTIONS) if counts[a]
        )
        return (
            f"week {self._week:2d}/{self.n_weeks} | {int(self._active.sum())}/{self.n_students} "
            f"enrolled | tutor hours {self._hours_used:.2f}/{self.capacity_hours:g} | "
            f"mean P(success) {self._p[self._active].mean() if self._active.any() else 0:.2f} | "
            f"served: {served or 'nobody'}"
        )

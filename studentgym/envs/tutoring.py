"""TutoringEnv: a Gymnasium environment where a tutor supports one student through a course."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from studentgym.envs.observation import EnvKernel, observation_space
from studentgym.envs.rendering import CourseHistory, draw_course
from studentgym.envs.setup import (
    TutoringParams,
    build_simulator,
    check_render_mode,
    positions_of,
    student_pool,
    world_spec,
)
from studentgym.envs.world import WorldSpec
from studentgym.simulators.counter_rng import episode_scalar
from studentgym.simulators.interventions import CATALOGUE, N_ACTIONS
from studentgym.simulators.reward import (
    HOUR_PRICE,
    cost_reward,
    outcome_reward,
    shaping_reward,
)
from studentgym.simulators.student import (
    DEFAULT_BUDGET_HOURS,
    StudentSimulator,
)

RESULT_PASS, RESULT_FAIL, RESULT_WITHDRAWN = "Pass", "Fail", "Withdrawn"
_NO_REWARDS = {"outcome": 0.0, "cost": 0.0, "shaping": 0.0}


class TutoringEnv(gym.Env):
    """
    ## Description

    A tutor follows one student of an OULAD-like course (Open University Learning
    Analytics Dataset) week by week and may intervene each week: nudge, coach,
    tutor, refer to support or call. Students are sampled from a synthetic cohort;
    how they respond is the simulator's ground truth (``studentgym.simulators.student``):
    an intervention helps most where the student's need in its topic is high, lands
    only if the student is still engaged enough, wears off with repetition and lasts
    a few weeks. Whether the student succeeds is decided at the end of the course by
    the success classifier fitted on the cohort (default) or by the latent model.

    ## Action Space

    ``Discrete(6)``, the intervention catalogue (``studentgym.simulators.interventions``):

    | action | intervention                            | tutor hours |
    |--------|-----------------------------------------|-------------|
    | 0      | no intervention                         | 0           |
    | 1      | study-skills coaching                   | 1.5         |
    | 2      | engagement nudge                        | 0.25        |
    | 3      | assessment practice and tutoring        | 2.0         |
    | 4      | wellbeing or financial support referral | 1.0         |
    | 5      | personal tutor re-engagement call       | 1.0         |

    An action outside ``[0, 6)`` raises ``ValueError``. An intervention that would
    exceed the budget is not delivered and not charged (``info["delivered"]`` is
    False; ``info["action_mask"]`` says which actions are affordable).

    ## Observation Space

    ``Box(20,)`` of float32, what a tutor can see after the weeks so far:

    | index | observation                                         | min | max         |
    |-------|-----------------------------------------------------|-----|-------------|
    | 0     | log(1 + VLE clicks last week)                       | 0   | 12          |
    | 1     | active days last week                               | 0   | 7           |
    | 2     | log(1 + mean clicks per week so far)                | 0   | 12          |
    | 3     | share of days active so far                         | 0   | 1           |
    | 4     | inactivity streak, weeks                            | 0   | n_weeks     |
    | 5     | latest assessment score / 100 (0 if none yet)       | 0   | 1           |
    | 6     | mean assessment score / 100 (0 if none yet)         | 0   | 1           |
    | 7     | assessments missed                                  | 0   | assessments |
    | 8     | share of the course elapsed                         | 0   | 1           |
    | 9-13  | times each intervention 1-5 was delivered           | 0   | n_weeks     |
    | 14    | share of the tutor-hour budget used                 | 0   | 1           |
    | 15    | classifier's P(success) given what is seen          | 0   | 1           |
    | 16    | IMD decile / 9 (0.5 if unknown; 0 most deprived)    | 0   | 1           |
    | 17    | highest prior education / 4 (0 no formal quals)     | 0   | 1           |
    | 18    | previous attempts at the module (capped)            | 0   | 6           |
    | 19    | declared disability                                 | 0   | 1           |

    ## Rewards

    ``outcome + cost + shaping``, each in ``info["rewards"]`` (the formula's one home is
    ``studentgym.simulators.reward``):

    - outcome: at the end, +1 if the student passes (Pass or Distinction), -1 for
      Fail or Withdrawn (given at the step the student withdraws); 0 before. With
      ``outcome_reward="expected"``, ``2 P(success) - 1`` of the judge instead of the
      draw at the course end (-1 at a withdrawal): the same expected return for every
      policy with less noise, for training;
    - cost: ``-hour_price * tutor hours`` of the intervention delivered this step;
    - shaping (``shaping > 0`` only): ``shaping * (gamma * phi(s') - phi(s))`` with
      ``phi = 2 P(success) - 1`` and ``phi = 0`` at the end: potential-based, so it
      leaves the optimal policy unchanged.

    ## Starting State

    A student drawn uniformly from the cohort (or from ``students`` / ``student_ids``;
    or the one ``reset(options={"student": row})`` or ``{"student_id": id}`` names)
    after the first course week (week 0, before any intervention; no one withdraws in it).

    ## Episode End

    - Termination: the course ends (``n_weeks - 1`` steps) or the student withdraws.
    - Truncation: none (the course length bounds every episode).

    Stepping after the end raises ``RuntimeError``; call ``reset()``.

    ## Info

    ``p_success`` (classifier's probability now), ``cost_hours`` (so far),
    ``final_result`` ("Pass", "Fail", "Withdrawn"; None until known), ``student_id``,
    ``week``, ``delivered``, ``action_mask``, ``rewards``.

    ## Arguments

    | argument       | default        | meaning                                                  |
    |----------------|----------------|----------------------------------------------------------|
    | world          | None           | "default", "benchmark" or a ``WorldSpec`` (see below)    |
    | n_students     | 4000           | size of the generated cohort (without ``world``)         |
    | n_weeks        | 39             | course weeks of the generated cohort                     |
    | cohort_seed    | 0              | seed of the generated cohort and of its split            |
    | cohort         | None           | your own ``Cohort`` instead of a world's                 |
    | success_model  | None           | its fitted ``WeeklySuccessModel`` (else fitted on it)    |
    | students       | None           | cohort positions to sample from, or a part of the split: |
    |                |                | "train", "validation" or "evaluation"                    |
    | student_ids    | None           | OULAD ``id_student`` values to sample from instead       |
    | hour_price     | 0.02           | reward units per tutor hour                              |
    | budget_hours   | 10.0           | tutor hours per student for the course                   |
    | outcome_model  | "classifier"   | "classifier" or "ground_truth"                           |
    | shaping        | 0.0            | potential-based shaping scale                            |
    | gamma          | 1.0            | discount in the shaping term                             |
    | outcome_reward | "sampled"      | "sampled" (+-1) or "expected" (2 P(success) - 1)         |
    | render_mode    | None           | "ansi" (a text line) or "rgb_array" (the course so far)  |
    | simulator      | None           | a ready ``StudentSimulator`` (brings its own cohort,     |
    |                |                | classifier, outcome model and budget)                    |

    ``gym.make("studentgym/Tutoring-v0", **kwargs)`` passes them through.

    ## Worlds

    The cohort and its fitted weekly classifier are a *world* (``studentgym.envs.world``),
    built once per machine and loaded from a cache after that. The default is 4,000
    students (seed 0) with the classifier fitted on all of them; ``world="benchmark"`` is
    the world of ``scripts/train_agent.py``: 32,593 students (OULAD's size), classifier
    fitted on the training students only, so ``students="evaluation"`` are unseen.
    ``env.unwrapped.world_fingerprint`` names the world; saved agents record it.

    ## Vectorized environment

    ``TutoringVectorEnv`` (``gym.make_vec(..., vectorization_mode="vector_entry_point")``)
    steps N students in one compiled pass, with identical trajectories to N single envs
    seeded ``seed, seed + 1, ...``.

    ## Version History

    - v0: initial version.
    """

    metadata: ClassVar[dict] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        cohort=None,
        success_model=None,
        n_students: int = 4000,
        n_weeks: int = 39,
        cohort_seed: int = 0,
        students=None,
        hour_price: float = HOUR_PRICE,
        budget_hours: float = DEFAULT_BUDGET_HOURS,
        outcome_model: str = "classifier",
        shaping: float = 0.0,
        gamma: float = 1.0,
        outcome_reward: str = "sampled",
        render_mode: str | None = None,
        simulator: StudentSimulator | None = None,
        world: str | WorldSpec | None = None,
        student_ids=None,
    ) -> None:
        check_render_mode(render_mode, self.metadata)
        spec = world_spec(world, n_students, n_weeks, cohort_seed)
        if simulator is not None:  # a given simulator brings its own outcome model and budget
            outcome_model, budget_hours = simulator.outcome_model, simulator.budget_hours
        self.params = TutoringParams(
            hour_price, budget_hours, outcome_model, shaping, gamma, outcome_reward
        )
        self.simulator = simulator or build_simulator(cohort, success_model, spec, self.params)
        self.pool = student_pool(self.simulator, students, student_ids, spec.cohort_seed)
        self.n_weeks = self.simulator.n_weeks
        self.action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = observation_space(self.n_weeks, self.simulator.n_assessments)
        self._kernel = EnvKernel(self.simulator)
        self._ids = self.simulator.roster.id_student.tolist()
        self.render_mode = render_mode
        self._state = None
        self._base_key = 0
        self._episode = -1
        self._done = True
        self._last: tuple[int, bool] | None = None  # the last action and whether delivered
        # the state's scalars as Python numbers: reading numpy scalars would cost more
        # than the compiled step
        self._week, self._hours, self._student_id = 0, 0.0, None
        self._start_mask = self._mask = self.simulator.action_mask(0.0)  # never written to
        self._action = np.zeros(1, dtype=np.int64)
        self._allow = np.ones(1, dtype=bool)
        # one student stepped many times: the compiled step fills these, not new arrays
        self._out = self._kernel.buffers(1)
        self._history: CourseHistory | None = None

    @property
    def world_fingerprint(self) -> str:
        """The world's name: see ``StudentSimulator.world_fingerprint``."""
        return self.simulator.world_fingerprint

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start the next student; ``options={"student": row}`` picks it by cohort
        position, ``{"student_id": id}`` by OULAD ``id_student``.

        Raises:
            ValueError: if ``options["student"]`` is not a cohort position, or
                ``options["student_id"]`` not an id of the cohort.
        """
        chosen = None if not options else options.get("student")
        if chosen is not None and not 0 <= int(chosen) < self.simulator.n_students:
            raise ValueError(
                f"options['student'] must be a cohort position in "
                f"[0, {self.simulator.n_students}), got {chosen!r}"
            )
        if options and options.get("student_id") is not None:
            chosen = int(positions_of(self.simulator, [options["student_id"]])[0])
        super().reset(seed=seed)
        if seed is not None or self._episode < 0:
            self._base_key = int(self.np_random.integers(0, 2**63))
            self._episode = -1
        self._episode += 1
        key, u = episode_scalar(self._base_key, self._episode)
        row = int(self.pool[int(u * len(self.pool))]) if chosen is None else int(chosen)
        sim = self.simulator
        self._state = s = sim.start_batch(np.array([row]), np.array([key], dtype=np.uint64))
        X, p, obs = self._kernel.observe(s)
        self._p = float(p[0])
        self._done = False
        self._last = None
        self._week, self._hours, self._student_id = int(s.week[0]), 0.0, self._ids[row]
        self._mask = self._start_mask
        if self.render_mode == "rgb_array":
            self._history = CourseHistory(self.n_weeks)
            self._history.record(self._week, X[0], self._p, 0)
        return obs[0], self._info(False, dict(_NO_REWARDS), None)

    def step(self, action):
        if self._done:
            raise RuntimeError("the episode has ended: call reset() before step()")
        self._action[0] = action = _check_action(action)
        sim, s, params = self.simulator, self._state, self.params
        events, X, p, obs = self._kernel.step(s, self._action, self._allow, self._out)
        delivered, cost, withdrew, u_outcome = events[0].tolist()
        delivered = delivered > 0
        self._week += 1  # every step simulates one course week
        if delivered:  # hours and the affordable actions change only now
            self._hours = float(s.hours[0])
            self._mask = sim.action_mask(self._hours)
        p_next, result, p_final = float(p[0]), None, 0.0  # P(success) is 0 after a withdrawal
        if withdrew:
            result = RESULT_WITHDRAWN
        elif self._week >= self.n_weeks:
            p_final = float(sim.final_success(s, p)[0])
            result = RESULT_PASS if u_outcome < p_final else RESULT_FAIL
        terminated = result is not None
        expected = params.outcome_reward == "expected"
        rewards = {
            "outcome": outcome_reward(terminated, result == RESULT_PASS, p_final, expected),
            "cost": cost_reward(cost, params.hour_price),
            "shaping": shaping_reward(terminated, self._p, p_next, params.shaping, params.gamma),
        }
        self._p = p_next
        self._done = terminated
        self._last = (action, delivered)
        if self._history is not None:
            self._history.record(self._week, X[0], p_next, action if delivered else 0)
        reward = float(rewards["outcome"] + rewards["cost"] + rewards["shaping"])
        return obs[0].copy(), reward, terminated, False, self._info(delivered, rewards, result)

    def _info(self, delivered: bool, rewards: dict, result: str | None) -> dict:
        return {
            "p_success": self._p,
            "cost_hours": self._hours,
            "final_result": result,
            "student_id": self._student_id,
            "week": self._week,
            "delivered": delivered,
            "action_mask": self._mask.copy(),
            "rewards": rewards,
        }

    def _last_action(self) -> str:
        """What the tutor did in the last step, for rendering."""
        if self._last is None:
            return "start"
        action, delivered = self._last
        return CATALOGUE[action].name + ("" if delivered or action == 0 else " (refused)")

    def render(self) -> str | np.ndarray | None:
        """ "ansi": a line of text; "rgb_array": ``(400, 600, 3)`` uint8, the course so far."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode: make the env with one")
            return None
        if self._state is None:
            return None
        s, last = self._state, self._last_action()
        student, week, budget = self._student_id, self._week, self.params.budget_hours
        if self.render_mode == "rgb_array":
            title = (
                f"student {student} | week {week}/{self.n_weeks} | "
                f"tutor hours {self._hours:.2f}/{budget:g} | {last}"
            )
            return draw_course(self._history, title)
        score, clicks, days = s.score_last[0], s.clicks_last[0], s.days_last[0]
        score = "-" if score != score else f"{score:.0f}"
        return (
            f"week {week:2d}/{self.n_weeks} | student {student} | "
            f"P(success) {self._p:.2f} | clicks {clicks:5.0f} ({days:.0f} days)"
            f" | last score {score:>3} | tutor hours {self._hours:4.2f}/{budget:g} | {last}"
        )


def _check_action(action) -> int:
    """The action as an int; ValueError for anything outside the catalogue."""
    try:
        value = int(action)
    except (TypeError, ValueError):
        raise ValueError(f"action must be an integer in [0, {N_ACTIONS}), got {action!r}") from None
    if value != action or not 0 <= value < N_ACTIONS:
        raise ValueError(f"action must be an integer in [0, {N_ACTIONS}), got {action!r}")
    return value

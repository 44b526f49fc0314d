"""TutoringVectorEnv: N students stepped in one compiled pass, a native Gymnasium VectorEnv."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from studentgym.envs.observation import EnvKernel, observation_space
from studentgym.envs.setup import (
    TutoringParams,
    build_simulator,
    check_render_mode,
    positions_of,
    student_pool,
    world_spec,
)
from studentgym.envs.world import WorldSpec
from studentgym.simulators.counter_rng import episode_batch
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.reward import HOUR_PRICE, cost_reward, outcome_reward, shaping_reward
from studentgym.simulators.student import DEFAULT_BUDGET_HOURS, StudentSimulator

RESULTS = np.array([None, "Pass", "Fail", "Withdrawn"], dtype=object)


def _masked(info: dict, mask: np.ndarray) -> dict:
    """``info`` with a ``_key`` mask after every key, as Gymnasium's vector envs give it."""
    out = {}
    for key, value in info.items():
        out[key], out[f"_{key}"] = value, mask.copy()
    return out


class TutoringVectorEnv(VectorEnv):
    """``num_envs`` students of :class:`~studentgym.envs.tutoring.TutoringEnv` at once.

    Same spaces (batched), rewards, termination and arguments as ``TutoringEnv``.
    All students advance in one compiled simulator call per step, and one more
    computes their features and the success classifier's score. Autoreset
    follows Gymnasium's default (``AutoresetMode.NEXT_STEP``): the step after a
    student's episode ends returns the next student's first observation, reward 0,
    and ignores that slot's action.

    ``reset(seed=s)`` gives slot ``i`` the same student sequence and trajectories
    as ``TutoringEnv().reset(seed=s + i)``: random numbers are counter-based per
    episode, so they do not depend on the number of slots.

    With ``autoreset_mode=AutoresetMode.SAME_STEP`` (what Stable-Baselines3 expects)
    a finished slot starts its next student in the same step; as in ``SyncVectorEnv``,
    its final observation and info are in ``info["final_obs"]`` and
    ``info["final_info"]`` (slots where ``info["_final_obs"]``).

    ``info`` is laid out as ``SyncVectorEnv`` lays out the infos of ``num_envs``
    ``TutoringEnv``: the same keys, an array over slots per key and a ``_key`` mask
    beside each (``p_success``, ``cost_hours``, ``final_result`` (None until known),
    ``student_id``, ``week``, ``delivered``, ``action_mask`` (``num_envs x 6``) and
    ``rewards``, a dict of ``outcome``, ``cost`` and ``shaping`` arrays), so code moves
    between the two unchanged.
    """

    metadata: ClassVar[dict] = {
        "render_modes": ["ansi"],
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }
    # an instance built with autoreset_mode=SAME_STEP declares it in its own metadata

    def __init__(
        self,
        num_envs: int = 64,
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
        max_episode_steps: int | None = None,
        simulator: StudentSimulator | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        world: str | WorldSpec | None = None,
        student_ids=None,
    ) -> None:
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        check_render_mode(render_mode, self.metadata)
        spec = world_spec(world, n_students, n_weeks, cohort_seed)
        self.num_envs = int(num_envs)
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        if self.autoreset_mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError("autoreset_mode must be NEXT_STEP or SAME_STEP")
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        if simulator is not None:  # a given simulator brings its own outcome model and budget
            outcome_model, budget_hours = simulator.outcome_model, simulator.budget_hours
        self.params = TutoringParams(
            hour_price, budget_hours, outcome_model, shaping, gamma, outcome_reward
        )
        self.simulator = simulator or build_simulator(cohort, success_model, spec, self.params)
        self.pool = student_pool(self.simulator, students, student_ids, spec.cohort_seed)
        self.n_weeks = self.simulator.n_weeks
        # the course bounds every episode; a shorter limit truncates (make_vec passes it)
        self.max_episode_steps = max_episode_steps
        self.render_mode = render_mode
        self.single_action_space = spaces.Discrete(N_ACTIONS)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = observation_space(
            self.n_weeks, self.simulator.n_assessments
        )
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._kernel = EnvKernel(self.simulator)
        self._ids = self.simulator.roster.id_student
        self._state = None
        self._bases = np.zeros(self.num_envs, dtype=np.uint64)
        self._episodes = np.full(self.num_envs, -1, dtype=np.int64)
        self._autoreset = np.zeros(self.num_envs, dtype=bool)
        self._steps = np.zeros(self.num_envs, dtype=np.int64)

    @property
    def world_fingerprint(self) -> str:
        """The world's name: see ``StudentSimulator.world_fingerprint``."""
        return self.simulator.world_fingerprint

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        """Start a new student in every slot; ``seed`` seeds slot ``i`` with ``seed + i``.

        ``options={"students": rows}`` (``num_envs`` cohort positions) starts slot ``i``
        with student ``rows[i]`` instead of a draw from the pool, e.g. to evaluate
        distinct students; ``{"student_ids": ids}`` does the same by ``id_student``. The
        random numbers are the same either way, and later episodes draw from the pool.

        Raises:
            ValueError: for a wrong number of seeds or students, or students outside
                the cohort.
        """
        students = None
        if options and options.get("student_ids") is not None:
            options = {"students": positions_of(self.simulator, options["student_ids"])}
        if options and options.get("students") is not None:
            students = np.asarray(options["students"], dtype=np.int64)
            n = self.simulator.n_students
            if students.shape != (self.num_envs,) or students.min() < 0 or students.max() >= n:
                raise ValueError(
                    f"options['students'] must be {self.num_envs} cohort positions in [0, {n})"
                )
        if seed is not None or self._state is None:
            if seed is None:
                seed = int(seeding.np_random()[0].integers(0, 2**31))
            seeds = (
                list(seed)
                if isinstance(seed, list | tuple)
                else [int(seed) + i for i in range(self.num_envs)]
            )
            if len(seeds) != self.num_envs:
                raise ValueError(f"need {self.num_envs} seeds, got {len(seeds)}")
            self._np_random, self._np_random_seed = seeding.np_random(seeds[0])
            # each slot's key stream is what TutoringEnv.reset(seed=seed_i) draws
            self._bases = np.array(
                [seeding.np_random(s)[0].integers(0, 2**63) for s in seeds], dtype=np.uint64
            )
            self._episodes[:] = -1
        rows, keys = self._next_episodes(np.ones(self.num_envs, dtype=bool))
        self._state = self.simulator.start_batch(rows if students is None else students, keys)
        self._autoreset[:] = False
        self._steps[:] = 0
        _, self._p, obs = self._kernel.observe(self._state)
        zeros = np.zeros(self.num_envs)
        return obs, self._info(
            np.zeros(self.num_envs, dtype=bool),
            zeros,
            zeros,
            zeros,
            np.zeros(self.num_envs, dtype=np.int64),
        )

    @property
    def state(self):
        """The simulator state of the students in the slots (None before ``reset``).

        For reference policies that may look inside (the ground-truth oracle, the
        rule matrix that needs all features); a learning agent sees only observations.
        """
        return self._state

    def _next_episodes(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cohort rows and keys of the next episode of the slots in ``mask``."""
        self._episodes[mask] += 1
        return self._episode_students(mask, self._episodes[mask])

    def _episode_students(self, mask: np.ndarray, episodes: np.ndarray):
        """Cohort rows and keys of episode number ``episodes`` of the slots in ``mask``."""
        keys, u = episode_batch(self._bases[mask], episodes)
        return self.pool[(u * len(self.pool)).astype(np.int64)], keys

    def _checked(self, actions) -> np.ndarray:
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(f"actions must be {self.num_envs} integers, got {actions!r}")
        if actions.min() < 0 or actions.max() >= N_ACTIONS:
            raise ValueError(f"actions must lie in [0, {N_ACTIONS}), got {actions!r}")
        return actions.astype(np.int64)

    def _week(self, s, actions: np.ndarray, resetting: np.ndarray) -> dict[str, np.ndarray]:
        """Run one week of ``s`` (the slots' state or a copy) under ``actions``: the
        transition's observation, reward parts, result and termination. Slots in
        ``resetting`` hold a new student and run its week 0 (no action, no reward)."""
        sim = self.simulator
        actions = np.where(resetting, 0, actions)
        # restarting slots run their week 0 in the same pass (no action, no withdrawal)
        events, _, p_next, obs = self._kernel.step(s, actions, ~resetting)
        withdrew, u_outcome = events[:, 2] > 0, events[:, 3]
        completed = ~withdrew & (s.week >= self.n_weeks)
        p_final = np.where(completed, sim.final_success(s, p_next), 0.0)
        passed = completed & (u_outcome < p_final)
        result = np.where(withdrew, 3, np.where(completed, np.where(passed, 1, 2), 0))
        terminated = result > 0
        params = self.params
        shaping = shaping_reward(terminated, self._p, p_next, params.shaping, params.gamma)
        shaping[resetting] = 0.0
        outcome = outcome_reward(terminated, passed, p_final, params.outcome_reward == "expected")
        cost_part = cost_reward(events[:, 1], params.hour_price)
        steps = np.where(resetting, 0, self._steps + 1)
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.max_episode_steps is not None:
            truncated = ~terminated & (steps >= self.max_episode_steps)
        return {
            "obs": obs,
            "p_next": p_next,
            "delivered": events[:, 0] > 0,
            "outcome": outcome,
            "cost_part": cost_part,
            "shaping": shaping,
            "reward": outcome + cost_part + shaping,
            "result": result,
            "terminated": terminated,
            "truncated": truncated,
            "steps": steps,
        }

    def lookahead(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What :meth:`step` would return for each action, without taking any.

        The simulator as a generative model: from the slots' current students, every
        action is tried for one week with the random numbers the real step will use
        (common random numbers), so the six outcomes of a slot differ only by what the
        actions do, and ``step(a)`` afterwards returns row ``a`` exactly. The env's
        state does not change.

        Returns:
            ``(obs, reward, terminated, truncated)`` of shapes ``(num_envs, 6, 20)`` and
            ``(num_envs, 6)``, actions in catalogue order. ``obs`` is the observation
            after the week (the final one where the episode ends, in either autoreset
            mode). A slot whose next step is a NEXT_STEP autoreset ignores its action:
            its six rows are the reset's (the next student's first observation, reward 0).

        Raises:
            RuntimeError: before :meth:`reset`.
        """
        if self._state is None:
            raise RuntimeError("call reset() before lookahead()")
        resetting = self._autoreset
        start = self._state.copy()
        if resetting.any():
            fresh = self._episode_students(resetting, self._episodes[resetting] + 1)
            start.put(resetting, self.simulator.new_batch(*fresh))
        weeks = [
            self._week(start.copy(), np.full(self.num_envs, action), resetting)
            for action in range(N_ACTIONS)
        ]
        obs, reward, terminated, truncated = (
            np.stack([week[key] for week in weeks], axis=1)
            for key in ("obs", "reward", "terminated", "truncated")
        )
        return obs, reward, terminated, truncated

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        actions = self._checked(actions)
        sim, s = self.simulator, self._state
        resetting = self._autoreset.copy()
        if resetting.any():  # NEXT_STEP autoreset: these slots start a new student now
            s.put(resetting, self.simulator.new_batch(*self._next_episodes(resetting)))
        week = self._week(s, actions, resetting)
        obs, delivered, result = week["obs"], week["delivered"], week["result"]
        outcome, cost_part, shaping = week["outcome"], week["cost_part"], week["shaping"]
        terminated, truncated, reward = week["terminated"], week["truncated"], week["reward"]
        self._steps, self._p = week["steps"], week["p_next"]
        ended = terminated | truncated
        final = None
        if self.autoreset_mode == AutoresetMode.SAME_STEP and ended.any():
            # the finished students' last observation and info go to final_obs and
            # final_info; their slots start the next student now, with its reset info
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(ended):
                final_obs[i] = obs[i].copy()
            final = final_obs, self._info(delivered, outcome, cost_part, shaping, result, ended)
            fresh = sim.start_batch(*self._next_episodes(ended))
            s.put(ended, fresh)
            _, self._p[ended], obs[ended] = self._kernel.observe(fresh)
            self._steps[ended] = 0
            kept = ~ended
            delivered, result = delivered & kept, np.where(kept, result, 0)
            outcome, cost_part, shaping = outcome * kept, cost_part * kept, shaping * kept
        elif self.autoreset_mode == AutoresetMode.NEXT_STEP:
            self._autoreset = ended
        info = self._info(delivered, outcome, cost_part, shaping, result)
        if final is not None:
            info["final_obs"], info["_final_obs"] = final[0], ended
            info["final_info"], info["_final_info"] = final[1], ended.copy()
        return obs, reward, terminated, truncated, info

    def _info(self, delivered, outcome, cost_part, shaping, result, mask=None) -> dict:
        """The info of the slots, keys and ``_key`` masks as ``SyncVectorEnv`` gives them
        (``mask``: the slots that have it; all by default)."""
        s = self._state
        mask = np.ones(self.num_envs, dtype=bool) if mask is None else mask
        rewards = _masked({"outcome": outcome, "cost": cost_part, "shaping": shaping}, mask)
        return _masked(
            {
                "p_success": self._p.copy(),
                "cost_hours": s.hours.copy(),
                "final_result": RESULTS[result],
                "student_id": self._ids[s.row],
                "week": s.week.copy(),
                "delivered": delivered,
                "action_mask": self.simulator.action_mask(s.hours),
                "rewards": rewards,
            },
            mask,
        )

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self._state is None:
            return None
        s = self._state
        return "\n".join(
            f"[{i}] week {s.week[i]:2d}/{self.n_weeks} | student {self._ids[s.row[i]]} | "
            f"P(success) {self._p[i]:.2f} | tutor hours {s.hours[i]:.2f}"
            for i in range(min(self.num_envs, 8))
        )

"""The agents' benchmark: train Q-learning and a schedule, then judge every policy the same way.

Students are split once (:mod:`studentgym.split`): agents train on the training
students; every policy is evaluated on other students, each slot with the same
student and the same random numbers whatever the policy (common random numbers),
so differences are paired. :class:`Judge` does that evaluation, against doing
nothing, for the learning curves, the tuning of baselines and the final tables.

Training uses two variance reductions that leave the optimal policy unchanged:
potential-based shaping on the classifier's P(success) (Ng et al., 1999) and the
expected outcome ``2 P(success) - 1`` at the course end instead of the +-1 draw.
Evaluation always uses the env's real reward (the drawn outcome, no shaping).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from studentgym.agents.evaluation import paired_interval, paired_value, rollout
from studentgym.agents.policies import FixedSchedule, NoIntervention, TabularPolicy
from studentgym.agents.qlearning import QLearningAgent
from studentgym.agents.tuning import search_schedule
from studentgym.envs.tabular import N_STATES, TabularVectorObservation
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.reward import HOUR_PRICE
from studentgym.simulators.student import StudentSimulator

TRAINING_ENV = {"shaping": 1.0, "outcome_reward": "expected"}
"""What the learners train on (see the module docstring); gamma is the learner's own."""


class Judge:
    """Paired evaluation on fixed held-out students against doing nothing.

    Args:
        simulator: the env's simulator (its outcome model is the judge).
        students: cohort positions the evaluated students are chosen from.
        n_slots: students evaluated, distinct, one episode each.
        seed: chooses the students and seeds the env (the common random numbers).
        hour_price: reward units per tutor hour.

    Attributes:
        slots: the cohort positions evaluated, one per slot.
        baseline: the return of doing nothing in each slot.

    Raises:
        ValueError: if ``n_slots`` is not in ``[1, len(students)]``.
    """

    def __init__(
        self,
        simulator: StudentSimulator,
        students: np.ndarray,
        n_slots: int,
        seed: int = 0,
        hour_price: float = HOUR_PRICE,
    ) -> None:
        students = np.unique(np.asarray(students, dtype=np.int64))
        if not 1 <= n_slots <= len(students):
            raise ValueError(
                f"n_slots must be in [1, {len(students)}] (distinct students), got {n_slots}"
            )
        self.simulator, self.n_slots = simulator, int(n_slots)
        self.seed, self.hour_price = seed, hour_price
        chosen = np.random.default_rng(seed).choice(students, self.n_slots, replace=False)
        self.slots = np.sort(chosen)
        self.baseline = self.rollout(NoIntervention())["return"].to_numpy()

    def make_env(self) -> TutoringVectorEnv:
        return TutoringVectorEnv(
            num_envs=self.n_slots,
            students=self.slots,
            simulator=self.simulator,
            hour_price=self.hour_price,
        )

    def __call__(self, policy) -> tuple[float, float, float]:
        """Mean return minus doing nothing, with a 95% interval."""
        return paired_value(policy, self.make_env, self.baseline, self.seed, self.slots)

    def rollout(self, policy) -> pd.DataFrame:
        """The per-student :func:`rollout` frame of ``policy`` on these slots."""
        return rollout(policy, self.make_env, self.seed, self.slots)

    def compare(self, frame: pd.DataFrame) -> tuple[float, float, float]:
        """What calling the judge returns, from a frame :meth:`rollout` already made."""
        return paired_interval(frame["return"].to_numpy(), self.baseline)


@dataclass
class QLearningRun:
    """A trained tabular agent and its learning curve (greedy value vs episodes)."""

    agent: QLearningAgent
    curve: pd.DataFrame


def train_qlearning(
    simulator: StudentSimulator,
    students: np.ndarray,
    episodes: int,
    judge: Callable,
    initial_q: np.ndarray | None = None,
    n_envs: int = 1024,
    curve_points: int = 15,
    seed: int = 0,
    hour_price: float = HOUR_PRICE,
    progress: Callable | None = None,
    **agent_kwargs,
) -> QLearningRun:
    """Q-learning on the tabular view of ``n_envs`` students at a time.

    Args:
        simulator, students: the training env's simulator and students.
        episodes: training episodes (students taught).
        judge: ``(policy) -> (value, low, high)`` of the greedy policy, called
            ``curve_points`` times during training and once before.
        initial_q: the starting table (zeros if None), e.g. the recommender's priors.
        progress: optional ``(new_episodes)`` callback, e.g. a progress bar's update.
        agent_kwargs: passed to :class:`QLearningAgent`. Defaults: gamma 1 (the
            undiscounted course, matching the shaping's gamma), exploration over the
            first 10% of episodes, learning rate ``1 / visits`` (each value the mean of
            its targets).

    Every visited state's six actions are updated from the env's one-week lookahead
    (``QLearningAgent.learn(all_actions=True)``), so each step simulates the week seven
    times (six tries and the step taken); ``episodes`` counts students taught. The
    defaults were chosen on validation students (ground truth, eight seeds, 50,000
    episodes): with 1,024 students at a time the greedy policy settles on a plan worth
    +0.090 to +0.111 over doing nothing (mean +0.104); with 256, the table, updated
    after fewer students each time, locked into a worse plan in some seeds (+0.047 to
    +0.109 at 100,000 episodes), and ``visits ** -0.7`` left the policy moving by
    +-0.03 between checkpoints. With ``1 / visits`` the final result's signal fades as
    it is passed back over the course's weeks (early targets bootstrapped from values
    that knew nothing stay in every average), so the first weeks' choices follow the
    shaping, the classifier's P(success) a week later: trained in the ground truth the
    table differs from the classifier-trained one by +0.08 at week 37 and by 0.0002 at
    week 30, and its greedy plan is the same.
    """
    agent_kwargs = {
        "gamma": 1.0,
        "exploration_fraction": 0.1,
        "lr_power": 1.0,
        "lr_min": 0.0,
        **agent_kwargs,
    }
    env = TabularVectorObservation(
        TutoringVectorEnv(
            num_envs=n_envs,
            students=students,
            simulator=simulator,
            hour_price=hour_price,
            gamma=agent_kwargs["gamma"],
            **TRAINING_ENV,
        )
    )
    agent = QLearningAgent(N_STATES, N_ACTIONS, initial_q=initial_q, seed=seed, **agent_kwargs)
    rows: list[dict[str, float]] = []

    def record(learner: QLearningAgent, done: int) -> None:
        value, low, high = judge(TabularPolicy(learner.q_table_.copy()))
        rows.append({"episodes": done, "value": value, "ci_low": low, "ci_high": high})

    every = max(episodes // max(curve_points, 1), 1)
    agent.learn(
        env, episodes, progress=progress, callback=record, callback_every=every, all_actions=True
    )
    return QLearningRun(agent, pd.DataFrame(rows))


@dataclass
class ScheduleRun:
    """A schedule learned by policy search and its learning curve (value vs episodes)."""

    policy: FixedSchedule
    curve: pd.DataFrame


def learn_schedule(
    simulator: StudentSimulator,
    students: np.ndarray,
    judge: Callable,
    n_students: int = 4_000,
    seed: int = 0,
    hour_price: float = HOUR_PRICE,
) -> ScheduleRun:
    """The best fixed schedule for ``students`` in ``simulator``, by policy search.

    PEGASUS-style (Ng and Jordan, 2000): ``n_students`` training students, drawn by
    ``seed``, each with random numbers fixed once, so every candidate schedule meets the
    same students and the same chance events and two candidates differ only by what they
    do. :func:`~studentgym.agents.tuning.search_schedule` then adds one intervention week
    by week while that beats doing nothing more. It reads nothing about the student
    (and nothing of the ground truth unless ``simulator`` is it): the learner that tests
    whether a sequence learned in the training world beats what value-based agents find.

    Args:
        simulator, students: the training world and the students it may simulate.
        judge: ``(policy) -> (value, low, high)`` on validation students, for the curve.
        n_students: training students simulated per candidate (at most all of them).
        seed: chooses the students and their random numbers.

    Returns:
        The schedule, and its curve: the validation value after each week the search
        added (the empty schedule first), with ``episodes`` the training episodes
        simulated by then (every candidate tried runs all ``n_students``).
    """
    students = np.unique(np.asarray(students, dtype=np.int64))
    trainer = Judge(simulator, students, min(n_students, len(students)), seed, hour_price)
    plan, trials = search_schedule(trainer, simulator.n_weeks)
    # a candidate is one rollout of the training students; the first is doing nothing,
    # which is the judge's reference (worth 0 by definition)
    tried_by_week = trials.groupby("week").size().cumsum()
    weeks = sorted(plan)
    rows = [{"episodes": 0, "value": 0.0, "ci_low": 0.0, "ci_high": 0.0}]
    for k in range(1, len(weeks) + 1):
        partial = FixedSchedule({week: plan[week] for week in weeks[:k]}, simulator.n_weeks)
        value, low, high = judge(partial)
        episodes = (1 + tried_by_week[weeks[k - 1]]) * trainer.n_slots
        rows.append({"episodes": episodes, "value": value, "ci_low": low, "ci_high": high})
    return ScheduleRun(FixedSchedule(plan, simulator.n_weeks), pd.DataFrame(rows))


def episodes_to_fraction(curve: pd.DataFrame, fraction: float = 0.95) -> float:
    """First ``episodes`` at which the curve's value reaches ``fraction`` of its final value.

    NaN if the final value is not above 0 (no gain over doing nothing to reach).
    """
    final = float(curve["value"].iloc[-1])
    if not final > 0:
        return float("nan")
    reached = curve.loc[curve["value"] >= fraction * final, "episodes"]
    return float(reached.iloc[0])


def early_value(curve: pd.DataFrame, share: float = 0.25) -> float:
    """Mean value of the curve's points in the first ``share`` of training (episode 0 included)."""
    last = curve["episodes"].max()
    return float(curve.loc[curve["episodes"] <= share * last, "value"].mean())

"""Learning whom to help under a weekly capacity: Q-learning per student, acting by an index.

The restless-bandit recipe (Whittle 1988; Hawkins 2003; Killian, Biswas, Shah & Tambe,
KDD 2021, "Q-learning Lagrange policies for multi-action restless bandits"; Avrachenkov
& Borkar 2022): every student is an arm with its own state, one table ``Q(s, a)`` over a
per-student view (:mod:`studentgym.envs.targeting_view`: course phase, risk,
engagement, what was given) is shared by all of them, and each week the class is served
by the index ``(Q(s, a) - Q(s, none)) / hours(a)``, highest first, until the hours run
out (:func:`studentgym.envs.allocation.allocate`). With rewards charged ``lambda`` per
tutor hour, lambda is the Lagrange multiplier of the capacity.

How the table learns (:func:`train_targeting`): it is trained where it will act, in a
class env (:class:`~studentgym.envs.classroom.ClassEnv`) at the capacity it is for, on
training students in the classifier simulator, the class served each week by the
table's own index (epsilon-greedy per student). Every live student's six actions are
updated each week from the env's one-week lookahead, as the tabular agent of the single
env is (:mod:`studentgym.agents.qlearning`), so ``Q(s, none)`` is what a student in
``s`` is worth when the help that follows is as scarce as it will be. The Lagrangian
decoupling instead learns each student's table alone in the single env at a price and
tunes the price until the hours match the capacity; trained in the class, the
allocation spends exactly the capacity each week, which is that condition, and the price
defaults to the class's (0: the hours are paid for). Why, measured: the results file
(``python scripts/train_agent.py``'s ``capacity_benchmark.csv`` and ``summary.md``) and
the README's section on the class env.

The table starts from the hybrid recommender's predicted benefits
(:func:`targeting_priors`): with ``1 / visits`` steps the first update of a pair replaces
its prior, so the priors act where the training never went.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from studentgym.agents.benchmark import TRAINING_ENV
from studentgym.agents.qlearning import QLearningAgent
from studentgym.envs.classroom import CLASS_HOUR_PRICE, ClassEnv
from studentgym.envs.observation import OBSERVATION_NAMES
from studentgym.envs.targeting_view import (
    N_ENGAGEMENT,
    N_RISK,
    N_TARGETING_STATES,
    state_parts,
    targeting_state,
)
from studentgym.recommenders.hybrid import HybridRecommender
from studentgym.recommenders.response import snapshot_inputs
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.simulators.student import StudentSimulator

CLASS_SIZE = 1024
"""Students per training class."""


class IndexPolicy:
    """Values ``Q(s, a) - Q(s, none)`` of a table over the targeting view, for every
    student of a class: served by value per hour, they are the Lagrangian index.

    Raises:
        ValueError: for a table that is not ``(N_TARGETING_STATES, 6)``.
    """

    def __init__(self, q_table: np.ndarray) -> None:
        self.q_table = np.asarray(q_table, dtype=float)
        if self.q_table.shape != (N_TARGETING_STATES, N_ACTIONS):
            raise ValueError(
                f"a targeting Q-table must be ({N_TARGETING_STATES}, {N_ACTIONS}), "
                f"got {self.q_table.shape}"
            )

    def values(self, obs: np.ndarray, info: dict) -> np.ndarray:
        states = targeting_state(np.asarray(obs).reshape(-1, len(OBSERVATION_NAMES)))
        q = self.q_table[states]
        return q - q[:, :1]


def targeting_priors(hybrid: HybridRecommender, snap) -> np.ndarray:
    """``(N_TARGETING_STATES, 6)`` initial table: in every state, the hybrid's predicted
    benefit of each intervention over none (its response model, reward units), averaged
    over the training students of the snapshot ``snap`` with the state's risk and
    engagement (all of them where none has); 0 for doing nothing.

    Raises:
        ValueError: if the hybrid was not fitted on a trial's responses.
    """
    if hybrid.response_ is None:
        raise ValueError("targeting priors need a hybrid fitted on a trial's responses")
    benefits = hybrid.response_.benefits(snapshot_inputs(snap))
    obs = np.zeros((len(snap.rows), len(OBSERVATION_NAMES)))
    obs[:, OBSERVATION_NAMES.index("p_success")] = snap.p_success
    obs[:, OBSERVATION_NAMES.index("active_days_last_week")] = snap.features[
        "active_days_last_week"
    ].to_numpy()
    _, risk, engagement, _ = state_parts(targeting_state(obs))
    cell = risk * N_ENGAGEMENT + engagement
    total = np.zeros((N_RISK * N_ENGAGEMENT, N_ACTIONS - 1))
    np.add.at(total, cell, benefits)
    counts = np.bincount(cell, minlength=len(total))[:, None]
    means = np.where(counts > 0, total / np.maximum(counts, 1), benefits.mean(axis=0))
    _, risk, engagement, _ = state_parts(np.arange(N_TARGETING_STATES))
    q = np.zeros((N_TARGETING_STATES, N_ACTIONS))
    q[:, 1:] = means[risk * N_ENGAGEMENT + engagement]
    return q


@dataclass
class TargetingRun:
    """A table trained for one capacity and its learning curve (validation value vs
    students taught)."""

    agent: QLearningAgent
    capacity: float
    curve: pd.DataFrame

    @property
    def policy(self) -> IndexPolicy:
        return IndexPolicy(self.agent.q_table_)


def train_targeting(
    simulator: StudentSimulator,
    students: np.ndarray,
    capacity: float,
    students_taught: int,
    judge: Callable | None = None,
    initial_q: np.ndarray | None = None,
    class_size: int = CLASS_SIZE,
    hour_price: float = CLASS_HOUR_PRICE,
    curve_points: int = 4,
    seed: int = 0,
) -> TargetingRun:
    """Train a targeting table in classes at ``capacity`` tutor hours per student-week.

    Args:
        simulator, students: the training world and the cohort positions classes are
            drawn from.
        capacity: tutor hours per student-week (``inf``: no limit).
        students_taught: students whose course trains the table (whole classes of
            ``class_size``, at least one).
        judge: ``(policy) -> (value, low, high)`` of an :class:`IndexPolicy` on
            validation classes at this capacity, called before training and
            ``curve_points`` times during it (None: no curve).
        initial_q: the starting table (zeros if None), e.g. :func:`targeting_priors`.
        class_size: students per training class.
        hour_price: reward units per tutor hour (the Lagrange multiplier).
        seed: seed of the classes and of exploration.

    Raises:
        ValueError: for ``students_taught`` below 1 or a negative capacity.
    """
    if students_taught < 1:
        raise ValueError(f"students_taught must be >= 1, got {students_taught}")
    env = ClassEnv(
        class_size,
        capacity * class_size,
        action_mode="scores",
        simulator=simulator,
        students=students,
        hour_price=hour_price,
        gamma=1.0,
        **TRAINING_ENV,
    )
    agent = QLearningAgent(
        N_TARGETING_STATES,
        N_ACTIONS,
        gamma=1.0,
        exploration_fraction=0.1,
        lr_power=1.0,
        lr_min=0.0,
        initial_q=initial_q,
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    classes = -(-students_taught // class_size)
    marks = set(np.linspace(0, classes, curve_points + 1).round().astype(int).tolist())
    rows = []
    for k in range(classes + 1):
        if judge is not None and k in marks:
            value, low, high = judge(IndexPolicy(agent.q_table_.copy()))
            rows.append(
                {"episodes": k * class_size, "value": value, "ci_low": low, "ci_high": high}
            )
        if k == classes:
            break
        _teach_class(agent, env, int(rng.integers(2**31)), agent.epsilon(k, classes), rng)
    return TargetingRun(agent, capacity, pd.DataFrame(rows))


def _teach_class(agent: QLearningAgent, env: ClassEnv, seed: int, epsilon: float, rng) -> None:
    """One course of a class: each week, all six actions of every live student updated
    from the lookahead, then the class served by the index (random scores for a student
    with probability ``epsilon``)."""
    obs, info = env.reset(seed=seed)
    n, done = env.n_students, False
    while not done:
        live = np.flatnonzero(info["active"])
        states = targeting_state(obs.reshape(n, -1))
        tried, rewards, terminated, _ = env.vector_env.lookahead()
        agent.update(
            np.repeat(states[live], N_ACTIONS),
            np.tile(np.arange(N_ACTIONS), len(live)),
            rewards[live].ravel(),
            targeting_state(tried[live]).ravel(),
            terminated[live].ravel(),
        )
        q = agent.q_table_[states]
        scores = np.where(rng.random((n, 1)) < epsilon, rng.random((n, N_ACTIONS)), q - q[:, :1])
        obs, _, done, _, info = env.step(scores)

"""The settings of a benchmark run: one frozen dataclass, documented field by field."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from studentgym.simulators.config import CohortConfig, FrozenDict
from studentgym.simulators.interventions import CATALOGUE
from studentgym.simulators.student import OUTCOME_MODELS
from studentgym.simulators.variants import DEFAULT, student_model

BASELINE = "recommender"
"""The tuned one-off recommendation every policy is compared with."""
NONE = "no_intervention"
VERDICT_JUDGE = "ground_truth"
"""Who decides the verdicts: what happens to the students, not what the classifier believes."""
NOT_TRAINED = "-"
"""``trained_on`` of the reference policies, which learn nothing from a simulator."""
REFERENCE_ONLY = ("oracle",)
"""Policies that see the ground truth and the future: references, never deployable."""
SCHEDULE = "best_schedule"
"""The best fixed schedule: the same interventions in the same weeks for every student."""
RULE = "rule_based"
"""The tuned rule matrix: the hand-written table educators use."""
COMPARED = (NONE, BASELINE, RULE, SCHEDULE)
"""What every policy is compared with, each comparison Holm-adjusted over the policies:
doing nothing, the tuned one-off recommendation, the tuned rule matrix, and the schedule
that uses nothing about the student (the test of whether personalising pays)."""


def describe_plan(plan: dict[int, int]) -> str:
    """A schedule in words, e.g. ``"week 1 support_referral, week 2 tutor_call"``."""
    if not plan:
        return "nothing"
    return ", ".join(
        f"week {week} {CATALOGUE[action].key}" for week, action in sorted(plan.items())
    )


@dataclass(frozen=True)
class Settings:
    """Everything that determines a run of :func:`studentgym.experiment.run`.

    The same settings give the same tables on the same machine (see the README for
    what differs across machines). ``Settings()`` is the default run of
    ``scripts/train_agent.py``; :meth:`quick` the ``--quick`` one.
    """

    seed: int = 0
    """Seed of the whole run: cohort, split, recommenders, evaluation; training seed
    ``k`` of a learned agent is ``seed + k``."""
    students: int = CohortConfig.n_students
    """Students in the generated cohort (OULAD's 32,593 registrations)."""
    data: str | None = None
    """A folder with OULAD's seven CSVs: the predictors run on the real tables and the
    env simulates the real students (latent traits from synthetic twins)."""
    student_model: str = DEFAULT
    """The ground truth the whole run happens in: a name of
    :data:`studentgym.simulators.variants.STUDENT_MODELS` (its response to interventions
    drives every simulator; its population, the evaluation students)."""
    training_seeds: int = 3
    """Independent trainings of every learned agent; DQN's are its ensemble's members."""
    train_on: tuple[str, ...] = OUTCOME_MODELS
    """Worlds the agents are trained in, each judged by both judges. The first is
    the default agent: ``"classifier"`` (the simulator built from data, all an
    institution has before deployment)."""
    episodes: int = 50_000
    """Q-learning episodes (students taught) per training seed."""
    schedule_students: int = 4_000
    """Training students the learned schedule's search tries every candidate on, each with
    the same random numbers for every candidate; training seed ``k`` draws them."""
    dqn_steps: int | None = None
    """DQN environment steps per training seed (None: ``n_timesteps`` of
    ``studentgym/hyperparams/dqn.yml``)."""
    dqn: Mapping[str, object] = field(default_factory=FrozenDict)
    """Overrides of ``studentgym/hyperparams/dqn.yml``'s hyperparameters, e.g.
    ``{"learning_rate": 1e-3}`` (checked against the file when the agents are trained)."""
    eval_students: int = 4_000
    """Distinct evaluation students every policy is judged on."""
    validation_students: int = 2_000
    """Distinct validation students the baselines are tuned on and the learning
    curves are drawn on."""
    curve_points: int = 8
    """Evaluations of the greedy policy during each training (plus one before)."""
    recommender_students: int = 2_000
    """Students in the recommenders' fitting group and in their held-out group."""
    trial_replays: int = 64
    """Enrolments of every training student in the recommender's randomised trial (one
    random intervention at the decision week; the hybrid's CF part learns from it)."""
    n_boot: int = 1_000
    """Bootstrap resamples behind every interval."""
    predictor_study: bool = True
    """Run stage 2, the predictor study; nothing later uses it, so sweeps turn it off."""
    predictor_students: int = 3_000
    """Students in the predictor study (model zoo, early prediction, fairness);
    ``scripts/train_predictors.py`` runs the full one."""
    predictor_folds: int = 3
    """Cross-validation folds of the predictor study."""
    predictor_weeks: tuple[int, ...] = (1, 4, 8, 16, 39)
    """Weeks of the early-prediction curve (weeks past the course end are dropped)."""
    early_models: tuple[str, ...] = ("logistic_regression", "random_forest")
    """Models of the early-prediction curve; the zoo compares all seven at the course end
    (``scripts/train_predictors.py`` draws the curve for all of them)."""
    sequence_weeks: tuple[int, ...] = (8,)
    """Weeks at which the GRU sequence model joins the curve (empty: none)."""
    save_cohort: bool = True
    """Write the generated cohort's tables (``cohort/``, 39 MB at OULAD's size)."""
    robustness: tuple[str, ...] = ()
    """Student-model variants every policy of the default training world is also judged
    on (``robustness_matrix.csv``); ``--robustness`` of the script names them all."""
    offline_check: bool = False
    """Add the offline stage: the off-policy estimators checked against the true values of the
    benchmark's policies (``ope_evaluation.csv``); ``--offline-check`` of the script."""
    offline_sizes: tuple[int, ...] = (1_000, 5_000, 20_000)
    """Logged students per log in the offline check; each divides the largest."""
    offline_logs: int = 4
    """Logging runs of the largest size in the offline check (cut into smaller logs)."""
    logging_epsilon: float = 0.1
    """The logging policy's exploration: the tuned rule matrix, with a uniformly random
    intervention (or none) instead in this share of student-weeks."""
    capacity_study: bool = True
    """Run the capacity stage: classes sharing a weekly number of tutor hours, every
    targeting policy and the learned index policy at each of ``capacities``."""
    capacities: tuple[float, ...] = (0.02, 0.05, 0.1, 0.25, math.inf)
    """Weekly tutor hours per student of the capacity stage (``inf``: no limit)."""
    class_size: int = 500
    """Students per class in the capacity stage; the evaluation and validation students
    are cut into classes of this size."""
    targeting_students: int = 8_192
    """Training students (in classes of 1,024) whose courses train each learned targeting
    table, per capacity and training seed."""
    oracle_draws: int = 2
    """Independent futures per student and week behind the latent-state oracle's values."""

    def __post_init__(self) -> None:
        for name in (
            "students",
            "training_seeds",
            "episodes",
            "schedule_students",
            "eval_students",
            "validation_students",
            "recommender_students",
            "trial_replays",
            "n_boot",
            "predictor_students",
            "offline_logs",
            "class_size",
            "targeting_students",
            "oracle_draws",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.dqn_steps is not None and self.dqn_steps < 1:
            raise ValueError(f"dqn_steps must be >= 1, got {self.dqn_steps}")
        largest = max(self.offline_sizes, default=0)
        if min(self.offline_sizes, default=0) < 2 or any(largest % n for n in self.offline_sizes):
            raise ValueError(
                f"offline_sizes must be >= 2 and divide the largest, got {self.offline_sizes}"
            )
        if not 0 < self.logging_epsilon <= 1:
            raise ValueError(f"logging_epsilon must be in (0, 1], got {self.logging_epsilon}")
        if self.capacity_study:
            if not self.capacities or not all(c >= 0 for c in self.capacities):
                raise ValueError(f"capacities must be hours >= 0 (or inf), got {self.capacities}")
            if min(self.eval_students, self.validation_students) < self.class_size:
                raise ValueError(
                    f"class_size ({self.class_size}) must not exceed eval_students "
                    f"({self.eval_students}) or validation_students ({self.validation_students})"
                    " (or turn capacity_study off)"
                )
        if self.predictor_folds < 2:
            raise ValueError(f"predictor_folds must be >= 2, got {self.predictor_folds}")
        for name in (self.student_model, *self.robustness):
            student_model(name)
        if len(set(self.robustness)) != len(self.robustness):
            raise ValueError(f"robustness names a variant twice: {self.robustness}")
        if not all(isinstance(key, str) for key in self.dqn):
            raise ValueError(f"dqn overrides need string keys, got {list(self.dqn)}")
        object.__setattr__(self, "dqn", FrozenDict(self.dqn))
        unknown = set(self.train_on) - set(OUTCOME_MODELS)
        if not self.train_on or unknown:
            raise ValueError(f"train_on must be a non-empty subset of {OUTCOME_MODELS}")

    @classmethod
    def quick(cls, **changes) -> Settings:
        """A run of about a minute: a smaller cohort and fewer of everything."""
        small = {
            "students": 5_000,
            "training_seeds": 2,
            "episodes": 10_000,
            "schedule_students": 1_000,
            "dqn_steps": 10_000,
            "eval_students": 600,
            "validation_students": 300,
            "curve_points": 4,
            "recommender_students": 600,
            "n_boot": 500,
            "predictor_students": 1_000,
            "predictor_weeks": (2, 8, 39),
            "offline_sizes": (500, 2_000),
            "offline_logs": 2,
            "capacities": (0.02, 0.1),
            "class_size": 100,
            "targeting_students": 4_096,
        }
        return cls(**{**small, **changes})

    def replace(self, **changes) -> Settings:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

"""The intervention catalogue: one definition used by the simulator, recommenders, env and reports.

Each topic intervention addresses one of the five learning topics of
:data:`~studentgym.simulators.config.TOPICS`; its ground-truth response parameters
live in :class:`~studentgym.simulators.student.ResponseParams`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Intervention:
    """One action a tutor can take in a week.

    Attributes:
        id: the action index in the environment.
        key: a short identifier.
        name: the name shown in reports.
        topic: the learning topic it addresses (None for no intervention).
        description: what it is; the text the content-based recommender embeds.
        cost_hours: tutor time it takes, in hours.
    """

    id: int
    key: str
    name: str
    topic: str | None
    description: str
    cost_hours: float


CATALOGUE: tuple[Intervention, ...] = (
    Intervention(
        0,
        "none",
        "No intervention",
        None,
        "No action this week; keep monitoring the student's activity.",
        0.0,
    ),
    Intervention(
        1,
        "study_skills",
        "Study-skills coaching",
        "study_habits",
        "Coaching session on study habits: planning, time management, note taking "
        "and regular revision routines.",
        1.5,
    ),
    Intervention(
        2,
        "engagement_nudge",
        "Engagement nudge",
        "engagement",
        "Personalised message nudging the student back to the online learning "
        "environment, with the week's activities and forum discussions.",
        0.25,
    ),
    Intervention(
        3,
        "assessment_practice",
        "Assessment practice and tutoring",
        "assessment_level",
        "Tutoring on weak concepts with practice quizzes and feedback before the next "
        "assessment; exam and assignment preparation.",
        2.0,
    ),
    Intervention(
        4,
        "support_referral",
        "Wellbeing or financial support referral",
        "support_need",
        "Referral to student support services for wellbeing, disability, financial "
        "hardship or personal circumstances.",
        1.0,
    ),
    Intervention(
        5,
        "tutor_call",
        "Personal tutor re-engagement call",
        "activity_level",
        "Personal tutor phone call agreeing a re-engagement plan for a student whose "
        "activity has dropped or who is repeating the module.",
        1.0,
    ),
)
"""No intervention, then one intervention per learning topic, in TOPICS order."""

N_ACTIONS = len(CATALOGUE)
COST_HOURS = tuple(i.cost_hours for i in CATALOGUE)
NAMES = tuple(i.name for i in CATALOGUE)
MARKS = ("", "S", "N", "P", "R", "C")
"""One letter per intervention for figures (none: empty): study skills, nudge, practice,
referral, call."""

"""Simulators: the OULAD-like cohort generator and the ground-truth student model."""

from studentgym.simulators.config import (
    EDUCATION_LEVELS,
    IMD_BANDS,
    RESULTS,
    TOPICS,
    CohortConfig,
    ModuleProfile,
)

__all__ = [
    "EDUCATION_LEVELS",
    "IMD_BANDS",
    "RESULTS",
    "TOPICS",
    "Cohort",
    "CohortConfig",
    "CohortGenerator",
    "ModuleProfile",
]


def __getattr__(name: str):
    # the generator and its tables import pandas: only when asked for, so that an env
    # loading a cached world does not
    if name in ("Cohort", "CohortGenerator"):
        from studentgym.simulators import cohort

        return getattr(cohort, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

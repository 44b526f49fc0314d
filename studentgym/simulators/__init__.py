"""Simulators: the OULAD-like cohort generator and the ground-truth student model."""

from studentgym.simulators.cohort import Cohort, CohortGenerator
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

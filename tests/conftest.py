"""Shared fixtures: one OULAD-sized cohort per test session (about a second)."""

from __future__ import annotations

import pytest

from studentgym.simulators import Cohort, CohortConfig, CohortGenerator


@pytest.fixture(scope="session")
def oulad_cohort() -> Cohort:
    """A full OULAD-sized cohort (32,593 students, 39 weeks) with a fixed seed."""
    return CohortGenerator(CohortConfig(), seed=2024).generate()


@pytest.fixture(scope="session")
def small_cohort() -> Cohort:
    """A small cohort for structural tests."""
    return CohortGenerator(CohortConfig(n_students=600), seed=7).generate()

"""Parameters of the synthetic OULAD-like cohort, in one frozen dataclass.

Every default is grounded in the Open University Learning Analytics Dataset
(OULAD; Kuzilek, Hlosta & Zdrahal 2017): the categorical marginals are OULAD's
percentages of registrations, spelled as OULAD spells the values, and the
per-module offsets were fitted with :func:`studentgym.simulators.calibration.calibrate`
so that each module's final-result split matches OULAD's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd  # annotations only: importing this module needs no pandas

RESULTS = ("Pass", "Withdrawn", "Fail", "Distinction")
"""OULAD's ``final_result`` values."""
OULAD_FINAL_RESULT = {"Pass": 0.3793, "Withdrawn": 0.3116, "Fail": 0.2164, "Distinction": 0.0928}
"""OULAD's share of registrations with each final result (reference/oulad.md)."""

TOPICS = ("study_habits", "engagement", "assessment_level", "support_need", "activity_level")
"""The five learning topics; each student has a need in [0, 1] in each."""

IMD_BANDS = (
    "0-10%",
    "10-20",
    "20-30%",
    "30-40%",
    "40-50%",
    "50-60%",
    "60-70%",
    "70-80%",
    "80-90%",
    "90-100%",
)
"""OULAD's IMD deciles, most deprived first; "10-20" lacks its % sign in OULAD too."""
IMD_DECILE = {band: decile for decile, band in enumerate(IMD_BANDS)}
"""IMD band -> decile index 0 (most deprived) to 9."""

EDUCATION_LEVELS = (
    "No Formal quals",
    "Lower Than A Level",
    "A Level or Equivalent",
    "HE Qualification",
    "Post Graduate Qualification",
)
"""OULAD's ``highest_education`` values, lowest first."""


class FrozenDict(dict):
    """A read-only dict that pickles (a MappingProxyType does not)."""

    def _read_only(self, *args, **kwargs):
        raise TypeError("CohortConfig mappings are read-only; use dataclasses.replace")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


def _frozen(mapping: Mapping) -> FrozenDict:
    return FrozenDict(mapping)


@dataclass(frozen=True)
class ModuleProfile:
    """How one OULAD module differs from the average, on the latent scale.

    Attributes:
        registrations: OULAD's number of registrations, used as the sampling weight.
        withdrawal_offset: added to the logit of every week's withdrawal hazard.
        fail_threshold: completers with performance below it fail (ordinal logit cut).
        distinction_threshold: completers above it get a distinction (> fail_threshold).
    """

    registrations: int
    withdrawal_offset: float
    fail_threshold: float
    distinction_threshold: float


# OULAD registrations and the per-module offsets fitted by calibration.calibrate()
# (defaults of every other field; targets are OULAD's per-module splits).
DEFAULT_MODULES = _frozen(
    {
        "AAA": ModuleProfile(748, -6.672, -2.537, 3.620),
        "BBB": ModuleProfile(7909, -5.842, -0.924, 2.978),
        "CCC": ModuleProfile(4434, -5.179, -0.704, 2.374),
        "DDD": ModuleProfile(6272, -5.569, -0.627, 3.431),
        "EEE": ModuleProfile(2934, -6.154, -1.458, 2.520),
        "FFF": ModuleProfile(7762, -5.799, -0.914, 2.963),
        "GGG": ModuleProfile(2534, -7.106, -1.162, 2.215),
    }
)

MODULE_TARGETS = _frozen(
    {  # OULAD's (Pass, Distinction, Fail, Withdrawn) shares per module
        "AAA": (0.651, 0.059, 0.122, 0.168),
        "BBB": (0.389, 0.086, 0.223, 0.302),
        "CCC": (0.266, 0.112, 0.176, 0.445),
        "DDD": (0.355, 0.061, 0.225, 0.359),
        "EEE": (0.441, 0.121, 0.192, 0.246),
        "FFF": (0.384, 0.086, 0.220, 0.310),
        "GGG": (0.441, 0.156, 0.287, 0.115),
    }
)


@dataclass(frozen=True)
class CohortConfig:
    """Everything that shapes a synthetic cohort; defaults reproduce OULAD.

    Proportions are fractions of registrations and must sum to 1. The latent
    model and its coefficients are documented in :mod:`studentgym.simulators.latent`
    (traits from demographics) and :mod:`studentgym.simulators.dynamics` (weekly
    behaviour, withdrawal and the final result).

    Raises:
        ValueError: on a non-positive size, a negative or non-finite proportion,
            proportions that do not sum to 1, or an inconsistent module profile.
    """

    n_students: int = 32_593
    """Registrations to generate (OULAD has 32,593)."""
    n_weeks: int = 39
    """Course weeks in the presentation (OULAD: 34 to 39)."""

    # --- demographics: OULAD's marginals -------------------------------------------
    gender: Mapping[str, float] = field(default_factory=lambda: _frozen({"M": 0.5484, "F": 0.4516}))
    age_band: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"0-35": 0.7040, "35-55": 0.2894, "55<=": 0.0066})
    )
    highest_education: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "No Formal quals": 0.0106,
                "Lower Than A Level": 0.4037,
                "A Level or Equivalent": 0.4309,
                "HE Qualification": 0.1451,
                "Post Graduate Qualification": 0.0097,
            }
        )
    )
    imd_band: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            dict(
                zip(
                    (*IMD_BANDS, ""),
                    (
                        0.1016,
                        0.1079,
                        0.1121,
                        0.1086,
                        0.0999,
                        0.0958,
                        0.0891,
                        0.0883,
                        0.0847,
                        0.0779,
                        0.0341,
                    ),
                    strict=True,
                )
            )
        )
    )
    """IMD deciles; the key ``""`` is the share with no IMD band (missing in OULAD)."""
    region: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "Scotland": 0.1057,
                "East Anglian Region": 0.1025,
                "London Region": 0.0987,
                "South Region": 0.0949,
                "North Western Region": 0.0892,
                "West Midlands Region": 0.0792,
                "South West Region": 0.0747,
                "East Midlands Region": 0.0726,
                "South East Region": 0.0648,
                "Wales": 0.0640,
                "Yorkshire Region": 0.0615,
                "North Region": 0.0559,
                "Ireland": 0.0363,
            }
        )
    )
    disability_rate: float = 0.0971
    """Share with ``disability == "Y"``."""
    prev_attempts: Mapping[int, float] = field(
        default_factory=lambda: _frozen(
            {0: 0.8720, 1: 0.1012, 2: 0.0207, 3: 0.0044, 4: 0.0012, 5: 0.0004, 6: 0.0001}
        )
    )
    studied_credits: Mapping[int, float] = field(
        default_factory=lambda: _frozen(
            {
                30: 0.125,
                45: 0.010,
                60: 0.500,
                75: 0.010,
                90: 0.085,
                120: 0.190,
                150: 0.030,
                180: 0.027,
                210: 0.010,
                240: 0.010,
                300: 0.002,
                360: 0.0008,
                655: 0.0002,
            }
        )
    )
    """Credits studied in the year; OULAD's are mostly multiples of 30, median 60."""
    code_presentation: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"2013B": 0.1437, "2013J": 0.2714, "2014B": 0.2394, "2014J": 0.3455}
        )
    )
    modules: Mapping[str, ModuleProfile] = field(default_factory=lambda: DEFAULT_MODULES)
    """Per-module sampling weight and latent offsets."""

    # --- weekly dynamics (see dynamics.py for the equations) -------------------------
    motivation_drift: float = -0.02
    """Mean weekly change of motivation (latent units per week)."""
    motivation_volatility: float = 0.20
    """Standard deviation of the weekly motivation shock."""
    early_withdrawal_boost: float = 3.4
    """Extra withdrawal logit in week 0, decaying with ``early_withdrawal_weeks``."""
    early_withdrawal_weeks: float = 2.5
    """e-folding time of the early-withdrawal boost, in weeks."""
    assessments_tma: int = 5
    """Tutor-marked assessments, spread over the presentation."""
    assessments_cma: int = 4
    """Computer-marked assessments, spread over the presentation."""

    def __post_init__(self) -> None:
        for name in ("n_students", "n_weeks", "assessments_tma", "assessments_cma"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"CohortConfig.{name} must be an int, got {value!r}")
        if self.n_students < 1:
            raise ValueError(f"CohortConfig.n_students must be >= 1, got {self.n_students}")
        if not 8 <= self.n_weeks <= 60:
            raise ValueError(f"CohortConfig.n_weeks must be in [8, 60], got {self.n_weeks}")
        if self.assessments_tma < 1 or self.assessments_cma < 0:
            raise ValueError("CohortConfig needs at least one TMA and a non-negative CMA count")
        if self.assessments_tma + self.assessments_cma > self.n_weeks - 2:
            raise ValueError("CohortConfig has more assessments than course weeks can hold")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping) and f.name != "modules":
                _check_proportions(f.name, value)
        _check_proportions(
            "modules", {k: p.registrations for k, p in self.modules.items()}, normalised=False
        )
        if set(self.imd_band) - set(IMD_BANDS) - {""}:
            raise ValueError(
                f"CohortConfig.imd_band has unknown bands "
                f"{sorted(set(self.imd_band) - set(IMD_BANDS) - {''})}"
            )
        if set(self.highest_education) - set(EDUCATION_LEVELS):
            raise ValueError(
                "CohortConfig.highest_education has unknown levels "
                f"{sorted(set(self.highest_education) - set(EDUCATION_LEVELS))}"
            )
        if not 0.0 <= self.disability_rate <= 1.0:
            raise ValueError(
                f"CohortConfig.disability_rate must be in [0, 1], got {self.disability_rate}"
            )
        for name, profile in self.modules.items():
            if not profile.fail_threshold < profile.distinction_threshold:
                raise ValueError(
                    f"module {name}: fail_threshold must be below distinction_threshold"
                )
        for name in ("motivation_volatility", "early_withdrawal_weeks"):
            if not getattr(self, name) > 0:
                raise ValueError(f"CohortConfig.{name} must be > 0, got {getattr(self, name)}")

    def module_arrays(self, code_module: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per student: ``(withdrawal_offset, fail_threshold, distinction_threshold)``.

        Raises:
            ValueError: naming module codes that ``modules`` does not have.
        """
        unknown = sorted(set(code_module) - set(self.modules))
        if unknown:
            raise ValueError(f"unknown code_module values {unknown}; known: {sorted(self.modules)}")
        return tuple(  # type: ignore[return-value]
            code_module.map({m: getattr(p, attr) for m, p in self.modules.items()}).to_numpy(float)
            for attr in ("withdrawal_offset", "fail_threshold", "distinction_threshold")
        )


def _check_proportions(name: str, mapping: Mapping, normalised: bool = True) -> None:
    if not mapping:
        raise ValueError(f"CohortConfig.{name} is empty")
    bad = {k: v for k, v in mapping.items() if not (math.isfinite(v) and v >= 0)}
    if bad:
        raise ValueError(f"CohortConfig.{name} has negative or non-finite entries: {bad}")
    total = sum(mapping.values())
    if normalised and abs(total - 1.0) > 1e-3:
        raise ValueError(f"CohortConfig.{name} proportions sum to {total:.4f}, not 1")
    if total <= 0:
        raise ValueError(f"CohortConfig.{name} weights sum to zero")

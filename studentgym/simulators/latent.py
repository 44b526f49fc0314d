"""Demographics and the latent traits they act through.

Demographics are drawn independently from OULAD's marginals. They reach the
outcome only through three latent traits and five topic needs, with the signs of
OULAD's gradients (reference/oulad.md): a less deprived IMD band, more prior
education and fewer previous attempts raise ability and motivation and lower the
needs; a disability raises the support need; a heavier credit load raises the
assessment-level need and withdrawal.

======================  ====================================================================
ability                 ``0.30 imd_z + edu_effect - 0.50 prev - 0.10 disability + N(0, 1)``
motivation (start)      ``0.12 imd_z + 0.20 older - 0.10 prev + N(0, 1)``
need: study habits      ``sigma(-0.3 - 0.6 ability + N(0, 0.9))``
need: engagement        ``sigma(-0.3 - 0.8 motivation + N(0, 0.9))``
need: assessment level  ``sigma(-0.3 - 0.6 ability + 0.5 credits_z + N(0, 0.9))``
need: support need      ``sigma(-0.8 - 0.4 imd_z + 1.2 disability + N(0, 0.9))``
need: activity level    ``sigma(-0.8 + 0.4 prev - 0.4 motivation + 0.3 credits_z + N(0, 0.9))``
click scale             ``N(0, 0.45)`` (a student's own log-scale of clicks per active day)
======================  ====================================================================

``imd_z`` is the IMD decile standardised (0 where missing), ``prev`` the number of
previous attempts capped at 3, ``credits_z = log2(credits / 60)`` and ``older`` is
1 for age bands above 0-35.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from studentgym.simulators.config import EDUCATION_LEVELS, IMD_DECILE, TOPICS, CohortConfig
from studentgym.simulators.dynamics import sigmoid
from studentgym.simulators.roster import LatentTraits

EDUCATION_EFFECT = dict(zip(EDUCATION_LEVELS, (-0.7, -0.4, 0.0, 0.45, 0.7), strict=True))
"""Shift of ability by highest prior education (latent units)."""
NEED_NOISE_SD = 0.9
CLICK_SCALE_SD = 0.45


def _draw(rng: np.random.Generator, proportions: dict, n: int) -> np.ndarray:
    keys = list(proportions)
    weights = np.fromiter(proportions.values(), float, len(keys))
    idx = rng.choice(len(keys), size=n, p=weights / weights.sum())
    return np.asarray(keys, dtype=object)[idx]


def sample_demographics(config: CohortConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Draw OULAD's demographic columns for ``config.n_students`` registrations.

    Returns:
        A DataFrame with ``code_module``, ``code_presentation``, ``gender``, ``region``,
        ``highest_education``, ``imd_band`` (NaN where missing), ``age_band``,
        ``num_of_prev_attempts``, ``studied_credits`` and ``disability`` ("Y"/"N").
    """
    n = config.n_students
    modules = {name: p.registrations for name, p in config.modules.items()}
    imd = _draw(rng, dict(config.imd_band), n)
    imd[imd == ""] = np.nan
    return pd.DataFrame(
        {
            "code_module": _draw(rng, modules, n),
            "code_presentation": _draw(rng, dict(config.code_presentation), n),
            "gender": _draw(rng, dict(config.gender), n),
            "region": _draw(rng, dict(config.region), n),
            "highest_education": _draw(rng, dict(config.highest_education), n),
            "imd_band": imd,
            "age_band": _draw(rng, dict(config.age_band), n),
            "num_of_prev_attempts": _draw(rng, dict(config.prev_attempts), n).astype(np.int64),
            "studied_credits": _draw(rng, dict(config.studied_credits), n).astype(np.int64),
            "disability": np.where(rng.random(n) < config.disability_rate, "Y", "N"),
        }
    )


def imd_z(imd_band: pd.Series) -> np.ndarray:
    """IMD decile standardised to mean 0, sd 1 over deciles; 0 where missing."""
    decile = imd_band.map(IMD_DECILE).to_numpy(dtype=float)
    return np.nan_to_num((decile - 4.5) / np.std(np.arange(10)), nan=0.0)


def sample_traits(demographics: pd.DataFrame, rng: np.random.Generator) -> LatentTraits:
    """Draw the latent traits of each student given their demographics (see module doc)."""
    n = len(demographics)
    imd = imd_z(demographics["imd_band"])
    edu = demographics["highest_education"].map(EDUCATION_EFFECT).to_numpy(dtype=float)
    prev = np.minimum(demographics["num_of_prev_attempts"].to_numpy(), 3).astype(float)
    disabled = (demographics["disability"] == "Y").to_numpy(dtype=float)
    older = (demographics["age_band"] != "0-35").to_numpy(dtype=float)
    credits_z = np.log2(demographics["studied_credits"].to_numpy(dtype=float) / 60.0)

    ability = 0.30 * imd + edu - 0.50 * prev - 0.10 * disabled + rng.standard_normal(n)
    motivation = 0.12 * imd + 0.20 * older - 0.10 * prev + rng.standard_normal(n)
    need_logits = np.column_stack(
        [
            -0.3 - 0.6 * ability,
            -0.3 - 0.8 * motivation,
            -0.3 - 0.6 * ability + 0.5 * credits_z,
            -0.8 - 0.4 * imd + 1.2 * disabled,
            -0.8 + 0.4 * prev - 0.4 * motivation + 0.3 * credits_z,
        ]
    )
    assert need_logits.shape[1] == len(TOPICS)
    needs = sigmoid(need_logits + NEED_NOISE_SD * rng.standard_normal((n, len(TOPICS))))
    return LatentTraits(
        ability=ability,
        motivation=motivation,
        needs=needs,
        click_scale=CLICK_SCALE_SD * rng.standard_normal(n),
        credits_z=credits_z,
        prev_attempts=prev,
    )

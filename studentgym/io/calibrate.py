"""A cohort the simulator can run from real tables: real students, latent traits from twins.

The tutoring env advances students with the generator's latent model (ability,
motivation, topic needs, click scale), which real data do not record. For real
tables (e.g. :func:`~studentgym.io.oulad.read_oulad`), :func:`simulation_cohort`
keeps the real students (demographics, tables, results, withdrawal weeks) and
gives each the latent traits of its nearest synthetic twin: a student of an
OULAD-sized generated cohort in the same module whose behaviour in the first
``MATCH_WEEK`` weeks is closest (standardised clicks, active days, submissions,
scores, inactivity). The success classifier fitted on the result learns from the
real tables; what the env simulates afterwards follows the generator's dynamics.

Simplifications: the simulator uses one assessment schedule (the generated
one), and a twin's traits are a point estimate, not a posterior draw.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from studentgym.predictors.features import weekly_features
from studentgym.simulators import CohortConfig, CohortGenerator
from studentgym.simulators.cohort import STUDENT_COLUMNS, Cohort

MATCH_WEEK = 4
MATCH_FEATURES = (
    "clicks_per_week",
    "active_day_share",
    "submissions",
    "score_mean",
    "inactivity_streak",
)


def _match_inputs(tables, week: int) -> np.ndarray:
    features = weekly_features(tables, week)
    X = features[list(MATCH_FEATURES)].copy()
    X["clicks_per_week"] = np.log1p(X["clicks_per_week"])
    X["score_mean"] = X["score_mean"].fillna(0.0)
    return X.to_numpy(float)


def simulation_cohort(tables, seed: int = 0) -> Cohort:
    """A :class:`Cohort` with ``tables``' students and their synthetic twins' latent traits.

    Args:
        tables: real tables with ``config`` (n_students, n_weeks), ``students``,
            ``registrations``, ``vle``, ``assessments``, ``student_assessments`` and
            ``withdrawal_week`` (an :class:`~studentgym.io.oulad.OuladTables`).
        seed: seed of the synthetic cohort the twins come from.

    Raises:
        ValueError: if a module code is unknown to the generator.
    """
    n, n_weeks = tables.config.n_students, tables.config.n_weeks
    config = dataclasses.replace(CohortConfig(), n_students=n, n_weeks=n_weeks)
    modules = tables.students["code_module"].astype(str).to_numpy()
    unknown = sorted(set(modules) - set(config.modules))
    if unknown:
        raise ValueError(f"modules unknown to the generator: {', '.join(unknown)}")
    synthetic = CohortGenerator(config, seed=seed).generate()
    week = min(MATCH_WEEK, n_weeks)
    synthetic_inputs = _match_inputs(synthetic, week)
    scaler = StandardScaler().fit(synthetic_inputs)
    real = scaler.transform(_match_inputs(tables, week))
    pool_all = scaler.transform(synthetic_inputs)
    synthetic_modules = synthetic.students["code_module"].astype(str).to_numpy()
    twin = np.empty(n, dtype=np.int64)
    for module in np.unique(modules):  # one search per module, not per student
        pool = np.flatnonzero(synthetic_modules == module)
        if pool.size == 0:
            pool = np.arange(len(synthetic_modules))
        mine = np.flatnonzero(modules == module)
        nearest = NearestNeighbors(n_neighbors=1).fit(pool_all[pool])
        twin[mine] = pool[nearest.kneighbors(real[mine], return_distance=False)[:, 0]]
    twins = synthetic.subset(twin)
    return dataclasses.replace(
        twins,
        students=tables.students[list(STUDENT_COLUMNS)].reset_index(drop=True),
        registrations=tables.registrations,
        vle=tables.vle,
        assessments=tables.assessments,
        student_assessments=tables.student_assessments,
        withdrawal_week=np.asarray(tables.withdrawal_week),
    )

"""Worlds: a cohort and its weekly success classifier, built once and cached on disk.

A tutoring env runs on a *world*: a generated cohort (who the students are) and the
weekly success classifier fitted on it (what the env's P(success) and, by default, the
final result come from). Fitting 39 weekly logistic models takes seconds (about ten for
OULAD's 32,593 students), and even generating the cohort's tables costs more than the
env needs of them. So a world is built once, and its students as the simulator reads
them (a :class:`~studentgym.simulators.roster.Roster`) and its fitted classifier are
written to the cache as plain arrays (``.npz``, no pickle); every later make, in any
process, loads those, importing neither scikit-learn nor pandas. The cohort's tables
(``World.cohort``) are generated again from the seed only when asked for.

A :class:`WorldSpec` names a world. Its cache key digests the spec, the package version,
the source of every module that shapes a world (the generator, the features, the
classifier, the split) and the numpy and scikit-learn versions, so an entry is never
reused after any of them changes. An unreadable entry, or one that does not belong to
the spec (other students, other shapes), is rebuilt with a warning.

=====================  ==========================================================
cache folder           ``$STUDENTGYM_CACHE`` if set, else the per-user cache folder
                       (``~/.cache/studentgym`` on Linux, via ``platformdirs``)
entry                  ``worlds/<key>.npz``, written atomically
named worlds           ``"default"``: 4,000 students, seed 0, classifier fitted on all;
                       ``"benchmark"``: 32,593 students (OULAD's size), seed 0, fitted on
                       the split's training students, as ``scripts/train_agent.py`` does
=====================  ==========================================================
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
import warnings
import zipfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import studentgym
from studentgym.atomic import atomic_path
from studentgym.simulators.batch import SIMULATED_FEATURES
from studentgym.simulators.config import CohortConfig
from studentgym.simulators.roster import Roster
from studentgym.split import split_students

if TYPE_CHECKING:
    from studentgym.simulators.cohort import Cohort

CACHE_VARIABLE = "STUDENTGYM_CACHE"
FIT_ON = ("all", "train")
FORMAT = "studentgym.world/2"
_MODEL_ARRAYS = ("low_", "high_", "fill_", "slope_", "offset_", "fit_rows_")
_PACKAGE = Path(__file__).resolve().parents[1]
# every module whose code changes what a spec builds; a change gives new cache keys
_SOURCES = (
    "simulators",
    "predictors/weekly.py",
    "predictors/features.py",
    "predictors/preprocessing.py",
    "predictors/classifier.py",
    "split.py",
    "envs/world.py",
)


@dataclass(frozen=True)
class WorldSpec:
    """What determines a world.

    Attributes:
        n_students: students in the generated cohort.
        n_weeks: course weeks.
        cohort_seed: seed of the cohort, and of the split when ``fit_on="train"``.
        fit_on: ``"all"`` (the classifier sees every student) or ``"train"`` (only the
            training students of ``studentgym.split.split_students(n_students,
            cohort_seed)``, so validation and evaluation students stay unseen).

    Raises:
        ValueError: for a non-positive size, too few weeks or an unknown ``fit_on``.
    """

    n_students: int = 4_000
    n_weeks: int = 39
    cohort_seed: int = 0
    fit_on: str = "all"

    def __post_init__(self) -> None:
        if int(self.n_students) < 10:
            raise ValueError(f"n_students must be >= 10, got {self.n_students}")
        if int(self.n_weeks) < 8:
            raise ValueError(f"n_weeks must be >= 8, got {self.n_weeks}")
        if self.fit_on not in FIT_ON:
            raise ValueError(f"fit_on must be one of {FIT_ON}, got {self.fit_on!r}")
        for name in ("n_students", "n_weeks", "cohort_seed"):  # 4000.0 and 4000 are one world
            object.__setattr__(self, name, int(getattr(self, name)))


WORLDS = {
    "default": WorldSpec(),
    "benchmark": WorldSpec(n_students=CohortConfig.n_students, fit_on="train"),
}
"""The named worlds: ``gym.make(..., world="benchmark")``."""


@dataclass(frozen=True)
class CompiledSuccessModel:
    """The arrays of a fitted ``WeeklySuccessModel`` that the simulator scores with.

    Satisfies ``studentgym.simulators.student.SuccessModel``; it is what a cached world
    loads (no scikit-learn pipelines, so loading imports no scikit-learn).
    """

    low_: np.ndarray
    high_: np.ndarray
    fill_: np.ndarray
    slope_: np.ndarray
    offset_: np.ndarray
    fit_rows_: np.ndarray
    feature_names: tuple[str, ...] = SIMULATED_FEATURES


@dataclass(frozen=True)
class World:
    """A built world: ``spec``, its students (``roster``), ``success_model`` and its
    cache ``key``; the cohort's tables (``cohort``) are generated on first use."""

    spec: WorldSpec
    roster: Roster
    success_model: CompiledSuccessModel
    key: str

    @cached_property
    def cohort(self) -> Cohort:
        """The cohort's tables (generated from the spec's seed: not cached on disk)."""
        return self.roster.cohort()


def resolve(world: str | WorldSpec) -> WorldSpec:
    """The spec of a named world, or ``world`` itself.

    Raises:
        ValueError: for an unknown name; TypeError for anything else.
    """
    if isinstance(world, WorldSpec):
        return world
    if isinstance(world, str):
        if world not in WORLDS:
            raise ValueError(f"unknown world {world!r}; the named worlds are {sorted(WORLDS)}")
        return WORLDS[world]
    raise TypeError(f"world must be a name or a WorldSpec, got {type(world).__name__}")


def cache_folder() -> Path:
    """Where worlds are cached: ``$STUDENTGYM_CACHE``, else the per-user cache folder."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]).expanduser()
    import platformdirs  # only here: most imports of the package never need it

    return Path(platformdirs.user_cache_dir("studentgym", appauthor=False))


def cache_key(spec: WorldSpec) -> str:
    """20 hex digits naming ``spec``'s world under this code and these libraries."""
    digest = hashlib.sha256()
    for source in _SOURCES:
        path = _PACKAGE / source
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    versions = {
        "studentgym": studentgym.__version__,
        "numpy": np.__version__,
        "scikit-learn": metadata.version("scikit-learn"),
    }
    digest.update(json.dumps([dataclasses.asdict(spec), versions], sort_keys=True).encode())
    return digest.hexdigest()[:20]


def load_world(world: str | WorldSpec = "default") -> World:
    """The world ``world`` names, from the cache if there, else built and cached.

    Loaded once per process (:func:`forget_loaded` drops them); a cache that cannot be
    read is rebuilt and one that cannot be written is skipped, each with a
    ``RuntimeWarning``.
    """
    return _load(resolve(world))


def forget_loaded() -> None:
    """Drop the worlds this process has loaded (the next load reads the cache again)."""
    _load.cache_clear()


@lru_cache(maxsize=4)
def _load(spec: WorldSpec) -> World:
    key = cache_key(spec)
    path = cache_folder() / "worlds" / f"{key}.npz"
    if path.is_file():
        try:
            return World(spec, *_read(path, key, spec), key)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            warnings.warn(
                f"studentgym: the cached world {path} is unusable ({err}); rebuilding it",
                RuntimeWarning,
                stacklevel=3,
            )
    cohort = _generate(spec)
    roster = Roster.from_cohort(cohort, spec.cohort_seed)
    model = _fit(spec, cohort)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, key, roster, model)
    except OSError as err:
        warnings.warn(
            f"studentgym: could not cache the world in {path.parent} ({err}); it will be "
            f"rebuilt in the next process (set {CACHE_VARIABLE} to a writable folder)",
            RuntimeWarning,
            stacklevel=3,
        )
    world = World(spec, roster, model, key)
    world.__dict__["cohort"] = cohort  # generated already: keep it
    return world


def _config(spec: WorldSpec) -> CohortConfig:
    return dataclasses.replace(CohortConfig(), n_students=spec.n_students, n_weeks=spec.n_weeks)


def _generate(spec: WorldSpec) -> Cohort:
    from studentgym.simulators.cohort import CohortGenerator  # imports pandas

    return CohortGenerator(_config(spec), seed=spec.cohort_seed).generate()


def _fit(spec: WorldSpec, cohort: Cohort) -> CompiledSuccessModel:
    """Fit the weekly classifier, showing progress on stderr (it takes seconds)."""
    from tqdm import tqdm

    from studentgym.predictors.weekly import WeeklySuccessModel  # imports scikit-learn

    rows = None if spec.fit_on == "all" else split_students(spec.n_students, spec.cohort_seed).train
    start = time.perf_counter()
    with tqdm(
        total=spec.n_weeks,
        desc=f"studentgym: fitting the weekly classifier of {spec.n_students:,} students",
        unit="week",
        file=sys.stderr,
        leave=False,
        disable=None,  # a bar on a terminal only
    ) as bar:
        model = WeeklySuccessModel().fit(cohort, rows, progress=lambda week: bar.update(1))
    print(
        f"studentgym: built the world of {spec} in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return CompiledSuccessModel(*(np.asarray(getattr(model, name)) for name in _MODEL_ARRAYS))


def _write(path: Path, key: str, roster: Roster, model: CompiledSuccessModel) -> None:
    meta = json.dumps({"format": FORMAT, "key": key})
    arrays = {name: getattr(model, name) for name in _MODEL_ARRAYS}
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, meta=np.array(meta), **roster.arrays(), **arrays)


def _read(path: Path, key: str, spec: WorldSpec) -> tuple[Roster, CompiledSuccessModel]:
    """The students and classifier cached at ``path``; ValueError unless they are
    ``key``'s (``spec``'s) and of its shapes."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != FORMAT or meta.get("key") != key:
            raise ValueError(f"it was written for another world ({meta})")
        roster = Roster.from_arrays(_config(spec), data, spec.cohort_seed)
        model = CompiledSuccessModel(*(data[name] for name in _MODEL_ARRAYS))
    n_weeks, n, k = spec.n_weeks, spec.n_students, len(SIMULATED_FEATURES)
    shapes = [(n_weeks + 1, k)] * 4 + [(n_weeks + 1, n)]
    for name, shape in zip(_MODEL_ARRAYS, shapes, strict=False):
        array = getattr(model, name)
        if array.shape != shape or array.dtype != np.float64 or not np.isfinite(array).all():
            raise ValueError(f"its {name} is not a finite float64 array of shape {shape}")
    return roster, model


def world_of(env) -> str | None:
    """The world fingerprint of a studentgym env, single or vector, wrapped or not;
    None for any other env."""
    return getattr(getattr(env, "unwrapped", env), "world_fingerprint", None)


def check_world(saved: str | None, env, what: str, other_world: bool = False) -> None:
    """Refuse to use ``what`` (a saved agent from world ``saved``) in ``env``'s world.

    Nothing to check when either world is unknown (an old file, a foreign env).

    Raises:
        ValueError: if the worlds differ and ``other_world`` is False (with it: a warning).
    """
    current = None if env is None else world_of(env)
    if saved is None or current is None or saved == current:
        return
    message = (
        f"{what} was trained in world {saved}, but this env is world {current} (another "
        "cohort, classifier or response to interventions)"
    )
    if not other_world:
        raise ValueError(f"{message}; pass other_world=True to load it anyway")
    warnings.warn(message, UserWarning, stacklevel=3)

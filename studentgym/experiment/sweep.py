"""Sweeps: many runs of the pipeline on Ray, streamed into one tidy CSV that resumes.

A sweep is a YAML file: settings shared by every run, and a grid whose every combination
is one run of :func:`studentgym.experiment.run`. Keys are :class:`Settings` fields;
``dqn.<name>`` sets one of ``dqn.yml``'s hyperparameters::

    settings:                      # every run (optional)
      train_on: [classifier]
      predictor_study: false
    grid:                          # one run per combination
      seed: [0, 1, 2]
      student_model: [default, weaker_effects]
      dqn.learning_rate: [0.0001, 0.0003]

Every run's settings are built and checked before any run starts, so an unknown key,
variant or hyperparameter stops the sweep at once, naming it. Each run is a Ray task:
``ray.init`` starts a local Ray on a laptop and connects to a cluster when given an
address (``--address`` or ``RAY_ADDRESS``), with no code change. A run's rows reach
``sweep.csv`` (rewritten atomically) as soon as it ends; a run is named by a digest of its
settings, so a sweep started again runs only what is not in the CSV yet.

``sweep.csv`` has one row per run and policy: the run's id, the grid's values, the
policy, its success rate, tutor hours and gains against no intervention, the tuned
recommender and the best fixed schedule with 95% intervals and Holm verdicts, judged
as the run's student model says (the ground truth, or the classifier for
``classifier_judge``). Runs with ``robustness`` add their matrices to
``robustness_matrix.csv`` the same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from studentgym.atomic import atomic_write_csv
from studentgym.experiment.agents import dqn_hyperparams
from studentgym.experiment.raycluster import ray_session
from studentgym.experiment.settings import COMPARED, Settings
from studentgym.simulators.variants import student_model

SECTIONS = ("settings", "grid")
DQN_PREFIX = "dqn."
SWEEP_CSV = "sweep.csv"
ROBUSTNESS_CSV = "robustness_matrix.csv"
TUPLE_FIELDS = {f.name for f in dataclasses.fields(Settings) if "tuple" in str(f.type)}


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: ``run_id`` (a digest of ``settings``), the grid's ``values``."""

    run_id: str
    settings: Settings
    values: dict


def run_id(settings: Settings) -> str:
    """12 hex digits naming ``settings``: equal settings, equal ids, in any process."""
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    text = json.dumps(fields, sort_keys=True)  # the dqn overrides are a dict subclass
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _settings(base: Settings, changes: dict, where: str) -> Settings:
    known = {f.name for f in dataclasses.fields(Settings)}
    fields, dqn = {}, dict(base.dqn)
    for key, value in changes.items():
        if key.startswith(DQN_PREFIX):
            dqn[key[len(DQN_PREFIX) :]] = value
        elif key in known and key != "dqn":
            fields[key] = tuple(value) if key in TUPLE_FIELDS and value is not None else value
        elif key == "dqn" and isinstance(value, dict):
            dqn.update(value)
        else:
            raise ValueError(
                f"{where}: unknown setting {key!r}; known: the fields of "
                "studentgym.experiment.Settings, or dqn.<hyperparameter>"
            )
    try:
        settings = base.replace(**fields, dqn=dqn)
        dqn_hyperparams(settings)  # names an unknown hyperparameter now, not mid-sweep
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from None
    return settings


def load_sweep(path: str | Path, quick: bool = False) -> list[SweepRun]:
    """Every run of the sweep in ``path``, its settings checked (``quick``: from
    :meth:`Settings.quick` rather than the default run).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the file and the unknown section, setting, student model or
            hyperparameter, or the value a setting refuses; no run has started then.
    """
    path = Path(path)
    spec = yaml.safe_load(path.read_text()) or {}
    if not isinstance(spec, dict) or set(spec) - set(SECTIONS):
        extra = sorted(set(spec) - set(SECTIONS)) if isinstance(spec, dict) else spec
        raise ValueError(f"{path}: unknown section(s) {extra}; a sweep has {list(SECTIONS)}")
    shared, grid = spec.get("settings") or {}, spec.get("grid") or {}
    for name, section in (("settings", shared), ("grid", grid)):
        if not isinstance(section, dict):
            raise ValueError(f"{path}: {name} must map setting names to values")
    base = _settings(Settings.quick() if quick else Settings(), shared, f"{path} (settings)")
    axes = {key: value if isinstance(value, list) else [value] for key, value in grid.items()}
    runs = []
    for combination in itertools.product(*axes.values()):
        values = dict(zip(axes, combination, strict=True))
        settings = _settings(base, values, f"{path} (grid: {values})")
        runs.append(SweepRun(run_id(settings), settings, values))
    ids = [run.run_id for run in runs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: the grid repeats a run (two combinations, one setting)")
    return runs


def run_rows(settings: Settings, folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run the pipeline with ``settings`` into ``folder``, its log in ``folder/run.log``.

    Returns:
        ``(rows, robustness)``: the policies of the default training world judged as the
        student model says, and the robustness matrix (None without ``robustness``).
    """
    from studentgym.experiment.pipeline import judged_rows, run  # imports stay lazy

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "run.log", "w") as log:
        # one process a run: the sweep runs as many runs at once as it has CPUs
        results = run(
            settings, folder, log=lambda line: print(line, file=log, flush=True), workers=1
        )
    rows = judged_rows(results.robust, settings, student_model(settings.student_model).judge)
    columns = ["policy", "trained_on", "judged_by", "seeds", "success_rate", "tutor_hours"]
    for base in COMPARED:
        stem = f"return_minus_{base}"
        columns += [stem, f"{stem}_ci_low", f"{stem}_ci_high", f"{stem}_p_holm"]
        columns += [f"verdict_vs_{base}"]
    return rows[columns], results.robustness


def _tidy(run: SweepRun, table: pd.DataFrame | None, seconds: float) -> pd.DataFrame | None:
    if table is None:
        return None
    values = {
        key: str(value) if isinstance(value, list | dict) else value
        for key, value in run.values.items()
    }
    head = pd.DataFrame({"run_id": run.run_id, **values, "seconds": seconds}, index=table.index)
    return pd.concat([head, table], axis=1)


def _append(path: Path, rows: pd.DataFrame | None) -> None:
    """Add ``rows`` to the CSV at ``path``, replacing any earlier rows of the same run."""
    if rows is None:
        return
    if path.exists():
        earlier = pd.read_csv(path, dtype={"run_id": str})
        earlier = earlier[~earlier["run_id"].isin(rows["run_id"])]
        rows = pd.concat([earlier, rows], ignore_index=True)
    atomic_write_csv(rows, path)


def finished_runs(out: str | Path) -> set[str]:
    """Ids of the runs whose rows are already in ``out/sweep.csv``."""
    path = Path(out) / SWEEP_CSV
    if not path.exists():
        return set()
    return set(pd.read_csv(path, usecols=["run_id"], dtype=str)["run_id"])


def _timed(settings: Settings, folder: str) -> tuple[pd.DataFrame, pd.DataFrame | None, float]:
    started = time.perf_counter()
    rows, robustness = run_rows(settings, folder)
    return rows, robustness, time.perf_counter() - started


def run_sweep(
    runs: Sequence[SweepRun],
    out: str | Path,
    address: str | None = None,
    use_ray: bool = True,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Run every run of ``runs`` not yet in ``out/sweep.csv``, as Ray tasks.

    Args:
        runs: from :func:`load_sweep`.
        out: the sweep's folder: ``sweep.csv``, ``robustness_matrix.csv`` and
            ``runs/<run_id>/`` (each run's own tables and ``run.log``, on the node that ran it).
        address: a Ray cluster to connect to (None: ``RAY_ADDRESS`` if set, else a local
            Ray started for the sweep and stopped after it).
        use_ray: False runs in this process, one after another (the same rows).
        log: where progress lines go.

    Returns:
        The ids of the runs that failed (their errors logged); a later call retries them.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    done = finished_runs(out)
    todo = [run for run in runs if run.run_id not in done]
    log(f"sweep: {len(runs)} runs, {len(runs) - len(todo)} already in {out / SWEEP_CSV}")
    if not todo:
        return []
    failed: list[str] = []
    started = time.perf_counter()

    def finish(run: SweepRun, result, count: int) -> None:
        elapsed = time.perf_counter() - started
        left = elapsed / count * (len(todo) - count)
        head = f"  [{count}/{len(todo)}, {elapsed:.0f} s, about {left:.0f} s left] {run.run_id}"
        if isinstance(result, Exception):
            failed.append(run.run_id)
            log(f"{head} {run.values} FAILED: {type(result).__name__}: {result}")
            return
        rows, robustness, seconds = result
        _append(out / ROBUSTNESS_CSV, _tidy(run, robustness, seconds))
        _append(out / SWEEP_CSV, _tidy(run, rows, seconds))  # last: marks the run finished
        log(f"{head} {run.values} done in {seconds:.0f} s")

    folders = {run.run_id: str(out / "runs" / run.run_id) for run in todo}
    if not use_ray:
        for count, run in enumerate(todo, 1):
            try:
                result = _timed(run.settings, folders[run.run_id])
            except Exception as err:  # a failed run must not lose the others' rows
                result = err
            finish(run, result, count)
        return failed

    import ray  # imported here: a sweep without Ray, and the package, do not need it

    with ray_session(address):
        task = ray.remote(num_cpus=1, max_retries=0)(_timed)
        pending = {task.remote(run.settings, folders[run.run_id]): run for run in todo}
        cpus = ray.cluster_resources().get("CPU", 0)
        log(f"sweep: {len(pending)} runs submitted to Ray ({cpus:.0f} CPUs, one run each)")
        count = 0
        while pending:
            [ready], _ = ray.wait(list(pending), num_returns=1)
            run = pending.pop(ready)
            try:
                result = ray.get(ready)
            except Exception as err:  # the task's own error, re-raised by Ray
                result = err
            count += 1
            finish(run, result, count)
    return failed

"""DQN's hyperparameter search: Ray Tune trials, proposed by Optuna's TPE sampler.

rl-baselines3-zoo tunes SB3 agents with Optuna; here Optuna's sampler runs inside Ray
Tune (:class:`ray.tune.search.optuna.OptunaSearch`), so the trials of one search spread
over the cores of a laptop or the nodes of a cluster with no code change. A trial is
what the benchmark does with DQN: ``settings.training_seeds`` models trained on the
split's training students in the run's first training world, each judged greedily by
the ground truth on the validation students every baseline is tuned on
(:func:`~studentgym.experiment.pipeline.validation_judge`), against doing nothing, with
common random numbers. The evaluation students are never seen.

The search has two phases. **Search**: the first trial is the packaged hyperparameters
(``studentgym/hyperparams/dqn.yml``, the incumbent), then ``n_trials`` more proposed by
TPE, each scored by ``value``, the mean over its seeds of the gain over doing nothing.
**Confirm**: the best ``confirm`` trials and the incumbent are trained again with fresh
training seeds and judged on the same students, because the best of many noisy trials
is lucky by selection (the winner's curse). A candidate replaces the incumbent only if
its confirmed value is higher, and above zero (better than doing nothing).

What a run costs is held fixed (the main job trains six DQNs): ``n_envs``,
``n_timesteps`` and ``gradient_steps`` stay the YAML's; the searched hyperparameters
(:data:`SEARCHED`) change what is learned from those steps. Trials are not
reproducible to the digit: TPE's proposals depend on which trials finished first.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from studentgym.agents.dqn import load_hyperparams, train_dqn
from studentgym.experiment.agents import dqn_hyperparams
from studentgym.experiment.settings import VERDICT_JUDGE, Settings
from studentgym.split import split_students

METRIC = "value"
"""What the search maximises: the mean over training seeds of one model's gain over doing
nothing on validation students (the benchmark's ``dqn`` row, judged on validation)."""

RANGES: dict[str, tuple[str, float, float]] = {
    "learning_rate": ("loguniform", 3e-5, 3e-3),
    "exploration_fraction": ("uniform", 0.1, 0.8),
    "exploration_final_eps": ("uniform", 0.0, 0.2),
}
CHOICES: dict[str, tuple] = {
    "batch_size": (64, 128, 256, 512),
    "target_update_interval": (4_000, 16_000, 64_000),
    "gamma": (0.98, 0.995, 1.0),
    "net_width": (64, 128),
    "action_margin": (0.0, 0.01, 0.02, 0.04),
}
SEARCHED = (*RANGES, *CHOICES)
"""Searched hyperparameters: ``RANGES`` by Ray Tune's sampler and bounds, ``CHOICES`` by
their values. All but ``net_width`` are ``dqn.yml`` keys; ``net_width`` is the width of
both hidden layers (``policy_kwargs.net_arch``: the value head's in the plan network).
``target_update_interval`` counts environment steps (SB3's unit), so 16,000 is 62.5 steps of
256 students."""


def overrides(config: dict[str, Any]) -> dict[str, Any]:
    """The ``dqn.yml`` overrides (``Settings.dqn``) of a trial's ``config``, as plain Python
    numbers (a table's row holds numpy ones)."""
    params = {key: float(config[key]) for key in RANGES}
    params |= {key: type(values[0])(config[key]) for key, values in CHOICES.items()}
    network = load_hyperparams().get("policy_kwargs", {})  # the rest of the network stays
    params["policy_kwargs"] = {**network, "net_arch": [params.pop("net_width")] * 2}
    return params


def incumbent(settings: Settings) -> dict[str, Any]:
    """The trial config of the hyperparameters a run uses today (the YAML and
    ``settings.dqn``), the first point the search evaluates.

    Raises:
        ValueError: if one of them lies outside :data:`CHOICES`, the network's two hidden
            layers differ in width, or ``settings.dqn`` names an unknown hyperparameter.
    """
    params = dqn_hyperparams(settings)
    widths = set(params.get("policy_kwargs", {}).get("net_arch", [64, 64]))
    if len(widths) != 1:
        raise ValueError(f"the search's networks have equal layers; dqn.yml has {widths}")
    config = {key: params[key] for key in SEARCHED if key != "net_width"}
    config["net_width"] = widths.pop()
    for key, values in CHOICES.items():
        if config[key] not in values:
            raise ValueError(f"the incumbent's {key}={config[key]} is not among {values}")
    return config


def trial(config: dict[str, Any], settings: Settings) -> dict[str, float]:
    """Train and judge one configuration, as the benchmark would (see the module).

    Args:
        config: a point of :data:`SEARCHED`; ``first_seed`` (default
            ``settings.seed``) is the first training seed, so the confirm phase trains
            fresh models.
        settings: the run whose world, split, seeds and validation students are used.

    Returns:
        ``value`` (:data:`METRIC`), ``worst_seed``, the seeds' ensemble's ``ensemble_value``
        with its 95% interval, the mean ``tutor_hours`` per student and ``train_seconds``.
    """
    from studentgym.experiment.pipeline import generated_world, run_simulators, validation_judge

    world = generated_world(settings)
    split = split_students(settings.students, settings.seed)
    simulators = run_simulators(world.roster, world.success_model, settings)  # no tables
    judge = validation_judge(simulators[VERDICT_JUDGE], split.validation, settings)
    tried = settings.replace(dqn={**settings.dqn, **overrides(config)})
    started = time.perf_counter()
    ensemble, _ = train_dqn(
        {"simulator": simulators[settings.train_on[0]], "students": split.train},
        judge,
        total_timesteps=settings.dqn_steps,
        hyperparams=dqn_hyperparams(tried),
        eval_points=1,
        seed=int(config.get("first_seed", settings.seed)),
    )
    seconds = time.perf_counter() - started
    values, hours = [], []
    for k in range(len(ensemble.models)):
        frame = judge.rollout(ensemble.member(k))
        values.append(judge.compare(frame)[0])
        hours.append(frame["tutor_hours"].mean())
    together, low, high = judge(ensemble)
    return {
        METRIC: float(np.mean(values)),
        "worst_seed": float(np.min(values)),
        "ensemble_value": together,
        "ensemble_ci_low": low,
        "ensemble_ci_high": high,
        "tutor_hours": float(np.mean(hours)),
        "train_seconds": seconds,
    }


def _reported(
    config: dict[str, Any], settings: Settings, points: dict[int, dict] | None = None
) -> None:
    from ray import tune

    if points is not None:  # the confirm phase names search trials
        config = {**points[config["trial"]], **config}
    tune.report(trial(config, settings))


def _tune(
    space: dict[str, Any],
    settings: Settings,
    out: Path,
    name: str,
    num_samples: int,
    search_alg=None,
    points: dict[int, dict] | None = None,
) -> pd.DataFrame:
    """Ray Tune's trials of ``space``, one row each in the order they started, with the
    config's keys unprefixed."""
    from ray import tune

    trainable = tune.with_parameters(_reported, settings=settings, points=points)
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space=space,
        tune_config=tune.TuneConfig(
            metric=METRIC, mode="max", search_alg=search_alg, num_samples=num_samples
        ),
        run_config=tune.RunConfig(name=name, storage_path=str(out.resolve() / "ray"), verbose=1),
    )
    results = tuner.fit()
    failed = [result.error for result in results if result.error is not None]
    if failed:
        raise RuntimeError(f"{len(failed)} trial(s) of {name} failed; the first: {failed[0]}")
    frame = results.get_dataframe()
    frame["started"] = frame["timestamp"] - frame["time_total_s"]
    frame = frame.sort_values(["started", "trial_id"]).reset_index(drop=True)
    return frame.rename(columns=lambda c: c.removeprefix("config/"))


def search_dqn(
    settings: Settings,
    out: str | Path,
    n_trials: int = 24,
    confirm: int = 3,
    sampler_seed: int = 0,
    address: str | None = None,
) -> pd.DataFrame:
    """Search DQN's hyperparameters on Ray Tune with Optuna's TPE sampler (see the module).

    Args:
        settings: the run to tune for (world, seeds, training world, validation size, DQN
            steps, and ``settings.dqn``'s overrides as the incumbent).
        out: folder for Ray Tune's records (``ray/``); the table is returned, not written.
        n_trials: trials proposed by TPE after the incumbent.
        confirm: best trials retrained with fresh seeds (with the incumbent).
        sampler_seed: seed of the TPE sampler.
        address: a Ray cluster (None: ``RAY_ADDRESS``, else a local Ray).

    Returns:
        One row per trial: ``phase`` ("search" or "confirm"), ``trial`` (the search trial
        a confirm row trains again; 0 is the incumbent), the hyperparameters, the metrics
        of :func:`trial`, ``incumbent`` and ``chosen`` (the confirmed best if its confirmed
        value beats the incumbent's and zero, else the incumbent).

    Raises:
        ValueError: for ``n_trials`` or ``confirm`` below 0, or an incumbent outside the space.
        RuntimeError: if a trial failed (its error named).
    """
    if n_trials < 0 or confirm < 0:
        raise ValueError(f"n_trials and confirm must be >= 0, got {n_trials} and {confirm}")
    import optuna
    from ray import tune
    from ray.tune.search.optuna import OptunaSearch

    from studentgym.experiment.pipeline import generated_world
    from studentgym.experiment.raycluster import ray_session

    out = Path(out)
    start = incumbent(settings)
    generated_world(settings)  # built and cached once here, loaded by every trial
    space = {key: getattr(tune, kind)(low, high) for key, (kind, low, high) in RANGES.items()}
    space |= {key: tune.choice(list(values)) for key, values in CHOICES.items()}
    sampler = optuna.samplers.TPESampler(n_startup_trials=min(8, n_trials), seed=sampler_seed)
    search = OptunaSearch(points_to_evaluate=[start], sampler=sampler)
    with ray_session(address):
        searched = _tune(space, settings, out, "search", n_trials + 1, search)
        first = np.logical_and.reduce([np.isclose(searched[k], start[k]) for k in SEARCHED])
        order = [*searched.index[first][:1], *searched.index[~first]]  # the incumbent is 0
        searched = searched.loc[order].reset_index(drop=True)
        searched["trial"] = np.arange(len(searched))
        again = [0, *searched.drop(index=0).nlargest(confirm, METRIC)["trial"]]
        points = {t: {key: searched.at[t, key] for key in SEARCHED} for t in again}
        fresh = settings.seed + settings.training_seeds  # seeds no search trial trained
        confirmed = _tune(
            {"trial": tune.grid_search(again), "first_seed": fresh},
            settings,
            out,
            "confirm",
            1,
            points=points,
        )
    return _table(searched, confirmed)


def _table(searched: pd.DataFrame, confirmed: pd.DataFrame) -> pd.DataFrame:
    metrics = [METRIC, "worst_seed", "ensemble_value", "ensemble_ci_low", "ensemble_ci_high"]
    metrics += ["tutor_hours", "train_seconds"]
    confirmed = confirmed[["trial", *metrics]].merge(searched[["trial", *SEARCHED]], on="trial")
    table = pd.concat(
        [searched.assign(phase="search"), confirmed.assign(phase="confirm")], ignore_index=True
    )
    table["incumbent"] = table["trial"] == 0
    table = table[["phase", "trial", *SEARCHED, *metrics, "incumbent"]]
    confirmed_value = table[table["phase"] == "confirm"].set_index("trial")[METRIC]
    winner = confirmed_value.idxmax()
    if confirmed_value[winner] <= max(confirmed_value[0], 0.0):
        winner = 0  # no candidate beat both the incumbent and doing nothing
    table["chosen"] = (table["phase"] == "confirm") & (table["trial"] == winner)
    return table

"""Stable-Baselines3's DQN on the tutoring env: hyperparameters, monitoring, evaluation.

Hyperparameters come from ``studentgym/hyperparams/dqn.yml``, keyed by env id as
in rl-baselines3-zoo; they were chosen by ``scripts/tune_dqn.py`` (the table is
in the YAML's comments). Training runs on the native vector env through
:class:`~studentgym.agents.sb3.SB3VecEnv`, wrapped in SB3's ``VecMonitor``
(episode returns and lengths, written to ``monitor.csv``), with
:class:`GreedyEvalCallback` evaluating the greedy policy on held-out students
every so many steps, the same way the tabular agent is evaluated. The YAML's
``action_margin`` makes the deployed policy conservative (see :class:`GreedyDQN`).
"""

from __future__ import annotations

import importlib
import json
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch as th
import yaml
from stable_baselines3 import DQN
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

from studentgym.agents.all_action_dqn import AllActionDQN
from studentgym.agents.plan_network import PlanAdvantagePolicy
from studentgym.agents.sb3 import SB3VecEnv
from studentgym.agents.scaling import ObservationScaler
from studentgym.atomic import atomic_path, atomic_write_text
from studentgym.envs.world import check_world

ENV_ID = "studentgym/Tutoring-v0"
NOT_DQN_ARGUMENTS = (
    "n_envs",
    "n_timesteps",
    "policy",
    "env_kwargs",
    "normalize",
    "action_margin",
    "n_models",
    "all_actions",
)


MANIFEST, MANIFEST_FORMAT = "policy.json", "studentgym.GreedyDQN/1"
Normalizer = VecNormalize | ObservationScaler | None

TORCH_THREADS = 1
"""CPU threads torch uses while DQN trains or acts: one is faster for this small network
on 2 cores (9.2 s against 10.3 s for 4,000 gradient steps), and the arithmetic then does
not depend on how many cores the machine has."""


@contextmanager
def torch_threads(n: int = TORCH_THREADS) -> Iterator[None]:
    """Run the block with ``n`` torch threads, then restore the previous count."""
    before = th.get_num_threads()
    th.set_num_threads(n)
    try:
        yield
    finally:
        th.set_num_threads(before)


def policy_class(name: str | type) -> str | type:
    """The YAML's ``policy``: an SB3 policy name (``"MlpPolicy"``) as is, or the class a
    dotted path names (``"studentgym.agents.plan_network.PlanAdvantagePolicy"``), as
    rl-baselines3-zoo reads it; a class as is.

    Raises:
        ImportError, AttributeError: if the dotted path names no class.
    """
    if isinstance(name, type) or "." not in name:
        return name
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def load_hyperparams(env_id: str = ENV_ID, path: str | Path | None = None) -> dict[str, Any]:
    """The DQN hyperparameters of ``env_id`` from a zoo-style YAML (the packaged one by default).

    Raises:
        KeyError: if the file has no entry for ``env_id``.
    """
    if path is None:
        text = resources.files("studentgym").joinpath("hyperparams/dqn.yml").read_text()
    else:
        text = Path(path).read_text()
    table = yaml.safe_load(text) or {}
    if env_id not in table:
        raise KeyError(f"no DQN hyperparameters for {env_id!r}; the file has {sorted(table)}")
    return dict(table[env_id])


class GreedyDQN:
    """Trained DQNs as a studentgym policy (``act(obs, info)``), acting greedily.

    Several models (independently seeded runs) act as an ensemble on their mean
    Q-values. With ``margin > 0`` the policy intervenes only where the best
    intervention's Q-value leads no intervention by more than ``margin`` (reward
    units): a conservative greedy policy. Interventions' effects are smaller than
    one network's errors, and the argmax over five noisy values is biased upward
    (the winner's curse); averaging seeds shrinks the errors, the margin guards
    against what is left.

    :meth:`save` writes the models (SB3's zip), their observation statistics (``.npz``,
    no pickle) and a ``policy.json`` naming them and the margin; :meth:`load` restores
    the policy from that folder, so a trained DQN is evaluated without retraining.

    Args:
        models: the trained DQN, or several.
        normalizers: the ``VecNormalize`` (or :class:`ObservationScaler`) each was
            trained behind: one for all, or one per model; None for none. Its
            statistics are copied when the policy is made, and applied, not updated.
        margin: the Q-value lead an intervention needs over no intervention (>= 0).
        world: fingerprint of the world the models were trained in (see
            ``StudentSimulator.world_fingerprint``): :meth:`save` records it and
            :meth:`load` refuses another world's env.

    Raises:
        ValueError: for a negative margin, no model, or a normalizer count that
            does not match the models.
    """

    def __init__(
        self,
        models: DQN | Sequence[DQN],
        normalizers: Normalizer | Sequence[Normalizer] = None,
        margin: float = 0.0,
        world: str | None = None,
    ) -> None:
        if not margin >= 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        self.models = [models] if isinstance(models, DQN) else list(models)
        if not self.models:
            raise ValueError("GreedyDQN needs at least one model")
        if normalizers is None or isinstance(normalizers, VecNormalize | ObservationScaler):
            normalizers = [normalizers] * len(self.models)
        self.normalizers = [
            ObservationScaler.from_vecnormalize(n) if isinstance(n, VecNormalize) else n
            for n in normalizers
        ]
        if len(self.normalizers) != len(self.models):
            raise ValueError(f"{len(self.normalizers)} normalizers for {len(self.models)} models")
        self.margin = float(margin)
        self.world = world

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Mean Q-values over the models, ``(n, 6)``, of a batch of raw observations."""
        obs = np.asarray(obs, dtype=np.float32)
        total = 0.0
        with torch_threads(), th.no_grad():
            for model, normalizer in zip(self.models, self.normalizers, strict=True):
                seen = obs if normalizer is None else normalizer.normalize_obs(obs)
                total = total + model.q_net(model.policy.obs_to_tensor(seen)[0]).cpu().numpy()
        return total / len(self.models)

    def member(self, index: int) -> GreedyDQN:
        """The ``index``-th model alone, with its normalizer and the same margin."""
        return GreedyDQN(self.models[index], [self.normalizers[index]], self.margin, self.world)

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        q = self.q_values(obs)
        best = q.argmax(axis=1)
        lead = q[np.arange(len(q)), best] - q[:, 0]
        return np.where(lead > self.margin, best, 0)

    def save(self, folder: str | Path, names: Sequence[str] | None = None) -> Path:
        """Write the policy into ``folder``: ``<name>/dqn.zip``, ``<name>/observations.npz``
        per model (``names`` default ``model_0``, ``model_1``, ...) and ``policy.json``.

        Every file is written atomically; ``policy.json`` last, so a folder with it is whole.

        Raises:
            ValueError: if the names are not one distinct name per model.
        """
        folder = Path(folder)
        names = list(names or [f"model_{k}" for k in range(len(self.models))])
        if len(set(names)) != len(self.models):
            raise ValueError(f"need {len(self.models)} distinct names, got {names}")
        members = []
        for name, model, normalizer in zip(names, self.models, self.normalizers, strict=True):
            (folder / name).mkdir(parents=True, exist_ok=True)
            with atomic_path(folder / name / "dqn.zip") as tmp, open(tmp, "wb") as f:
                model.save(f)
            if normalizer is not None:
                normalizer.world = normalizer.world or self.world
                normalizer.save(folder / name / "observations.npz")
            members.append({"folder": name, "normalized": normalizer is not None})
        manifest = {
            "format": MANIFEST_FORMAT,
            "world": self.world,
            "margin": self.margin,
            "members": members,
        }
        return atomic_write_text(json.dumps(manifest, indent=2), folder / MANIFEST)

    @classmethod
    def load(cls, folder: str | Path, env=None, other_world: bool = False) -> GreedyDQN:
        """The policy :meth:`save` (or :func:`train_dqn`) wrote into ``folder``.

        Args:
            env: the env it will act in; it must be the world it was trained in.
            other_world: load into another world anyway (with a warning).

        Raises:
            FileNotFoundError: if ``folder`` has no ``policy.json`` or a member's file is
                missing.
            ValueError: if ``policy.json`` is not a GreedyDQN manifest, or the policy
                was trained in another world than ``env``'s.
        """
        folder = Path(folder)
        if not (folder / MANIFEST).is_file():
            raise FileNotFoundError(f"{folder} has no {MANIFEST}: not a saved GreedyDQN")
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
            margin, members = float(manifest["margin"]), list(manifest["members"])
            if manifest.get("format") != MANIFEST_FORMAT or not members:
                raise ValueError("unknown format or no members")
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{folder / MANIFEST} is not a GreedyDQN manifest: {err}") from err
        world = manifest.get("world")
        check_world(world, env, f"the DQN policy {folder}", other_world)
        models, normalizers = [], []
        for member in members:
            path = folder / member["folder"]
            if not (path / "dqn.zip").is_file():
                raise FileNotFoundError(f"missing {path / 'dqn.zip'}")
            with warnings.catch_warnings():
                # SB3 2.9 says n_steps is ignored on load, but the loaded model keeps its
                # n-step replay buffer settings: a spurious message
                warnings.filterwarnings("ignore", message=r"`n_steps=\d+` is ignored")
                models.append(DQN.load(path / "dqn.zip", device="cpu"))
            normalized = member.get("normalized", False)
            normalizers.append(
                ObservationScaler.load(path / "observations.npz") if normalized else None
            )
        return cls(models, normalizers, margin, world)


class GreedyEvalCallback(BaseCallback):
    """Evaluate the greedy policy every ``eval_freq`` environment steps.

    Args:
        evaluate: ``(policy) -> (value, ci_low, ci_high)``, e.g. the mean return
            against doing nothing on held-out students.
        eval_freq: environment steps (summed over the vector env's slots) between evaluations.
        policy: ``(model) -> GreedyDQN``, the policy to judge given the model in
            training (default: the model alone, no margin).
        at_start: also evaluate before the first step.

    Attributes:
        curve: rows of ``steps``, ``episodes``, ``value``, ``ci_low``, ``ci_high``.
        episodes: episodes finished so far.
    """

    def __init__(
        self,
        evaluate: Callable,
        eval_freq: int,
        policy: Callable[[DQN], GreedyDQN] = GreedyDQN,
        at_start: bool = True,
    ) -> None:
        super().__init__()
        self.evaluate, self.eval_freq = evaluate, max(int(eval_freq), 1)
        self.policy, self.at_start = policy, at_start
        self.curve: list[dict[str, float]] = []
        self.episodes, self._next, self._last = 0, 0, 0

    def _record(self) -> None:
        value, low, high = self.evaluate(self.policy(self.model))
        self.curve.append(
            {
                "steps": self.num_timesteps,
                "episodes": self.episodes,
                "value": value,
                "ci_low": low,
                "ci_high": high,
            }
        )

    def _on_training_start(self) -> None:
        if self.at_start:
            self._record()
        self._next = self.eval_freq
        self._last = self.locals["total_timesteps"]  # as SB3's ProgressBarCallback reads it

    def _on_step(self) -> bool:
        self.episodes += int(np.sum(self.locals["dones"]))
        # the last step's gradient updates come after its callback: the final point is
        # recorded when training ends, so that it judges the model as trained
        final = self.num_timesteps >= self._last
        if self.num_timesteps >= self._next and not final:
            self._record()
            self._next += self.eval_freq
        return True

    def _on_training_end(self) -> None:
        self._record()


class StepProgress(BaseCallback):
    """Reports environment steps (summed over the vector env's slots) to ``progress`` as
    training goes, up to ``total`` (SB3's last step can pass it).

    Args:
        progress: callable ``(new_steps)``, e.g. a ``tqdm`` bar's ``update``.
        total: the steps ``learn`` was asked for.
    """

    def __init__(self, progress: Callable[[int], object], total: int) -> None:
        super().__init__()
        self.progress, self.total, self._reported = progress, int(total), 0

    def _on_step(self) -> bool:
        done = min(self.num_timesteps, self.total)
        self.progress(done - self._reported)
        self._reported = done
        return True


def train_dqn(
    env_kwargs: dict[str, Any],
    evaluate: Callable,
    total_timesteps: int | None = None,
    hyperparams: dict[str, Any] | None = None,
    eval_points: int = 10,
    seed: int = 0,
    out: str | Path | None = None,
    progress_bar: bool = False,
    progress: Callable[[int], object] | None = None,
) -> tuple[GreedyDQN, pd.DataFrame]:
    """Train DQN on ``SB3VecEnv(n_envs, **env_kwargs, **hyperparams["env_kwargs"])``.

    Observations are standardised by SB3's ``VecNormalize`` when the hyperparameters
    say ``normalize: true`` (the features range from shares in [0, 1] to counts up to 39).
    With ``n_models: k`` in the hyperparameters, k runs with seeds ``seed .. seed + k - 1``
    are trained one after the other and act as an ensemble (see :class:`GreedyDQN`;
    :meth:`GreedyDQN.member` gives one run alone). ``policy`` names an SB3 policy or a
    class by its dotted path (:func:`policy_class`); ``all_actions: true`` trains
    :class:`~studentgym.agents.all_action_dqn.AllActionDQN`, which learns all six actions'
    values at each visited state. Torch uses :data:`TORCH_THREADS`.

    Args:
        env_kwargs: the training env (simulator, training students, ...).
        evaluate: as in :class:`GreedyEvalCallback`.
        total_timesteps: environment steps per model (default: the YAML's ``n_timesteps``).
        hyperparams: as from :func:`load_hyperparams` (default: the packaged ones).
        eval_points: evaluations spread over each model's training (plus one before).
        seed: seed of the first model's network, exploration and env.
        out: folder for the policy (:meth:`GreedyDQN.save`: ``policy.json`` and, per
            model, ``seed_<seed>/`` with ``dqn.zip`` and ``observations.npz``), and each
            model's ``monitor.csv``; nothing is written if None.
            ``GreedyDQN.load(out)`` restores the policy.
        progress_bar: show SB3's progress bar (one per model).
        progress: optional callable ``(new_steps)``, called as the models train with the
            environment steps done since its last call (``total_timesteps`` per model in
            all), e.g. a ``tqdm`` bar's ``update``.

    Raises:
        ValueError: if ``n_models`` is below 1, or :class:`PlanAdvantagePolicy` (which reads
            raw observations) is asked to train behind ``normalize: true``.

    Returns:
        The greedy policy (models, normalizers, margin) and the learning curve of each
        run alone (see :class:`GreedyEvalCallback`), with its ``seed``.
    """
    params = dict(hyperparams or load_hyperparams())
    steps = int(total_timesteps or params["n_timesteps"])
    margin = float(params.get("action_margin", 0.0))
    n_models = int(params.get("n_models", 1))
    if n_models < 1:
        raise ValueError(f"n_models must be >= 1, got {n_models}")
    network = params["policy"] = policy_class(params.get("policy", "MlpPolicy"))
    plan = isinstance(network, type) and issubclass(network, PlanAdvantagePolicy)
    if plan and params.get("normalize", False):
        raise ValueError(
            f"{network.__name__} reads raw observations (it decodes the course week and the "
            "interventions given from them): set normalize: false"
        )
    models, normalizers, curves = [], [], []

    def alone(model: DQN, normalizer: VecNormalize | None) -> GreedyDQN:
        return GreedyDQN(model, [normalizer], margin)

    for k in range(n_models):
        folder = None if out is None else Path(out) / f"seed_{seed + k}"
        model, normalizer, callback, world = _train_one(
            env_kwargs,
            evaluate,
            steps,
            params,
            eval_points,
            seed + k,
            folder,
            progress_bar,
            progress,
            alone,
        )
        models.append(model)
        normalizers.append(normalizer)
        curves.append(pd.DataFrame(callback.curve).assign(seed=seed + k))
    policy = GreedyDQN(models, normalizers, margin, world)
    if out is not None:
        policy.save(out, [f"seed_{seed + k}" for k in range(n_models)])
    return policy, pd.concat(curves, ignore_index=True)


def _train_one(
    env_kwargs: dict[str, Any],
    evaluate: Callable,
    steps: int,
    params: dict[str, Any],
    eval_points: int,
    seed: int,
    folder: Path | None,
    progress_bar: bool,
    progress: Callable[[int], object] | None,
    policy: Callable[[DQN, VecNormalize | None], GreedyDQN],
) -> tuple[DQN, VecNormalize | None, GreedyEvalCallback, str]:
    """One DQN run of :func:`train_dqn`: the model, its normalizer, its evaluations and
    the fingerprint of the world it was trained in."""
    dqn_kwargs = {k: v for k, v in params.items() if k not in NOT_DQN_ARGUMENTS}
    extra_env = dict(params.get("env_kwargs") or {})
    extra_env.setdefault("gamma", dqn_kwargs.get("gamma", 0.99))  # shaping keeps DQN's optimum
    env = SB3VecEnv(int(params.get("n_envs", 16)), **{**env_kwargs, **extra_env})
    env.seed(seed)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    vec = VecMonitor(env, str(folder / "monitor.csv") if folder else None)
    normalizer = None
    if params.get("normalize", False):
        vec = normalizer = VecNormalize(vec, norm_obs=True, norm_reward=False)
    algorithm = AllActionDQN if params.get("all_actions", False) else DQN
    model = algorithm(params["policy"], vec, seed=seed, verbose=0, **dqn_kwargs)
    # a logger that writes nothing: SB3's default makes an empty SB3-<time> folder in the
    # temp directory at every learn()
    model.set_logger(Logger(None, []))
    callback = GreedyEvalCallback(
        evaluate, steps // max(eval_points, 1), lambda m: policy(m, normalizer)
    )
    callbacks = [callback] if progress is None else [callback, StepProgress(progress, steps)]
    with torch_threads():
        model.learn(steps, callback=callbacks, progress_bar=progress_bar)
    if normalizer is not None:
        normalizer.training = False
    vec.close()
    # from here the model only acts: let go of what SB3's save leaves out too (the env and
    # the replay buffer, 80 MB), so that a trained policy is small to keep or send to
    # another process
    model.env = model._vec_normalize_env = model.replay_buffer = None
    return model, normalizer, callback, env.env.world_fingerprint

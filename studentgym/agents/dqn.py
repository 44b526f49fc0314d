"""Stable-Baselines3's DQN on the tutoring env: hyperparameters, monitoring, evaluation.

Hyperparameters come from ``studentgym/hyperparams/dqn.yml``, keyed by env id as
in rl-baselines3-zoo; they were chosen by ``scripts/tune_dqn.py`` (the table is
in the YAML's comments). Training runs on the native vector env through
:class:`~studentgym.agents.sb3.SB3VecEnv`, wrapped in SB3's ``VecMonitor``
(episode returns and lengths, written to ``monitor.csv``), with
:class:`GreedyEvalCallback` evaluating the greedy policy on held-out students
every so many steps, the same way the tabular agent is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from stable_baselines3 import DQN
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

from studentgym.agents.sb3 import SB3VecEnv
from studentgym.atomic import atomic_path

ENV_ID = "studentgym/Tutoring-v0"
NOT_DQN_ARGUMENTS = ("n_envs", "n_timesteps", "policy", "env_kwargs", "normalize")


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
    """A trained DQN as a studentgym policy (``act(obs, info)``), acting greedily.

    Args:
        model: the trained DQN.
        normalizer: the ``VecNormalize`` it was trained behind, if any (its
            observation statistics are applied, not updated).
    """

    def __init__(self, model: DQN, normalizer: VecNormalize | None = None) -> None:
        self.model, self.normalizer = model, normalizer

    def act(self, obs: np.ndarray, info: dict) -> np.ndarray:
        if self.normalizer is not None:
            obs = self.normalizer.normalize_obs(np.asarray(obs, dtype=np.float32))
        return self.model.predict(obs, deterministic=True)[0]


class GreedyEvalCallback(BaseCallback):
    """Evaluate the greedy policy every ``eval_freq`` environment steps.

    Args:
        evaluate: ``(policy) -> (value, ci_low, ci_high)``, e.g. the mean return
            against doing nothing on held-out students.
        eval_freq: environment steps (summed over the vector env's slots) between evaluations.

    Attributes:
        curve: rows of ``steps``, ``episodes``, ``value``, ``ci_low``, ``ci_high``.
    """

    def __init__(
        self, evaluate: Callable, eval_freq: int, normalizer: VecNormalize | None = None
    ) -> None:
        super().__init__()
        self.evaluate, self.eval_freq = evaluate, max(int(eval_freq), 1)
        self.normalizer = normalizer
        self.curve: list[dict[str, float]] = []
        self._episodes, self._next = 0, 0

    def _record(self) -> None:
        value, low, high = self.evaluate(GreedyDQN(self.model, self.normalizer))
        self.curve.append(
            {
                "steps": self.num_timesteps,
                "episodes": self._episodes,
                "value": value,
                "ci_low": low,
                "ci_high": high,
            }
        )

    def _on_training_start(self) -> None:
        self._record()
        self._next = self.eval_freq

    def _on_step(self) -> bool:
        self._episodes += int(np.sum(self.locals["dones"]))
        if self.num_timesteps >= self._next:
            self._record()
            self._next += self.eval_freq
        return True

    def _on_training_end(self) -> None:
        if not self.curve or self.curve[-1]["steps"] != self.num_timesteps:
            self._record()


def train_dqn(
    env_kwargs: dict[str, Any],
    evaluate: Callable,
    total_timesteps: int | None = None,
    hyperparams: dict[str, Any] | None = None,
    eval_points: int = 10,
    seed: int = 0,
    out: str | Path | None = None,
    progress_bar: bool = False,
) -> tuple[GreedyDQN, pd.DataFrame]:
    """Train DQN on ``SB3VecEnv(n_envs, **env_kwargs, **hyperparams["env_kwargs"])``.

    Observations are standardised by SB3's ``VecNormalize`` when the hyperparameters
    say ``normalize: true`` (the features range from shares in [0, 1] to counts up to 39).

    Args:
        env_kwargs: the training env (simulator, training students, ...).
        evaluate: as in :class:`GreedyEvalCallback`.
        total_timesteps: environment steps (default: the YAML's ``n_timesteps``).
        hyperparams: as from :func:`load_hyperparams` (default: the packaged ones).
        eval_points: evaluations spread over training (plus one before).
        seed: seed of the network, exploration and the env.
        out: folder for ``monitor.csv``, ``dqn.zip`` and ``vecnormalize.pkl``
            (nothing written if None).
        progress_bar: show SB3's progress bar.

    Returns:
        The greedy policy (model and normalizer) and its learning curve
        (see :class:`GreedyEvalCallback`).
    """
    params = dict(hyperparams or load_hyperparams())
    steps = int(total_timesteps or params["n_timesteps"])
    dqn_kwargs = {k: v for k, v in params.items() if k not in NOT_DQN_ARGUMENTS}
    extra_env = dict(params.get("env_kwargs") or {})
    extra_env.setdefault("gamma", dqn_kwargs.get("gamma", 0.99))  # shaping keeps DQN's optimum
    env = SB3VecEnv(int(params.get("n_envs", 16)), **{**env_kwargs, **extra_env})
    env.seed(seed)
    folder = None if out is None else Path(out)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    vec = VecMonitor(env, str(folder / "monitor.csv") if folder else None)
    normalizer = None
    if params.get("normalize", False):
        vec = normalizer = VecNormalize(vec, norm_obs=True, norm_reward=False)
    model = DQN(params.get("policy", "MlpPolicy"), vec, seed=seed, verbose=0, **dqn_kwargs)
    callback = GreedyEvalCallback(evaluate, steps // max(eval_points, 1), normalizer)
    model.learn(steps, callback=callback, progress_bar=progress_bar)
    if normalizer is not None:
        normalizer.training = False
    if folder is not None:
        with atomic_path(folder / "dqn.zip") as tmp, open(tmp, "wb") as f:
            model.save(f)
        if normalizer is not None:
            with atomic_path(folder / "vecnormalize.pkl") as tmp:
                normalizer.save(tmp)
    vec.close()
    return GreedyDQN(model, normalizer), pd.DataFrame(callback.curve)

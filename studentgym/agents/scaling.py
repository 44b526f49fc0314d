"""Observation standardisation learned while DQN trains, saved without pickle.

SB3's ``VecNormalize`` keeps running means and variances of the observations and
saves itself with pickle. A deployed policy needs only the frozen statistics, so
:class:`ObservationScaler` holds them, applies SB3's formula
``clip((obs - mean) / sqrt(var + epsilon), -clip, clip)`` and reads and writes them
as a plain ``.npz`` (``allow_pickle=False``), as the predictors use skops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from stable_baselines3.common.vec_env import VecNormalize

from studentgym.atomic import atomic_path
from studentgym.envs.world import check_world


class ObservationScaler:
    """Frozen observation statistics of a ``VecNormalize``.

    Args:
        mean, var: per-feature running mean and variance.
        epsilon: added to the variance before the square root.
        clip: absolute bound of the standardised observation.
        world: fingerprint of the world the statistics were gathered in (recorded by
            :meth:`save`, checked by :meth:`load`).
    """

    def __init__(
        self,
        mean: np.ndarray,
        var: np.ndarray,
        epsilon: float = 1e-8,
        clip: float = 10.0,
        world: str | None = None,
    ) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.var = np.asarray(var, dtype=np.float64)
        if self.mean.shape != self.var.shape:
            raise ValueError(f"mean {self.mean.shape} and var {self.var.shape} differ in shape")
        self.epsilon, self.clip = float(epsilon), float(clip)
        self.world = world

    @classmethod
    def from_vecnormalize(cls, normalizer: VecNormalize) -> ObservationScaler:
        """The statistics ``normalizer`` has gathered so far."""
        rms = normalizer.obs_rms
        return cls(rms.mean.copy(), rms.var.copy(), normalizer.epsilon, normalizer.clip_obs)

    def normalize_obs(self, obs: np.ndarray) -> np.ndarray:
        """Standardised float32 observations (as ``VecNormalize.normalize_obs``)."""
        scaled = (np.asarray(obs) - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(scaled, -self.clip, self.clip).astype(np.float32)

    def save(self, path: str | Path) -> Path:
        """Write the statistics to a ``.npz`` file, atomically."""
        path = Path(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                mean=self.mean,
                var=self.var,
                epsilon=self.epsilon,
                clip=self.clip,
                world=self.world or "",
            )
        return path

    @classmethod
    def load(cls, path: str | Path, env=None, other_world: bool = False) -> ObservationScaler:
        """The statistics :meth:`save` wrote (no pickle).

        Args:
            env: the env they will standardise; it must be the world they were gathered in.
            other_world: load for another world anyway (with a warning).

        Raises:
            FileNotFoundError, ValueError: for a missing file, one without the statistics,
                or statistics of another world than ``env``'s.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no observation statistics at {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                world = (str(data["world"]) if "world" in data else "") or None
                scaler = cls(
                    data["mean"], data["var"], float(data["epsilon"]), float(data["clip"]), world
                )
        except (KeyError, ValueError, OSError) as err:
            raise ValueError(f"{path} is not written by ObservationScaler.save") from err
        check_world(world, env, f"the observation statistics {path}", other_world)
        return scaler

"""An adapter so Stable-Baselines3 can train on the native TutoringVectorEnv.

SB3 does not take a Gymnasium ``VectorEnv``; it wants its own ``VecEnv`` with
same-step autoreset and ``infos[i]["terminal_observation"]``. :class:`SB3VecEnv`
runs a :class:`~studentgym.envs.vector.TutoringVectorEnv` in ``SAME_STEP`` mode
and translates, so all students still advance in one compiled pass per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from studentgym.envs.vector import TutoringVectorEnv

INFO_KEYS = ("p_success", "cost_hours", "student_id", "final_result", "delivered")


class SB3VecEnv(VecEnv):
    """Stable-Baselines3 view of ``TutoringVectorEnv(num_envs, **env_kwargs)``."""

    def __init__(self, num_envs: int, **env_kwargs: Any) -> None:
        self.env = TutoringVectorEnv(
            num_envs=num_envs, autoreset_mode=AutoresetMode.SAME_STEP, **env_kwargs
        )
        super().__init__(num_envs, self.env.single_observation_space, self.env.single_action_space)
        self._actions = np.zeros(num_envs, dtype=np.int64)

    def reset(self) -> np.ndarray:
        seed = self._seeds[0] if self._seeds and self._seeds[0] is not None else None
        obs, _ = self.env.reset(seed=seed)
        self._reset_seeds()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)

    def step_wait(self):
        obs, reward, terminated, truncated, info = self.env.step(self._actions)
        dones = terminated | truncated
        infos: list[dict] = [{key: info[key][i] for key in INFO_KEYS} for i in range(self.num_envs)]
        for i in np.flatnonzero(dones):  # SB3 wants the last step's info, as DummyVecEnv gives
            final = info["final_info"]
            infos[i] = {key: final[key][i] for key in INFO_KEYS}
            infos[i]["terminal_observation"] = info["final_obs"][i]
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            infos[i]["episode_result"] = final["final_result"][i]
        return obs, reward.astype(np.float32), dones, infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self.env, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *args, indices=None, **kwargs) -> list[Any]:
        return [getattr(self.env, method_name)(*args, **kwargs)] * len(self._indices(indices))

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _indices(self, indices) -> Sequence[int]:
        if indices is None:
            return range(self.num_envs)
        return [indices] if isinstance(indices, int) else indices

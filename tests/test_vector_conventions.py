"""The env where third-party code expects it: Gymnasium's vector info, SB3's make_vec_env,
rendering, the tabular view in both autoreset modes, students by id."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import studentgym  # noqa: F401  (registers the environments)
from studentgym.envs.tabular import TabularObservation, TabularVectorObservation, tabular_state
from studentgym.envs.tutoring import TutoringEnv
from studentgym.envs.vector import TutoringVectorEnv

SMALL = {"n_students": 1500}
ENV_ID = "studentgym/Tutoring-v0"


def assert_same_info(ours: dict, theirs: dict, where: str = "info") -> None:
    """Same keys and masks; same dtypes and values wherever the mask is set."""
    assert sorted(ours) == sorted(theirs), where
    for key, value in theirs.items():
        if key.startswith("_"):
            np.testing.assert_array_equal(ours[key], value, err_msg=f"{where}[{key!r}]")
            continue
        if isinstance(value, dict):
            assert_same_info(ours[key], value, f"{where}[{key!r}]")
            continue
        assert ours[key].dtype == value.dtype and ours[key].shape == value.shape, (where, key)
        for i in np.flatnonzero(theirs[f"_{key}"]):
            a, b = ours[key][i], value[i]
            if isinstance(b, np.ndarray) or np.issubdtype(value.dtype, np.floating):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=f"{where}[{key}]")
            else:
                assert a == b, (where, key, i, a, b)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_native_info_has_sync_vector_envs_keys_masks_and_values(mode):
    n = 5
    native = TutoringVectorEnv(num_envs=n, autoreset_mode=mode, **SMALL)
    sync = SyncVectorEnv([lambda: TutoringEnv(**SMALL) for _ in range(n)], autoreset_mode=mode)
    ours, theirs = native.reset(seed=3), sync.reset(seed=3)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert_same_info(ours[1], theirs[1], "reset info")
    rng, ends = np.random.default_rng(0), 0
    for step in range(90):  # two or more students per slot: every autoreset path
        actions = rng.integers(0, 6, n)
        ours, theirs = native.step(actions), sync.step(actions)
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(ours[2], theirs[2])
        assert_same_info(ours[4], theirs[4], f"step {step} info")
        ends += ours[2].sum()
    assert ends >= n


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_lookahead_is_what_each_action_would_return_and_changes_nothing(mode):
    n = 6
    env = TutoringVectorEnv(
        num_envs=n, autoreset_mode=mode, shaping=1.0, max_episode_steps=30, **SMALL
    )
    with pytest.raises(RuntimeError, match="reset"):
        env.lookahead()
    twin = TutoringVectorEnv(
        num_envs=n, autoreset_mode=mode, shaping=1.0, max_episode_steps=30, **SMALL
    )
    env.reset(seed=4), twin.reset(seed=4)
    rng, rows, restarts = np.random.default_rng(1), np.arange(n), 0
    tabular = TabularVectorObservation(env)
    for _ in range(70):  # past the first students' ends: withdrawals, truncations, autoresets
        obs, reward, terminated, truncated = env.lookahead()
        assert obs.shape == (n, 6, 20) and reward.shape == terminated.shape == (n, 6)
        again = env.lookahead()  # the env's state did not move
        np.testing.assert_array_equal(again[0], obs)
        actions = rng.integers(0, 6, n)
        states, *_ = tabular.lookahead()
        np.testing.assert_array_equal(states, tabular_state(obs))
        step_obs, step_reward, step_terminated, step_truncated, info = env.step(actions)
        twin_obs, twin_reward, *_ = twin.step(actions)  # never asked for a lookahead
        np.testing.assert_array_equal(step_obs, twin_obs)
        np.testing.assert_array_equal(step_reward, twin_reward)
        taken_obs = obs[rows, actions]
        if "final_obs" in info:  # SAME_STEP: the transition's observation is the final one
            for i in np.flatnonzero(info["_final_obs"]):
                np.testing.assert_array_equal(info["final_obs"][i], taken_obs[i])
            taken_obs[info["_final_obs"]] = step_obs[info["_final_obs"]]
        np.testing.assert_array_equal(step_obs, taken_obs)
        np.testing.assert_array_equal(step_reward, reward[rows, actions])
        np.testing.assert_array_equal(step_terminated, terminated[rows, actions])
        np.testing.assert_array_equal(step_truncated, truncated[rows, actions])
        restarts += (terminated | truncated).any(axis=1).sum()
    assert restarts >= n


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_tabular_vector_view_works_in_both_autoreset_modes(mode):
    n = 4
    tabular = gym.make_vec(
        "studentgym/TutoringTabular-v0", num_envs=n, vectorization_mode="vector_entry_point",
        autoreset_mode=mode, **SMALL,
    )  # fmt: skip
    raw = TutoringVectorEnv(num_envs=n, autoreset_mode=mode, **SMALL)
    states, _ = tabular.reset(seed=1)
    obs, _ = raw.reset(seed=1)
    np.testing.assert_array_equal(states, tabular_state(obs))
    finals = 0
    for _ in range(45):
        states, *_, info = tabular.step(np.full(n, 2))
        obs, *_, raw_info = raw.step(np.full(n, 2))
        assert tabular.observation_space.contains(states)
        np.testing.assert_array_equal(states, tabular_state(obs))
        if "final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                assert info["final_obs"][i] == tabular_state(raw_info["final_obs"][i])
                finals += 1
    assert finals > 0 if mode == AutoresetMode.SAME_STEP else finals == 0


USER_SCRIPT = """
import numpy as np
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import {cls}

import studentgym

if __name__ == "__main__":
    venv = make_vec_env("studentgym/Tutoring-v0", n_envs=2, seed=0, vec_env_cls={cls})
    obs = venv.reset()
    ended = 0
    for _ in range(40):
        obs, _, dones, infos = venv.step(np.array([2, 0]))
        ended += sum("episode" in info for info in infos)
    frames = venv.get_images()  # SB3 made the envs with render_mode="rgb_array"
    print(obs.shape, ended > 0, [frame.shape for frame in frames])
    venv.close()
"""


@pytest.mark.parametrize("vec_env_cls", ["DummyVecEnv", "SubprocVecEnv"])
def test_sb3_make_vec_env_works_without_extra_kwargs(vec_env_cls, tmp_path):
    """As in a user's script: SubprocVecEnv's workers see the registration through the
    script's own ``import studentgym`` (the forkserver imports the main module)."""
    script = tmp_path / "train.py"
    script.write_text(USER_SCRIPT.format(cls=vec_env_cls))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(2, 20) True [(400, 600, 3), (400, 600, 3)]"


def test_rgb_array_draws_the_course_and_other_modes_follow_gymnasium():
    env = gym.make(ENV_ID, render_mode="rgb_array", **SMALL)
    env.reset(seed=0)
    first = env.render()
    for action in (2, 0, 3, 0, 5):
        env.step(action)
    later = env.render()
    assert later.shape == (400, 600, 3) and later.dtype == np.uint8
    assert (later != first).mean() > 0.01  # the weeks and interventions since are drawn
    frames = gym.make(ENV_ID, render_mode="rgb_array_list", **SMALL)  # RenderCollection
    frames.reset(seed=0)
    frames.step(1)
    assert len(frames.render()) == 2
    with pytest.raises(
        ValueError, match=r"render_mode must be None or one of \['ansi', 'rgb_array'\]"
    ):
        TutoringEnv(render_mode="video", **SMALL)


def test_students_by_id_and_by_split_part():
    env = TutoringEnv(**SMALL)
    ids = env.simulator.cohort.students["id_student"].to_numpy()
    _, info = env.reset(seed=0, options={"student_id": int(ids[42])})
    assert info["student_id"] == ids[42]
    pool = TabularObservation(TutoringEnv(student_ids=ids[[3, 9]], **SMALL))
    seen = set()
    for seed in range(20):
        seen.add(pool.reset(seed=seed)[1]["student_id"])
    assert seen == {ids[3], ids[9]}
    with pytest.raises(ValueError, match="not in it: \\[1\\]"):
        TutoringEnv(student_ids=[1, ids[0]], **SMALL)
    held_out = TutoringEnv(students="evaluation", **SMALL)
    assert (
        len(held_out.pool) == 750 and len(TutoringEnv(students="validation", **SMALL).pool) == 150
    )
    with pytest.raises(ValueError, match="one of \\('train', 'validation', 'evaluation'\\)"):
        TutoringEnv(students="test", **SMALL)
    vector = TutoringVectorEnv(num_envs=2, **SMALL)
    _, info = vector.reset(seed=0, options={"student_ids": ids[[5, 6]]})
    assert info["student_id"].tolist() == ids[[5, 6]].tolist()

"""The tutoring environments against Gymnasium's and SB3's contracts, and each other."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import studentgym  # noqa: F401  (registers the environments)
from studentgym.envs.tabular import N_STATES, state_name, tabular_state
from studentgym.envs.tutoring import TutoringEnv
from studentgym.envs.vector import TutoringVectorEnv
from studentgym.envs.world import WorldSpec, load_world
from studentgym.predictors.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    weekly_features,
)
from studentgym.predictors.weekly import WeeklySuccessModel
from studentgym.recommenders.evaluation import course_value
from studentgym.simulators import dynamics
from studentgym.simulators.counter_rng import uniforms_scalar
from studentgym.simulators.student import StudentSimulator

SMALL = {"n_students": 1500}  # a small cached world keeps the tests fast
ENV_ID = "studentgym/Tutoring-v0"


def make(**kwargs) -> gym.Env:
    return gym.make(ENV_ID, **{**SMALL, **kwargs})


def rollout(env, seed: int, actions) -> list:
    obs, info = env.reset(seed=seed)
    trace = [(obs, info["p_success"])]
    for a in actions:
        obs, reward, terminated, _, info = env.step(a)
        trace.append((obs, reward, terminated, info["final_result"]))
        if terminated:
            break
    return trace


@pytest.mark.parametrize("render_mode", ["ansi", "rgb_array"])
def test_gymnasium_and_sb3_checkers_pass_without_warnings(render_mode):
    env = make(render_mode=render_mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
        sb3_check_env(env.unwrapped)


def test_observations_stay_in_space_and_info_is_complete():
    env = make()
    space = env.observation_space
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=3)
    episodes = 0
    while episodes < 15:
        assert space.contains(obs), obs
        obs, reward, terminated, truncated, info = env.step(int(rng.integers(6)))
        assert isinstance(reward, float) and type(terminated) is bool
        assert type(truncated) is bool and not truncated
        parts = info["rewards"]
        assert reward == pytest.approx(parts["outcome"] + parts["cost"] + parts["shaping"])
        assert {"p_success", "cost_hours", "final_result", "student_id", "week"} <= set(info)
        if terminated:
            assert info["final_result"] in {"Pass", "Fail", "Withdrawn"}
            assert parts["outcome"] == (1.0 if info["final_result"] == "Pass" else -1.0)
            episodes += 1
            obs, info = env.reset()
        else:
            assert info["final_result"] is None


def test_same_seed_same_trajectory_and_different_seeds_differ():
    actions = [0, 2, 5, 0, 3, 1, 4, 0] * 5
    a = rollout(make(), 7, actions)
    b = rollout(make(), 7, actions)
    c = rollout(make(), 8, actions)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x[0], y[0])
        assert x[1:] == y[1:]
    assert not np.array_equal(a[0][0], c[0][0]) or a[1:] != c[1:]


def test_pickle_and_deepcopy_keep_the_state():
    env = make()
    env.reset(seed=5)
    for a in (2, 0, 5):
        env.step(a)
    clones = [copy.deepcopy(env), pickle.loads(pickle.dumps(env))]
    for clone in clones:
        for a in (1, 0, 3, 2, 0):
            expected = env.step(a) if clone is clones[0] else None
            got = clone.step(a)
            if expected is not None:
                np.testing.assert_array_equal(expected[0], got[0])
                assert expected[1:4] == got[1:4]
            if got[2]:
                break


@pytest.mark.parametrize("action", [6, -1, 1.5, "2", None])
def test_out_of_range_actions_raise(action):
    env = make()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be an integer"):
        env.unwrapped.step(action)


def test_stepping_after_the_end_raises():
    env = TutoringEnv(**SMALL)
    env.reset(seed=1)
    terminated = False
    while not terminated:
        _, _, terminated, _, _ = env.step(0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


@pytest.mark.parametrize("outcome_reward", ["sampled", "expected"])
def test_vector_env_equals_single_envs_on_the_same_seeds(outcome_reward):
    n = 6
    kwargs = {**SMALL, "outcome_reward": outcome_reward}
    venv = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
    assert isinstance(venv, TutoringVectorEnv)
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    singles = [TutoringEnv(**kwargs) for _ in range(n)]
    obs, info = venv.reset(seed=100)
    expected = [e.reset(seed=100 + i) for i, e in enumerate(singles)]
    np.testing.assert_array_equal(obs, np.stack([o for o, _ in expected]))
    restart = [False] * n
    rng = np.random.default_rng(1)
    for _ in range(90):  # several episodes per slot: autoreset included
        actions = rng.integers(0, 6, n)
        obs, reward, terminated, truncated, info = venv.step(actions)
        assert not truncated.any()
        for i, env in enumerate(singles):
            if restart[i]:
                o, si = env.reset()
                r, t, result = 0.0, False, None
            else:
                o, r, t, _, si = env.step(int(actions[i]))
                result = si["final_result"]
            np.testing.assert_array_equal(obs[i], o)
            assert terminated[i] == t and info["final_result"][i] == result
            assert reward[i] == pytest.approx(r, rel=1e-12, abs=1e-12)
            # summation order differs (einsum vs a Python loop): equal to rounding
            assert info["p_success"][i] == pytest.approx(si["p_success"], rel=1e-12, abs=1e-15)
            restart[i] = t
        assert venv.observation_space.contains(obs)


def test_reset_options_choose_the_students_and_keep_the_random_numbers():
    env = TutoringVectorEnv(num_envs=4, **SMALL)
    rows = np.array([7, 7, 300, 1499])
    _, info = env.reset(seed=5, options={"students": rows})
    ids = env.simulator.cohort.students["id_student"].to_numpy()
    np.testing.assert_array_equal(info["student_id"], ids[rows])
    single = TutoringEnv(simulator=env.simulator)
    _, single_info = single.reset(seed=7, options={"student": 300})  # slot 2 is seeded 5 + 2
    assert single_info["student_id"] == ids[300]
    obs, reward, *_ = env.step(np.full(4, 3))
    single_obs, single_reward, *_ = single.step(3)
    np.testing.assert_array_equal(obs[2], single_obs)
    assert reward[2] == single_reward
    for bad in ([1, 2, 3], [0, 1, 2, 1500], [-1, 0, 0, 0]):
        with pytest.raises(ValueError, match="cohort positions"):
            env.reset(seed=5, options={"students": bad})
    # a refused reset changes nothing: the next episode is the one it would have been
    twin = TutoringEnv(simulator=env.simulator)
    single.reset(seed=3)
    twin.reset(seed=3)
    with pytest.raises(ValueError, match="cohort position"):
        single.reset(options={"student": 1500})
    assert single.reset()[1]["student_id"] == twin.reset()[1]["student_id"]


def test_vector_env_validates_actions():
    venv = TutoringVectorEnv(num_envs=3, **SMALL)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="3 integers"):
        venv.step(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"lie in \[0, 6\)"):
        venv.step(np.array([0, 1, 6]))


def test_gym_make_without_import_and_kwargs_pass_through(tmp_path):
    code = (
        "import gymnasium as gym\n"
        "env = gym.make('studentgym:studentgym/Tutoring-v0', n_students=300, hour_price=0.5,"
        " outcome_model='ground_truth')\n"
        "env.reset(seed=0)\n"
        "_, r, *_ = env.step(3)\n"
        "assert env.unwrapped.params.outcome_model == 'ground_truth'\n"
        "print(round(r, 3))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "-1.0"  # 2 tutor hours at 0.5


def test_budget_limits_what_is_delivered():
    env = TutoringEnv(budget_hours=2.0, **SMALL)
    env.reset(seed=4)
    _, r1, *_, info1 = env.step(3)  # 2 hours: within budget
    assert info1["delivered"] and info1["cost_hours"] == 2.0 and r1 == pytest.approx(-0.04)
    assert info1["action_mask"].tolist() == [1, 0, 0, 0, 0, 0]
    _, r2, *_, info2 = env.step(5)  # nothing left
    assert not info2["delivered"] and info2["cost_hours"] == 2.0 and r2 == 0.0


def test_expected_outcome_reward_is_two_p_minus_one_at_the_end():
    env = TutoringVectorEnv(num_envs=64, outcome_reward="expected", **SMALL)
    env.reset(seed=3)
    done, ends = np.zeros(64, dtype=bool), 0
    while not done.all():
        _, _, terminated, _, info = env.step(np.zeros(64, dtype=np.int64))
        outcome, result = info["rewards"]["outcome"], info["final_result"]
        ended = terminated & ~done
        withdrawn = ended & (result == "Withdrawn")
        completed = ended & ~withdrawn
        np.testing.assert_array_equal(outcome[withdrawn], -1.0)
        np.testing.assert_allclose(outcome[completed], 2.0 * info["p_success"][completed] - 1.0)
        assert np.all(outcome[~terminated] == 0.0)
        ends += completed.sum()
        done |= terminated
    assert ends > 10
    with pytest.raises(ValueError, match="outcome_reward"):
        TutoringEnv(outcome_reward="mean", **SMALL)


@pytest.mark.parametrize("first_action", [0, 3, 5])
def test_ground_truth_play_out_is_worth_what_the_env_pays(first_action):
    """The oracle's and the true benefits' ``course_value`` and the env share one reward."""
    env = TutoringVectorEnv(
        num_envs=200,
        outcome_model="ground_truth",
        outcome_reward="expected",
        hour_price=0.05,
        **SMALL,
    )
    env.reset(seed=4)
    value = course_value(env.simulator, env.state.copy(), np.full(200, first_action), 0.05)
    paid, done = np.zeros(200), np.zeros(200, dtype=bool)
    results = np.full(200, "", dtype=object)
    actions = np.full(200, first_action)
    while not done.all():
        _, reward, terminated, _, info = env.step(actions)
        paid += np.where(done, 0.0, reward)
        results[terminated & ~done] = info["final_result"][terminated & ~done]
        done |= terminated
        actions = np.zeros(200, dtype=np.int64)
    np.testing.assert_allclose(paid, value, rtol=0, atol=1e-12)
    assert {"Withdrawn", "Pass", "Fail"} <= set(results)  # both ends of the course are covered


def test_shaping_telescopes_to_minus_the_first_potential():
    env = TutoringEnv(shaping=0.5, **SMALL)
    _, info = env.reset(seed=9)
    first = info["p_success"]
    total, terminated = 0.0, False
    while not terminated:
        _, _, terminated, _, info = env.step(2)
        total += info["rewards"]["shaping"]
    assert total == pytest.approx(-0.5 * (2 * first - 1))


def test_ansi_render_and_tabular_view():
    env = make(render_mode="ansi")
    env.reset(seed=0)
    env.step(2)
    line = env.render()
    assert "week  2/39" in line and "Engagement nudge" in line
    tab = gym.make("studentgym/TutoringTabular-v0", **SMALL)
    assert tab.observation_space == gym.spaces.Discrete(N_STATES)
    state, _ = tab.reset(seed=0)
    assert 0 <= state < N_STATES
    vt = gym.make_vec(
        "studentgym/TutoringTabular-v0",
        num_envs=4,
        vectorization_mode="vector_entry_point",
        **SMALL,
    )
    states, _ = vt.reset(seed=0)
    assert states.shape == (4,) and vt.single_observation_space.n == N_STATES
    obs = np.zeros(20, dtype=np.float32)
    obs[[1, 8, 15]] = [5, 35 / 39, 0.2]  # active, week 35 of 39, high risk: not in the state
    assert tabular_state(obs) == 35 * 32 + 0
    assert state_name(tabular_state(obs)) == "week 35 / given: none"
    obs[[9, 13]] = [1, 3]  # study skills once, the tutor call three times
    obs[8] = 3 / 39  # week 3
    batch = np.stack([obs, np.zeros(20, dtype=np.float32)])
    np.testing.assert_array_equal(tabular_state(batch), [3 * 32 + 0b10001, 0])
    assert state_name(tabular_state(batch[0])) == "week 3 / given: study_skills, tutor_call"
    assert state_name(N_STATES - 1) == (
        "week 39 / given: study_skills, engagement_nudge, assessment_practice, "
        "support_referral, tutor_call"
    )
    assert tabular_state(np.full(20, 1.0, dtype=np.float32)) == N_STATES - 1  # the last week


def test_simulator_features_match_weekly_features():
    """The env's running features equal the pandas pipeline on the same activity."""
    env = TutoringVectorEnv(num_envs=200, outcome_model="ground_truth", **SMALL)
    sim = env.simulator
    rows = np.arange(200)
    state = sim.new_batch(rows, np.arange(200, dtype=np.uint64) * 9 + 5)
    clicks, days, subs = [], [], []
    for week in range(12):
        sim.step_batch(
            state, np.zeros(200, dtype=np.int64) + (week % 3 == 1) * 2, allow_withdrawal=False
        )
        clicks.append(state.clicks_last.copy())
        days.append(state.days_last.copy())
        if sim.assessment_due[week]:
            new = state.sub_week_sum.copy()  # submitted this week where it grew
            subs.append((week, new, state.score_last.copy()))
    X_sim, _ = sim.observe(state)
    cohort = sim.cohort.subset(rows)
    ids = cohort.students["id_student"].to_numpy()
    vle = pd.DataFrame(
        {
            "id_student": np.tile(ids, 12),
            "week": np.repeat(np.arange(12), 200),
            "sum_click": np.concatenate(clicks),
            "active_days": np.concatenate(days),
        }
    )
    sched = cohort.assessments
    records, previous = [], np.zeros(200)
    for week, week_sums, score in subs:
        submitted = week_sums > previous
        previous = week_sums
        for pres_rows in [np.flatnonzero(submitted)]:
            keys = cohort.students.iloc[pres_rows][["code_module", "code_presentation"]]
            ida = keys.merge(sched[sched["week"] == week], how="left")["id_assessment"]
            records.append(
                pd.DataFrame(
                    {
                        "id_assessment": ida.to_numpy(),
                        "id_student": ids[pres_rows],
                        "date_submitted": 7 * week,
                        "is_banked": 0,
                        "score": score[pres_rows],
                    }
                )
            )
    tables = type("Tables", (), {})()
    tables.students, tables.vle, tables.assessments = cohort.students, vle, sched
    tables.student_assessments = pd.concat(records, ignore_index=True)
    tables.config = cohort.config
    X_pd = weekly_features(tables, 12)[list(NUMERIC_FEATURES)].to_numpy()
    np.testing.assert_allclose(X_sim, X_pd, rtol=1e-9, atol=1e-9)


def test_compiled_success_probability_matches_the_weekly_pipelines():
    """The step's P(success) is scikit-learn's, for students at different weeks, and the
    env's (cached) world holds exactly the arrays of that fit."""
    world = load_world(WorldSpec(**SMALL))
    model = WeeklySuccessModel().fit(world.cohort)
    for name in ("low_", "high_", "fill_", "slope_", "offset_"):
        np.testing.assert_array_equal(getattr(world.success_model, name), getattr(model, name))
    sim = StudentSimulator(world.cohort, model)
    rows = np.arange(0, 1500, 5)
    state = sim.start_batch(rows, np.arange(len(rows), dtype=np.uint64) * 31 + 1)
    for week in range(1, 7):
        act = np.where(rows % 7 == week, rows % 6, 0)  # some interventions on the way
        sim.step_batch(state, act, allow_withdrawal=rows % 2 == 0)
        X, p = sim.observe(state)
        frame = pd.DataFrame(X, columns=list(NUMERIC_FEATURES))
        for column in CATEGORICAL_FEATURES:
            frame[column] = sim.cohort.students[column].to_numpy()[rows]
        expected = sim.success_model.predict_proba(week + 1, frame)[:, 1]
        np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-12)
    assert np.isnan(X[:, NUMERIC_FEATURES.index("score_mean")]).any()  # fills were exercised


def test_compiled_week_runs_the_dynamics_equations():
    """The compiled step's engagement, active days and withdrawals are dynamics.py's.

    Also guards against a stale numba cache after an edit of dynamics.py.
    """
    sim = TutoringEnv(**SMALL).simulator
    rows = np.arange(0, 1500, 3)
    state = sim.start_batch(rows, np.arange(len(rows), dtype=np.uint64) * 7 + 3)
    before = state.copy()
    _, _, withdrew, _ = sim.step_batch(state, np.zeros(len(rows), dtype=np.int64))
    week = int(before.week[0])
    u = np.array([uniforms_scalar(int(k), week) for k in before.keys])
    cfg = sim.cohort.config
    need = state.needs  # no intervention yet: nothing relieved
    eta = dynamics.engagement(state.motivation, need)
    np.testing.assert_allclose(state.eta, eta, rtol=1e-12)
    hazard = dynamics.sigmoid(
        dynamics.withdrawal_logit(
            week,
            state.motivation,
            state.ability,
            need,
            state.credits_z,
            state.withdrawal_offset,
            cfg.early_withdrawal_boost,
            cfg.early_withdrawal_weeks,
        )
    )
    np.testing.assert_array_equal(withdrew, u[:, 13] < hazard)
    days = (u[:, :7] < dynamics.active_day_probability(eta)[:, None]).sum(axis=1)
    np.testing.assert_array_equal(state.days_last, np.where(withdrew, 0, days))
    assert 0 < withdrew.sum() < len(rows) and 0 < days.mean() < 7


def test_simulator_rejects_bad_steps_without_moving_anyone():
    sim = TutoringEnv(**SMALL).simulator
    state = sim.start_batch(np.arange(3), np.arange(3, dtype=np.uint64))
    before = state.copy()
    for bad in ([0, 7, 0], [-1, 0, 0]):
        with pytest.raises(ValueError, match="actions must lie"):
            sim.step_batch(state, np.array(bad))
    np.testing.assert_array_equal(state.values, before.values)
    np.testing.assert_array_equal(state.ints, before.ints)
    for _ in range(sim.n_weeks - 1):
        sim.step_batch(state, np.zeros(3, dtype=np.int64), allow_withdrawal=False)
    with pytest.raises(ValueError, match="past the end of the course"):
        sim.step_batch(state, np.zeros(3, dtype=np.int64))


def test_ground_truth_is_not_trivial():
    """Some fixed policy beats doing nothing, and the best intervention differs by group."""
    n = 1500
    from studentgym.envs.observation import WEEK_FRACTION

    def returns(action: int) -> tuple[np.ndarray, np.ndarray]:
        env = TutoringVectorEnv(num_envs=n, outcome_model="ground_truth", **SMALL)
        obs, _ = env.reset(seed=11)
        rows = env._state.row.copy()
        total, done = np.zeros(n), np.zeros(n, dtype=bool)
        while not done.all():
            week = np.rint(obs[:, WEEK_FRACTION] * env.n_weeks)
            act = np.where(np.isin(week, [1, 9]) & ~done, action, 0)  # twice, weeks 1 and 9
            obs, reward, terminated, _, _ = env.step(act)
            total += np.where(done, 0.0, reward)
            done |= terminated
        return total, rows

    nothing, rows = returns(0)
    gains = {a: returns(a)[0] - nothing for a in range(1, 6)}  # common random numbers
    best_gain = max(g.mean() for g in gains.values())
    se = max(g.std() / np.sqrt(n) for g in gains.values())
    assert best_gain > 3 * se > 0, "some intervention policy must beat doing nothing"
    needs = TutoringEnv(**SMALL).simulator.cohort.traits.needs[rows]
    high_activity_need = needs[:, 4] > np.quantile(needs[:, 4], 0.75)
    high_assessment_need = (needs[:, 2] > np.quantile(needs[:, 2], 0.75)) & ~high_activity_need
    best = {
        name: max(gains, key=lambda a, m=mask: gains[a][m].mean())
        for name, mask in (("activity", high_activity_need), ("assessment", high_assessment_need))
    }
    assert best["activity"] != best["assessment"], best

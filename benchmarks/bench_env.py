"""Tutoring env speed as ratios against CartPole measured in the same run.

- single env: steps per second of ``gym.make("studentgym/Tutoring-v0")`` over
  ``gym.make("CartPole-v1")`` (both with Gymnasium's wrappers, random actions,
  resets included); floor 0.5, goal 1.0;
- vector env: student-steps per second of ``TutoringVectorEnv(4096)`` over
  ``CartPoleVectorEnv(num_envs=4096)``; floor 0.10, goal 0.25.

The exit status guards the floors (a regression fails); the goals are issue 15's and
are printed beside each ratio. The vector env's time is then split by part of its
step, in nanoseconds per student-step: the compiled week (``batch.step_week``), the
compiled features, P(success) and observation (``batch.observe_view``), and the env's
Python around them (autoreset, rewards, info).

Each measurement is the best of ``--repeats`` runs, interleaved with its
reference so that machine noise hits both alike.

    python benchmarks/bench_env.py
"""

from __future__ import annotations

import argparse
import sys
import time

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

import studentgym  # noqa: F401  (registers the environments)
from studentgym.envs.observation import EnvKernel

SINGLE_FLOOR, VECTOR_FLOOR = 0.5, 0.10
SINGLE_GOAL, VECTOR_GOAL = 1.0, 0.25


def single_rate(env: gym.Env, steps: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, env.action_space.n, steps).tolist()
    env.reset(seed=seed)
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def vector_rate(env, steps: int, n_actions: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, n_actions, (steps, env.num_envs))
    env.reset(seed=seed)
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    return steps * env.num_envs / (time.perf_counter() - start)


def vector_parts(env, steps: int, seed: int = 0) -> dict[str, float]:
    """Nanoseconds per student-step of each part of ``env``'s step.

    At each step of a rollout of random actions, the parts are timed one by one on a
    copy of the students still in their course (the others restart in this step), then
    the env's own step; the env's Python is what its step spends beyond the parts.
    """
    rng = np.random.default_rng(seed)
    sim, kernel = env.simulator, EnvKernel(env.simulator)
    clock = time.perf_counter
    seconds = dict.fromkeys(("week", "observed", "total"), 0.0)
    running_students = 0
    env.reset(seed=seed)
    for a in rng.integers(0, 6, (steps, env.num_envs)):
        s = env.state
        running = (s.week < sim.n_weeks) & ~s.withdrawn
        copy, allow = s.take(running), np.ones(running.sum(), dtype=bool)
        running_students += len(copy)
        start = clock()
        sim.step_batch(copy, a[running], allow)
        seconds["week"] += clock() - start
        start = clock()
        kernel.observe(copy)
        seconds["observed"] += clock() - start
        start = clock()
        env.step(a)
        seconds["total"] += clock() - start
    ns = {name: value / running_students * 1e9 for name, value in seconds.items()}
    ns["total"] = seconds["total"] / (steps * env.num_envs) * 1e9
    return {
        "week": ns["week"],
        "features, P(success) and observation": ns["observed"],
        "env (Python)": ns["total"] - ns["week"] - ns["observed"],
        "total": ns["total"],
    }


def best_ratio(measure, reference, repeats: int) -> tuple[float, float, float]:
    ours, theirs = [], []
    for _ in range(repeats):
        theirs.append(reference())
        ours.append(measure())
    return max(ours) / max(theirs), max(ours), max(theirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="single-env steps per run")
    parser.add_argument("--vector-steps", type=int, default=200, help="vector steps per run")
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    tutoring, cartpole = gym.make("studentgym/Tutoring-v0"), gym.make("CartPole-v1")
    single, ours, ref = best_ratio(
        lambda: single_rate(tutoring, args.steps),
        lambda: single_rate(cartpole, args.steps),
        args.repeats,
    )
    print(
        f"single env: {ours:,.0f} steps/s vs CartPole-v1 {ref:,.0f}: ratio {single:.2f} "
        f"(floor {SINGLE_FLOOR}, goal {SINGLE_GOAL})"
    )

    venv = gym.make_vec(
        "studentgym/Tutoring-v0", num_envs=args.num_envs, vectorization_mode="vector_entry_point"
    )
    cvec = CartPoleVectorEnv(num_envs=args.num_envs)
    vector, ours, ref = best_ratio(
        lambda: vector_rate(venv, args.vector_steps, 6),
        lambda: vector_rate(cvec, args.vector_steps * 5, 2),
        args.repeats,
    )
    print(
        f"vector env ({args.num_envs}): {ours:,.0f} student-steps/s vs CartPoleVectorEnv "
        f"{ref:,.0f}: ratio {vector:.3f} (floor {VECTOR_FLOOR}, goal {VECTOR_GOAL})"
    )
    parts = vector_parts(venv.unwrapped, args.vector_steps)
    cartpole_ns = 1e9 / ref
    print(
        "  ns per student-step: "
        + ", ".join(f"{name} {ns:.0f}" for name, ns in parts.items())
        + f" (CartPoleVectorEnv {cartpole_ns:.0f}; goal {cartpole_ns / VECTOR_GOAL:.0f})"
    )
    ok = single >= SINGLE_FLOOR and vector >= VECTOR_FLOOR
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

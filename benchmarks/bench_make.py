"""What a fresh Python process pays to make the tutoring env, as a ratio against CartPole.

Each sample is a new interpreter running ``import gymnasium, studentgym;
gym.make(ENV).reset(seed=0)``: start-up, imports, the world (loaded from the cache,
which the first, uncounted run fills) and the first reset. Tutoring and CartPole
processes alternate so that machine noise hits both alike; the ratio is of the
medians. Goal: at most 5 (issue 15); the exit status guards a floor of 7 (31 before the
world cache, 7.7 while a warm make still generated the cohort's tables with pandas).
``--cold`` also times one build of the world into an empty cache.

A third process measures what the libraries alone cost: gymnasium and numba imported
and one compiled function of the simulator loaded from numba's cache and called (numba
imports scipy, and scipy.linalg at its first call, to check for BLAS). The difference to
it is what studentgym itself adds.

    python benchmarks/bench_make.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

GOAL, FLOOR = 5.0, 7.0
CODE = "import gymnasium as gym, studentgym; gym.make({env!r}{kwargs}).reset(seed=0)"
LIBRARIES = (
    "import gymnasium, numpy as np; from studentgym.simulators import batch; "
    "batch.uniforms(1, 0, np.empty(16))"
)


def process_seconds(env_id: str, kwargs: str = "", environ: dict | None = None) -> float:
    """Wall time of one fresh interpreter making and resetting ``env_id``."""
    return code_seconds(CODE.format(env=env_id, kwargs=kwargs), environ)


def code_seconds(code: str, environ: dict | None = None) -> float:
    """Wall time of one fresh interpreter running ``code``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=environ, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--world", default="default", help="'default' or 'benchmark'")
    parser.add_argument("--cold", action="store_true", help="also time a build into an empty cache")
    args = parser.parse_args(argv)
    kwargs = f", world={args.world!r}"

    process_seconds("studentgym/Tutoring-v0", kwargs)  # fills the cache if it is empty
    ours, theirs, floor = [], [], []
    for _ in range(args.repeats):
        theirs.append(process_seconds("CartPole-v1"))
        ours.append(process_seconds("studentgym/Tutoring-v0", kwargs))
        floor.append(code_seconds(LIBRARIES))
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"fresh process, make + reset ({args.world} world, warm cache): "
        f"{statistics.median(ours):.2f} s (range {min(ours):.2f}-{max(ours):.2f}) vs "
        f"CartPole-v1 {statistics.median(theirs):.2f} s: ratio {ratio:.1f} "
        f"(floor <= {FLOOR:g}, goal <= {GOAL:g})"
    )
    libraries, reference = statistics.median(floor), statistics.median(theirs)
    print(
        f"the libraries alone (gymnasium, numba and its first cached call): "
        f"{libraries:.2f} s, ratio {libraries / reference:.1f}; "
        f"studentgym adds {statistics.median(ours) - libraries:.2f} s"
    )
    if args.cold:
        with tempfile.TemporaryDirectory() as empty:
            cold = process_seconds(
                "studentgym/Tutoring-v0", kwargs, {**os.environ, "STUDENTGYM_CACHE": empty}
            )
        print(f"fresh process, make + reset, building the {args.world} world: {cold:.1f} s")
    ok = ratio <= FLOOR
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Cohort generation speed and memory, as ratios against a reference in the same run.

Reference workload: the least any generator of these tables must do: draw the
same number of weekly random numbers (4 per student-week) and build a long
student-week DataFrame of the same size. The generator is timed against it
(best of ``--repeats``), and its peak memory is measured at N/2 and N students:
a ratio near 2 means memory linear in students.

    python benchmarks/bench_cohort.py            # OULAD-sized: 32,593 students x 39 weeks
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from studentgym.simulators import CohortConfig, CohortGenerator

MAX_TIME_RATIO = 25.0  # generator / reference; a few seconds on OULAD's size
MAX_MEMORY_DOUBLING = 2.3  # peak(N) / peak(N/2); 2.0 is exactly linear


def reference_workload(n_students: int, n_weeks: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    draws = rng.standard_normal((4, n_students, n_weeks))
    row, week = np.divmod(np.arange(n_students * n_weeks), n_weeks)
    pd.DataFrame(
        {
            "id_student": row,
            "week": week,
            "sum_click": draws[0].ravel(),
            "active_days": draws[1].ravel(),
        }
    )


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(config: CohortConfig) -> int:
    tracemalloc.start()
    CohortGenerator(config, seed=0).generate()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=CohortConfig.n_students)
    parser.add_argument("--weeks", type=int, default=CohortConfig.n_weeks)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    config = dataclasses.replace(CohortConfig(), n_students=args.students, n_weeks=args.weeks)

    t_ref = best_time(lambda: reference_workload(args.students, args.weeks), args.repeats)
    t_gen = best_time(lambda: CohortGenerator(config, seed=0).generate(), args.repeats)
    half = dataclasses.replace(config, n_students=args.students // 2)
    mem_half, mem_full = peak_memory(half), peak_memory(config)

    time_ratio, memory_ratio = t_gen / t_ref, mem_full / mem_half
    print(f"cohort: {args.students} students x {args.weeks} weeks")
    print(
        f"  generator  {t_gen:7.3f} s   reference {t_ref:7.3f} s   ratio {time_ratio:5.1f} "
        f"(limit {MAX_TIME_RATIO})"
    )
    print(
        f"  peak memory {mem_half / 2**20:7.1f} MiB at N/2, {mem_full / 2**20:7.1f} MiB at N: "
        f"ratio {memory_ratio:.2f} (linear = 2.00, limit {MAX_MEMORY_DOUBLING})"
    )
    print(f"  memory per student {mem_full / args.students / 1024:.1f} KiB")
    ok = time_ratio <= MAX_TIME_RATIO and memory_ratio <= MAX_MEMORY_DOUBLING
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Reading OULAD's files: time as a ratio to a bare ``pd.read_csv`` of studentVle.csv.

Writes an OULAD-sized synthetic cohort as the seven files (daily VLE rows), then
times :func:`studentgym.io.oulad.read_oulad` (validation, chunked aggregation to
weeks) against reading ``studentVle.csv`` whole with pandas' defaults in the
same process (best of ``--repeats`` interleaved runs each, as bench_env does),
and reports the reader's peak traced memory. Target: ratio <= 4.

    python benchmarks/bench_oulad.py --students 32593
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from studentgym.io.oulad import read_oulad, write_oulad
from studentgym.simulators import CohortConfig, CohortGenerator

TARGET = 4.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=CohortConfig.n_students)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    config = dataclasses.replace(CohortConfig(), n_students=args.students)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_oulad(CohortGenerator(config, seed=0).generate(), folder)
        ours, reference = [], []  # best of --repeats, interleaved so noise hits both
        for _ in range(args.repeats):
            start = time.perf_counter()
            rows = len(pd.read_csv(folder / "studentVle.csv"))
            reference.append(time.perf_counter() - start)
            start = time.perf_counter()
            tables = read_oulad(folder, progress=False)
            ours.append(time.perf_counter() - start)
        ours, reference = min(ours), min(reference)
        tracemalloc.start()  # a second, traced run: tracing slows it, so it is not timed
        read_oulad(folder, progress=False)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    ratio = ours / reference
    print(
        f"studentVle.csv: {rows:,} daily rows -> {len(tables.vle):,} weekly rows; "
        f"read_oulad {ours:.1f} s vs pd.read_csv {reference:.1f} s: ratio {ratio:.2f} "
        f"(target <= {TARGET}); peak traced memory {peak:,.0f} MiB"
    )
    print("PASS" if ratio <= TARGET else "FAIL")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

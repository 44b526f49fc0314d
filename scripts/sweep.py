"""Run a sweep of the benchmark on Ray: a YAML grid of settings, one tidy CSV, resumable.

    python scripts/sweep.py sweeps/robustness.yml              # a local Ray on this machine
    python scripts/sweep.py sweeps/robustness.yml --quick      # quick-sized runs
    python scripts/sweep.py sweeps/robustness.yml --address auto   # on a node of a cluster
    RAY_ADDRESS=10.0.0.1:6379 python scripts/sweep.py sweeps/robustness.yml   # the same

On a cluster (``ray start --head`` on one node, ``ray start --address <head>:6379`` on
the others, studentgym installed on each), run the script on any node of it.

The grid's format and the CSV's columns are in ``studentgym/experiment/sweep.py``.
Started again with the same grid and ``--out``, it runs only the runs not yet in
``sweep.csv``. Exit status 1 if a run failed (a later invocation retries it), 2 for a
grid it refuses (before any run starts).
"""

from __future__ import annotations

import argparse
import sys
import time

from studentgym.experiment.sweep import SWEEP_CSV, load_sweep, run_sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grid", help="the sweep's YAML file (settings and grid)")
    parser.add_argument("--out", default="outputs/sweep", help="folder (default: outputs/sweep)")
    parser.add_argument("--quick", action="store_true", help="runs start from Settings.quick()")
    parser.add_argument("--address", help="a Ray cluster (default: RAY_ADDRESS, else local)")
    parser.add_argument(
        "--no-ray", action="store_true", help="run in this process, one run after another"
    )
    args = parser.parse_args(argv)
    try:
        runs = load_sweep(args.grid, quick=args.quick)
    except (ValueError, FileNotFoundError) as err:
        print(f"sweep.py: error: {err}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    failed = run_sweep(runs, args.out, address=args.address, use_ray=not args.no_ray)
    print(
        f"sweep: {len(runs) - len(failed)} of {len(runs)} runs in {args.out}/{SWEEP_CSV} "
        f"({time.perf_counter() - started:.0f} s this invocation)"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Estimate a policy's value from logged interventions, before any student meets it.

    python scripts/evaluate_offline.py --logs outputs/logged_interventions.csv \
        --policy none --policy schedule:1=2,5=3 --policy qtable:outputs/q_table.npz

The log has one row per student-week (format: ``studentgym.ope.episodes``): episode,
week, action, final_result, the logging policy's propensity (estimated from the
observations if absent) and the env's 20 observation columns. Each policy gets every
off-policy estimator (IS, WIS, PDIS, WPDIS, DR, WDR, FQE) and the diagnostics that
say how far to trust them: effective sample size, the share of logged episodes the
policy could have produced, and a 95% lower bound on its value. Which estimator to
trust at which log size is measured against the truth by
``train_agent.py --offline-check`` (``ope_evaluation.csv``).
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from studentgym.atomic import atomic_write_csv
from studentgym.ope.diagnostics import effective_sample_size, lower_bound, support_share
from studentgym.ope.episodes import read_log
from studentgym.ope.estimators import estimate_all
from studentgym.ope.targets import SPECS, logged_probabilities, policy_from_spec
from studentgym.simulators.reward import HOUR_PRICE
from studentgym.simulators.student import DEFAULT_BUDGET_HOURS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", required=True, help="CSV of logged interventions")
    parser.add_argument(
        "--policy",
        action="append",
        required=True,
        help="a policy to judge (repeatable): " + "; ".join(SPECS),
    )
    parser.add_argument("--out", help="also write the table to this CSV")
    args = parser.parse_args(argv)
    try:
        episodes = read_log(args.logs)
        policies = {spec: policy_from_spec(spec) for spec in args.policy}
        targets = {spec: logged_probabilities(p, episodes) for spec, p in policies.items()}
    except (ValueError, FileNotFoundError) as err:
        print(f"evaluate_offline.py: error: {err}", file=sys.stderr)
        return 2
    # any course's return lies in [-1 - the budget's cost, +1]: the bound's range
    returns = (-1.0 - HOUR_PRICE * DEFAULT_BUDGET_HOURS, 1.0)
    rows = []
    for spec, target in targets.items():
        rows.append(
            {
                "policy": spec,
                **{k: round(v, 4) for k, v in estimate_all(episodes, target).items()},
                "lower_bound_95": round(lower_bound(episodes, target, returns), 4),
                "ess": round(effective_sample_size(episodes, target), 1),
                "support": round(support_share(episodes, target), 4),
            }
        )
    table = pd.DataFrame(rows)
    print(
        f"{episodes.n_episodes:,} logged episodes, mean return {episodes.returns.mean():+.4f}"
        + (
            " (propensities estimated from the observations)"
            if episodes.propensity_estimated
            else ""
        )
    )
    print(table.to_string(index=False))
    if args.out:
        atomic_write_csv(table, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The offline check in words and in a figure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from studentgym.ope.estimators import ESTIMATORS
from studentgym.ope.truth import OfflineCheck
from studentgym.predictors.plots import save_figure


def offline_summary(check: OfflineCheck, logging_policy: str) -> list[str]:
    """Markdown lines: which estimator to trust at which log size, as measured."""
    evaluation, rankings = check.evaluation, check.rankings
    n_policies = evaluation["policy"].nunique()
    lines = [
        "## Off-policy evaluation, checked against the truth",
        "",
        f"Logs of training students under {logging_policy}; every estimator estimates "
        f"the value of {n_policies} policies from each log, and is compared with the "
        "policy's true value (its mean return on the same students under the ground "
        "truth). `ope_evaluation.csv` has bias, spread and RMSE per log size, policy and "
        "estimator; `ope_rankings.csv` how often each estimator orders the policies as "
        "the truth does.",
        "",
    ]
    for size, at_size in evaluation.groupby("size", sort=True):
        rmse = at_size.groupby("estimator")["rmse"].mean().reindex(ESTIMATORS)
        ranks = rankings[rankings["size"] == size].set_index("estimator")
        logs = int(ranks["logs"].iloc[0])
        top = ranks["kendall_tau"].idxmax()
        lines.append(
            f"- With {size:,} logged students ({logs} logs): {top} ranks the policies closest "
            f"to the truth (mean Kendall's tau {ranks.loc[top, 'kendall_tau']:+.2f}); it finds "
            f"the best policy in {ranks.loc[top, 'best_found'] * logs:.0f} of {logs} logs and "
            f"orders all {n_policies} as the truth does in "
            f"{ranks.loc[top, 'order_kept'] * logs:.0f}. Mean RMSE over policies: "
            + ", ".join(f"{name} {value:.3f}" for name, value in rmse.items())
            + "."
        )
    largest = evaluation[evaluation["size"] == evaluation["size"].max()]
    support = largest.groupby("policy")["support"].mean().sort_values()
    lines += [
        "",
        "Share of logged episodes each policy could have produced (importance sampling "
        "sees only those): "
        + ", ".join(f"{name} {share:.1%}" for name, share in support.items())
        + ". Where it is near zero, IS, WIS, PDIS and DR rest on a handful of episodes (an "
        "IS estimate near 0 then has a small error only because the true values are "
        "small); FQE does not need them but carries its model's bias.",
        "",
    ]
    return lines


def plot_offline_check(check: OfflineCheck, path: str | Path) -> Path:
    """RMSE (mean over policies) and Kendall's tau against log size, per estimator."""
    rmse = check.evaluation.groupby(["estimator", "size"])["rmse"].mean().unstack("estimator")
    tau = check.rankings.pivot(index="size", columns="estimator", values="kendall_tau")
    fig = Figure(figsize=(11, 4.5))
    left, right = fig.subplots(1, 2)
    for name in ESTIMATORS:
        left.plot(rmse.index, rmse[name], marker="o", label=name)
        right.plot(tau.index, tau[name], marker="o", label=name)
    left.set(
        xscale="log",
        yscale="log",
        xlabel="logged students",
        ylabel="RMSE against the true value (mean over policies)",
        title="Error of each estimator",
    )
    right.set(
        xscale="log",
        xlabel="logged students",
        ylabel="Kendall's tau with the true ranking (mean over logs)",
        title="Ranking of the policies",
        ylim=(-1.05, 1.05),
    )
    right.axhline(0.0, color="grey", lw=1, ls="--")
    left.legend(fontsize=8)
    return save_figure(fig, path)


def offline_tables(check: OfflineCheck) -> dict[str, pd.DataFrame]:
    """File name -> table the run writes."""
    return {
        "ope_evaluation.csv": check.evaluation,
        "ope_rankings.csv": check.rankings,
        "logged_interventions.csv": check.example.log,
    }

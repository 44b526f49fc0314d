"""PNG figures of the predictor report (matplotlib's object API: no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from studentgym.atomic import atomic_path


def subplots(figsize: tuple[float, float]):
    """A figure and axes without pyplot, so no display backend is ever needed."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG, atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return Path(path)


def plot_auc_by_week(early: pd.DataFrame, path: str | Path) -> Path:
    """ROC-AUC by week per model, with the ground-truth ceiling dashed."""
    fig, ax = subplots(figsize=(8, 5))
    for model, g in early.groupby("model", sort=False):
        ax.errorbar(
            g["week"],
            g["roc_auc_mean"],
            yerr=g["roc_auc_std"],
            marker="o",
            ms=3,
            capsize=2,
            label=model,
        )
    ceiling = early.drop_duplicates("week")
    ax.plot(ceiling["week"], ceiling["ceiling_roc_auc"], "k--", label="ground-truth ceiling")
    ax.set(
        xlabel="weeks observed",
        ylabel="held-out ROC-AUC",
        ylim=(0.5, 1.0),
        title="Early prediction of success",
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def plot_confusion_matrix(matrix: np.ndarray, labels: list[str], title: str, path) -> Path:
    """A 2x2 (or k x k) confusion matrix with counts."""
    fig, ax = subplots(figsize=(4.5, 4))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            f"{value:,}",
            ha="center",
            va="center",
            color="white" if value > matrix.max() / 2 else "black",
        )
    ax.set(
        xticks=range(len(labels)),
        yticks=range(len(labels)),
        xticklabels=labels,
        yticklabels=labels,
        xlabel="predicted",
        ylabel="actual",
        title=title,
    )
    return save_figure(fig, path)


def plot_feature_importance(importance: pd.DataFrame, path: str | Path, top: int = 15) -> Path:
    """Horizontal bars of permutation importance (drop in ROC-AUC) with its spread."""
    top_rows = importance.head(top).iloc[::-1]
    fig, ax = subplots(figsize=(7, 0.35 * len(top_rows) + 1))
    ax.barh(
        top_rows["feature"],
        top_rows["importance_mean"],
        xerr=top_rows["importance_std"],
        color="tab:blue",
    )
    ax.set(xlabel="drop in held-out ROC-AUC when shuffled", title="Permutation importance")
    return save_figure(fig, path)

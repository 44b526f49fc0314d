"""Group fairness of an at-risk classifier: recall, false-positive rate, calibration.

The positive class is *at risk* (Fail or Withdrawn). A student is flagged when
the predicted success probability is below ``threshold``. Per group:

- ``recall_at_risk``: flagged among the at-risk (higher is better; a gap means one
  group's struggling students are missed more often);
- ``false_positive_rate``: flagged among the successful;
- ``calibration_gap``: mean predicted success minus observed success rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

FAIRNESS_ATTRIBUTES = ("gender", "imd_band", "age_band", "disability")
GAP_METRICS = ("recall_at_risk", "false_positive_rate", "calibration_gap")
MIN_GROUP_SIZE = 30


def group_metrics(
    success: np.ndarray,
    p_success: np.ndarray,
    groups: pd.DataFrame,
    attributes: Sequence[str] = FAIRNESS_ATTRIBUTES,
    threshold: float = 0.5,
) -> pd.DataFrame:
    """Per attribute and group: n, at-risk share, recall, FPR, calibration gap.

    Missing group values are reported as the group ``"missing"``.
    """
    success = np.asarray(success).astype(bool)
    flagged = np.asarray(p_success) < threshold
    frame = pd.DataFrame({"at_risk": ~success, "flagged": flagged, "p": p_success, "y": success})
    rows = []
    for attribute in attributes:
        values = groups[attribute].astype(object).where(groups[attribute].notna(), "missing")
        for group, g in frame.groupby(values.to_numpy()):
            at_risk, ok = g["at_risk"], ~g["at_risk"]
            rows.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "n": len(g),
                    "at_risk_share": at_risk.mean(),
                    "recall_at_risk": g.loc[at_risk, "flagged"].mean() if at_risk.any() else np.nan,
                    "false_positive_rate": g.loc[ok, "flagged"].mean() if ok.any() else np.nan,
                    "mean_predicted_success": g["p"].mean(),
                    "observed_success": g["y"].mean(),
                    "calibration_gap": g["p"].mean() - g["y"].mean(),
                }
            )
    return pd.DataFrame(rows)


def largest_gaps(report: pd.DataFrame, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Per attribute and metric, the largest difference between two groups of enough size."""
    rows = []
    big = report[report["n"] >= min_group_size]
    for attribute, g in big.groupby("attribute", sort=False):
        for metric in GAP_METRICS:
            values = g.set_index("group")[metric].dropna()
            if len(values) < 2:
                continue
            rows.append(
                {
                    "attribute": attribute,
                    "metric": metric,
                    "gap": values.max() - values.min(),
                    "highest_group": values.idxmax(),
                    "lowest_group": values.idxmin(),
                }
            )
    return pd.DataFrame(rows).sort_values("gap", ascending=False, ignore_index=True)

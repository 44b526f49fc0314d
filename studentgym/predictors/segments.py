"""Student segments: K-means on scaled performance and engagement, named by centroid.

Clusters are named by where their centroid lies on the two axes (standardised
over the cohort): performance is the mean assessment score; engagement is the
mean of log weekly clicks, active-day share and submission rate.

==========================  =================  ==================
name                        performance        engagement
==========================  =================  ==================
High performer              >= 0               >= 0
Capable but disengaged      >= 0               < 0
Struggling but engaged      < 0                >= 0
At risk                     < 0                < 0
==========================  =================  ==================

When two clusters fall in one quadrant, the one nearer the cohort mean is
qualified "(moderate)".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

SEGMENT_FEATURES = ("score_mean", "log_clicks_per_week", "active_day_share", "submission_rate")
SILHOUETTE_SAMPLE = 4000


def segment_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """The four segmentation inputs from a ``weekly_features`` frame (no NaN)."""
    due = features["assessments_due"].to_numpy()
    submitted = features["submissions"].to_numpy()
    return pd.DataFrame(
        {
            "score_mean": features["score_mean"].fillna(0.0).clip(0, 100),
            "log_clicks_per_week": np.log1p(features["clicks_per_week"].clip(lower=0)),
            "active_day_share": features["active_day_share"],
            "submission_rate": np.divide(submitted, due, out=np.ones(len(due)), where=due > 0),
        },
        index=features.index,
    )


def name_segments(centroids_z: np.ndarray) -> list[str]:
    """Names for standardised centroids ``(k, 4)`` in SEGMENT_FEATURES order."""
    performance = centroids_z[:, 0]
    engagement = centroids_z[:, 1:].mean(axis=1)
    base = np.where(
        performance >= 0,
        np.where(engagement >= 0, "High performer", "Capable but disengaged"),
        np.where(engagement >= 0, "Struggling but engaged", "At risk"),
    )
    distance = np.hypot(performance, engagement)
    names = list(base)
    for name in set(base):
        members = np.flatnonzero(base == name)
        for rank, k in enumerate(members[np.argsort(-distance[members])]):
            if rank == 1:
                names[k] = f"{name} (moderate)"
            elif rank > 1:
                names[k] = f"{name} (moderate {rank})"
    return names


class StudentSegmenter(ClusterMixin, BaseEstimator):
    """K-means segments of students, with names instead of cluster numbers.

    Args:
        n_clusters: number of segments (3 by default, as educators use).
        seed: random state of K-means.

    Attributes:
        scaler_, kmeans_: the fitted scaler and K-means.
        names_: segment name per cluster label.
        silhouette_: silhouette score of the fit (on a sample of at most 4,000).
        labels_: cluster label of each training row.
    """

    def __init__(self, n_clusters: int = 3, seed: int = 0) -> None:
        self.n_clusters = n_clusters
        self.seed = seed

    def fit(self, features: pd.DataFrame, y=None) -> StudentSegmenter:
        """Fit on a ``weekly_features`` frame."""
        Z = self._scaled(features, fit=True)
        self.kmeans_ = KMeans(self.n_clusters, n_init=10, random_state=self.seed).fit(Z)
        self.labels_ = self.kmeans_.labels_
        self.names_ = name_segments(self.kmeans_.cluster_centers_)
        self.silhouette_ = float(
            silhouette_score(
                Z, self.labels_, sample_size=min(len(Z), SILHOUETTE_SAMPLE), random_state=self.seed
            )
        )
        return self

    def _scaled(self, features: pd.DataFrame, fit: bool = False) -> np.ndarray:
        X = segment_inputs(features).to_numpy()
        if fit:
            self.scaler_ = StandardScaler().fit(X)
        return self.scaler_.transform(X)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Cluster label of each student."""
        check_is_fitted(self)
        return self.kmeans_.predict(self._scaled(features))

    def predict_names(self, features: pd.DataFrame) -> pd.Series:
        """Segment name of each student, indexed like ``features``."""
        names = np.asarray(self.names_, dtype=object)[self.predict(features)]
        return pd.Series(names, index=features.index, name="segment")

    def summary(self, features: pd.DataFrame, success: pd.Series | None = None) -> pd.DataFrame:
        """One row per segment: size, share, centroid in original units, success rate."""
        check_is_fitted(self)
        centroids = self.scaler_.inverse_transform(self.kmeans_.cluster_centers_)
        labels = self.predict(features)
        table = pd.DataFrame(centroids, columns=[f"centroid_{c}" for c in SEGMENT_FEATURES])
        table.insert(0, "segment", self.names_)
        table.insert(1, "students", np.bincount(labels, minlength=self.n_clusters))
        table.insert(2, "share", table["students"] / len(labels))
        if success is not None:
            rate = pd.Series(np.asarray(success)).groupby(labels).mean()
            table["success_rate"] = rate.reindex(range(self.n_clusters)).to_numpy()
        table["silhouette"] = self.silhouette_
        return table


def silhouette_scan(features: pd.DataFrame, ks=range(2, 7), seed: int = 0) -> pd.DataFrame:
    """Silhouette score of K-means for each k, to justify the chosen number of segments."""
    rows = [{"k": k, "silhouette": StudentSegmenter(k, seed).fit(features).silhouette_} for k in ks]
    return pd.DataFrame(rows)

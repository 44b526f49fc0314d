"""The hybrid recommender: collaborative filtering (TruncatedSVD) plus content (TF-IDF).

``final = w_cf * CF + (1 - w_cf) * content``, each part min-max normalised per
student over the five topic interventions first, so the weight means what it says.

- **Collaborative filtering, from responses** (when ``fit`` gets a randomised trial's
  log, as the benchmark does): the :class:`~studentgym.recommenders.response.ResponseModel`
  learns each intervention's benefit from how training students with similar inputs
  responded, its intervention x input slopes factorised with TruncatedSVD; the CF score
  is the predicted benefit. This is the part that ranks by benefit: need alone does not
  say who an intervention helps (it must also land and be worth its tutor hours).
- **Collaborative filtering, from needs** (without a log): the student x topic need
  matrix (1-5, from :class:`~studentgym.recommenders.topics.TopicProfiler`), centred by
  topic, is factorised with TruncatedSVD; the number of components is the smallest
  reaching 90% of the variance (reported as ``n_components_``). A new student is folded
  in by projecting onto the components, ``x_hat = mean + (x - mean) V^T V``, so unseen
  students get scores without refitting.
- **Content**: TF-IDF of the interventions' descriptions; a student's profile is
  the need-weighted sum of the topic descriptions' TF-IDF vectors, and the score is
  its cosine similarity to each intervention.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity
from sklearn.utils.validation import check_is_fitted

from studentgym.recommenders.response import LoggedResponses, ResponseModel, fewest_components
from studentgym.recommenders.topics import TOPIC_DESCRIPTIONS
from studentgym.simulators.config import TOPICS
from studentgym.simulators.interventions import CATALOGUE

TOPIC_INTERVENTIONS = tuple(i for i in CATALOGUE if i.topic is not None)
"""The recommendable interventions, one per topic, in TOPICS order."""


def minmax_rows(scores: np.ndarray) -> np.ndarray:
    """Scale each row to [0, 1]; a constant row becomes 0.5."""
    low = scores.min(axis=1, keepdims=True)
    span = scores.max(axis=1, keepdims=True) - low
    return np.where(span > 0, (scores - low) / np.where(span > 0, span, 1.0), 0.5)


class HybridRecommender(BaseEstimator):
    """Recommend topic interventions from a student x topic need matrix.

    Args:
        w_cf: weight of collaborative filtering in [0, 1] (content gets ``1 - w_cf``).
        n_components: SVD components; None chooses the fewest reaching 90% variance.
        seed: random state of the SVD.

    Attributes:
        response_: the fitted ResponseModel (the CF part) when ``fit`` got a trial's log,
            else None.
        mean_: topic means of the training need matrix (None with a log).
        svd_: the CF part's fitted TruncatedSVD; n_components_: components used;
        explained_variance_: share of variance (or squared norm) they keep.
        vectorizer_, item_vectors_, topic_vectors_: the content model.
    """

    def __init__(self, w_cf: float = 0.7, n_components: int | None = None, seed: int = 0) -> None:
        self.w_cf = w_cf
        self.n_components = n_components
        self.seed = seed

    def fit(
        self, interactions: pd.DataFrame, responses: LoggedResponses | None = None
    ) -> HybridRecommender:
        """Fit on a students x TOPICS matrix of 1-5 need levels and, if given, a trial's log.

        Raises:
            ValueError: if ``w_cf`` is outside [0, 1], the matrix lacks a topic column, or
                the log is unusable (see :meth:`ResponseModel.fit`).
        """
        if not 0.0 <= self.w_cf <= 1.0:
            raise ValueError(f"w_cf must be in [0, 1], got {self.w_cf}")
        X = self._matrix(interactions)
        self._fit_content()
        if responses is not None:
            self.response_ = ResponseModel(n_components=self.n_components, seed=self.seed)
            self.response_.fit(responses)
            self.mean_, self.svd_ = None, self.response_.svd_
            self.n_components_ = self.response_.n_components_
            self.explained_variance_ = self.response_.explained_variance_
            return self
        self.response_ = None
        self.mean_ = X.mean(axis=0)
        centred = X - self.mean_
        max_components = len(TOPICS) - 1
        full = TruncatedSVD(max_components, random_state=self.seed).fit(centred)
        cumulative = np.cumsum(full.explained_variance_ratio_)
        k = fewest_components(cumulative, self.n_components)
        self.svd_ = TruncatedSVD(k, random_state=self.seed).fit(centred)
        self.n_components_ = k
        self.explained_variance_ = float(np.sum(self.svd_.explained_variance_ratio_))
        return self

    def _fit_content(self) -> None:
        self.vectorizer_ = TfidfVectorizer(stop_words="english")
        self.vectorizer_.fit(
            [i.description for i in TOPIC_INTERVENTIONS] + [TOPIC_DESCRIPTIONS[t] for t in TOPICS]
        )
        self.item_vectors_ = self.vectorizer_.transform(
            [i.description for i in TOPIC_INTERVENTIONS]
        )
        self.topic_vectors_ = self.vectorizer_.transform([TOPIC_DESCRIPTIONS[t] for t in TOPICS])

    @staticmethod
    def _matrix(interactions: pd.DataFrame) -> np.ndarray:
        missing = [t for t in TOPICS if t not in interactions.columns]
        if missing:
            raise ValueError(f"interactions are missing topic columns: {', '.join(missing)}")
        return interactions[list(TOPICS)].to_numpy(dtype=float)

    def cf_scores(
        self, interactions: pd.DataFrame, inputs: pd.DataFrame | None = None
    ) -> np.ndarray:
        """The CF part, ``(n, 5)``: predicted benefits (fitted on a log; ``inputs`` are the
        students' :data:`~studentgym.recommenders.response.RESPONSE_INPUTS`), or the
        folded-in reconstruction of each student's needs.

        Raises:
            ValueError: if the model was fitted on a log and ``inputs`` is None.
        """
        check_is_fitted(self)
        if self.response_ is not None:
            if inputs is None:
                raise ValueError("a hybrid fitted on responses needs the students' inputs")
            return self.response_.benefits(inputs)
        V = self.svd_.components_
        return self.mean_ + ((self._matrix(interactions) - self.mean_) @ V.T) @ V

    def content_scores(self, interactions: pd.DataFrame) -> np.ndarray:
        """Cosine similarity of each student's need profile to each intervention, ``(n, 5)``."""
        check_is_fitted(self)
        weights = self._matrix(interactions) - 1.0  # level 1 = no need: contributes nothing
        profile = weights @ self.topic_vectors_.toarray()
        return cosine_similarity(profile, self.item_vectors_)

    def scores(self, interactions: pd.DataFrame, inputs: pd.DataFrame | None = None) -> np.ndarray:
        """Hybrid scores in [0, 1], ``(n, 5)``, columns in TOPIC_INTERVENTIONS order."""
        cf = minmax_rows(self.cf_scores(interactions, inputs))
        content = minmax_rows(self.content_scores(interactions))
        return self.w_cf * cf + (1.0 - self.w_cf) * content

    def recommend(
        self, interactions: pd.DataFrame, k: int = 3, inputs: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Top-``k`` interventions per student (long format, ``rank`` 1 = best)."""
        if not 1 <= k <= len(TOPIC_INTERVENTIONS):
            raise ValueError(f"k must be in [1, {len(TOPIC_INTERVENTIONS)}], got {k}")
        scores = self.scores(interactions, inputs)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        n = len(scores)
        ids = np.array([i.id for i in TOPIC_INTERVENTIONS])
        names = np.array([i.name for i in TOPIC_INTERVENTIONS], dtype=object)
        return pd.DataFrame(
            {
                interactions.index.name or "student": np.repeat(interactions.index.to_numpy(), k),
                "rank": np.tile(np.arange(1, k + 1), n),
                "intervention_id": ids[order].ravel(),
                "intervention": names[order].ravel(),
                "score": np.take_along_axis(scores, order, axis=1).ravel(),
            }
        )

    def top_intervention(
        self, interactions: pd.DataFrame, inputs: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Catalogue id of each student's best intervention."""
        ids = np.array([i.id for i in TOPIC_INTERVENTIONS])
        return ids[np.argmax(self.scores(interactions, inputs), axis=1)]

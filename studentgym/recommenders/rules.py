"""The rule-based recommendation matrix educators use, on the intervention catalogue.

Predicted outcome (the success classifier's probability against a threshold)
crossed with the student's segment (K-means, named by centroid):

===========  ========================  ==========================  =============================
predicted    segment                   intervention                reason
===========  ========================  ==========================  =============================
fail         At risk                   personal tutor call         immediate academic intervention
fail         Struggling but engaged    assessment practice         tutoring support on weak concepts
fail         Capable but disengaged    engagement nudge            bring back to the course
fail         High performer            study-skills coaching       check study routine
pass         At risk                   engagement nudge            monitor engagement
pass         Struggling but engaged    study-skills coaching       consolidate study habits
pass         Capable but disengaged    engagement nudge            monitor engagement
pass         High performer            no intervention             encourage advanced learning
===========  ========================  ==========================  =============================

"(moderate)" segments follow their base segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from studentgym.simulators.interventions import CATALOGUE

RULES = {
    ("fail", "At risk"): (5, "immediate academic intervention"),
    ("fail", "Struggling but engaged"): (3, "tutoring support on weak concepts"),
    ("fail", "Capable but disengaged"): (2, "bring back to the course"),
    ("fail", "High performer"): (1, "check study routine"),
    ("pass", "At risk"): (2, "monitor engagement"),
    ("pass", "Struggling but engaged"): (1, "consolidate study habits"),
    ("pass", "Capable but disengaged"): (2, "monitor engagement"),
    ("pass", "High performer"): (0, "encourage advanced learning"),
}


SEGMENTS = ("At risk", "Struggling but engaged", "Capable but disengaged", "High performer")
RULE_IDS = np.array([RULES[(p, seg)][0] for p in ("fail", "pass") for seg in SEGMENTS])
RULE_REASONS = np.array(
    [RULES[(p, seg)][1] for p in ("fail", "pass") for seg in SEGMENTS], dtype=object
)
INTERVENTION_NAMES = np.array([i.name for i in CATALOGUE], dtype=object)


class RuleBasedRecommender:
    """The matrix above as an estimator-like object (nothing to fit).

    Args:
        threshold: predicted success probability below which a student counts as "fail".
    """

    def __init__(self, threshold: float = 0.5) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        self.threshold = threshold

    def fit(self, *args, **kwargs) -> RuleBasedRecommender:
        return self

    def _rules(self, p_success, segments) -> tuple[np.ndarray, np.ndarray]:
        """Each student's row of the RULES table and base segment name.

        Raises:
            ValueError: naming segments the matrix does not know.
        """
        # a class has a handful of segment names: read each once, not once per student
        which, names = pd.factorize(np.asarray(segments, dtype=object), use_na_sentinel=False)
        names = pd.Series(np.asarray(names, dtype=object).astype(str))
        bases = names.str.replace(r" \(moderate.*\)$", "", regex=True)
        unknown = sorted(set(bases) - {segment for _, segment in RULES})
        if unknown:
            raise ValueError(f"unknown segments {unknown}")
        which = which.ravel()
        segment = pd.Categorical(bases, categories=SEGMENTS).codes[which]
        fail = np.asarray(p_success) < self.threshold
        return np.where(fail, 0, len(SEGMENTS)) + segment, bases.to_numpy()[which]

    def intervention_ids(self, p_success, segments) -> np.ndarray:
        """The catalogue id of each student's intervention (what :meth:`recommend` gives,
        without the table: for policies that ask every week)."""
        return RULE_IDS[self._rules(p_success, segments)[0]]

    def recommend(self, p_success, segments) -> pd.DataFrame:
        """Intervention and reason per student.

        Raises:
            ValueError: naming segments the matrix does not know.
        """
        rule, base = self._rules(p_success, segments)
        ids = RULE_IDS[rule]
        return pd.DataFrame(
            {
                "predicted": np.where(rule < len(SEGMENTS), "fail", "pass"),
                "segment": base,
                "intervention_id": ids,
                "intervention": INTERVENTION_NAMES[ids],
                "reason": RULE_REASONS[rule],
            }
        )

    def advise(self, p_success, segments) -> pd.DataFrame:
        """The per-student columns a scored class shows: ``success_probability``,
        ``predicted`` ("Pass"/"Fail"), ``at_risk``, ``segment`` (as given),
        ``recommended_intervention`` and ``reason``.

        Raises:
            ValueError: naming segments the matrix does not know.
        """
        p_success = np.asarray(p_success, dtype=float)
        advice = self.recommend(p_success, segments)
        return pd.DataFrame(
            {
                "success_probability": p_success,
                "predicted": np.where(p_success >= self.threshold, "Pass", "Fail"),
                "at_risk": p_success < self.threshold,
                "segment": np.asarray(segments, dtype=object),
                "recommended_intervention": advice["intervention"].to_numpy(),
                "reason": advice["reason"].to_numpy(),
            }
        )

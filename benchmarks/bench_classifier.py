"""Batch scoring speed of the success classifier, against scikit-learn in the same run.

Scores a batch of 4,096 students (the vector env's batch) with the compiled
numpy path of :class:`~studentgym.predictors.classifier.SuccessClassifier` and
with the fitted scikit-learn pipeline's ``predict_proba`` on the same frame, and
reports time per hundred students for both and their ratio. The requirement:
well under a millisecond per hundred students (limit here: 0.1 ms).

    python benchmarks/bench_classifier.py
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from studentgym.predictors.classifier import SuccessClassifier
from studentgym.predictors.features import NUMERIC_FEATURES, success_target, weekly_features
from studentgym.simulators import CohortConfig, CohortGenerator

LIMIT_MS_PER_100 = 0.1


def per_call(fn, repeats: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    cohort = CohortGenerator(CohortConfig(n_students=max(args.batch, 4000)), seed=0).generate()
    X = weekly_features(cohort, 12)
    clf = SuccessClassifier().fit(X, success_target(cohort))
    batch = X.iloc[: args.batch]
    numeric = batch[list(NUMERIC_FEATURES)].to_numpy()
    fast = clf.batch_scorer(batch)
    assert np.allclose(fast(numeric), clf.predict_proba(batch)[:, 1], rtol=0, atol=1e-9)

    t_fast = per_call(lambda: fast(numeric), args.repeats)
    t_sklearn = per_call(lambda: clf.pipeline_.predict_proba(batch), max(args.repeats // 20, 3))
    per100 = lambda t: 1e3 * t * 100 / args.batch  # noqa: E731
    print(f"success classifier, batch of {args.batch} students")
    print(f"  compiled numpy  {per100(t_fast):8.4f} ms per 100 students")
    print(f"  scikit-learn    {per100(t_sklearn):8.4f} ms per 100 students")
    print(f"  speed-up {t_sklearn / t_fast:.0f}x; limit {LIMIT_MS_PER_100} ms per 100")
    ok = per100(t_fast) <= LIMIT_MS_PER_100
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

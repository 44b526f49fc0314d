"""Predictors: the learning-analytics pipeline and the success classifier.

- :mod:`~studentgym.predictors.features`: weekly behavioural features up to week w;
- :mod:`~studentgym.predictors.schema`, :mod:`~studentgym.predictors.preprocessing`:
  validation and leak-free preprocessing;
- :mod:`~studentgym.predictors.zoo`: seven classifiers on the same folds;
- :mod:`~studentgym.predictors.classifier`: ``SuccessClassifier`` with a compiled path;
- :mod:`~studentgym.predictors.weekly`: one calibrated model per week, for the simulator;
- :mod:`~studentgym.predictors.early`, :mod:`~studentgym.predictors.sequence`: early
  prediction by week and the GRU;
- :mod:`~studentgym.predictors.segments`, :mod:`~studentgym.predictors.fairness`,
  :mod:`~studentgym.predictors.explain`: segments, group fairness, explanations;
- :mod:`~studentgym.predictors.persistence`: safe save/load (skops);
- :mod:`~studentgym.predictors.report`: the pipeline end to end.
"""

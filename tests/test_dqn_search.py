"""DQN's hyperparameter search on Ray Tune with Optuna's sampler: a tiny search, its
table, its choice, and the same numbers without Ray."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from studentgym.agents.dqn import load_hyperparams
from studentgym.experiment.dqn_search import (
    CHOICES,
    METRIC,
    RANGES,
    SEARCHED,
    _table,
    incumbent,
    overrides,
    search_dqn,
    trial,
)

SEARCH = TINY.replace(dqn={**TINY.dqn, "n_envs": 4}, training_seeds=2)


def test_the_incumbent_is_the_packaged_dqn_and_must_lie_in_the_space():
    packaged = load_hyperparams()
    start = incumbent(SEARCH)
    assert start["learning_rate"] == packaged["learning_rate"]
    assert start["net_width"] == packaged["policy_kwargs"]["net_arch"][0]
    assert set(start) == set(SEARCHED)
    # and back: the overrides of the incumbent are the packaged values, plain numbers
    back = overrides({key: np.float64(value) for key, value in start.items()})
    assert back == {key: packaged[key] for key in back}
    assert all(type(back[key]) is type(packaged[key]) for key in back)
    for key, (_, low, high) in RANGES.items():
        assert low <= start[key] <= high, key
    with pytest.raises(ValueError, match="batch_size=100"):
        incumbent(SEARCH.replace(dqn={"batch_size": 100}))
    with pytest.raises(ValueError, match="unknown DQN hyperparameter"):
        incumbent(SEARCH.replace(dqn={"learning_rat": 1e-3}))
    with pytest.raises(ValueError, match="equal layers"):
        incumbent(SEARCH.replace(dqn={"policy_kwargs": {"net_arch": [64, 32]}}))


def _rows(phase: str, values: dict[int, float]) -> pd.DataFrame:
    start = {key: options[0] for key, options in CHOICES.items()}
    start |= {key: low for key, (_, low, _) in RANGES.items()}
    rows = [start | {"trial": t, METRIC: v} for t, v in values.items()]
    frame = pd.DataFrame(rows).assign(phase=phase)
    for column in ("worst_seed", "ensemble_value", "ensemble_ci_low", "ensemble_ci_high"):
        frame[column] = frame[METRIC]
    return frame.assign(tutor_hours=1.0, train_seconds=1.0)


def test_a_candidate_is_chosen_only_if_it_beats_the_incumbent_when_confirmed():
    searched = _rows("search", {0: 0.01, 1: 0.05, 2: 0.03})
    lucky = _table(searched, _rows("confirm", {0: 0.02, 1: 0.015}).drop(columns=list(SEARCHED)))
    assert lucky.loc[lucky["chosen"], ["phase", "trial"]].values.tolist() == [["confirm", 0]]
    better = _table(searched, _rows("confirm", {0: 0.02, 1: 0.04}).drop(columns=list(SEARCHED)))
    assert better.loc[better["chosen"], ["phase", "trial"]].values.tolist() == [["confirm", 1]]
    assert better["incumbent"].tolist() == [True, False, False, True, False]
    # a candidate that beats the incumbent but not doing nothing is not chosen
    losers = _rows("confirm", {0: -0.03, 1: -0.01}).drop(columns=list(SEARCHED))
    worse = _table(searched, losers)
    assert worse.loc[worse["chosen"], ["phase", "trial"]].values.tolist() == [["confirm", 0]]


def test_a_search_refuses_negative_trial_counts_before_starting(tmp_path):
    with pytest.raises(ValueError, match="n_trials and confirm must be >= 0"):
        search_dqn(SEARCH, tmp_path, n_trials=-1)
    assert not any(tmp_path.iterdir())


def test_a_tiny_search_on_ray_tune_and_the_same_trial_without_ray(tmp_path, local_ray):
    table = search_dqn(SEARCH, tmp_path, n_trials=1, confirm=1)
    search = table[table["phase"] == "search"].set_index("trial")
    confirm = table[table["phase"] == "confirm"].set_index("trial")
    assert list(search.index) == [0, 1] and search["incumbent"].tolist() == [1, 0]
    start = incumbent(SEARCH)
    for key in SEARCHED:
        assert np.isclose(search.at[0, key], start[key]), key
    for key, values in CHOICES.items():
        assert search[key].isin(values).all(), key
    for key, (_, low, high) in RANGES.items():
        assert search[key].between(low, high).all(), key
    # the incumbent and the best proposal, trained again with fresh seeds
    best = search.drop(index=0)[METRIC].idxmax()
    assert sorted(confirm.index) == sorted({0, best})
    assert table["chosen"].sum() == 1 and table.loc[table["chosen"], "phase"].item() == "confirm"
    assert (confirm[METRIC] != search.loc[confirm.index, METRIC]).all()
    assert (table["worst_seed"] <= table[METRIC]).all()
    assert (table["ensemble_ci_low"] <= table["ensemble_value"]).all()
    assert (table["tutor_hours"] >= 0).all() and (table["train_seconds"] > 0).all()
    # a trial on Ray Tune gives the numbers the same trial gives in this process
    alone = trial(dict(start), SEARCH)
    for key in (METRIC, "worst_seed", "ensemble_value", "tutor_hours"):
        assert alone[key] == pytest.approx(search.at[0, key], abs=1e-12), key

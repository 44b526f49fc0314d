"""Off-policy estimators against the exact value of a small MDP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studentgym.ope.diagnostics import effective_sample_size, lower_bound, support_share
from studentgym.ope.episodes import LoggedEpisodes
from studentgym.ope.estimators import (
    doubly_robust,
    fitted_q_evaluation,
    fitted_q_value,
    importance_sampling,
    per_decision_importance_sampling,
    weighted_importance_sampling,
    weighted_per_decision_importance_sampling,
)

LAYERS, WIDTH, ACTIONS, GAMMA = 3, 2, 2, 0.9
STATES = LAYERS * WIDTH  # state = layer * WIDTH + k: the state records the step


def small_mdp(seed: int = 0):
    """Transitions to the next layer, Bernoulli rewards, a start distribution."""
    rng = np.random.default_rng(seed)
    nxt = rng.dirichlet(np.ones(WIDTH), size=(STATES, ACTIONS))  # over the next layer
    reward = rng.uniform(0.1, 0.9, size=(STATES, ACTIONS))  # P(reward 1)
    start = np.array([0.6, 0.4])
    return nxt, reward, start


def exact_q(target: np.ndarray, mdp) -> np.ndarray:
    """Backward induction over the layers: the target policy's exact action values."""
    nxt, reward, _ = mdp
    q = np.zeros((STATES, ACTIONS))
    for layer in reversed(range(LAYERS)):
        for k in range(WIDTH):
            s = layer * WIDTH + k
            future = 0.0
            if layer + 1 < LAYERS:
                following = slice((layer + 1) * WIDTH, (layer + 2) * WIDTH)
                v_next = (target[following] * q[following]).sum(axis=1)
                future = nxt[s] @ v_next
            q[s] = reward[s] + GAMMA * future
    return q


def exact_value(target, mdp) -> float:
    v = (target * exact_q(target, mdp)).sum(axis=1)
    return float(mdp[2] @ v[:WIDTH])


def log(behaviour: np.ndarray, mdp, n: int, rng) -> LoggedEpisodes:
    nxt, reward, start = mdp
    states = np.zeros((n, LAYERS), np.int64)
    states[:, 0] = rng.choice(WIDTH, n, p=start)
    actions = np.zeros_like(states)
    rewards = np.zeros((n, LAYERS))
    for t in range(LAYERS):
        s = states[:, t]
        u = rng.random(n)
        actions[:, t] = (u > behaviour[s, 0]).astype(np.int64)  # two actions
        rewards[:, t] = rng.random(n) < reward[s, actions[:, t]]
        if t + 1 < LAYERS:
            p_next = nxt[s, actions[:, t]]
            k = (rng.random(n) > p_next[:, 0]).astype(np.int64)
            states[:, t + 1] = (t + 1) * WIDTH + k
    return LoggedEpisodes(
        states, actions, rewards, behaviour[states, actions], np.ones((n, LAYERS), bool)
    )


MDP = small_mdp()
BEHAVIOUR = np.tile([0.5, 0.5], (STATES, 1))
TARGET = np.where(np.arange(STATES)[:, None] % 2 == 0, [0.9, 0.1], [0.2, 0.8])
TRUTH = exact_value(TARGET, MDP)
WRONG_Q = np.full((STATES, ACTIONS), 0.3)  # a poor model: DR must stay unbiased anyway


@pytest.mark.parametrize(
    "estimate",
    [
        lambda ep: importance_sampling(ep, TARGET, GAMMA),
        lambda ep: per_decision_importance_sampling(ep, TARGET, GAMMA),
        lambda ep: doubly_robust(ep, TARGET, WRONG_Q, GAMMA),
    ],
    ids=["IS", "PDIS", "DR"],
)
def test_unbiased_estimators_average_to_the_exact_value_over_small_logs(estimate):
    rng = np.random.default_rng(1)
    values = np.array([estimate(log(BEHAVIOUR, MDP, 40, rng)) for _ in range(600)])
    standard_error = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - TRUTH) < 3.5 * standard_error
    assert abs(values.mean() - TRUTH) < 0.05  # and the test has power


@pytest.mark.parametrize(
    "estimate",
    [
        lambda ep: weighted_importance_sampling(ep, TARGET, GAMMA),
        lambda ep: weighted_per_decision_importance_sampling(ep, TARGET, GAMMA),
        lambda ep: doubly_robust(ep, TARGET, WRONG_Q, GAMMA, weighted=True),
        lambda ep: fitted_q_value(ep, TARGET, GAMMA),
    ],
    ids=["WIS", "WPDIS", "WDR", "FQE"],
)
def test_consistent_estimators_reach_the_exact_value_on_a_large_log(estimate):
    episodes = log(BEHAVIOUR, MDP, 40_000, np.random.default_rng(2))
    assert estimate(episodes) == pytest.approx(TRUTH, abs=0.03)


def test_fqe_recovers_the_exact_action_values_and_makes_dr_precise():
    episodes = log(BEHAVIOUR, MDP, 40_000, np.random.default_rng(3))
    q = fitted_q_evaluation(episodes, TARGET, GAMMA)
    np.testing.assert_allclose(q, exact_q(TARGET, MDP), atol=0.03)
    rng = np.random.default_rng(4)
    small = [log(BEHAVIOUR, MDP, 40, rng) for _ in range(200)]
    spread_good = np.std([doubly_robust(ep, TARGET, q, GAMMA) for ep in small])
    spread_poor = np.std([doubly_robust(ep, TARGET, WRONG_Q, GAMMA) for ep in small])
    spread_is = np.std([importance_sampling(ep, TARGET, GAMMA) for ep in small])
    assert spread_good < spread_poor and spread_good < spread_is


def test_on_policy_logs_give_the_sample_mean_and_a_full_effective_sample():
    episodes = log(TARGET, MDP, 500, np.random.default_rng(5))
    mean_return = (episodes.rewards * GAMMA ** np.arange(LAYERS)).sum(axis=1).mean()
    for estimate in (importance_sampling, weighted_importance_sampling):
        assert estimate(episodes, TARGET, GAMMA) == pytest.approx(mean_return)
    assert effective_sample_size(episodes, TARGET) == pytest.approx(500)
    assert support_share(episodes, TARGET) == 1.0


def test_a_deterministic_target_has_partial_support_and_a_smaller_effective_sample():
    greedy = np.tile([1.0, 0.0], (STATES, 1))
    episodes = log(BEHAVIOUR, MDP, 2_000, np.random.default_rng(6))
    assert support_share(episodes, greedy) == pytest.approx(0.5**LAYERS, abs=0.03)
    assert effective_sample_size(episodes, greedy) == pytest.approx(2_000 * 0.5**LAYERS, rel=0.1)


def test_the_lower_bound_holds_with_its_confidence():
    rng = np.random.default_rng(7)
    high = sum(GAMMA**t for t in range(LAYERS))
    bounds = np.array(
        [
            lower_bound(log(BEHAVIOUR, MDP, 300, rng), TARGET, (0.0, high), 0.9, gamma=GAMMA)
            for _ in range(200)
        ]
    )
    assert np.mean(bounds > TRUTH) <= 0.1  # it may fail at most 10% of the time
    assert np.median(bounds) > TRUTH - 0.8  # and is not vacuous
    with pytest.raises(ValueError, match="0 < confidence < 1"):
        lower_bound(log(BEHAVIOUR, MDP, 10, rng), TARGET, (0.0, high), 1.5)


def test_logs_from_a_tidy_frame_and_their_errors():
    frame = pd.DataFrame(
        {
            "episode": ["a", "a", "b"],
            "step": [0, 1, 0],
            "state": [0, 2, 1],
            "action": [1, 0, 0],
            "propensity": [0.5, 0.25, 1.0],
            "reward": [0.0, 1.0, 0.0],
        }
    )
    episodes = LoggedEpisodes.from_frame(frame.sample(frac=1, random_state=0))
    assert episodes.mask.tolist() == [[True, True], [True, False]]
    assert episodes.propensity.tolist() == [[0.5, 0.25], [1.0, 1.0]]
    with pytest.raises(ValueError, match="missing \\['propensity'\\]"):
        LoggedEpisodes.from_frame(frame.drop(columns="propensity"))
    with pytest.raises(ValueError, match="numbered 0, 1, 2"):
        LoggedEpisodes.from_frame(frame.assign(step=[0, 2, 0]))
    with pytest.raises(ValueError, match="propensities"):
        LoggedEpisodes.from_frame(frame.assign(propensity=[0.5, 0.0, 1.0]))
    with pytest.raises(ValueError, match="states beyond"):
        importance_sampling(episodes, np.full((2, 2), 0.5))

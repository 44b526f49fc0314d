"""Counter-based random numbers: the compiled and numpy paths equal the Python reference."""

from __future__ import annotations

import numpy as np

from studentgym.simulators.batch import uniforms
from studentgym.simulators.counter_rng import (
    GOLDEN,
    episode_batch,
    episode_scalar,
    fork_keys,
    uniforms_scalar,
)


def uniform_table(keys: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    table = np.empty((len(keys), 16))
    for i in range(len(keys)):
        uniforms(keys[i], weeks[i], table[i])
    return table


def test_compiled_uniforms_equal_the_scalar_reference():
    keys = np.array([0, 12345678901234567890, 2**63 - 1, 7], dtype=np.uint64)
    weeks = np.array([0, 5, 38, 1000])
    table = uniform_table(keys, weeks)
    for i in range(len(keys)):
        assert table[i].tolist() == uniforms_scalar(int(keys[i]), int(weeks[i]))


def test_episodes_equal_the_scalar_reference():
    bases = np.array([5, 2**64 - 1, 77], dtype=np.uint64)
    episodes = np.array([0, 3, 100])
    keys, u = episode_batch(bases, episodes)
    for i in range(3):
        assert episode_scalar(int(bases[i]), int(episodes[i])) == (int(keys[i]), float(u[i]))


def test_numbers_look_uniform_and_independent():
    keys = np.arange(20_000, dtype=np.uint64)
    table = uniform_table(keys, np.zeros(20_000, dtype=np.int64))
    assert table.min() >= 0 and table.max() < 1
    assert abs(table.mean() - 0.5) < 0.005 and abs(table.var() - 1 / 12) < 0.002
    correlation = np.corrcoef(table.T)[np.triu_indices(16, 1)]
    assert np.abs(correlation).max() < 0.05
    assert not np.array_equal(table[0], uniform_table(keys[:1], np.ones(1, dtype=np.int64))[0])


def test_forked_keys_share_no_random_number_with_their_origin():
    keys = np.array([0, 12345678901234567890, 2**63 + 5], dtype=np.uint64)
    course = range(40)
    for key in keys:
        streams = [{u for w in course for u in uniforms_scalar(int(key), w)}]
        for stream in (0, 1, 2):
            forked = int(fork_keys(np.array([key]), stream)[0])
            streams.append({u for w in course for u in uniforms_scalar(forked, w)})
        for i, a in enumerate(streams):
            for b in streams[i + 1 :]:
                assert not a & b  # independent futures, not the same numbers shifted
    # a shift by the golden constant, as once used, replays the origin's numbers
    shifted = {u for w in course for u in uniforms_scalar(int(keys[1]) + GOLDEN, w)}
    assert shifted & {u for w in course for u in uniforms_scalar(int(keys[1]), w)}
    np.testing.assert_array_equal(fork_keys(keys, 1), fork_keys(keys, 1))

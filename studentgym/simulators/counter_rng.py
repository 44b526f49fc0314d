"""Counter-based random numbers: ``uniform(key, week, j)`` with no hidden state.

The tutoring env draws each student-week's random numbers from a hash
(SplitMix64's finaliser) of the episode key and the week. A student's trajectory
then depends only on its own key, not on how many other students are stepped
beside it: a vector env of N students reproduces N single envs exactly. The
compiled step computes them inline (:func:`studentgym.simulators.batch.uniforms`);
:func:`uniforms_scalar` is the reference. The key itself comes from the env's
``np_random``, so Gymnasium's seeding rules hold.

Each call yields :data:`N_UNIFORMS` uniforms in [0, 1) with 32-bit resolution.
"""

from __future__ import annotations

import numpy as np

N_UNIFORMS = 16
_HASHES = N_UNIFORMS // 2
GOLDEN = 0x9E3779B97F4A7C15
M1, M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_MASK = (1 << 64) - 1
TO_UNIT = 2.0**-32


def _mix_int(z: int) -> int:
    z = ((z ^ (z >> 30)) * M1) & _MASK
    z = ((z ^ (z >> 27)) * M2) & _MASK
    return z ^ (z >> 31)


def uniforms_scalar(key: int, week: int) -> list[float]:
    """The 16 uniforms of one student-week, in plain Python: the reference implementation."""
    out = []
    base = key + (week * _HASHES + 1) * GOLDEN
    for j in range(_HASHES):
        z = _mix_int((base + j * GOLDEN) & _MASK)
        out.append((z >> 32) * TO_UNIT)
        out.append((z & 0xFFFFFFFF) * TO_UNIT)
    return out


def episode_scalar(base: int, episode: int) -> tuple[int, float]:
    """``(key, u)`` of episode number ``episode`` of a stream seeded with ``base``.

    ``key`` seeds the episode's student-weeks; ``u`` in [0, 1) picks its student.
    """
    key = _mix_int((base + (episode + 1) * GOLDEN) & _MASK)
    return key, (_mix_int(key ^ M2) >> 11) * 2.0**-53


def episode_batch(bases: np.ndarray, episodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`episode_scalar` elementwise over uint64 ``bases`` and int ``episodes``."""
    with np.errstate(over="ignore"):
        z = bases.astype(np.uint64) + (episodes.astype(np.uint64) + np.uint64(1)) * np.uint64(
            GOLDEN
        )
        key = _mix_array(z)
        u = (_mix_array(key ^ np.uint64(M2)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return key, u


def fork_keys(keys: np.ndarray, stream: int) -> np.ndarray:
    """Keys of an independent random future for each key: a hash of the key and ``stream``.

    Adding a multiple of the golden constant to a key would not do: week ``w`` of
    ``key + GOLDEN`` replays the uniforms of week ``w`` of ``key`` shifted by one hash.
    """
    keys = np.asarray(keys).astype(np.uint64)
    forked, _ = episode_batch(keys ^ np.uint64(M1), np.full(len(keys), stream, dtype=np.int64))
    return forked


def _mix_array(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(M2)
        return z ^ (z >> np.uint64(31))

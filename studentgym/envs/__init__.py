"""Gymnasium tutoring environments: TutoringEnv, TutoringVectorEnv, the tabular view, ClassEnv.

Registered on ``import studentgym`` as ``studentgym/Tutoring-v0``,
``studentgym/TutoringTabular-v0`` and ``studentgym/Class-v0`` (a class sharing a weekly
tutor capacity). The classes are imported lazily, so importing
the package (and so registering) stays cheap.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "TutoringEnv": "studentgym.envs.tutoring",
    "TutoringVectorEnv": "studentgym.envs.vector",
    "ClassEnv": "studentgym.envs.classroom",
    "allocate": "studentgym.envs.allocation",
    "TabularObservation": "studentgym.envs.tabular",
    "TabularVectorObservation": "studentgym.envs.tabular",
    "tabular_state": "studentgym.envs.tabular",
    "TutoringParams": "studentgym.envs.setup",
}
__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'studentgym.envs' has no attribute {name!r}")

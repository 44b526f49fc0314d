"""Register the tutoring environments with Gymnasium (done on ``import studentgym``).

Gymnasium 1.x no longer discovers environments through entry points, so the
package registers them itself, as Minigrid does; ``gym.make("studentgym:studentgym/Tutoring-v0")``
also works without an explicit import. Entry points are strings: registering imports
nothing heavy.
"""

from __future__ import annotations

import gymnasium as gym

ENVIRONMENTS = {
    "studentgym/Tutoring-v0": (
        "studentgym.envs.tutoring:TutoringEnv",
        "studentgym.envs.vector:TutoringVectorEnv",
    ),
    "studentgym/TutoringTabular-v0": (
        "studentgym.envs.tabular:make_tabular_env",
        "studentgym.envs.tabular:make_tabular_vector_env",
    ),
    # a class is already many students stepped at once: no vector entry point
    "studentgym/Class-v0": ("studentgym.envs.classroom:ClassEnv", None),
}


def register_environments() -> None:
    """Register every environment of :data:`ENVIRONMENTS` once per process."""
    for env_id, (entry_point, vector_entry_point) in ENVIRONMENTS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, vector_entry_point=vector_entry_point)

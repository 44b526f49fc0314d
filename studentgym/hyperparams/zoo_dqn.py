"""DQN for rl-baselines3-zoo: ``-conf studentgym.hyperparams.zoo_dqn``.

The benchmark's ``dqn.yml`` without the two keys only studentgym's ``train_dqn`` reads
(``n_models``, the ensemble size, and ``action_margin``): the zoo trains and enjoys one
plain DQN. One home for the values: edit ``dqn.yml``.
"""

from __future__ import annotations

from studentgym.agents.dqn import ENV_ID, load_hyperparams

STUDENTGYM_ONLY = ("n_models", "action_margin")

hyperparams = {
    ENV_ID: {k: v for k, v in load_hyperparams().items() if k not in STUDENTGYM_ONLY},
}

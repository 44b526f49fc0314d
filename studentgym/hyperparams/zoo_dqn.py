"""DQN for rl-baselines3-zoo: ``-conf studentgym.hyperparams.zoo_dqn``.

The benchmark's ``dqn.yml`` (its network included: the zoo reads a dotted ``policy`` as
the class it names) without the keys only studentgym's ``train_dqn`` reads: ``n_models``
(the ensemble size), ``action_margin`` and ``all_actions``. The zoo trains and enjoys one
DQN with one-action targets: its envs are Gymnasium's single envs, which have no
``lookahead()``. One home for the values: edit ``dqn.yml``.
"""

from __future__ import annotations

from studentgym.agents.dqn import ENV_ID, load_hyperparams

STUDENTGYM_ONLY = ("n_models", "action_margin", "all_actions")

hyperparams = {
    ENV_ID: {k: v for k, v in load_hyperparams().items() if k not in STUDENTGYM_ONLY},
}

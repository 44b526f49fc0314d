"""Hyperparameters, keyed by env id as in rl-baselines3-zoo.

- ``dqn.yml``: the DQN of the benchmark (``studentgym.agents.dqn.load_hyperparams``);
- ``zoo_dqn`` and ``zoo_ppo``: the same DQN, and a PPO, for the zoo itself::

    python -m rl_zoo3.train --algo dqn --env studentgym/Tutoring-v0 \\
        --gym-packages studentgym -conf studentgym.hyperparams.zoo_dqn
"""

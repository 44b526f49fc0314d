"""Agents: reference policies, tabular Q-learning, SB3's DQN, and the benchmark.

- :mod:`~studentgym.agents.policies`: no intervention, random, the rule matrix, the
  hybrid recommender, a Q-table (one ``act(obs, info)`` interface);
- :mod:`~studentgym.agents.oracle`: the ground-truth, clairvoyant upper reference;
- :mod:`~studentgym.agents.qlearning`: ``QLearningAgent`` (single or vector env);
- :mod:`~studentgym.agents.mdp`: exact solutions of small MDPs, to check agents;
- :mod:`~studentgym.agents.sb3` and :mod:`~studentgym.agents.dqn`: Stable-Baselines3's
  DQN on the native vector env, hyperparameters from ``studentgym/hyperparams/dqn.yml``;
- :mod:`~studentgym.agents.evaluation`: paired evaluation with bootstrap intervals;
- :mod:`~studentgym.agents.benchmark`, :mod:`~studentgym.agents.summary`,
  :mod:`~studentgym.agents.plots`: what ``scripts/train_agent.py`` runs and writes.
"""

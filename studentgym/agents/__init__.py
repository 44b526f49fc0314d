"""Agents: reference policies, tabular Q-learning, SB3 adapter and policy evaluation.

- :mod:`~studentgym.agents.policies`: no intervention, random, the recommender, a Q-table;
- :mod:`~studentgym.agents.qlearning`: ``QLearningAgent`` (single or vector env);
- :mod:`~studentgym.agents.mdp`: exact solutions of small MDPs, to check agents;
- :mod:`~studentgym.agents.sb3`: Stable-Baselines3 on the native vector env;
- :mod:`~studentgym.agents.evaluation`: paired evaluation with bootstrap intervals.

DQN hyperparameters, the remaining reference policies and the full benchmark in
``scripts/train_agent.py`` are still to come (see the open issue).
"""

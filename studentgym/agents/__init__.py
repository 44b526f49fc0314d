"""Agents: reference policies, tabular Q-learning, SB3's DQN, and the benchmark.

- :mod:`~studentgym.agents.policies`: no intervention, random, the rule matrix, the
  hybrid recommender, a Q-table (one ``act(obs, info)`` interface);
- :mod:`~studentgym.agents.oracle`: the ground-truth, clairvoyant upper reference;
- :mod:`~studentgym.agents.qlearning`: ``QLearningAgent`` (single or vector env);
- :mod:`~studentgym.agents.mdp`: exact solutions of small MDPs, to check agents;
- :mod:`~studentgym.agents.sb3` and :mod:`~studentgym.agents.dqn`: Stable-Baselines3's
  DQN on the native vector env, hyperparameters from ``studentgym/hyperparams/dqn.yml``;
  :mod:`~studentgym.agents.plan_network` (its Q-network: advantages of the plan, value of
  the student) and :mod:`~studentgym.agents.all_action_dqn` (all six actions learned at
  each visited state, from the env's lookahead);
- :mod:`~studentgym.agents.evaluation`: rollouts on the same students with the same
  random numbers; :mod:`~studentgym.agents.statistics`: intervals over students and
  training seeds, Holm-adjusted verdicts, gaming gaps;
- :mod:`~studentgym.agents.tuning`: a reference policy's free parameters, chosen on
  validation students;
- :mod:`~studentgym.agents.benchmark`, :mod:`~studentgym.agents.plots`: the judge,
  Q-learning's training loop and the figures of :mod:`studentgym.experiment`'s run.
"""

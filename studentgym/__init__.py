"""studentgym: learning analytics and reinforcement learning for student success.

Subpackages, in the direction of their dependencies:

- :mod:`studentgym.simulators`: OULAD-like cohort generator and ground-truth dynamics;
- :mod:`studentgym.predictors`: the success classifier and learning-analytics pipeline;
- :mod:`studentgym.recommenders`: hybrid and rule-based intervention recommenders;
- :mod:`studentgym.envs`: the Gymnasium tutoring environment;
- :mod:`studentgym.agents`: Q-learning, DQN, reference policies and evaluation.
"""

__version__ = "0.1.0"

from studentgym.envs.registration import register_environments

register_environments()

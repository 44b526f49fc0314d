"""PPO for rl-baselines3-zoo: ``-conf studentgym.hyperparams.zoo_ppo``.

A starting point, not a tuned result (the benchmark trains DQN, see ``dqn.yml``): the
zoo's usual MLP settings for short episodes (at most 38 weeks) with the benchmark's
training rewards (expected outcome, potential shaping) and its undiscounted return.
"""

from __future__ import annotations

from studentgym.agents.dqn import ENV_ID

hyperparams = {
    ENV_ID: {
        "n_envs": 8,
        "n_timesteps": 200_000,
        "policy": "MlpPolicy",
        "normalize": True,
        "n_steps": 256,
        "batch_size": 256,
        "n_epochs": 10,
        "learning_rate": 3e-4,
        "gamma": 1.0,
        "gae_lambda": 0.95,
        "ent_coef": 0.01,
        "env_kwargs": {"shaping": 1.0, "outcome_reward": "expected", "gamma": 1.0},
    },
}

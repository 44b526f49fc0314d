"""Agents: reference policies so far (no intervention, the recommender policy);
Q-learning, DQN and the benchmark are an open issue."""

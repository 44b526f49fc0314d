"""Recommenders: topic profiles, the hybrid (SVD + TF-IDF) and rule-based recommenders,
their evaluation against the simulator's ground truth, and priors for tabular agents."""

"""Off-policy evaluation: a policy's value estimated from logged interventions.

- :mod:`studentgym.ope.episodes`: logged episodes as padded arrays (from a tidy log);
- :mod:`studentgym.ope.estimators`: importance sampling (IS, per-decision, weighted),
  doubly robust (plain and weighted) and fitted Q evaluation;
- :mod:`studentgym.ope.diagnostics`: effective sample size, support, and a
  high-confidence lower bound.

No maintained library covers these for short episodic logs with a delayed outcome
(scope-rl and d3rlpy fit continuous-control replay buffers, and pull in their own
training stacks); the estimators are a few lines each, written after Precup et al.
(2000), Jiang & Li (2016) and Thomas & Brunskill (2016), and each is tested against an
exactly solved MDP (``tests/test_ope.py``).
"""

"""Bring your own data: readers and writers for real learning-analytics files.

- :mod:`~studentgym.io.oulad`: the seven OULAD CSVs <-> the generator's tables;
- :mod:`~studentgym.io.lms`: LMS event exports -> weekly behavioural features;
- :mod:`~studentgym.io.teacher`: the per-student CSV teachers keep, validated and scored;
- :mod:`~studentgym.io.calibrate`: real students with latent traits from synthetic
  twins, so the tutoring env can run on real data.

Every reader refuses a wrong folder or file with one message naming the file, the
columns and the rows (file line numbers), before anything is written.
"""

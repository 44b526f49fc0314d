"""Stage 6 with its worlds trained at once (two processes) against in turn, in one run.

Trains every learned agent in the classifier simulator and in the ground truth, as the
main job's stage 6 does, first with ``workers=1`` (one world after the other, in this
process: the reference) and then with ``workers=2`` (:func:`train_worlds`' processes),
and reports both times and their ratio. It also checks that the two give the same Q-tables,
schedules and DQN Q-values: parallel training must not change a result. The default is one
training seed of the default run's agents (the main job trains three); ``--seeds 3`` is
the main job's stage 6 exactly, less the recommender's priors (zeros here).

    python benchmarks/bench_workers.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from studentgym.envs.tabular import N_STATES
from studentgym.experiment import Settings
from studentgym.experiment.agents import available_cpus, train_worlds
from studentgym.experiment.pipeline import generated_world, run_simulators, validation_judge
from studentgym.simulators.interventions import N_ACTIONS
from studentgym.split import split_students


def same_agents(first: dict, second: dict, obs: np.ndarray) -> bool:
    """Whether two :func:`train_worlds` results hold the same trained policies."""
    for world, agents in first.items():
        other = second[world]
        for a, b in zip(agents["qlearning"].tables, other["qlearning"].tables, strict=True):
            if not np.array_equal(a.q_table_, b.q_table_):
                return False
        plans = [p.plan for p in agents["learned_schedule"].policies]
        if plans != [p.plan for p in other["learned_schedule"].policies]:
            return False
        ensemble, twin = agents["dqn_ensemble"].policies[0], other["dqn_ensemble"].policies[0]
        if not np.array_equal(ensemble.q_values(obs), twin.q_values(obs)):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="training seeds (main job: 3)")
    args = parser.parse_args(argv)
    if available_cpus() < 2:
        print("this benchmark needs 2 CPUs; this process may use 1", file=sys.stderr)
        return 2
    settings = Settings(training_seeds=args.seeds)
    world = generated_world(settings)
    simulators = run_simulators(world.cohort, world.success_model, settings)
    split = split_students(settings.students, settings.seed)
    judge = validation_judge(simulators["ground_truth"], split.validation, settings)
    priors = np.zeros((N_STATES, N_ACTIONS))
    seconds, trained = {}, {}
    with tempfile.TemporaryDirectory() as out:
        for workers in (1, 2):
            start = time.perf_counter()
            trained[workers] = train_worlds(
                simulators, split.train, settings, priors, judge, Path(out) / str(workers), workers
            )
            seconds[workers] = time.perf_counter() - start
    obs = judge.make_env().reset(seed=0)[0]
    same = same_agents(trained[1], trained[2], obs)
    print(f"stage 6, {args.seeds} seed(s), 2 worlds: in turn {seconds[1]:.1f} s (reference)")
    print(f"two processes at once: {seconds[2]:.1f} s, {seconds[1] / seconds[2]:.2f}x as fast")
    print(f"same Q-tables, schedules and DQN Q-values: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

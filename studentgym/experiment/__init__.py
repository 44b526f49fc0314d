"""The benchmark as an importable pipeline: one settings dataclass, one ``run``.

    from studentgym.experiment import Settings, run
    results = run(Settings.quick(), "outputs")   # what scripts/train_agent.py --quick does

``scripts/train_agent.py`` is an argparse front over this; a sweep, a notebook or a
dashboard runs the same benchmark by calling :func:`run` with other :class:`Settings`.
"""

from studentgym.experiment.pipeline import Results, run
from studentgym.experiment.settings import Settings

__all__ = ["Results", "Settings", "run"]

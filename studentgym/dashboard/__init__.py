"""The studentgym dashboard: a Streamlit app over the package's pieces.

Pages (``studentgym/dashboard/views/``):

- **Class**: upload a teacher CSV (or open the example class) and see, per student,
  P(success), the at-risk label, the segment, the recommended intervention and why,
  with charts, filters and the results as a download (what ``scripts/predict.py`` writes);
- **Benchmark**: a ``scripts/train_agent.py`` output folder in words, tables and charts;
- **Tutor a student**: the tutoring env made visible, week by week, and the same
  student replayed under another policy with the same random numbers.

Start it with ``studentgym-dashboard`` (or ``streamlit run studentgym/dashboard/app.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def main() -> None:
    """The ``studentgym-dashboard`` command: ``streamlit run`` on the app, extra
    arguments passed on (e.g. ``--server.port 8600``)."""
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())

"""Where Ray work runs: a local Ray on a laptop, a cluster when given its address.

Sweeps and searches call :func:`ray_session` and never ``ray.init`` themselves, so the
same code runs on 2 cores and on a cluster (``--address`` or ``RAY_ADDRESS``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def ray_session(address: str | None = None) -> Iterator[None]:
    """Run the block with Ray initialised.

    Args:
        address: a Ray cluster to connect to (None: ``RAY_ADDRESS`` if set, else a local
            Ray started for the block and stopped after it). A Ray this process already
            initialised is used as it is.
    """
    import ray  # imported here: the package does not need Ray until a sweep starts

    started_here = not ray.is_initialized() and not (address or os.environ.get("RAY_ADDRESS"))
    if not ray.is_initialized():
        local = {"include_dashboard": False} if started_here else {}
        ray.init(address=address, log_to_driver=False, **local)
    try:
        yield
    finally:
        if started_here:
            ray.shutdown()

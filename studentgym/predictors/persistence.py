"""Safe saving and loading of fitted models with skops (no unpickling).

A studentgym model file is a skops archive holding ``{"format", "studentgym",
"sklearn", "model"}``. Loading checks that every type in the file is one
scikit-learn/numpy/skops trusts by default or one of studentgym's own, and that
the file was written by the same studentgym and scikit-learn versions; anything
else is refused with a message that says why.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import sklearn
import skops.io as sio

import studentgym
from studentgym.atomic import atomic_path

FORMAT = "studentgym-model/1"
OWN_TYPES_PREFIX = "studentgym."
ALSO_TRUSTED = frozenset({"numpy.dtype"})  # a plain dtype; skops lists it as untrusted


class ModelFileError(ValueError):
    """A file is not a loadable studentgym model (wrong file, untrusted types, version)."""


def save_model(model: Any, path: str | Path) -> Path:
    """Write a fitted estimator to ``path`` (skops format), atomically."""
    payload = {
        "format": FORMAT,
        "studentgym": studentgym.__version__,
        "sklearn": sklearn.__version__,
        "model": model,
    }
    with atomic_path(path) as tmp:
        sio.dump(payload, tmp)
    return Path(path)


def load_model(path: str | Path) -> Any:
    """Load an estimator written by :func:`save_model`.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ModelFileError: if the file is not a skops archive, holds types outside
            scikit-learn, numpy and studentgym, is not a studentgym model, or was
            written by another studentgym or scikit-learn version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise ModelFileError(f"{path} is not a skops model file ({err})") from err
    foreign = [t for t in untrusted if not t.startswith(OWN_TYPES_PREFIX) and t not in ALSO_TRUSTED]
    if foreign:
        raise ModelFileError(f"{path} holds types studentgym does not trust: {foreign}")
    payload = sio.load(path, trusted=untrusted)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path} is a skops file but not a studentgym model")
    versions = (payload["studentgym"], payload["sklearn"])
    if versions != (studentgym.__version__, sklearn.__version__):
        raise ModelFileError(
            f"{path} was written by studentgym {versions[0]} with scikit-learn {versions[1]}; "
            f"this is studentgym {studentgym.__version__} with scikit-learn "
            f"{sklearn.__version__}: refit the model"
        )
    return payload["model"]

"""Reading one CSV file with a schema: a clear error naming the file, columns and lines."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from studentgym.io.csvfile import read_csv
from studentgym.predictors.schema import Column, SchemaError, check_schema, describe_rows


def require_files(folder: str | Path, names, what: str) -> Path:
    """``folder`` as a Path, after checking it holds every file in ``names``.

    Raises:
        FileNotFoundError: naming the folder, or every missing file at once.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder with {what}")
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {what} files: {', '.join(missing)}")
    return folder


def read_table(
    path: str | Path,
    schema: Mapping[str, Column],
    usecols: bool = False,
    required: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read ``path`` and check it against ``schema``; numeric columns come back numeric.

    The file is read by :func:`studentgym.io.csvfile.read_csv` (encodings, separators,
    rows checked against the header); the frame's index is the file line of each row
    (the header is line 1), so error messages point at lines a user can open.

    Args:
        path: the CSV file.
        schema: required columns (extra columns are kept unless ``usecols``).
        usecols: read only the schema's columns (for large files).
        required: columns that may not have empty cells (identifiers).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if it is empty or has no data rows.
        SchemaError: naming a row with the wrong number of fields, missing columns and
            non-numeric or out-of-range values.
    """
    frame = read_csv(
        path,
        text=[name for name, column in schema.items() if column.kind == "categorical"],
        missing=["?"],  # OULAD writes missing scores as "?"
        usecols=(lambda c: c in schema) if usecols else None,
    )
    if frame.empty:
        raise ValueError(f"{path}: the file has a header but no rows")
    check_schema(frame, schema, what=str(path))
    empty = [name for name in required if frame[name].isna().any()]
    if empty:
        problems = [
            f"column {name!r} has empty cells on lines "
            + describe_rows(frame[name].isna(), frame.index)
            for name in empty
        ]
        raise SchemaError(problems, str(path))
    for name, column in schema.items():
        if column.kind == "numeric":
            frame[name] = pd.to_numeric(frame[name])
    return frame


def duplicated_error(frame: pd.DataFrame, keys: list[str], path: str | Path) -> None:
    """Raise a SchemaError if rows repeat ``keys`` (naming the lines)."""
    repeated = frame.duplicated(keys, keep=False)
    if repeated.any():
        lines = describe_rows(repeated, frame.index)
        raise SchemaError([f"duplicated {' + '.join(keys)} on lines {lines}"], str(path))

"""Schema checks that name every problem at once, before any model sees the data.

A :class:`Column` says what a column must hold: numeric or categorical, and for
numbers a hard range (values outside it cannot be repaired and are errors) and
an optional soft range (values outside it are repaired by the preprocessing, e.g.
percentages clamped to [0, 100], and only counted). :func:`check_schema` raises one
:class:`SchemaError` listing every missing column, every mistyped column (with the
first offending rows) and every value outside its hard range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from studentgym.predictors.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    PERCENT_FEATURES,
)

MAX_ROWS_SHOWN = 5


class SchemaError(ValueError):
    """A table does not have the columns, types or ranges a model needs.

    Attributes:
        problems: one message per problem found.
    """

    def __init__(self, problems: list[str], what: str = "table") -> None:
        self.problems = problems
        if len(problems) == 1:  # one line, as a command-line error should be
            super().__init__(f"{what} failed validation: {problems[0]}")
        else:
            super().__init__(f"{what} failed validation:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Column:
    """What one column must hold.

    Attributes:
        kind: ``"numeric"`` or ``"categorical"``.
        low, high: hard range of a numeric column (inclusive; NaN is allowed).
    """

    kind: str = "numeric"
    low: float = -np.inf
    high: float = np.inf


def describe_rows(mask: pd.Series | np.ndarray, index: pd.Index) -> str:
    """The index labels where ``mask`` is true, e.g. ``"4, 9, 12 and 3 more"``."""
    rows = list(index[np.asarray(mask)][:MAX_ROWS_SHOWN])
    more = int(np.sum(mask)) - len(rows)
    return ", ".join(map(str, rows)) + (f" and {more} more" if more > 0 else "")


def check_schema(frame: pd.DataFrame, schema: Mapping[str, Column], what: str = "table") -> None:
    """Raise :class:`SchemaError` naming every missing, mistyped or out-of-range column.

    Args:
        frame: the table to check; it is not modified.
        schema: required columns; extra columns are allowed.
        what: how to name the table in the message (e.g. a file name).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    problems = []
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    for name, column in schema.items():
        if name not in frame.columns or column.kind != "numeric":
            continue
        values = pd.to_numeric(frame[name], errors="coerce")
        mistyped = values.isna() & frame[name].notna()
        if mistyped.any():
            problems.append(
                f"column {name!r} must be numeric; non-numeric values in rows "
                f"{describe_rows(mistyped, frame.index)}"
            )
        infinite = np.isinf(values.to_numpy(dtype=float))
        out = ((values < column.low) | (values > column.high)).to_numpy() | infinite
        if out.any():
            problems.append(
                f"column {name!r} must lie in [{column.low:g}, {column.high:g}]; "
                f"out of range in rows {describe_rows(out, frame.index)}"
            )
    if problems:
        raise SchemaError(problems, what)


FEATURE_SCHEMA: Mapping[str, Column] = {
    **{name: Column("numeric", low=0.0) for name in NUMERIC_FEATURES},
    **{name: Column("numeric") for name in ("clicks_trend", "score_trend")},
    # scores outside [0, 100] are clamped by the preprocessing; only absurd ones are errors
    **{name: Column("numeric", low=-1e3, high=1e3) for name in PERCENT_FEATURES},
    **{name: Column("categorical") for name in CATEGORICAL_FEATURES},
}
"""The columns every success model needs (from ``features.weekly_features``)."""

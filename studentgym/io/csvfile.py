"""CSV files as people make them: one way in for every reader, one way out for people.

Every reader in studentgym (teacher CSVs, OULAD files, LMS exports, intervention logs)
reads through :func:`read_csv`, which accepts what spreadsheets write and refuses the
rest with a :class:`~studentgym.predictors.schema.SchemaError` naming the file and line:

===================  ===============================================================
what                 accepted
===================  ===============================================================
encoding             UTF-8 (with or without a byte-order mark) or, when the file is not
                     UTF-8, Windows-1252 (what Excel writes on a Western-European
                     Windows); a file that is neither is refused naming the line
separator            ``,``; or ``;`` with decimal commas (``12,5``), as spreadsheets
                     write in much of Europe: found from the header line
rows                 every row has exactly the header's number of fields; a row with
                     more or fewer (an unquoted comma in a name, a lost cell) is
                     refused naming its line and both counts; blank lines are skipped
index                none is inferred: the frame's index is each row's line in the file
                     (the header is line 1), also across blank lines and quoted line
                     breaks, so messages point at lines a user can open
===================  ===============================================================

Values are parsed by pandas, so missing-value markers and numbers read as pandas
reads them; the field counts are checked by pyarrow's CSV tokenizer, which (unlike
pandas') reports rows with too few fields and runs on both cores.

For files people open (``predict.py``'s results and summary, the dashboard's download,
contact lists), :func:`spreadsheet_csv` writes text cells that a spreadsheet would run
as a formula (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return) behind a
``'``, as OWASP recommends against CSV injection; numbers are written as numbers.
:func:`read_spreadsheet_csv` strips that ``'`` from text columns again, so studentgym
reads back what it wrote.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from studentgym.atomic import atomic_path
from studentgym.predictors.schema import SchemaError

ENCODINGS = ("utf-8", "cp1252")
"""Tried in this order; the first that decodes the whole file is used."""
SEPARATORS = (",", ";")
MISSING_MARKERS = (
    *("", "NA", "N/A", "n/a", "<NA>", "#N/A", "#N/A N/A", "#NA", "NULL", "null", "None"),
    *("NaN", "-NaN", "nan", "-nan", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"),
)
"""What pandas reads as a missing value by default (its documented list)."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""OWASP's list of first characters that make a spreadsheet run a cell."""
ESCAPE = "'"
SCAN_BYTES = 1 << 24
MAX_LINES_SHOWN = 5


@dataclass(frozen=True)
class CsvFormat:
    """What :func:`sniff` found in a file.

    Attributes:
        encoding: ``"utf-8"`` or ``"cp1252"``.
        separator: ``","`` or ``";"`` (then decimal commas).
        rows_on_own_lines: no blank line and no quote in the file, so row ``k`` (from 0)
            is on line ``k + 2``; otherwise lines are found by reading the file again.
    """

    encoding: str
    separator: str
    rows_on_own_lines: bool

    @property
    def decimal(self) -> str:
        """The decimal mark of numbers in the file."""
        return "," if self.separator == ";" else "."


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(SCAN_BYTES):
            yield block


def _bad_byte(path: Path, encoding: str) -> tuple[int, int] | None:
    """The (line, byte offset) of the first byte ``encoding`` cannot decode, or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines, offset = 1, 0
    for block in _blocks(path):
        try:
            if not (encoding == "utf-8" and block.isascii() and not decoder.getstate()[0]):
                decoder.decode(block)  # ASCII is UTF-8: only other blocks need decoding
        except UnicodeDecodeError as err:
            return lines + block.count(b"\n", 0, err.start), offset + err.start
        lines += block.count(b"\n")
        offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return lines, offset
    return None


def _encoding(path: Path) -> str:
    for encoding in ENCODINGS:
        bad = _bad_byte(path, encoding)
        if bad is None:
            return encoding
    line, offset = bad
    raise SchemaError(
        [
            f"line {line} (byte {offset}) is neither UTF-8 nor Windows-1252 text; "
            "save the file as 'CSV UTF-8'"
        ],
        str(path),
    )


def _rows_on_own_lines(path: Path) -> bool:
    """No quote (so no line break inside a cell) and no blank line in the file."""
    previous = b"\n"  # a blank first line counts as blank
    for block in _blocks(path):
        if b'"' in block or b"\n\n" in block or b"\n\r\n" in block:
            return False
        seam = previous[-2:] + block[:2]  # a blank line across two blocks
        if b"\n\n" in seam or b"\n\r\n" in seam:
            return False
        previous = block
    return True


def sniff(path: str | Path) -> CsvFormat:
    """The encoding and separator of ``path``, and whether its rows are one per line.

    Raises:
        SchemaError: if the file is neither UTF-8 nor Windows-1252 (naming the line).
    """
    path = Path(path)
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        header = handle.readline().removeprefix("\ufeff").rstrip("\r\n")
    fields = {sep: len(next(csv.reader([header], delimiter=sep), [])) for sep in SEPARATORS}
    separator = max(SEPARATORS, key=lambda sep: (fields[sep], sep == ","))
    return CsvFormat(encoding, separator, _rows_on_own_lines(path))


def _records(path: Path, form: CsvFormat) -> Iterator[tuple[int, int]]:
    """(line, number of fields) of every non-blank record, the header first."""
    # lines end at "\n" (and "\r\n"), as editors number them; a lone "\r" ends none
    with path.open(encoding=form.encoding, newline="\n") as handle:
        reader = csv.reader(handle, delimiter=form.separator)
        line = 1
        try:
            for fields in reader:
                if fields:
                    yield line, len(fields)
                line = reader.line_num + 1
        except csv.Error as err:
            problem = "a line break in a cell without quotes" if "new-line" in str(err) else err
            raise SchemaError([f"line {line}: {problem}"], str(path)) from None


def _ragged_error(path: Path, form: CsvFormat) -> SchemaError:
    records = _records(path, form)
    _, width = next(records)
    ragged = [(line, n) for line, n in records if n != width]
    if not ragged:  # the two tokenizers disagree: say so rather than guess
        return SchemaError(["its rows could not be split into fields consistently"], str(path))
    line, n = ragged[0]
    problem = f"line {line} has {n} fields, the header has {width}"
    if n > width and form.separator == ",":
        problem += " (a comma in an unquoted value?)"
    if len(ragged) > 1:
        others = ", ".join(str(line) for line, _ in ragged[1:MAX_LINES_SHOWN])
        more = len(ragged) - min(len(ragged), MAX_LINES_SHOWN)
        problem += f"; so do lines {others}" + (f" and {more} more" if more else "")
    return SchemaError([problem], str(path))


def _count_rows(path: Path, form: CsvFormat) -> tuple[list[str], int]:
    """The header and the number of rows, every row's fields counted against the header."""
    options = dict(
        read_options=pa_csv.ReadOptions(encoding=form.encoding, block_size=1 << 22),
        parse_options=pa_csv.ParseOptions(
            delimiter=form.separator, newlines_in_values=not form.rows_on_own_lines
        ),
    )
    try:
        names = pa_csv.open_csv(path, **options).schema.names
        first = {names[0]: pa.string()}
        table = pa_csv.read_csv(
            path,
            **options,
            convert_options=pa_csv.ConvertOptions(include_columns=names[:1], column_types=first),
        )
    except pa.ArrowInvalid as err:
        if "Empty CSV file" in str(err):
            raise ValueError(f"{path}: the file is empty") from None
        raise _ragged_error(path, form) from None
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise SchemaError([f"the header repeats {', '.join(repeated)}"], str(path))
    return names, table.num_rows


def record_lines(path: str | Path, form: CsvFormat, rows: int) -> np.ndarray:
    """The line of each of ``rows`` data rows (the header is line 1)."""
    if form.rows_on_own_lines:
        return np.arange(2, rows + 2)
    lines = np.fromiter((line for line, _ in _records(Path(path), form)), dtype=np.int64)
    return lines[1:]


def unescape(values: pd.Series) -> pd.Series:
    """Text cells without the ``'`` that :func:`spreadsheet_csv` put before a formula."""
    text = values.astype("string")
    escaped = text.str.startswith(ESCAPE) & text.str[1:2].isin(FORMULA_PREFIXES)
    if not escaped.any():
        return values
    return values.where(~escaped.fillna(False).to_numpy(), text.str[1:])


def read_csv(
    path: str | Path,
    *,
    text: Collection[str] = (),
    missing: Sequence[str] = (),
    usecols: Callable[[str], bool] | None = None,
    dtype: Mapping[str, str] | None = None,
    chunksize: int | None = None,
) -> pd.DataFrame | Iterator[pd.DataFrame]:
    """Read ``path`` (see the module docstring): a frame indexed by line, or an iterator
    of frames of ``chunksize`` rows.

    Args:
        path: the CSV file.
        text: columns read as text (identifiers), where only an empty cell is missing:
            a student called ``NA`` or ``None`` keeps her name.
        missing: markers of a missing value in the other columns, besides pandas' own
            (:data:`MISSING_MARKERS`).
        usecols: which columns to read, by name (default all).
        dtype: pandas dtypes of columns other than ``text``.
        chunksize: rows per frame, for files too large to hold as text at once.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if it is empty.
        SchemaError: naming the file and the line of a row whose field count differs
            from the header's, of a byte that is neither UTF-8 nor Windows-1252, or a
            repeated column name.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    form = sniff(path)
    names, rows = _count_rows(path, form)
    markers = [*MISSING_MARKERS, *missing]
    reader = pd.read_csv(
        path,
        sep=form.separator,
        decimal=form.decimal,
        encoding="utf-8-sig" if form.encoding == "utf-8" else form.encoding,
        index_col=False,
        usecols=usecols,
        dtype={**(dtype or {}), **{name: str for name in text}},
        keep_default_na=False,
        na_values={name: [""] if name in text else markers for name in names},
        chunksize=chunksize,
    )
    lines = record_lines(path, form, rows)
    if chunksize is None:
        return _indexed(reader, lines, 0, path)
    return _chunks(reader, lines, path)


def _indexed(frame: pd.DataFrame, lines: np.ndarray, start: int, path: Path) -> pd.DataFrame:
    if start + len(frame) > len(lines):  # pandas found rows pyarrow did not
        raise SchemaError(["its rows could not be split into fields consistently"], str(path))
    frame.index = pd.Index(lines[start : start + len(frame)], name="line")
    return frame


def _chunks(reader, lines: np.ndarray, path: Path) -> Iterator[pd.DataFrame]:
    start = 0
    with reader:
        for chunk in reader:
            yield _indexed(chunk, lines, start, path)
            start += len(chunk)


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run in a spreadsheet: ``'`` before a cell that starts
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return. Numeric columns are
    unchanged."""
    out = frame.copy()
    for name in out.columns:
        if not _is_text(out[name]):
            continue
        text = out[name].astype("string")
        risky = text.str[:1].isin(FORMULA_PREFIXES).fillna(False).to_numpy()
        if risky.any():
            out[name] = out[name].where(~risky, ESCAPE + text)
    return out


def spreadsheet_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as a CSV file for people to open: formulas neutralised, no index, UTF-8
    with a byte-order mark (without one, Excel reads UTF-8 as its own code page)."""
    return codecs.BOM_UTF8 + neutralise(frame).to_csv(index=False).encode("utf-8")


def read_spreadsheet_csv(path: str | Path, text: Collection[str] = ()) -> pd.DataFrame:
    """Read a file :func:`write_spreadsheet_csv` wrote, the ``'`` before formulas removed
    from ``text`` columns (only here: in a file someone else wrote, ``'=`` is data)."""
    frame = read_csv(path, text=text)
    for name in text:
        frame[name] = unescape(frame[name])
    return frame


def write_spreadsheet_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`spreadsheet_csv` of ``frame`` to ``path``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(spreadsheet_csv(frame))
    return Path(path)

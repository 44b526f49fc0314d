"""CSV files as spreadsheets write them: nothing shifted, lost or run as a formula.

The fuzz tests write valid teacher CSVs and intervention logs in every accepted format,
damage them as people do, and check that the reader either gives back what was
written, in order and in its columns, or refuses with one SchemaError naming the file
and a line.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studentgym.io.csvfile import (
    FORMULA_PREFIXES,
    neutralise,
    read_spreadsheet_csv,
    spreadsheet_csv,
    write_spreadsheet_csv,
)
from studentgym.io.teacher import NUMERIC, read_teacher_csv
from studentgym.ope.episodes import LoggedEpisodes, read_log
from studentgym.predictors.schema import SchemaError

HEADER = ["Student_ID", *NUMERIC]
ISSUE_EXAMPLE = (
    "Student_ID,Quiz1,Quiz2,Quiz3,Time_Spent,Assignments,Attendance\n"
    "Smith, J,50,60,55,12,6,75\n"
    "S2,30,25,40,5,2,40\n"
    "S3,80,70,65,20,8,90\n"
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def test_a_comma_in_the_first_name_is_refused_naming_the_line_and_counts(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text(ISSUE_EXAMPLE)
    with pytest.raises(SchemaError) as refused:
        read_teacher_csv(path)
    message = str(refused.value)
    assert "\n" not in message and str(path) in message
    assert "line 2 has 8 fields, the header has 7" in message


def test_a_later_ragged_row_and_a_short_row_are_refused_with_their_lines(tmp_path):
    path = tmp_path / "class.csv"
    rows = ISSUE_EXAMPLE.splitlines()
    path.write_text("\n".join([rows[0], "S1,50,60,55,12,6,75", rows[2], "S3,80,70\n"]))
    with pytest.raises(SchemaError, match="line 4 has 3 fields, the header has 7"):
        read_teacher_csv(path)
    path.write_text("\n".join([rows[0], "S1,50,60,55,12,6,75", "S2,1,2,3,4,5,6,7", rows[3]]))
    with pytest.raises(SchemaError, match="line 3 has 8 fields, the header has 7"):
        read_teacher_csv(path)


def test_lines_are_counted_across_blank_lines_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text(
        "Student_ID,Quiz1,Quiz2,Quiz3,Time_Spent,Assignments,Attendance\n"
        '"Smith,\nJane",50,60,55,12,6,75\n'
        "\n"
        "S3,absent,70,65,20,8,90\n"
    )
    with pytest.raises(SchemaError, match="'Quiz1' must be numeric; non-numeric values in rows 5"):
        read_teacher_csv(path)
    path.write_text(path.read_text().replace("absent", "80"))
    frame, _ = read_teacher_csv(path)
    assert frame.index.tolist() == [2, 5] and frame["Student_ID"].tolist() == ["Smith,\nJane", "S3"]


def test_spreadsheet_encodings_and_semicolons_with_decimal_commas_are_read(tmp_path):
    path = tmp_path / "class.csv"
    text = (
        "Student_ID;Quiz1;Quiz2;Quiz3;Time_Spent;Assignments;Attendance\n"
        "Müller;50;60;55;12,5;6;75,5\n"
    )
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        path.write_bytes(text.encode(encoding))
        frame, _ = read_teacher_csv(path)
        assert frame["Student_ID"].tolist() == ["Müller"], encoding
        assert frame.loc[2, ["Time_Spent", "Attendance"]].tolist() == [12.5, 75.5]


def test_a_file_in_neither_encoding_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "class.csv"
    path.write_bytes(ISSUE_EXAMPLE.replace("Smith, J", "S1").encode() + b"S\x81,1,2,3,4,5,6\n")
    with pytest.raises(SchemaError, match=r"class\.csv failed validation: line 5 .*UTF-8"):
        read_teacher_csv(path)


def test_identifiers_that_look_like_missing_markers_are_names(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text(
        "Student_ID,Quiz1,Quiz2,Quiz3,Time_Spent,Assignments,Attendance\n"
        "NA,1,2,3,4,5,NA\nNone,1,2,3,4,5,6\n"
    )
    frame, repairs = read_teacher_csv(path)
    assert frame["Student_ID"].tolist() == ["NA", "None"]
    assert np.isnan(frame.loc[2, "Attendance"]) and any(
        "Attendance: 1 missing" in r for r in repairs
    )


def test_formulas_are_neutralised_for_spreadsheets_and_read_back_unchanged(tmp_path):
    ids = ["=1+1", "+SUM(1;2)", "@cmd", "-2", "\tx", "S1"]
    frame = pd.DataFrame({"Student_ID": ids, "gain": [-0.5, 1.0, -2.0, 0.0, 3.0, 4.0]})
    cells = neutralise(frame)
    assert cells["Student_ID"].tolist() == ["'=1+1", "'+SUM(1;2)", "'@cmd", "'-2", "'\tx", "S1"]
    assert cells["gain"].tolist() == frame["gain"].tolist()  # numbers stay numbers
    path = write_spreadsheet_csv(frame, tmp_path / "results.csv")
    assert path.read_bytes() == spreadsheet_csv(frame)
    written = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert all(not row[0].startswith(FORMULA_PREFIXES) for row in written[1:])
    assert written[1][1] == "-0.5"
    back = read_spreadsheet_csv(path, text=["Student_ID"])
    assert back["Student_ID"].tolist() == ids and back["gain"].tolist() == frame["gain"].tolist()


def test_predict_refuses_the_issue_example_in_one_line_and_writes_nothing(tmp_path, run_script):
    source, out = tmp_path / "class.csv", tmp_path / "results.csv"
    source.write_text(ISSUE_EXAMPLE)
    result = run_script("predict.py", "--input", str(source), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(source) in result.stderr
    assert "line 2 has 8 fields, the header has 7" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("*results*"))


# --- fuzz: valid files in every accepted format, damaged as people damage them ---

IDENTIFIER = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 ,;\"'=+-@\t\n\rüéß€")), min_size=1, max_size=8
).filter(lambda s: s.strip() != "")
FORMATS = st.sampled_from(
    [("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ","), ("utf-8", ";"), ("cp1252", ";")]
)
DAMAGE = st.sampled_from(["none", "extra", "short", "blank", "unquoted", "bad_byte"])


def encode_rows(rows: list[list[str]], encoding: str, separator: str) -> list[bytes]:
    """Each row as the bytes of one CSV record, quoted where needed, as Excel writes it."""
    out = []
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerow(row)
        out.append(buffer.getvalue().encode(encoding.replace("-sig", "")))
    return out


def damaged_file(path, rows, encoding, separator, damage, at) -> int | None:
    """Write ``rows`` (the header first) damaged at data row ``at``; the line the damage
    lands on (None when the file stays valid)."""
    records = encode_rows(rows, encoding, separator)
    record = at + 1
    line = 1 + sum(r.count(b"\n") for r in records[:record])  # the damaged record's line
    if damage == "extra":
        records[record] = records[record].rstrip(b"\r\n") + (separator + "7\r\n").encode()
    elif damage == "short":
        records[record] = records[record].rsplit(separator.encode(), 1)[0] + b"\r\n"
    elif damage == "blank":
        records.insert(record, b"\r\n")
        line = None
    elif damage == "unquoted":  # a separator inside a name written without quotes
        fields = [f"Smith{separator} J", *rows[record][1:]]
        records[record] = (separator.join(fields) + "\r\n").encode(encoding.replace("-sig", ""))
    elif damage == "bad_byte":
        records[record] = b"\x81" + records[record]
    else:
        line = None
    prefix = b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""
    path.write_bytes(prefix + b"".join(records))
    return line


def read_or_refused(read, path, line: int | None, forms=("line {} ",)):
    """``read(path)`` if the file is valid (``line`` None); else None, after checking that
    the refusal is one SchemaError naming the file and the damaged line (in one of
    ``forms``)."""
    try:
        result = read(path)
    except SchemaError as err:
        message = str(err)
        assert line is not None, f"a valid file was refused: {message}"
        assert str(path) in message
        assert any(form.format(line) in message for form in forms), message
        return None
    assert line is None, f"the damage on line {line} was not refused"
    return result


def encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding.replace("-sig", ""))
    except UnicodeEncodeError:
        return False
    return True


@FUZZ
@given(
    ids=st.lists(IDENTIFIER, min_size=1, max_size=6, unique=True),
    scores=st.data(),
    form=FORMATS,
    damage=DAMAGE,
    where=st.integers(0, 5),
)
def test_fuzzed_teacher_csvs_read_back_exactly_or_are_refused_naming_a_line(
    tmp_path, ids, scores, form, damage, where
):
    encoding, separator = form
    ids = [i for i in ids if encodable(i, encoding)] or ["S1"]
    values = scores.draw(
        st.lists(
            st.lists(st.integers(0, 1000).map(lambda v: v / 10), min_size=6, max_size=6),
            min_size=len(ids),
            max_size=len(ids),
        )
    )
    decimal = "," if separator == ";" else "."
    rows = [HEADER] + [
        [i, *(f"{v:g}".replace(".", decimal) for v in vs)]
        for i, vs in zip(ids, values, strict=True)
    ]
    path = tmp_path / "class.csv"
    line = damaged_file(path, rows, encoding, separator, damage, where % len(ids))
    read = read_or_refused(read_teacher_csv, path, line)
    if read is None:
        return
    frame, _ = read
    assert frame["Student_ID"].tolist() == ids
    np.testing.assert_array_equal(frame[list(NUMERIC)].to_numpy(), np.asarray(values))


LOG_RESULTS = ["Pass", "Fail", "Distinction", "Withdrawn"]


@FUZZ
@given(
    episodes=st.lists(
        st.tuples(IDENTIFIER, st.integers(1, 3), st.sampled_from(LOG_RESULTS)),
        min_size=1,
        max_size=4,
        unique_by=lambda e: e[0],
    ),
    actions=st.lists(st.integers(0, 5), min_size=12, max_size=12),
    form=FORMATS,
    damage=DAMAGE,
    where=st.integers(0, 11),
)
def test_fuzzed_logs_read_back_exactly_or_are_refused_naming_a_line(
    tmp_path, episodes, actions, form, damage, where
):
    encoding, separator = form
    episodes = [e for e in episodes if encodable(e[0], encoding)] or [("e1", 2, "Pass")]
    decimal = "," if separator == ";" else "."
    written = pd.DataFrame(
        [
            {"episode": name, "week": week, "action": 0, "final_result": result}
            for name, weeks, result in episodes
            for week in range(1, weeks + 1)
        ]
    )
    written["action"] = actions[: len(written)]
    written["propensity"] = 0.5
    rows = [list(written.columns)] + [
        [r.episode, str(r.week), str(r.action), r.final_result, f"0{decimal}5"]
        for r in written.itertuples()
    ]
    path = tmp_path / "log.csv"
    line = damaged_file(path, rows, encoding, separator, damage, where % len(written))
    read = read_or_refused(read_log, path, line, ("line {} ", "lines {}"))
    if read is None:
        return
    expected = LoggedEpisodes.from_frame(written)
    for name in ("actions", "rewards", "propensity", "mask"):
        np.testing.assert_array_equal(getattr(read, name), getattr(expected, name))

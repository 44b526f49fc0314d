"""The Open University Learning Analytics Dataset as published: seven CSVs <-> our tables.

:func:`read_oulad` turns a folder with OULAD's seven files into the tables the
generator produces (``students``, ``registrations``, weekly ``vle``,
``assessments`` with their course ``week``, ``student_assessments``), which is
what :func:`studentgym.predictors.features.weekly_features` reads. Conventions:

- a row of ``studentInfo.csv`` is a registration (a student in one module
  presentation); if an ``id_student`` has several registrations, registrations
  are numbered 1..n in file order and the original id kept in ``oulad_id_student``;
- course week = ``date // 7`` (days from the presentation's start); VLE activity
  before day 0 is not in any course week and is left out;
- the weekly ``vle`` rows are the sums of daily ``sum_click`` and the number of
  distinct active days; the withdrawal week is ``max(date_unregistration // 7, 0)``;
- exams are left out of ``assessments`` (their score would leak the final result),
  and OULAD's "?" scores are missing values.

``studentVle.csv`` has about 10 million rows in the real data: it is read in
chunks, only the needed columns, with compact dtypes (a few hundred MB), with a
progress bar on a terminal.

:func:`write_oulad` writes a generated cohort as the same seven files, with
daily VLE rows, so the reader is tested by a round trip without a download.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from studentgym.atomic import atomic_write_csv
from studentgym.io.csvfile import read_csv
from studentgym.io.tables import duplicated_error, read_table, require_files
from studentgym.predictors.schema import Column, SchemaError, check_schema, describe_rows
from studentgym.simulators.cohort import STUDENT_COLUMNS, Cohort

KEY = ["code_module", "code_presentation"]
CAT, NUM = Column("categorical"), Column("numeric")
RESULTS = ("Pass", "Fail", "Withdrawn", "Distinction")
SCHEMAS: dict[str, dict[str, Column]] = {
    "courses.csv": {
        **dict.fromkeys(KEY, CAT),
        "module_presentation_length": Column("numeric", 1, 1000),
    },
    "assessments.csv": {
        **dict.fromkeys(KEY, CAT),
        "id_assessment": NUM,
        "assessment_type": CAT,
        "date": NUM,
        "weight": Column("numeric", 0, 100),
    },
    "vle.csv": {"id_site": NUM, **dict.fromkeys(KEY, CAT), "activity_type": CAT},
    "studentInfo.csv": {
        **dict.fromkeys(KEY, CAT),
        "id_student": NUM,
        **dict.fromkeys(("gender", "region", "highest_education", "imd_band"), CAT),
        "age_band": CAT,
        "num_of_prev_attempts": Column("numeric", 0, 100),
        "studied_credits": Column("numeric", 0, 1000),
        "disability": CAT,
        "final_result": CAT,
    },
    "studentRegistration.csv": {
        **dict.fromkeys(KEY, CAT),
        "id_student": NUM,
        "date_registration": NUM,
        "date_unregistration": NUM,
    },
    "studentAssessment.csv": {
        "id_assessment": NUM,
        "id_student": NUM,
        "date_submitted": NUM,
        "is_banked": Column("numeric", 0, 1),
        "score": Column("numeric", 0, 100),
    },
    "studentVle.csv": {
        **dict.fromkeys(KEY, CAT),
        "id_student": NUM,
        "id_site": NUM,
        "date": NUM,
        "sum_click": Column("numeric", 0, 1e7),
    },
}
FILES = tuple(SCHEMAS)
IDENTIFIERS = {  # columns that may not be empty
    "courses.csv": (*KEY, "module_presentation_length"),
    "assessments.csv": (*KEY, "id_assessment"),
    "vle.csv": ("id_site",),
    "studentInfo.csv": (*KEY, "id_student", "final_result"),
    "studentRegistration.csv": (*KEY, "id_student"),
    "studentAssessment.csv": ("id_assessment", "id_student", "date_submitted"),
}
VLE_CHUNK_ROWS = 2_000_000
DAYS = 4096  # dates past this (over 11 years) are not course days


@dataclass(frozen=True)
class OuladConfig:
    """The two sizes readers of the tables ask for."""

    n_students: int
    n_weeks: int


@dataclass(frozen=True)
class OuladTables:
    """OULAD read into the generator's tables (see the module docstring)."""

    config: OuladConfig
    students: pd.DataFrame
    registrations: pd.DataFrame
    vle: pd.DataFrame
    assessments: pd.DataFrame
    student_assessments: pd.DataFrame

    @property
    def withdrawal_week(self) -> np.ndarray:
        """``(n,)`` course week of withdrawal, ``n_weeks`` if none (as ``Cohort``'s)."""
        week = self.registrations["withdrawal_week"].fillna(self.config.n_weeks)
        return week.to_numpy(dtype=np.int64)

    def subset(self, rows: np.ndarray) -> OuladTables:
        """The tables restricted to the registrations at positions ``rows``, in that order."""
        rows = np.asarray(rows)
        ids = self.students["id_student"].to_numpy()[rows]

        def keep(table: pd.DataFrame) -> pd.DataFrame:
            return table[table["id_student"].isin(ids)].reset_index(drop=True)

        return OuladTables(
            config=OuladConfig(len(rows), self.config.n_weeks),
            students=self.students.iloc[rows].reset_index(drop=True),
            registrations=self.registrations.iloc[rows].reset_index(drop=True),
            vle=keep(self.vle),
            assessments=self.assessments,
            student_assessments=keep(self.student_assessments),
        )


# ---------------------------------------------------------------------- reading
def read_oulad(folder: str | Path, progress: bool = True) -> OuladTables:
    """Read OULAD's seven CSVs from ``folder``.

    Raises:
        FileNotFoundError: if the folder or any of the seven files is missing (all named).
        ValueError: for an empty file, missing columns, text in numeric columns,
            unknown final results, duplicated registrations, an unregistration before
            the registration, or rows pointing at unknown students or assessments;
            the message names the file, the columns and the lines.
    """
    folder = require_files(folder, FILES, "OULAD")
    small = {
        name: read_table(folder / name, SCHEMAS[name], required=IDENTIFIERS[name])
        for name in FILES[:-1]
    }
    courses, info = small["courses.csv"], small["studentInfo.csv"]
    n_weeks = int(np.ceil(courses["module_presentation_length"].max() / 7))

    bad = ~info["final_result"].isin(RESULTS)
    if bad.any():
        lines = describe_rows(bad, info.index)
        raise SchemaError(
            [f"final_result must be one of {', '.join(RESULTS)}; other values on lines {lines}"],
            str(folder / "studentInfo.csv"),
        )
    duplicated_error(info, [*KEY, "id_student"], folder / "studentInfo.csv")
    students = info.copy()
    students["oulad_id_student"] = students["id_student"].astype(np.int64)
    if students["id_student"].duplicated().any():
        students["id_student"] = np.arange(1, len(students) + 1)
    ids = students[[*KEY, "oulad_id_student", "id_student"]]

    registrations = _registrations(small["studentRegistration.csv"], ids, folder)
    assessments = small["assessments.csv"]
    assessments = assessments[assessments["assessment_type"] != "Exam"].dropna(subset=["date"])
    assessments = assessments.assign(week=(assessments["date"] // 7).astype(np.int64))
    student_assessments = _submissions(small["studentAssessment.csv"], assessments, ids, folder)
    vle = _weekly_vle(folder / "studentVle.csv", ids, n_weeks, progress)

    columns = [*STUDENT_COLUMNS, "oulad_id_student"]
    return OuladTables(
        config=OuladConfig(len(students), n_weeks),
        students=students[columns].reset_index(drop=True),
        registrations=registrations,
        vle=vle,
        assessments=assessments[
            [*KEY, "id_assessment", "assessment_type", "date", "weight", "week"]
        ]
        .astype({"id_assessment": np.int64, "date": np.int64})
        .reset_index(drop=True),
        student_assessments=student_assessments,
    )


def _with_ids(frame: pd.DataFrame, ids: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` (with KEY and the OULAD id_student) given our id_student; unknown -> error."""
    merged = frame.rename(columns={"id_student": "oulad_id_student"}).merge(
        ids, on=[*KEY, "oulad_id_student"], how="left", validate="many_to_one"
    )
    merged.index = frame.index
    unknown = merged["id_student"].isna()
    if unknown.any():
        lines = describe_rows(unknown, frame.index)
        raise SchemaError([f"students not in studentInfo.csv on lines {lines}"], str(path))
    return merged.astype({"id_student": np.int64})


def _registrations(table: pd.DataFrame, ids: pd.DataFrame, folder: Path) -> pd.DataFrame:
    path = folder / "studentRegistration.csv"
    duplicated_error(table, [*KEY, "id_student"], path)
    table = _with_ids(table, ids, path)
    backwards = table["date_unregistration"] < table["date_registration"]
    if backwards.any():
        lines = describe_rows(backwards, table.index)
        raise SchemaError(
            [f"date_unregistration before date_registration on lines {lines}"], str(path)
        )
    withdrawn = table["date_unregistration"].notna()
    week = np.maximum(table["date_unregistration"] // 7, 0)
    table["withdrawal_week"] = pd.Series(week, dtype="Float64").astype("Int64").where(withdrawn)
    order = ids["id_student"].to_numpy()
    table = table.set_index("id_student").reindex(order).reset_index()
    columns = [*KEY, "id_student", "date_registration", "date_unregistration", "withdrawal_week"]
    return table[columns]


def _submissions(table, assessments, ids, folder: Path) -> pd.DataFrame:
    path = folder / "studentAssessment.csv"
    known = table["id_assessment"].isin(assessments["id_assessment"])
    table = table[known]  # exams (and their scores) are left out on purpose
    located = table.merge(assessments[[*KEY, "id_assessment"]], on="id_assessment", how="left")
    located.index = table.index
    located = _with_ids(located, ids, path)
    return (
        located[["id_assessment", "id_student", "date_submitted", "is_banked", "score"]]
        .astype({"id_assessment": np.int64, "date_submitted": np.int64, "is_banked": np.int64})
        .reset_index(drop=True)
    )


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """The position of each value in ``index`` (-1 if absent); a categorical column is
    looked up once per category, not once per row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        return np.where(codes < 0, -1, index.get_indexer(values.cat.categories)[codes])
    return index.get_indexer(values)


def _weekly_vle(path: Path, ids: pd.DataFrame, n_weeks: int, progress: bool) -> pd.DataFrame:
    """Daily clicks from ``studentVle.csv`` in chunks -> weekly clicks and active days.

    Each row is reduced to one int64 key, ``registration * DAYS + date``, so the
    per-chunk and final aggregations group on a single integer column.
    """
    schema = SCHEMAS["studentVle.csv"]
    modules = pd.Index(ids["code_module"].unique())
    presentations = pd.Index(ids["code_presentation"].unique())

    def registration_keys(module, presentation, student) -> np.ndarray:
        code = _positions(module, modules) * len(presentations) + _positions(
            presentation, presentations
        )
        return code.astype(np.int64) * 2**32 + np.asarray(student, dtype=np.int64)

    lookup = pd.Index(
        registration_keys(ids["code_module"], ids["code_presentation"], ids["oulad_id_student"])
    )
    reader = read_csv(
        path,
        usecols=lambda c: c in schema,
        dtype={"code_module": "category", "code_presentation": "category"},
        chunksize=VLE_CHUNK_ROWS,
    )
    daily, rows = [], 0
    with tqdm(desc="studentVle.csv", unit=" rows", disable=None if progress else True) as bar:
        for chunk in reader:
            rows += len(chunk)
            check_schema(chunk, schema, what=str(path))
            chunk = chunk[(chunk["date"] >= 0) & (chunk["date"] < DAYS)]
            registration = lookup.get_indexer(
                registration_keys(
                    chunk["code_module"],
                    chunk["code_presentation"],
                    chunk["id_student"],
                )
            )
            if (registration < 0).any():
                lines = describe_rows(registration < 0, chunk.index)
                raise SchemaError([f"students not in studentInfo.csv on lines {lines}"], path)
            key = registration * DAYS + chunk["date"].to_numpy(np.int64)
            daily.append(pd.Series(chunk["sum_click"].to_numpy(np.int64)).groupby(key).sum())
            bar.update(len(chunk))
    if rows == 0:
        raise ValueError(f"{path}: the file has a header but no rows")
    days = pd.concat(daily).groupby(level=0).sum()
    registration, date = np.divmod(days.index.to_numpy(), DAYS)
    week = date // 7
    inside = week < n_weeks
    weekly_key = registration[inside] * n_weeks + week[inside]
    clicks = pd.Series(days.to_numpy()[inside]).groupby(weekly_key)
    registration, week = np.divmod(clicks.sum().index.to_numpy(), n_weeks)
    return pd.DataFrame(
        {
            "id_student": ids["id_student"].to_numpy()[registration],
            "code_module": ids["code_module"].to_numpy()[registration],
            "code_presentation": ids["code_presentation"].to_numpy()[registration],
            "week": week,
            "sum_click": clicks.sum().to_numpy(np.int64),
            "active_days": clicks.size().to_numpy(np.int64),
        }
    )


# ---------------------------------------------------------------------- writing
def write_oulad(cohort: Cohort, folder: str | Path, seed: int = 0) -> list[Path]:
    """Write ``cohort`` as OULAD's seven CSVs in ``folder`` (daily VLE rows).

    Each week's clicks are spread over ``active_days`` distinct days of that week
    (at least one click per active day; a week the generator gave fewer clicks than
    active days is written with one click per active day). One VLE site per module
    presentation. All frames are built before the first file is written, and each
    file is written atomically.
    """
    folder = Path(folder)
    n_weeks = cohort.config.n_weeks
    presentations = cohort.students[KEY].drop_duplicates().sort_values(KEY).reset_index(drop=True)
    sites = presentations.assign(
        id_site=np.arange(len(presentations)) + 500_000,
        activity_type="oucontent",
        week_from=np.nan,
        week_to=np.nan,
    )
    frames = {
        "courses.csv": presentations.assign(module_presentation_length=7 * n_weeks),
        "assessments.csv": cohort.assessments[
            [*KEY, "id_assessment", "assessment_type", "date", "weight"]
        ],
        "vle.csv": sites[["id_site", *KEY, "activity_type", "week_from", "week_to"]],
        "studentInfo.csv": cohort.students[[*KEY, *(c for c in STUDENT_COLUMNS if c not in KEY)]],
        "studentRegistration.csv": cohort.registrations[
            [*KEY, "id_student", "date_registration", "date_unregistration"]
        ],
        "studentAssessment.csv": cohort.student_assessments[
            ["id_assessment", "id_student", "date_submitted", "is_banked", "score"]
        ],
        "studentVle.csv": daily_vle(cohort.vle, sites, seed),
    }
    folder.mkdir(parents=True, exist_ok=True)
    return [atomic_write_csv(frame, folder / name) for name, frame in frames.items()]


def daily_vle(vle: pd.DataFrame, sites: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Weekly (clicks, active days) rows -> OULAD's daily ``studentVle`` rows."""
    rng = np.random.default_rng(seed)
    weekly = vle[vle["active_days"] > 0]
    n = len(weekly)
    active = weekly["active_days"].to_numpy(np.int64)
    clicks = np.maximum(weekly["sum_click"].to_numpy(np.int64), active)
    # which days: the first `active` of a random order of the week's 7 days, sorted
    order = np.argsort(rng.random((n, 7)), axis=1)
    used = np.arange(7)[None, :] < active[:, None]
    day = np.sort(np.where(used, order, 99), axis=1)
    # how many clicks: 1 per active day plus the rest cut at random points (stars and bars)
    extra = clicks - active
    cuts = np.sort(
        np.where(
            np.arange(6)[None, :] < active[:, None] - 1,
            (rng.random((n, 6)) * (extra[:, None] + 1)).astype(np.int64),
            extra[:, None],
        ),
        axis=1,
    )
    bounds = np.hstack([np.zeros((n, 1), np.int64), cuts, extra[:, None]])
    per_day = np.diff(bounds, axis=1)[:, :7] + 1
    rows, slot = np.nonzero(used)
    site = weekly.merge(sites[[*KEY, "id_site"]], on=KEY, how="left")["id_site"].to_numpy()
    return pd.DataFrame(
        {
            "code_module": weekly["code_module"].to_numpy()[rows],
            "code_presentation": weekly["code_presentation"].to_numpy()[rows],
            "id_student": weekly["id_student"].to_numpy()[rows],
            "id_site": site[rows],
            "date": 7 * weekly["week"].to_numpy()[rows] + day[rows, slot],
            "sum_click": per_day[rows, slot],
        }
    )

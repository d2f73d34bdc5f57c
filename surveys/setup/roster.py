"""Roster import: cadres, raters and who rates whom, from CSV files or a workbook.

The whole file is checked before anything is stored: every bad row is
reported with its sheet, row number and reason, and an import with any
error stores nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
from sqlmodel import Session

from storage.models import Assignment, Cadre, Rater, Roster
from surveys.rules.cells import FORBIDDEN, printable
from surveys.rules.messages import N_

SHEETS: dict[str, tuple[str, ...]] = {
    "cadres": ("id", "name", "unit", "post"),
    "raters": ("id", "name", "phone", "telegram"),
    "assignments": ("rater_id", "cadre_id", "group"),
}
REQUIRED = {
    "cadres": ("id", "name", "unit", "post"),
    "raters": ("id", "name"),
    "assignments": ("rater_id", "cadre_id", "group"),
}
# Chinese headers HR staff commonly type, mapped to the canonical ones.
HEADER_ALIASES = {
    "编号": "id",
    "工号": "id",
    "姓名": "name",
    "单位": "unit",
    "部门": "unit",
    "职务": "post",
    "岗位": "post",
    "手机": "phone",
    "电话": "phone",
    "telegram账号": "telegram",
    "测评人编号": "rater_id",
    "干部编号": "cadre_id",
    "测评组别": "group",
    "组别": "group",
}
GROUP_ALIASES = {"上级": "superior", "同级": "peer", "下级": "subordinate"}
# The longest value each column takes in the database (storage.models); others take 200.
MAX_LENGTHS = {"id": 64, "phone": 64, "telegram": 64}
NAMED_GROUPS = ("superior", "peer", "subordinate")


@dataclass(frozen=True)
class RowProblem:
    """One bad row: where it is and what is wrong (a message id and its values)."""

    sheet: str
    row: int
    message: str
    values: dict = field(default_factory=dict)


class RosterError(ValueError):
    """A roster that cannot be imported; ``problems`` lists every bad row."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in roster")


@dataclass
class RosterRows:
    """The raw rows of a roster, keyed by sheet, each with its row number."""

    sheets: dict[str, list[tuple[int, dict[str, str]]]]


def _canonical(header: object) -> str:
    text = str(header or "").strip()
    return HEADER_ALIASES.get(text, text.lower())


def _rows_from(records: Iterable[tuple], sheet: str, problems: list[RowProblem]):
    """Turn (header row, data rows...) into numbered dicts; blank rows are skipped."""
    records = iter(records)
    header = next(records, None)
    if header is None:
        problems.append(RowProblem(sheet, 1, N_("the sheet is empty; expected a header row")))
        return []
    columns = [_canonical(cell) for cell in header]
    missing = [name for name in REQUIRED[sheet] if name not in columns]
    if missing:
        problems.append(
            RowProblem(
                sheet, 1, N_("missing column(s): %(columns)s"), {"columns": ", ".join(missing)}
            )
        )
        return []
    rows = []
    for number, record in enumerate(records, start=2):
        values = {
            name: "" if cell is None else str(cell).strip()
            for name, cell in zip(columns, record, strict=False)
            if name in SHEETS[sheet]
        }
        if unprintable := [name for name, value in values.items() if FORBIDDEN.search(value)]:
            # PostgreSQL refuses NUL in text, and no file or page can show these
            problems.append(
                RowProblem(
                    sheet,
                    number,
                    N_("%(field)s contains a control character (such as NUL)"),
                    {"field": unprintable[0]},
                )
            )
        elif any(values.values()):
            rows.append((number, values))
    return rows


def read_workbook(path: Path) -> RosterRows:
    """Read the three sheets of an .xlsx roster."""
    problems: list[RowProblem] = []
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RosterError(
            [
                RowProblem(
                    path.name,
                    0,
                    N_("not a readable .xlsx workbook: %(error)s"),
                    {"error": str(exc)},
                )
            ]
        ) from exc
    sheets = {}
    try:
        for sheet in SHEETS:
            if sheet not in workbook.sheetnames:
                problems.append(
                    RowProblem(
                        sheet, 0, N_("the workbook has no sheet named %(sheet)s"), {"sheet": sheet}
                    )
                )
                continue
            records = workbook[sheet].iter_rows(values_only=True)
            sheets[sheet] = _rows_from(records, sheet, problems)
    finally:
        workbook.close()
    if problems:
        raise RosterError(problems)
    return RosterRows(sheets)


def read_csv_folder(folder: Path) -> RosterRows:
    """Read cadres.csv, raters.csv and assignments.csv from one folder."""
    problems: list[RowProblem] = []
    sheets = {}
    for sheet in SHEETS:
        path = folder / f"{sheet}.csv"
        if not path.is_file():
            problems.append(
                RowProblem(sheet, 0, N_("file %(file)s is missing"), {"file": path.name})
            )
            continue
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                sheets[sheet] = _rows_from(csv.reader(handle), sheet, problems)
        except UnicodeDecodeError:
            problems.append(
                RowProblem(sheet, 0, N_("file %(file)s is not UTF-8 text"), {"file": path.name})
            )
        except csv.Error as error:  # an unclosed quote, a field too long for the reader
            problems.append(
                RowProblem(
                    sheet,
                    0,
                    N_("file %(file)s is not readable CSV: %(error)s"),
                    {"file": path.name, "error": str(error)},
                )
            )
    if problems:
        raise RosterError(problems)
    return RosterRows(sheets)


def read_roster(path: Path) -> RosterRows:
    """Read a roster from an .xlsx workbook or a folder of three CSV files."""
    if path.is_dir():
        return read_csv_folder(path)
    if path.suffix.lower() == ".xlsx" and path.is_file():
        return read_workbook(path)
    raise RosterError(
        [
            RowProblem(
                path.name,
                0,
                N_(
                    "expected an .xlsx workbook or a folder with cadres.csv, raters.csv and "
                    "assignments.csv"
                ),
            )
        ]
    )


def check_roster(rows: RosterRows) -> list[RowProblem]:
    """Return every problem in the roster; an empty list means it can be stored."""
    problems: list[RowProblem] = []
    cadre_ids = _check_people(rows.sheets["cadres"], "cadres", problems)
    rater_ids = _check_people(rows.sheets["raters"], "raters", problems)
    pairs: set[tuple[str, str]] = set()
    for number, row in rows.sheets["assignments"]:
        problem = _assignment_problem(row, cadre_ids, rater_ids, pairs)
        if problem:
            problems.append(RowProblem("assignments", number, *problem))
    if not rows.sheets["cadres"] and not problems:
        problems.append(RowProblem("cadres", 0, N_("the roster has no cadres")))
    return problems


def _check_people(rows, sheet: str, problems: list[RowProblem]) -> set[str]:
    seen: set[str] = set()
    for number, row in rows:
        empty = [name for name in REQUIRED[sheet] if not row.get(name)]
        if empty:
            problems.append(
                RowProblem(
                    sheet,
                    number,
                    N_("required field(s) empty: %(fields)s"),
                    {"fields": ", ".join(empty)},
                )
            )
        elif row["id"] in seen:
            problems.append(RowProblem(sheet, number, N_("duplicate id %(id)s"), {"id": row["id"]}))
        elif too_long := [
            name for name, value in row.items() if len(value) > MAX_LENGTHS.get(name, 200)
        ]:
            problems.append(
                RowProblem(
                    sheet,
                    number,
                    N_("%(field)s is longer than %(limit)s characters"),
                    {"field": too_long[0], "limit": MAX_LENGTHS.get(too_long[0], 200)},
                )
            )
        seen.add(row.get("id", ""))
    seen.discard("")
    return seen


def _assignment_problem(row, cadre_ids, rater_ids, pairs) -> tuple[str, dict] | None:
    """Return (message, values) for a bad assignment row, or None if it is fine."""
    empty = [name for name in REQUIRED["assignments"] if not row.get(name)]
    if empty:
        return N_("required field(s) empty: %(fields)s"), {"fields": ", ".join(empty)}
    group = GROUP_ALIASES.get(row["group"], row["group"].lower())
    row["group"] = group
    if group not in NAMED_GROUPS:
        return (
            N_("unknown group %(group)s; use superior, peer or subordinate"),
            {"group": row["group"]},
        )
    if row["rater_id"] not in rater_ids:
        return N_("unknown rater id %(id)s"), {"id": row["rater_id"]}
    if row["cadre_id"] not in cadre_ids:
        return N_("unknown cadre id %(id)s"), {"id": row["cadre_id"]}
    pair = (row["rater_id"], row["cadre_id"])
    if pair in pairs:
        return N_("rater %(rater)s is assigned to cadre %(cadre)s twice"), {
            "rater": pair[0],
            "cadre": pair[1],
        }
    pairs.add(pair)
    return None


def import_roster(*, session: Session, rows: RosterRows, name: str, now: datetime) -> Roster:
    """Check and store a roster in the caller's transaction; raise RosterError if bad."""
    problems = check_roster(rows)
    if problems:
        raise RosterError(problems)
    roster = Roster(name=name, imported_at=now)
    session.add(roster)
    session.flush()  # no ORM relationships, so parents are flushed before children
    cadres = {
        row["id"]: Cadre(
            roster_id=roster.id,
            external_id=row["id"],
            name=row["name"],
            unit=row["unit"],
            post=row["post"],
        )
        for _, row in rows.sheets["cadres"]
    }
    raters = {
        row["id"]: Rater(
            roster_id=roster.id,
            external_id=row["id"],
            name=row["name"],
            phone=row.get("phone") or None,
            telegram=row.get("telegram") or None,
        )
        for _, row in rows.sheets["raters"]
    }
    session.add_all([*cadres.values(), *raters.values()])
    session.flush()
    session.add_all(
        Assignment(
            roster_id=roster.id,
            rater_id=raters[row["rater_id"]].id,
            cadre_id=cadres[row["cadre_id"]].id,
            group=row["group"],
        )
        for _, row in rows.sheets["assignments"]
    )
    session.flush()
    return roster


def write_template(path: Path) -> None:
    """Write an empty roster workbook with the right sheets and header rows."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet, columns in SHEETS.items():
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(list(columns))
        for index in range(len(columns)):
            worksheet.column_dimensions[chr(ord("A") + index)].width = 18
    workbook.save(path)


def write_workbook(path: Path, sheets: dict[str, list[dict[str, str]]]) -> None:
    """Write roster rows to a workbook in the import format (used by tests and the demo).

    Every cell is a string cell, never a formula, and without the characters
    XML forbids: the file reads back as the same roster (a leading quote as
    in the results workbook would come back as part of the name).
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet, columns in SHEETS.items():
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(list(columns))
        for row in sheets.get(sheet, []):
            worksheet.append([printable(row.get(column, "")) for column in columns])
            for written in worksheet[worksheet.max_row]:
                written.data_type = "s"  # a name that starts with "=" stays a name, not a formula
    workbook.save(path)

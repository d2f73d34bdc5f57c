"""Roster import: cadres, raters and who rates whom, from CSV files or a workbook.

The whole file is checked before anything is stored: every bad row is
reported with its sheet, row number and reason, and an import with any
error stores nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
from sqlmodel import Session, col, func, select

from storage.models import Assignment, Cadre, Rater, Roster
from surveys.rules.cells import FORBIDDEN, printable
from surveys.rules.messages import N_
from surveys.rules.rater_groups import UNKNOWN_GROUP, named_choices, named_group

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
# The longest value each column takes in the database (storage.models); others take 200.
MAX_LENGTHS = {"id": 64, "phone": 64, "telegram": 64}
# Ids in the template's example rows start with this (surveys.setup.roster_template).
EXAMPLE_MARK = "示例"
EXAMPLE_LEFT = N_("%(id)s is the template's example row: delete it or fill in a real one")
# A mainland mobile number, optionally with the country code: HR's SMS tool sends the links.
MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")


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


def example_rows_left(rows: RosterRows) -> list[RowProblem]:
    """Rows that still carry the template's example ids, each to be deleted or replaced."""
    problems = []
    for sheet, numbered in rows.sheets.items():
        for number, row in numbered:
            marked = [
                value
                for name, value in row.items()
                if name in ("id", "rater_id", "cadre_id") and value.startswith(EXAMPLE_MARK)
            ]
            if marked:
                problems.append(RowProblem(sheet, number, EXAMPLE_LEFT, {"id": marked[0]}))
    return problems


def check_roster(rows: RosterRows) -> list[RowProblem]:
    """Return every problem in the roster; an empty list means it can be stored."""
    problems: list[RowProblem] = example_rows_left(rows)
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
        elif (phone := row.get("phone")) and mobile_number(phone) is None:
            problems.append(
                RowProblem(
                    sheet,
                    number,
                    N_("phone %(phone)s is not a mainland mobile number (11 digits, 13-19…)"),
                    {"phone": phone},
                )
            )
        seen.add(row.get("id", ""))
    seen.discard("")
    return seen


def mobile_number(text: str) -> str | None:
    """The 11-digit mobile number in ``text`` (spaces, dashes and +86 allowed), else None.

    A typo such as "12345" would otherwise be stored and exported with the
    links, and fail only when HR's SMS tool cannot send them, days later.
    """
    match = MOBILE.fullmatch(re.sub(r"[\s-]", "", text.strip()))
    return match.group(1) if match else None


def _assignment_problem(row, cadre_ids, rater_ids, pairs) -> tuple[str, dict] | None:
    """Return (message, values) for a bad assignment row, or None if it is fine."""
    empty = [name for name in REQUIRED["assignments"] if not row.get(name)]
    if empty:
        return N_("required field(s) empty: %(fields)s"), {"fields": ", ".join(empty)}
    group = named_group(row["group"])
    if group is None:
        return UNKNOWN_GROUP, {"group": row["group"], "groups": named_choices()}
    row["group"] = group
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


@dataclass(frozen=True)
class RosterPreview:
    """A roster file read and checked but not stored: its rows, and every problem found.

    ``rows`` is None when the file itself could not be read (a damaged
    workbook, a missing sheet or column); then only ``problems`` is shown.
    """

    rows: RosterRows | None
    problems: list[RowProblem]

    @property
    def importable(self) -> bool:
        """Whether confirming would store the roster."""
        return self.rows is not None and not self.problems

    def bad_rows(self, sheet: str) -> set[int]:
        """Row numbers of a sheet that have a problem, to mark them in the preview."""
        return {problem.row for problem in self.problems if problem.sheet == sheet}


def preview_roster(path: Path) -> RosterPreview:
    """Read and check a roster without storing anything, for HR to look at before importing.

    The same checks as ``import_roster``: a preview without problems imports.
    """
    try:
        rows = read_roster(path)
    except RosterError as error:
        return RosterPreview(None, error.problems)
    return RosterPreview(rows, check_roster(rows))


@dataclass(frozen=True)
class RosterSummary:
    """One stored roster with the number of cadres, raters and assignments it holds."""

    roster: Roster
    cadres: int
    raters: int
    assignments: int


def list_rosters(*, session: Session) -> list[RosterSummary]:
    """Every stored roster, newest first, with its counts (to choose one for a campaign)."""
    counts = {}
    for model in (Cadre, Rater, Assignment):
        rows = session.exec(
            select(model.roster_id, func.count()).group_by(model.roster_id)  # type: ignore
        ).all()
        counts[model] = dict(rows)
    rosters = session.exec(select(Roster).order_by(col(Roster.imported_at).desc())).all()
    return [
        RosterSummary(
            roster=roster,
            cadres=counts[Cadre].get(roster.id, 0),
            raters=counts[Rater].get(roster.id, 0),
            assignments=counts[Assignment].get(roster.id, 0),
        )
        for roster in rosters
    ]


ID_REUSED = N_(
    "id %(id)s named %(known)s in an earlier roster, not %(name)s: a cadre's id names one "
    "person in every roster and their results over the years follow it; give this person "
    "a new id, or, if it is the same person renamed, confirm it (--renamed %(id)s)"
)


def reused_ids(
    *, session: Session, rows: RosterRows, renamed: Collection[str] = ()
) -> list[RowProblem]:
    """Cadre ids that earlier rosters gave to someone of another name (and HR did not
    confirm as the same person renamed).

    The cadre id is the person's stable id across rosters: profiles, feeding
    and suggestions follow it from one campaign to the next.  An id reused
    for another person would merge two people's histories and show one of
    them the other's results, so the import refuses it rather than warn: a
    warning scrolls past, a merged history cannot be split afterwards.
    """
    cadres = {row["id"]: (number, row) for number, row in rows.sheets["cadres"]}
    if not cadres:
        return []
    known: dict[str, set[str]] = {}
    for external_id, known_name in session.exec(
        select(Cadre.external_id, Cadre.name).where(col(Cadre.external_id).in_(list(cadres)))
    ).all():
        known.setdefault(external_id, set()).add(known_name.strip())
    problems = []
    for external_id, names in sorted(known.items()):
        number, row = cadres[external_id]
        name = row["name"].strip()
        if external_id in renamed or name in names:
            continue
        problems.append(
            RowProblem(
                "cadres",
                number,
                ID_REUSED,
                {"id": external_id, "known": "、".join(sorted(names)), "name": name},
            )
        )
    return problems


def import_roster(
    *,
    session: Session,
    rows: RosterRows,
    name: str,
    now: datetime,
    renamed: Collection[str] = (),
) -> Roster:
    """Check and store a roster in the caller's transaction; raise RosterError if bad.

    ``renamed`` lists cadre ids that HR confirms name the same person as in
    earlier rosters under another name (see ``reused_ids``).
    """
    problems = check_roster(rows)
    if not problems:
        problems = reused_ids(session=session, rows=rows, renamed=renamed)
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

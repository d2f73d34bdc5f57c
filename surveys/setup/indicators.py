"""Performance indicator import (实绩): one row per cadre and indicator, from xlsx or CSV.

As with the roster (``surveys.setup.roster``), the whole file is checked
before anything is stored: every bad row is reported with its row number
and reason, and a file with any error stores nothing.  A good import
replaces every indicator the campaign had, so HR fixes a figure by
importing the corrected file again.

When: any time until the results are published.  Indicators are HR's own
figures, not ballots, so importing them before or after the box is opened
reveals nothing about any rater; HR often has the year's figures only after
the close.  Once results are published a new import would change grades
people have already seen: it is refused (a grade is then changed on appeal).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Cadre, Campaign, PerformanceIndicator, new_id
from surveys.rules.cells import FORBIDDEN, printable
from surveys.rules.messages import N_
from surveys.rules.performance import DIRECTIONS, HIGHER, LOWER, Indicator
from surveys.rules.questionnaire import MAX_WEIGHT
from surveys.setup.campaigns import CampaignError, campaign_cadres, snapshot
from surveys.setup.roster import RowProblem

SHEET = "indicators"
COLUMNS = ("cadre_id", "indicator", "target", "actual", "unit", "weight", "direction")
REQUIRED = ("cadre_id", "indicator", "target", "actual")
# Chinese headers HR staff commonly type, mapped to the canonical ones.
HEADER_ALIASES = {
    "cadre": "cadre_id",
    "干部编号": "cadre_id",
    "编号": "cadre_id",
    "name": "indicator",
    "指标": "indicator",
    "指标名称": "indicator",
    "目标": "target",
    "目标值": "target",
    "实际": "actual",
    "实际值": "actual",
    "完成值": "actual",
    "单位": "unit",
    "计量单位": "unit",
    "权重": "weight",
    "方向": "direction",
    "指标方向": "direction",
}
DIRECTION_ALIASES = {
    "": HIGHER,
    "越高越好": HIGHER,
    "正向": HIGHER,
    "高": HIGHER,
    "越低越好": LOWER,
    "逆向": LOWER,
    "低": LOWER,
}
MAX_LENGTHS = {"cadre_id": 64, "indicator": 200, "unit": 32}
EXAMPLE = {
    "cadre_id": "C1",
    "indicator": "招商引资到位资金",
    "target": "5000",
    "actual": "5600",
    "unit": "万元",
    "weight": "2",
    "direction": "higher",
}
PUBLISHED = N_(
    "The results of %(campaign)s are published: indicators can no longer be imported "
    "(change a grade through an appeal)"
)
NO_PERFORMANCE = N_(
    "The questionnaire of %(campaign)s has no performance section, so indicators would not "
    "count; create the campaign from a template with one"
)


class IndicatorError(ValueError):
    """An indicator file that cannot be imported; ``problems`` lists every bad row."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the indicators")


@dataclass(frozen=True)
class ImportedIndicators:
    """What an import did: how many rows it stored and how many it replaced."""

    stored: int
    replaced: int
    cadres: int


Rows = list[tuple[int, dict[str, str]]]


def _canonical(header: object) -> str:
    text = str(header or "").strip()
    return HEADER_ALIASES.get(text, HEADER_ALIASES.get(text.lower(), text.lower()))


def _rows_from(records, source: str) -> Rows:
    """Numbered rows of a header and data records; file-level problems raise at once.

    Row-level problems (control characters) are kept in the row as ``__problem__``
    so that ``check_indicators`` lists them with every other bad row.
    """
    records = iter(records)
    header = next(records, None)
    if header is None:
        problem = RowProblem(source, 1, N_("the sheet is empty; expected a header row"))
        raise IndicatorError([problem])
    columns = [_canonical(cell) for cell in header]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        message, values = N_("missing column(s): %(columns)s"), {"columns": ", ".join(missing)}
        raise IndicatorError([RowProblem(source, 1, message, values)])
    rows = []
    for number, record in enumerate(records, start=2):
        values = {
            name: "" if cell is None else str(cell).strip()
            for name, cell in zip(columns, record, strict=False)
            if name in COLUMNS
        }
        if any(values.values()):
            rows.append((number, values))
    return rows


def read_indicators(path: Path) -> Rows:
    """Read the rows of an indicator file: an .xlsx workbook (first sheet) or a .csv file.

    Raises ``IndicatorError`` when the file itself cannot be read or lacks a
    required column; bad rows are left for ``check_indicators``.
    """
    suffix = path.suffix.lower()
    if suffix == ".xlsx" and path.is_file():
        return _read_workbook(path)
    if suffix == ".csv" and path.is_file():
        return _read_csv(path)
    raise IndicatorError(
        [RowProblem(path.name, 0, N_("expected an .xlsx workbook or a .csv file of indicators"))]
    )


def _read_workbook(path: Path) -> Rows:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        message = N_("not a readable .xlsx workbook: %(error)s")
        raise IndicatorError([RowProblem(path.name, 0, message, {"error": str(exc)})]) from exc
    try:
        worksheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        return _rows_from(worksheet.iter_rows(values_only=True), worksheet.title)
    finally:
        workbook.close()


def _read_csv(path: Path) -> Rows:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _rows_from(csv.reader(handle), path.name)
    except UnicodeDecodeError as exc:
        raise IndicatorError(
            [RowProblem(path.name, 0, N_("file %(file)s is not UTF-8 text"), {"file": path.name})]
        ) from exc
    except csv.Error as exc:  # an unclosed quote, a NUL byte, a field too long for the reader
        raise IndicatorError(
            [
                RowProblem(
                    path.name,
                    0,
                    N_("file %(file)s is not readable CSV: %(error)s"),
                    {"file": path.name, "error": str(exc)},
                )
            ]
        ) from exc


def _number(row: dict[str, str], name: str) -> float | None:
    """The column read as a finite number, or None when it is not one.

    Commas are taken as thousands separators ("1,200"), as Chinese
    spreadsheets write them; "nan" and "inf" are not numbers here.
    """
    try:
        value = float(row.get(name, "").replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _row_problem(row: dict[str, str], cadres: set[str]) -> tuple[str, dict] | None:
    """Return (message, values) for a bad row, or None if it is fine (normalising it)."""
    if unprintable := [name for name, value in row.items() if FORBIDDEN.search(value)]:
        # PostgreSQL refuses NUL in text, and no file or page can show these
        return N_("%(field)s contains a control character (such as NUL)"), {"field": unprintable[0]}
    if empty := [name for name in REQUIRED if not row.get(name)]:
        return N_("required field(s) empty: %(fields)s"), {"fields": ", ".join(empty)}
    if too_long := [name for name, limit in MAX_LENGTHS.items() if len(row.get(name, "")) > limit]:
        return N_("%(field)s is longer than %(limit)s characters"), {
            "field": too_long[0],
            "limit": MAX_LENGTHS[too_long[0]],
        }
    if row["cadre_id"] not in cadres:
        return N_("unknown cadre id %(id)s"), {"id": row["cadre_id"]}
    for name in ("target", "actual"):
        value = _number(row, name)
        if value is None or value < 0:
            return N_("%(field)s must be a number of 0 or more, not %(value)s"), {
                "field": name,
                "value": row[name][:40],
            }
    if _number(row, "target") == 0:
        return N_("target must not be 0: attainment is measured against it"), {}
    weight = _number(row, "weight") if row.get("weight") else 1.0
    if weight is None or not 0 < weight <= MAX_WEIGHT:
        return N_("weight must be a number above 0 and at most %(max)s, not %(value)s"), {
            "max": MAX_WEIGHT,
            "value": row.get("weight", "")[:40],
        }
    direction = DIRECTION_ALIASES.get(row.get("direction", ""), row.get("direction", "").lower())
    if direction not in DIRECTIONS:
        return N_("unknown direction %(value)s; use higher or lower"), {
            "value": row["direction"][:40]
        }
    row["direction"] = direction
    return None


def check_indicators(rows: Rows, cadre_ids: set[str], source: str = SHEET) -> list[RowProblem]:
    """Every bad row of an indicator file; an empty list means it can be stored.

    ``cadre_ids`` are the roster ids of the campaign's cadres.  An indicator
    named twice for one cadre is a problem: which figure counts would be a guess.
    """
    problems, seen = [], set()
    for number, row in rows:
        problem = _row_problem(row, cadre_ids)
        if problem is None and (row["cadre_id"], row["indicator"]) in seen:
            problem = (
                N_("indicator %(indicator)s is given twice for cadre %(cadre)s"),
                {
                    "indicator": row["indicator"],
                    "cadre": row["cadre_id"],
                },
            )
        if problem is not None:
            problems.append(RowProblem(source, number, *problem))
        else:
            seen.add((row["cadre_id"], row["indicator"]))
    if not rows and not problems:
        problems.append(RowProblem(source, 0, N_("the file has no indicators")))
    return problems


def importable(campaign: Campaign) -> None:
    """Refuse an import the campaign cannot take (see the module docstring for when)."""
    if campaign.published_at is not None:
        raise CampaignError(PUBLISHED, {"campaign": campaign.name})
    if snapshot(campaign).performance is None:
        raise CampaignError(NO_PERFORMANCE, {"campaign": campaign.name})


def import_indicators(
    *, session: Session, campaign: Campaign, rows: Rows, now: datetime
) -> ImportedIndicators:
    """Check and store a campaign's indicators in the caller's transaction, replacing the
    previous import; raise ``IndicatorError`` (nothing stored) if any row is bad."""
    importable(campaign)
    cadres = {
        cadre.external_id: cadre.id for cadre in campaign_cadres(session=session, campaign=campaign)
    }
    problems = check_indicators(rows, set(cadres))
    if problems:
        raise IndicatorError(problems)
    replaced = session.execute(
        sa.delete(PerformanceIndicator).where(PerformanceIndicator.campaign_id == campaign.id)
    ).rowcount
    # one multi-row INSERT: the ORM took 9 s for 50,000 rows on SQLite
    session.execute(
        sa.insert(PerformanceIndicator),
        [
            {
                "id": new_id(),
                "campaign_id": campaign.id,
                "cadre_id": cadres[row["cadre_id"]],
                "name": row["indicator"],
                "target": _number(row, "target"),
                "actual": _number(row, "actual"),
                "unit": row.get("unit", ""),
                "weight": _number(row, "weight") if row.get("weight") else 1.0,
                "direction": row["direction"],
                "imported_at": now,
            }
            for _, row in rows
        ],
    )
    session.flush()
    return ImportedIndicators(
        stored=len(rows), replaced=replaced, cadres=len({row["cadre_id"] for _, row in rows})
    )


def stored_indicators(*, session: Session, campaign: Campaign) -> list[PerformanceIndicator]:
    """The campaign's stored indicators, by cadre then name."""
    return list(
        session.exec(
            select(PerformanceIndicator)
            .where(PerformanceIndicator.campaign_id == campaign.id)
            .order_by(PerformanceIndicator.cadre_id, PerformanceIndicator.name)
        )
    )


def campaign_indicators(*, session: Session, campaign: Campaign) -> dict[str, list[Indicator]]:
    """The campaign's indicators as scoring reads them, by cadre id (database id)."""
    found: dict[str, list[Indicator]] = defaultdict(list)
    for row in stored_indicators(session=session, campaign=campaign):
        found[row.cadre_id].append(
            Indicator(
                name=row.name,
                target=row.target,
                actual=row.actual,
                weight=row.weight,
                direction=row.direction,
                unit=row.unit,
            )
        )
    return dict(found)


def cadres_by_id(*, session: Session, campaign: Campaign) -> dict[str, Cadre]:
    """The campaign's cadres by database id, to show their roster ids and names."""
    return {cadre.id: cadre for cadre in campaign_cadres(session=session, campaign=campaign)}


def write_template(path: Path) -> None:
    """Write an indicator workbook with the header row and one example row.

    Every cell is a string cell, never a formula, so an example that starts
    with "=" would stay text.
    """
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = SHEET
    worksheet.append(list(COLUMNS))
    worksheet.append([printable(EXAMPLE[column]) for column in COLUMNS])
    for written in worksheet[2]:
        written.data_type = "s"
    for index in range(len(COLUMNS)):
        worksheet.column_dimensions[chr(ord("A") + index)].width = 18
    workbook.save(path)


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Write indicator rows as a workbook or a CSV file by suffix (used by tests and the demo)."""
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = SHEET
    worksheet.append(list(COLUMNS))
    for number, row in enumerate(rows, start=2):
        worksheet.append([printable(str(row.get(column, ""))) for column in COLUMNS])
        for column in range(1, len(COLUMNS) + 1):  # not worksheet.max_row: it scans every cell
            worksheet.cell(row=number, column=column).data_type = "s"
    workbook.save(path)

"""The roster workbook HR fills in: the import's sheets and headers, one example row
per sheet, and drop-down lists where a typo would cost an import round.

The example rows carry ids starting with ``EXAMPLE_MARK``, so an import that
still holds one is refused with the row to delete (``roster.example_rows_left``,
checked with every other rule, so the console refuses it too)
rather than storing an invented person.  The drop-downs offer the rater
groups by their Chinese names (the import reads both) and, in the
assignments sheet, the ids typed on the other two sheets.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from surveys.rules.messages import N_, translate
from surveys.rules.rater_groups import roster_names
from surveys.setup.roster import SHEETS

EXAMPLES: dict[str, dict[str, str]] = {
    "cadres": {"id": "示例G01", "name": "张某某（示例）", "unit": "市某某局", "post": "局长"},
    "raters": {"id": "示例R01", "name": "李某某（示例）", "phone": "13800000000", "telegram": ""},
    "assignments": {"rater_id": "示例R01", "cadre_id": "示例G01", "group": "上级"},
}
LAST_ROW = 10_000  # how far down the drop-downs reach
HINTS = {
    "cadres": N_("Cadres being assessed. Row 2 is an example: overwrite or delete it."),
    "raters": N_(
        "Raters. Phone: an 11-digit mainland mobile number, or empty. "
        "Row 2 is an example: overwrite or delete it."
    ),
    "assignments": N_(
        "Who rates whom: pick the rater, the cadre and the group from the lists. "
        "Row 2 is an example: overwrite or delete it."
    ),
}


def write_template(path: Path, locale: str) -> None:
    """Write the roster workbook: headers, an example row and drop-downs on each sheet."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet, columns in SHEETS.items():
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(list(columns))
        worksheet.append([EXAMPLES[sheet].get(column, "") for column in columns])
        for cell in worksheet[2]:
            cell.data_type = "s"
            cell.font = Font(italic=True, color="808080")
        worksheet["A1"].comment = Comment(translate(HINTS[sheet], locale=locale), "cadre")
        worksheet.freeze_panes = "A2"
        for index in range(len(columns)):
            worksheet.column_dimensions[chr(ord("A") + index)].width = 18
    assignments = workbook["assignments"]
    choices = [
        ("A", f"raters!$A$2:$A${LAST_ROW}"),
        ("B", f"cadres!$A$2:$A${LAST_ROW}"),
        ("C", '"' + ",".join(roster_names()) + '"'),
    ]
    for column, source in choices:
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.error = translate(N_("Choose a value from the list."), locale=locale)
        validation.showErrorMessage = True
        validation.add(f"{column}2:{column}{LAST_ROW}")
        assignments.add_data_validation(validation)
    workbook.save(path)

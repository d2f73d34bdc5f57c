"""The streamed workbook writer: what openpyxl reads back is exactly the tables given."""

from __future__ import annotations

from io import BytesIO

import openpyxl

from surveys.documents.workbook import column_letter, write_workbook

TABLES = [
    ("Overview", [["Key figure", "Value"], ["Cadres", 3], ["Share", 12.5], [], ["Grade", "n"]]),
    (
        "A sheet title longer than thirty-one characters",
        [["id", "name", "ok", "note"], ["C1", "王伟", True, None], ["C2", " padded ", False, 0.1]],
    ),
]


def read(tables) -> openpyxl.Workbook:
    buffer = BytesIO()
    write_workbook(buffer, tables)
    return openpyxl.load_workbook(BytesIO(buffer.getvalue()))


def test_values_come_back_as_written_in_their_places():
    workbook = read(TABLES)
    assert workbook.sheetnames == ["Overview", "A sheet title longer than thirt"]
    for (_, rows), sheet in zip(TABLES, workbook.worksheets, strict=True):
        back = [list(row) for row in sheet.iter_rows(values_only=True)]
        width = max(len(row) for row in rows)
        assert back == [row + [None] * (width - len(row)) for row in rows]


def test_header_rows_are_bold_and_the_first_row_is_frozen():
    sheet = read(TABLES)["Overview"]
    bold = [row for row in range(1, 6) if sheet.cell(row, 1).font.bold]
    assert bold == [1, 5]  # the first row, and the row after the empty one
    assert sheet.freeze_panes == "A2"


def test_a_formula_is_text_and_control_characters_are_dropped():
    sheet = read([("S", [["h"], ['=HYPERLINK("x")'], ["a\x01b<&>"]])])["S"]
    assert sheet["A2"].value == '\'=HYPERLINK("x")' and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "ab<&>"


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A", "Z", "AA", "AB", "ZZ", "AAA",
    ]  # fmt: skip

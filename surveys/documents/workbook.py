"""Tables as an ``.xlsx`` workbook, written straight into the file: fast and flat in memory.

openpyxl makes an object of every cell and writes each through an XML tree
writer, some 30 microseconds a cell: a campaign of 10,000 cadres has four
million cells (most on the ballots sheet), which took minutes and gigabytes.
The results workbook needs none of openpyxl's model: plain values, bold
header rows, the first row frozen.  So each sheet goes into the zip as XML
text, row by row as the tables give them: strings inline (no shared-string
table to hold), numbers as numbers.  openpyxl, Excel and LibreOffice read it
like any other workbook.

A string is always text, never a formula, and goes through
``surveys.rules.cells.cell_text`` like every CSV cell: a comment that begins with
"=" gets the leading quote that keeps it text even when HR types over it or
saves the sheet as CSV, and characters XML cannot carry (NUL, most control
characters) are left out, so no comment or roster name can break the file.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable
from os import PathLike
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from surveys.rules.cells import cell_text, printable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_NAME_LIMIT = 31  # Excel's
CHUNK = 1000  # rows per write into the zip
STYLES = f"""<styleSheet xmlns="{MAIN}">
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
FROZEN = (
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
)


def column_letter(index: int) -> str:
    """A column's letters from its index counted from 0: A, ..., Z, AA, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _text(value: str) -> str:
    """A string as the text of an inline-string cell (XML-safe, outer spaces kept)."""
    value = escape(cell_text(value))
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def cell(reference: str, value: object, style: str) -> str:
    """One cell's XML; empty for None, so the cell is left out."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{reference}"{style}><v>{value!r}</v></c>'
    return f'<c r="{reference}"{style} t="inlineStr">{_text(str(value))}</c>'


def sheet_rows(rows: Iterable[list]) -> Iterable[str]:
    """The ``<row>`` elements of a table: the first row, and each row after an empty one,
    in bold (the header of the table that follows)."""
    letters: list[str] = []
    previous: list | None = None
    for number, row in enumerate(rows, start=1):
        bold = previous is None or not previous
        previous = row
        if not row:
            continue
        while len(letters) < len(row):
            letters.append(column_letter(len(letters)))
        style = ' s="1"' if bold else ""
        cells = "".join(
            cell(f"{letters[index]}{number}", value, style) for index, value in enumerate(row)
        )
        yield f'<row r="{number}">{cells}</row>'


def _write_sheet(archive: zipfile.ZipFile, name: str, rows: Iterable[list]) -> None:
    """One worksheet, streamed into the archive a chunk of rows at a time."""
    with archive.open(name, "w", force_zip64=True) as part:
        part.write(f'{DECLARATION}<worksheet xmlns="{MAIN}">{FROZEN}<sheetData>'.encode())
        chunk: list[str] = []
        for row in sheet_rows(rows):
            chunk.append(row)
            if len(chunk) >= CHUNK:
                part.write("".join(chunk).encode())
                chunk = []
        part.write(("".join(chunk) + "</sheetData></worksheet>").encode())


def write_workbook(
    target: str | PathLike | IO[bytes], sheets: Iterable[tuple[str, Iterable[list]]]
) -> None:
    """Write (title, rows) sheets as a workbook to a path or a binary buffer.

    Titles are cut to Excel's 31 characters; the first row of each sheet is
    frozen, and it and every row after an empty one are bold.
    """
    titles = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number, (title, rows) in enumerate(sheets, start=1):
            titles.append(title[:SHEET_NAME_LIMIT])
            _write_sheet(archive, f"xl/worksheets/sheet{number}.xml", rows)
        count = len(titles)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
            f'ContentType="{CONTENT}.worksheet+xml"/>'
            for n in range(1, count + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            f'{DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT}.styles+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'{DECLARATION}<Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        sheets_xml = "".join(
            f'<sheet name={quoteattr(printable(title))} sheetId="{n}" r:id="rId{n}"/>'
            for n, title in enumerate(titles, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'{DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"<sheets>{sheets_xml}</sheets></workbook>",
        )
        links = "".join(
            f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, count + 1)
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{DECLARATION}<Relationships xmlns="{PACKAGE}">{links}'
            f'<Relationship Id="rId{count + 1}" Type="{RELATIONSHIPS}/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        archive.writestr("xl/styles.xml", DECLARATION + STYLES)

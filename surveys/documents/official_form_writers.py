"""The official forms as files: one bordered grid, written as ``.xlsx`` (openpyxl) and as PDF.

``surveys.results.official_forms`` describes each form (年度考核登记表, 考核结果备案表,
优秀等次人员名单) once, as an ``OfficialForm``: a title, the column widths in
millimetres and rows of cells, each cell spanning some columns and being a
printed label, a filled-in value, or a box left blank for hand writing
(signature and date, with the words of its last line already printed).
These writers render any such grid and know no form: the workbook merges
the spanned cells, draws thin borders round every cell and sets the sheet
up to print on A4; the PDF draws the same grid on A4 in the embedded Noto
font (``surveys.documents.pdf_fonts``), so both files look like the paper
form and hold the same words.

Every string cell of the workbook goes through ``surveys.rules.cells.cell_text``,
the one rule against formula injection: a cadre named ``=HYPERLINK(...)``
is written as text with the leading quote, never as a formula.  Numbers stay
numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from io import BytesIO
from os import PathLike
from typing import IO
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from surveys.documents.pdf_fonts import current_font, document_font, has_cjk
from surveys.rules.cells import cell_text, printable

LABEL, VALUE, BLANK = "label", "value", "blank"
LEFT, CENTER, RIGHT = "left", "center", "right"
MARGIN_MM = 15
SHEET_NAME_LIMIT = 31  # Excel's
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
LINE_POINTS = 16  # one line of text in a row, in points (xlsx row heights and the PDF)
MM_PER_CHARACTER = 2.0  # an Excel column width unit, roughly, in the forms' 11 pt font
XLSX_FONT = "SimSun"  # 宋体: what these forms are printed in; viewers fall back without it


@dataclass(frozen=True)
class FormCell:
    """One cell of a form: what it holds, how many columns it spans, what it is.

    ``role``: ``LABEL`` (printed on the blank form: shaded, centred),
    ``VALUE`` (filled in from the campaign) or ``BLANK`` (left for hand
    writing; ``value`` is then its last line, such as "签字：  年  月  日",
    set at the bottom right).  ``value`` is a string, a number, or None.
    """

    value: object = None
    span: int = 1
    role: str = VALUE
    align: str | None = None

    @property
    def alignment(self) -> str:
        """Where the text sits across the cell: labels centred, blanks right, values left."""
        if self.align is not None:
            return self.align
        return {LABEL: CENTER, BLANK: RIGHT}.get(self.role, LEFT)

    def text(self) -> str:
        """The cell as text (a PDF has no numbers): empty for None."""
        return "" if self.value is None else str(self.value)


@dataclass(frozen=True)
class FormRow:
    """A row of the grid; ``lines``: how many lines of text its height leaves room for."""

    cells: tuple[FormCell, ...]
    lines: int = 1

    def width(self) -> int:
        """The columns the row covers."""
        return sum(cell.span for cell in self.cells)


@dataclass(frozen=True)
class OfficialForm:
    """One form as printed: title, a line under it, the grid, sentences under the grid.

    ``widths`` are the columns in millimetres (their sum fits A4's 180 mm
    between the margins); every row covers all of them.  ``header_rows``
    rows at the top of the grid repeat on each page of a long roster.
    ``sheet`` names the worksheet (cut to Excel's 31 characters, made unique).
    """

    key: str
    title: str
    subtitle: str
    widths: tuple[float, ...]
    rows: tuple[FormRow, ...]
    sheet: str
    header_rows: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        wrong = [row.width() for row in self.rows if row.width() != len(self.widths)]
        if wrong:
            raise ValueError(f"rows of {wrong} columns in a form of {len(self.widths)}")

    def cells(self) -> list[list[FormCell | None]]:
        """The grid as a full matrix: each cell at its first column, None under its span."""
        matrix = []
        for row in self.rows:
            line: list[FormCell | None] = []
            for cell in row.cells:
                line += [cell] + [None] * (cell.span - 1)
            matrix.append(line)
        return matrix


def _blank_text(cell: FormCell, lines: int) -> str:
    """A blank box's text: empty lines above its last line, so the words sit at the bottom."""
    return "\n" * max(lines - 1, 0) + cell.text()


# --- the workbook --------------------------------------------------------------------------------

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LABEL_FILL = PatternFill("solid", fgColor="EEEEEE")


def sheet_title(name: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts, unique in the workbook: no []:*?/\\, 31 characters."""
    base = SHEET_FORBIDDEN.sub("_", printable(name)).strip("'") or "Sheet"
    title, number = base[:SHEET_NAME_LIMIT], 1
    while title.lower() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def _value(value: object) -> object:
    """What goes into a workbook cell: numbers as numbers, every text as ``cell_text``."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return cell_text(str(value))


def text_lines(text: str, width_mm: float) -> int:
    """Lines a text wraps to in a cell ``width_mm`` wide (an estimate: Chinese characters
    take about two of Excel's width units, other characters one)."""
    room = max(width_mm / MM_PER_CHARACTER - 1, 1)  # the cell's inner margin
    return sum(
        max(1, math.ceil(sum(2 if ord(char) >= 0x2E80 else 1 for char in line) / room))
        for line in text.split("\n")
    )


def row_lines(form: OfficialForm, row: FormRow) -> int:
    """The lines a row needs in the workbook: its own room, or its longest cell's text.

    Excel does not grow a row for wrapped text in merged cells, so the height is set
    from the text: a long label must not be cut off on paper.
    """
    needed, column = row.lines, 0
    for cell in row.cells:
        width = sum(form.widths[column : column + cell.span])
        if cell.role != BLANK:
            needed = max(needed, text_lines(cell.text(), width))
        column += cell.span
    return needed


def _write_sheet(sheet: Worksheet, form: OfficialForm) -> None:
    """The form on one worksheet: title, subtitle, the bordered grid, notes, A4 print setup."""
    columns = len(form.widths)
    for index, width in enumerate(form.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = round(width / MM_PER_CHARACTER, 1)
    heads = ((form.title, Font(name=XLSX_FONT, size=18, bold=True), 30),
             (form.subtitle, Font(name=XLSX_FONT, size=11), 20))  # fmt: skip
    for number, (text, font, height) in enumerate(heads, start=1):
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=columns)
        top = sheet.cell(row=number, column=1, value=_value(text))
        top.font = font
        top.alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[number].height = height
    first = len(heads) + 1
    plain, bold = Font(name=XLSX_FONT, size=11), Font(name=XLSX_FONT, size=11, bold=True)
    for offset, row in enumerate(form.rows):
        number = first + offset
        sheet.row_dimensions[number].height = LINE_POINTS * row_lines(form, row) + 4
        column = 1
        for cell in row.cells:
            last = column + cell.span - 1
            value = _blank_text(cell, row.lines) if cell.role == BLANK else cell.value
            target = sheet.cell(row=number, column=column, value=_value(value))
            target.font = bold if cell.role == LABEL else plain
            target.alignment = Alignment(
                horizontal=cell.alignment,
                vertical="bottom" if cell.role == BLANK else "center",
                wrap_text=True,
            )
            if cell.role == LABEL:
                target.fill = LABEL_FILL
            for spanned in range(column, last + 1):  # Excel draws a merged box from every cell
                sheet.cell(row=number, column=spanned).border = BOX
            if cell.span > 1:
                sheet.merge_cells(
                    start_row=number, start_column=column, end_row=number, end_column=last
                )
            column = last + 1
    below = first + len(form.rows) + 1
    for offset, note in enumerate(form.notes):
        number = below + offset
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=columns)
        target = sheet.cell(row=number, column=1, value=_value(note))
        target.font = Font(name=XLSX_FONT, size=9)
        target.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "portrait"
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    inch = MARGIN_MM / 25.4
    sheet.page_margins.left = sheet.page_margins.right = inch
    sheet.page_margins.top = sheet.page_margins.bottom = inch
    if form.header_rows:
        sheet.print_title_rows = f"{first}:{first + form.header_rows - 1}"
    sheet.print_area = f"A1:{get_column_letter(columns)}{below + len(form.notes)}"


def write_forms_xlsx(target: str | PathLike | IO[bytes], forms: list[OfficialForm]) -> None:
    """Write the forms as a workbook, one sheet each, to a path or a binary buffer."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for form in forms:
        _write_sheet(workbook.create_sheet(sheet_title(form.sheet, taken)), form)
    if not forms:
        workbook.create_sheet("Sheet")
    workbook.save(target)


# --- the PDF -------------------------------------------------------------------------------------

CELL = ParagraphStyle("form-cell", fontName="Helvetica", fontSize=10.5, leading=14, wordWrap="CJK")
TITLE = ParagraphStyle(
    "form-title", parent=CELL, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=2
)
SUBTITLE = ParagraphStyle("form-subtitle", parent=CELL, alignment=TA_CENTER, spaceAfter=6)
NOTE = ParagraphStyle("form-note", parent=CELL, fontSize=8.5, leading=11)
ALIGNMENTS = {LEFT: TA_LEFT, CENTER: TA_CENTER, RIGHT: TA_RIGHT}
LABEL_SHADE = colors.Color(0.93, 0.93, 0.93)
FRAME_PADDING = 6  # points ReportLab's page frame keeps inside each side of the margins
PAGE_WIDTH = A4[0] - 2 * MARGIN_MM * mm - 2 * FRAME_PADDING  # what a grid may take


def _markup(text: str) -> str:
    """Paragraph markup in the document's embedded font, lines kept, XML escaped."""
    font = current_font()
    lines = [escape(font.note(printable(line))) for line in text.split("\n")]
    return f'<font name="{font.name}">' + "<br/>".join(lines) + "</font>"


_STYLES: dict[tuple[str, bool], ParagraphStyle] = {}


def _style(alignment: str, text: str) -> ParagraphStyle:
    """A cell's style: Chinese wraps between any two characters, other text at spaces only,
    so an English label never breaks mid-word."""
    key = (alignment, has_cjk(text))
    if key not in _STYLES:
        wrap = (
            {"wordWrap": "CJK"}
            if key[1]
            else {"wordWrap": None, "embeddedHyphenation": 1, "fontSize": 9.5, "leading": 12.5}
        )
        _STYLES[key] = ParagraphStyle(
            f"form-cell-{alignment}-{int(key[1])}",
            parent=CELL,
            alignment=ALIGNMENTS[alignment],
            **wrap,
        )
    return _STYLES[key]


def _grid(form: OfficialForm) -> Table:
    """The form's grid as a ReportLab table: spans, borders, shaded labels, blank boxes."""
    data, commands = (
        [],
        [
            ("FONTNAME", (0, 0), (-1, -1), current_font().name),
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
    )
    for y, row in enumerate(form.rows):
        line: list = []
        x = 0
        for cell in row.cells:
            text = _blank_text(cell, row.lines) if cell.role == BLANK else cell.text()
            line += [Paragraph(_markup(text), _style(cell.alignment, text))] + [""] * (
                cell.span - 1
            )
            if cell.span > 1:
                commands.append(("SPAN", (x, y), (x + cell.span - 1, y)))
            if cell.role == LABEL:
                commands.append(("BACKGROUND", (x, y), (x + cell.span - 1, y), LABEL_SHADE))
            if cell.role == BLANK:
                commands.append(("VALIGN", (x, y), (x, y), "BOTTOM"))
            x += cell.span
        data.append(line)
    scale = min(1.0, PAGE_WIDTH / (sum(form.widths) * mm))  # 180 mm less the frame's padding
    table = Table(
        data,
        colWidths=[width * mm * scale for width in form.widths],
        repeatRows=form.header_rows,
        hAlign="CENTER",
    )
    table.setStyle(TableStyle(commands))
    return table


def _story(forms: list[OfficialForm]) -> list:
    story: list = []
    for number, form in enumerate(forms):
        if number:
            story.append(PageBreak())
        story += [
            Paragraph(_markup(form.title), TITLE),
            Paragraph(_markup(form.subtitle), SUBTITLE),
            _grid(form),
        ]
        if form.notes:
            story.append(Spacer(1, 3 * mm))
            story += [Paragraph(_markup(note), NOTE) for note in form.notes]
    return story


def write_forms_pdf(
    target: str | PathLike | IO[bytes], forms: list[OfficialForm], title: str
) -> None:
    """Write the forms on A4 pages, each form from a new page, to a path or a binary buffer."""
    with document_font() as font:
        story = _story(forms) or [Paragraph(_markup(""), CELL)]
        document = SimpleDocTemplate(
            target if hasattr(target, "write") else str(target),
            pagesize=A4,
            leftMargin=MARGIN_MM * mm,
            rightMargin=MARGIN_MM * mm,
            topMargin=MARGIN_MM * mm,
            bottomMargin=MARGIN_MM * mm,
            title=printable(title),
        )
        font.embed()
        document.initialFontName = font.name  # else Helvetica, named but never embedded
        document.build(story)


def forms_pdf_bytes(forms: list[OfficialForm], title: str) -> bytes:
    """The PDF in memory (the console's download)."""
    buffer = BytesIO()
    write_forms_pdf(buffer, forms, title)
    return buffer.getvalue()


def forms_xlsx_bytes(forms: list[OfficialForm]) -> bytes:
    """The workbook in memory (the console's download)."""
    buffer = BytesIO()
    write_forms_xlsx(buffer, forms)
    return buffer.getvalue()

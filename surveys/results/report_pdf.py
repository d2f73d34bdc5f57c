"""Printable PDFs of the reports: one cadre's report and the campaign overview (ReportLab).

The words and figures are the same tables the terminal, the workbook and
the HR pages show (``surveys.results.reports`` describes each report once as a list
of tables); this writer renders any table by its shape and lays the page
out, so the PDF can never show more than the disclosure rule allows.
Charts are the PNGs of ``surveys.documents.charts`` (Chinese rendered by the bundled
Noto font), placed as images.

Every text, Latin and Chinese, is set in Noto Sans CJK SC, embedded as a
subset of the characters the document uses (``surveys.documents.pdf_fonts``): the
names, units and comments print on any viewer or printer, Chinese font or
not, and stay extractable.  A paragraph with Chinese in it wraps between any
two characters; one without wraps at spaces, so English headers never break
mid-word.
"""

from __future__ import annotations

from io import BytesIO
from os import PathLike
from typing import IO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from surveys.documents.charts import bars_png
from surveys.documents.pdf_fonts import current_font, document_font, has_cjk
from surveys.documents.report_tables import LIST, PAIRS
from surveys.documents.report_tables import Table as ReportTable
from surveys.results.outcomes import group_label
from surveys.results.outcomes import radar_chart as result_radar
from surveys.results.reports import (
    CadreReport,
    CampaignOverview,
    cadre_tables,
    overview_tables,
    printed,
)
from surveys.rules.cells import printable
from surveys.rules.messages import N_, translate
from surveys.rules.scoring import rounded

MARGIN = 15 * mm
HEADER_FILL = colors.Color(0.93, 0.93, 0.93)
RULE = colors.Color(0.75, 0.75, 0.75)
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=13, wordWrap="CJK")
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5)
HEADING = ParagraphStyle("heading", parent=BODY, fontSize=12.5, leading=17, spaceBefore=8)
# Ranking columns (mm) on landscape A4; the deciding rule takes the rest of the 267 mm.
RANKING_WIDTHS = [w * mm for w in (10, 16, 18, 28, 18, 16, 16, 20, 18, 13, 16, 16, 62)]
# Page layout of some tables, by table key: column widths (used only while the count of
# columns matches), and the wide tables set in small print.  Content is never chosen here.
WIDTHS = {
    "facts": [45 * mm, None],
    "figures": [70 * mm, 80 * mm],
    "grades": [50 * mm, 25 * mm, 25 * mm],
    "ranking": RANKING_WIDTHS,
    "votes": [60 * mm, 30 * mm],
}
SMALL_PRINT = {"ranking", "completion", "quality", "groups", "notes"}
TITLE = ParagraphStyle("title", parent=BODY, fontSize=17, leading=23, spaceAfter=4)


def markup(text: object) -> str:
    """Paragraph markup for any text: escaped, in the document's embedded font.

    The style's own font (Helvetica) is never used: every run is set in the
    font that ``surveys.documents.pdf_fonts`` embeds.  Line breaks become ``<br/>``,
    so a comment keeps its lines; control characters (a NUL in an old
    roster name) are left out, as in the workbook.
    """
    font = current_font()
    lines = [escape(font.note(printable(line))) for line in str(text).splitlines() or [""]]
    return f'<font name="{font.name}">' + "<br/>".join(lines) + "</font>"


_LATIN_STYLES: dict[str, ParagraphStyle] = {}


def latin_style(style: ParagraphStyle) -> ParagraphStyle:
    """The style with ordinary word wrap, for paragraphs without Chinese.

    Words break at spaces and at their own hyphens ("Leniency-" / "adjusted"),
    never mid-word unless a word alone is wider than its column.
    """
    if style.name not in _LATIN_STYLES:
        _LATIN_STYLES[style.name] = ParagraphStyle(
            f"{style.name}-latin", parent=style, wordWrap=None, embeddedHyphenation=1
        )
    return _LATIN_STYLES[style.name]


def para(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of mixed Chinese and Latin text; build it inside ``document_font``."""
    text = "" if text is None else str(text)
    return Paragraph(markup(text), style if has_cjk(text) else latin_style(style))


def grid(
    rows: list[list], widths: list[float] | None = None, style=BODY, header: bool = True
) -> Table:
    """A table whose cells wrap; with ``header``, a shaded first row repeated on every page."""
    cells = [[para(cell, style) for cell in row] for row in rows]
    grid = Table(cells, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), current_font().name),  # else Helvetica, not embedded
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
    grid.setStyle(TableStyle(commands))
    return grid


def image(png: bytes, width: float) -> Image:
    """A chart PNG scaled to a width, keeping its proportions."""
    picture = Image(BytesIO(png))
    picture.drawHeight = width * picture.imageHeight / picture.imageWidth
    picture.drawWidth = width
    return picture


def _build(target: str | PathLike | IO[bytes], story: list[Flowable], title: str, pagesize) -> None:
    """Lay the story out on pages of ``pagesize`` into a path or a binary buffer."""
    document = SimpleDocTemplate(
        target if hasattr(target, "write") else str(target),
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=printable(title),
    )
    font = current_font()
    font.embed()
    # The canvas would start in Helvetica, a font named in the file but never embedded.
    document.initialFontName = font.name
    document.build(story)


# --- one cadre ----------------------------------------------------------------------------------


def radar_chart(report: CadreReport, locale: str) -> bytes | None:
    """The shown dimensions over the unit average (None with fewer than three)."""
    return result_radar(report.questionnaire, report.result, locale)


def group_chart(report: CadreReport, locale: str) -> bytes | None:
    """Bars of the rater-group lines as disclosed (None when none is shown)."""
    shown = report.result.shown
    if not shown.groups:
        return None
    notes = [
        translate(
            N_("%(score)s · %(count)s responses"),
            {"score": f"{rounded(score):.2f}", "count": shown.counts[group]},
            locale=locale,
        )
        for group, score in shown.groups.items()
    ]
    return bars_png(
        [group_label(group, locale) for group in shown.groups],
        list(shown.groups.values()),
        title=translate(N_("Rater groups"), locale=locale),
        notes=notes,
    )


CHARTS = {"radar": (radar_chart, 110 * mm), "groups": (group_chart, 120 * mm)}


def table_story(table: ReportTable, report: CadreReport | None, locale: str) -> list[Flowable]:
    """One table as flowables: heading, chart (for a cadre's report), rows, notes.

    A table without rows prints its ``empty`` sentence, or nothing at all
    when it has none.  The heading is kept with what follows it.
    """
    if not table.shown():
        return []
    style = SMALL if table.key in SMALL_PRINT else BODY
    widths = WIDTHS.get(table.key)
    columns = len(table.columns) or max((len(row) for row in table.rows), default=0)
    if widths is not None and len(widths) != columns:
        widths = None
    story: list[Flowable] = []
    if table.chart in CHARTS and report is not None:
        draw, width = CHARTS[table.chart]
        png = draw(report, locale)
        story += [image(png, width)] if png is not None else []
    if not table.rows:
        story += [para(table.empty)] if table.empty else []
    elif table.form == LIST:
        story += [para(f"• {row[0]}", style) for row in table.rows]
    elif table.form == PAIRS:
        story.append(grid(table.rows, widths or [45 * mm, None], style, header=False))
    else:
        story.append(grid(table.grid(), widths, style))
    if table.notes:
        story += [Spacer(1, 2 * mm)] + [para(note) for note in table.notes]
    heading = [para(table.title, HEADING)] if table.title else []
    if story and not isinstance(story[0], Table):  # a long table breaks across pages itself
        return [KeepTogether(heading + story[:1]), *story[1:]]
    return heading + story


def tables_story(
    tables: list[ReportTable], report: CadreReport | None, locale: str
) -> list[Flowable]:
    """The flowables of every table, in order."""
    return [flowable for table in tables for flowable in table_story(table, report, locale)]


def cadre_story(report: CadreReport, locale: str) -> list[Flowable]:
    """The flowables of a cadre's report, top to bottom."""
    _ = lambda message: translate(message, locale=locale)  # noqa: E731
    cadre = report.result.cadre
    story: list[Flowable] = [
        para(report.campaign.name, SMALL),
        # the title outside the f-string: extraction skips f-strings, so it was never translated
        para(cadre.name + " · " + _(N_("Assessment report")), TITLE),
    ]
    story += tables_story(cadre_tables(report, locale), report, locale)
    story += [Spacer(1, 4 * mm), para(f"{report.campaign.id} · {cadre.external_id}", SMALL)]
    return story


def write_cadre_report_pdf(
    target: str | PathLike | IO[bytes], report: CadreReport, locale: str
) -> None:
    """Write one cadre's report as an A4 PDF to a path or a binary buffer."""
    title = f"{report.campaign.name} · {report.result.cadre.name}"
    with document_font():
        _build(target, cadre_story(report, locale), title, A4)


# --- the campaign -------------------------------------------------------------------------------


def overview_story(overview: CampaignOverview, locale: str) -> list[Flowable]:
    """The flowables of the campaign overview: its printed tables under the campaign's name."""
    tables = printed(overview_tables(overview, locale))
    return [para(overview.campaign.name, TITLE), *tables_story(tables, None, locale)]


def write_overview_pdf(
    target: str | PathLike | IO[bytes], overview: CampaignOverview, locale: str
) -> None:
    """Write the campaign overview as a landscape A4 PDF to a path or a binary buffer."""
    with document_font():
        story = overview_story(overview, locale)
        _build(target, story, overview.campaign.name, landscape(A4))

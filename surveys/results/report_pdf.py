"""Printable PDFs of the reports: one cadre's report and the campaign overview (ReportLab).

The words and figures are the same tables the terminal and the workbook
show (``surveys.results.reports``), so the PDF can never show more than the
disclosure rule allows.  Charts are the PNGs of ``surveys.documents.charts`` (Chinese
rendered by the bundled Noto font), placed as images.

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
from surveys.documents.pdf_fonts import current_font, document_font
from surveys.results.outcomes import group_label
from surveys.results.outcomes import radar_chart as result_radar
from surveys.results.reports import (
    CadreReport,
    CampaignOverview,
    cadre_dimension_table,
    cadre_facts,
    cadre_group_table,
    cadre_vote_table,
    comment_lines,
    completion_table,
    grade_table,
    overview_table,
    quality_table,
    ranking_table,
    reliability_table,
    result_notes,
    uses_text,
    weakest_text,
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


def has_cjk(text: str) -> bool:
    """Whether a text has characters that wrap anywhere (Chinese, Japanese, full width)."""
    return any(ord(char) >= 0x2E80 for char in text)


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


def table(
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


def cadre_story(report: CadreReport, locale: str) -> list[Flowable]:
    """The flowables of a cadre's report, top to bottom."""
    _ = lambda message: translate(message, locale=locale)  # noqa: E731
    cadre = report.result.cadre
    story: list[Flowable] = [
        para(report.campaign.name, SMALL),
        # the title outside the f-string: extraction skips f-strings, so it was never translated
        para(cadre.name + " · " + _(N_("Assessment report")), TITLE),
        table(cadre_facts(report, locale), [45 * mm, None], header=False),
        para(_(N_("Dimensions")), HEADING),
    ]
    radar = radar_chart(report, locale)
    if radar is not None:
        story.append(image(radar, 110 * mm))
    story.append(table(cadre_dimension_table(report, locale)))
    weakest = weakest_text(report, locale)
    if weakest:
        story += [Spacer(1, 2 * mm), para(weakest)]
    story.append(para(_(N_("Rater groups")), HEADING))
    bars = group_chart(report, locale)
    if bars is not None:
        story.append(image(bars, 120 * mm))
    story.append(table(cadre_group_table(report, locale), style=SMALL))
    votes = cadre_vote_table(report, locale)
    if len(votes) > 1:
        story += [para(_(N_("Votes")), HEADING), table(votes, [60 * mm, 30 * mm])]
    uses = uses_text(report, locale)
    if uses:
        story += [para(_(N_("Recommended uses")), HEADING)] + [para(f"• {use}") for use in uses]
    comments = [para(_(N_("Comments")), HEADING)]
    comments += [para(f"• {line}") for line in comment_lines(report, locale)]
    story.append(KeepTogether(comments[:2]))
    story += comments[2:]
    notes = result_notes(report.result, report.questionnaire, locale)
    if notes:
        story += [para(_(N_("Notes")), HEADING)] + [para(f"• {note}", SMALL) for note in notes]
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
    """The flowables of the campaign overview: key figures, grades, ranking, checks."""
    _ = lambda message: translate(message, locale=locale)  # noqa: E731
    story: list[Flowable] = [
        para(overview.campaign.name, TITLE),
        table(overview_table(overview, locale), [70 * mm, 80 * mm]),
        para(_(N_("Grades")), HEADING),
        table(grade_table(overview, locale), [50 * mm, 25 * mm, 25 * mm]),
        para(_(N_("Ranking")), HEADING),
        table(ranking_table(overview, locale), RANKING_WIDTHS, style=SMALL),
        para(_(N_("Completion")), HEADING),
        table(completion_table(overview, locale), style=SMALL),
        para(_(N_("Quality checks")), HEADING),
    ]
    if overview.flags or overview.bursts:
        story.append(table(quality_table(overview, locale), style=SMALL))
    else:
        story.append(para(_(N_("No ballot was flagged."))))
    story += [para(_(N_("Reliability")), HEADING), table(reliability_table(overview, locale))]
    return story


def write_overview_pdf(
    target: str | PathLike | IO[bytes], overview: CampaignOverview, locale: str
) -> None:
    """Write the campaign overview as a landscape A4 PDF to a path or a binary buffer."""
    with document_font():
        story = overview_story(overview, locale)
        _build(target, story, overview.campaign.name, landscape(A4))

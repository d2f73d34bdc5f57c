"""QR codes for invitation links and public channels: files, terminal art and printable cards.

Every code uses error correction level M (15 % of the code may be smudged or
folded) and the four-module quiet zone the standard asks for, so a code
printed in a 5 cm square scans from arm's length with an ordinary phone.
The PDF draws the modules as vector squares rather than a bitmap, so the
edges stay sharp on any printer.  All text is set in Noto Sans CJK SC,
embedded as a subset of the characters the cards use
(``surveys.documents.pdf_fonts``), so names print on any printer, Chinese font or not.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.image.svg
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from surveys.documents.pdf_fonts import document_font, monospaced_font
from surveys.rules.cells import printable

QUIET_ZONE = 4
TERMINAL_QUIET_ZONE = 2
PNG_BOX_SIZE = 10
FORMATS = ("png", "svg")
# (top dark, bottom dark) -> character; light modules are the ink.
HALF_BLOCKS = {(False, False): "█", (False, True): "▀", (True, False): "▄", (True, True): " "}

LEADING = 1.25
GREY = Color(0.35, 0.35, 0.35)
CUT_LINE = Color(0.7, 0.7, 0.7)
PAGE_WIDTH, PAGE_HEIGHT = A4
PAGE_MARGIN = 10 * mm
COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
CARD_WIDTH = (PAGE_WIDTH - 2 * PAGE_MARGIN) / COLUMNS
CARD_HEIGHT = (PAGE_HEIGHT - 2 * PAGE_MARGIN) / ROWS
PADDING = 4 * mm
QR_SIDE = 50 * mm
TEXT_WIDTH = CARD_WIDTH - QR_SIDE - 3 * PADDING


@dataclass(frozen=True)
class Card:
    """One printed card: a QR code with the words that tell people whose it is."""

    title: str
    subtitle: str
    url: str
    footer: str


def make_qr(url: str, border: int = QUIET_ZONE) -> qrcode.QRCode:
    """The code for a URL, in the smallest version that holds it at level M."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=PNG_BOX_SIZE, border=border
    )
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_matrix(url: str, border: int = QUIET_ZONE) -> list[list[bool]]:
    """The modules (True = dark), quiet zone included: what every renderer draws."""
    return [list(row) for row in make_qr(url, border).get_matrix()]


def qr_png(url: str) -> bytes:
    """A PNG of the code, 10 pixels per module: large enough to print or send."""
    buffer = io.BytesIO()
    make_qr(url).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """An SVG of the code, for print shops and posters that scale it freely."""
    image = make_qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def qr_terminal(url: str) -> str:
    """The code as half-block art, two module rows per text line.

    Light modules are drawn as blocks, which suits the usual light-on-dark
    terminal; phones read the result like a printed code.
    """
    matrix = qr_matrix(url, border=TERMINAL_QUIET_ZONE)
    if len(matrix) % 2:
        matrix.append([True] * len(matrix[0]))
    lines = []
    for top, bottom in zip(matrix[::2], matrix[1::2], strict=True):
        lines.append(
            "".join(_half_block(upper, lower) for upper, lower in zip(top, bottom, strict=True))
        )
    return "\n".join(lines) + "\n"


def _half_block(top_dark: bool, bottom_dark: bool) -> str:
    """The character showing two stacked modules, light ones as ink."""
    return HALF_BLOCKS[top_dark, bottom_dark]


def slugify(stem: str) -> str:
    """A file name stem that every file system and archive tool accepts.

    Letters and digits of any script stay (Chinese names remain readable);
    everything else, path separators included, becomes a dash.
    """
    slug = re.sub(r"-{2,}", "-", "".join(c if c.isalnum() else "-" for c in stem)).strip("-")
    return slug[:80].strip("-") or "qr"


def unique_stems(stems: list[str]) -> list[str]:
    """Slugified stems, numbered where two would clash (ignoring case, as Windows does)."""
    seen: set[str] = set()
    result = []
    for stem in stems:
        base = candidate = slugify(stem)
        number = 1
        while candidate.lower() in seen:
            number += 1
            candidate = f"{base}-{number}"
        seen.add(candidate.lower())
        result.append(candidate)
    return result


def write_qr_files(folder: Path, named: list[tuple[str, str]], fmt: str = "png") -> list[Path]:
    """Write one PNG or SVG per (file stem, url) into ``folder``; return the paths."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown QR format {fmt!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, (_, url) in zip(unique_stems([name for name, _ in named]), named, strict=True):
        path = folder / f"{stem}.{fmt}"
        if fmt == "png":
            path.write_bytes(qr_png(url))
        else:
            path.write_text(qr_svg(url), encoding="utf-8")
        paths.append(path)
    return paths


def write_cards_pdf(path: Path, cards: list[Card]) -> None:
    """Write an A4 sheet of cut-out cards, eight to a page (two columns, four rows)."""
    if not cards:
        raise ValueError("no cards to print")
    cards = [
        Card(*(printable(text) for text in (c.title, c.subtitle, c.url, c.footer))) for c in cards
    ]
    with document_font() as font, monospaced_font() as mono:
        for card in cards:
            font.note(card.title + card.subtitle + card.footer)
            mono.note(card.url)
        font.embed()
        mono.embed()
        canvas = Canvas(str(path), pagesize=A4, initialFontName=font.name)
        canvas.setTitle("QR cards")
        for index, card in enumerate(cards):
            if index and index % CARDS_PER_PAGE == 0:
                canvas.showPage()
            origin = _card_origin(index % CARDS_PER_PAGE)
            _draw_card(canvas, card, *origin, font.name, mono.name)
        canvas.save()


def _card_origin(slot: int) -> tuple[float, float]:
    """The lower left corner of a card slot, filling rows left to right, top down."""
    row, column = divmod(slot, COLUMNS)
    return (PAGE_MARGIN + column * CARD_WIDTH, PAGE_HEIGHT - PAGE_MARGIN - (row + 1) * CARD_HEIGHT)


def _draw_card(canvas: Canvas, card: Card, x: float, y: float, font: str, mono: str) -> None:
    """One card: dashed cut line, the code on the left, the words on the right."""
    canvas.saveState()
    canvas.setStrokeColor(CUT_LINE)
    canvas.setLineWidth(0.4)
    canvas.setDash(2, 2)
    canvas.rect(x, y, CARD_WIDTH, CARD_HEIGHT, stroke=1, fill=0)
    canvas.restoreState()
    _draw_qr(canvas, card.url, x + PADDING, y + (CARD_HEIGHT - QR_SIDE) / 2, QR_SIDE)
    _draw_text(canvas, card, x + QR_SIDE + 2 * PADDING, y, font, mono)


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, side: float) -> None:
    """The code as filled squares, one rectangle per horizontal run of dark modules."""
    matrix = qr_matrix(url)
    module = side / len(matrix)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + side - (row_index + 1) * module
        for start, length in _dark_runs(row):
            path.rect(x + start * module, top, length * module, module)
    canvas.setFillColor(black)
    canvas.drawPath(path, stroke=0, fill=1)


def _dark_runs(row: list[bool]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules: fewer shapes, no hairline seams."""
    start = None
    for index, dark in enumerate([*row, False]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            yield start, index - start
            start = None


def _draw_text(canvas: Canvas, card: Card, x: float, y: float, font: str, mono: str) -> None:
    """Title, subtitle and URL (monospaced) from the top down; the footer sits at the bottom."""
    cursor = y + CARD_HEIGHT - PADDING
    blocks = [
        (card.title, font, 11, black, 3),
        (card.subtitle, font, 8.5, black, 2),
        (card.url, mono, 6.5, GREY, 6),
    ]
    for text, face, size, colour, max_lines in blocks:
        lines = wrap(text, face, size, TEXT_WIDTH, max_lines)
        cursor = _draw_lines(canvas, lines, face, size, colour, x, cursor) - 2 * mm
    footer = wrap(card.footer, font, 7, TEXT_WIDTH, 3)
    _draw_lines(canvas, footer, font, 7, GREY, x, y + PADDING + len(footer) * 7 * LEADING)


def _draw_lines(
    canvas: Canvas, lines: list[str], font: str, size: float, colour: Color, x: float, top: float
) -> float:
    """Draw lines downward from ``top``; return where the next block may start."""
    canvas.setFillColor(colour)
    canvas.setFont(font, size)
    for line in lines:
        top -= size * LEADING
        canvas.drawString(x, top + size * 0.25, line)
    return top


def _width(text: str, font: str, size: float) -> float:
    """Printed width of ``text`` in points."""
    return pdfmetrics.stringWidth(text, font, size)


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Break text into lines that fit ``width``: at spaces where possible, else anywhere.

    Chinese has no spaces and URLs have none either, so both break between
    any two characters; a text longer than ``max_lines`` ends with an ellipsis.
    """
    lines: list[str] = []
    line = ""
    for piece in re.findall(r"\S+\s*|\s+", text):
        if _width(line + piece.rstrip(), font, size) <= width:
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        for char in piece:
            if line and _width(line + char, font, size) > width:
                lines.append(line)
                line = ""
            line += char
    if line.strip():
        lines.append(line.rstrip())
    return _clip(lines, font, size, width, max_lines)


def _clip(lines: list[str], font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Keep at most ``max_lines``, marking the cut with an ellipsis."""
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and _width(last + "…", font, size) > width:
        last = last[:-1]
    return [*lines[: max_lines - 1], last + "…"]

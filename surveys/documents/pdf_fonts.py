"""The one font of every PDF: Noto Sans CJK SC, embedded as a subset of the characters used.

Reports and QR cards once named ReportLab's CID font STSong-Light without
embedding it: on a viewer or printer without a Chinese font every name,
unit and comment vanished, and Latin text in that font was spaced oddly.
Now each PDF carries the glyphs it uses, so it prints the same anywhere.

Where the font comes from: Noto Sans CJK SC (SIL Open Font License 1.1,
which allows embedding and subsetting), as shipped in the ``mplfonts``
package the charts already use, so a plain ``pip install`` has it and no
system font is needed.  That file has PostScript (CFF) outlines, which
ReportLab cannot embed: it reads TrueType outlines only.  So for each PDF
the characters it uses are cut out of the font with fontTools (a few
hundred glyphs, not 65,000) and their cubic outlines converted to
quadratic TrueType ones (cu2qu, within one font unit), in well under a
second; ReportLab then embeds that subset.  The font's name table, with
its copyright and licence, goes along into the PDF.  QR cards print their
links in Noto Sans Mono CJK SC from the same package, made the same way.

One font for Latin and Chinese alike: a standard PDF font such as Helvetica
is never embedded either, and Noto's Latin letters are spaced for text.
A document's font gets a name of its own, so two PDFs made at once on two
threads never share ReportLab's global registry entries, and it is taken
out of the registry when the document is written.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from importlib import resources

from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont as FontFile
from fontTools.ttLib import newTable
from reportlab.lib import fonts as font_maps
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "NotoSansSC"
# Always in the subset: what a report adds around the data (bullets, ellipsis, digits).
BASIC = "".join(chr(code) for code in range(0x20, 0x7F)) + "•…·—–“”‘’（）：，。、"
MAX_CONVERSION_ERROR = 1.0  # font units (of 1000 per em): invisible at any print size
_numbers = itertools.count(1)
_current: ContextVar[DocumentFont | None] = ContextVar("pdf_document_font", default=None)


SANS = "NotoSansCJKsc-Regular.otf"
MONO = "NotoSansMonoCJKsc-Regular.otf"  # for links a person may type: l, 1 and I differ


@cache
def cjk_font_file(file: str = SANS) -> str:
    """A Noto CJK font inside the installed mplfonts package (the charts' font too)."""
    return str(resources.files("mplfonts") / "fonts" / file)


@lru_cache(maxsize=16)
def truetype_subset(characters: str, file: str = SANS) -> bytes:
    """A TrueType font file with the glyphs of ``characters`` from a Noto CJK font.

    Cached: the same names on the same cards make the same font.
    """
    options = Options()
    options.name_IDs = ["*"]  # copyright, licence and its URL travel with the glyphs
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    buffer = io.BytesIO()
    with FontFile(cjk_font_file(file), lazy=True) as font:
        subsetter = Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        _cff_to_truetype(font)
        font.save(buffer)
    return buffer.getvalue()


def has_cjk(text: str) -> bool:
    """Whether a text has characters that wrap anywhere (Chinese, Japanese, full width)."""
    return any(ord(char) >= 0x2E80 for char in text)


def _cff_to_truetype(font: FontFile) -> None:
    """Replace the CFF outlines with quadratic TrueType glyphs, in place."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, MAX_CONVERSION_ERROR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
        "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
        "maxComponentDepth",
    ):  # fmt: skip
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    del font["CFF "]
    font.sfntVersion = "\x00\x01\x00\x00"


class DocumentFont:
    """The font of one PDF: a name now, the glyphs once every text is known.

    Paragraphs need the name when they are made (for bold and italic
    look-ups, mapped here to the one face) but the glyphs only when laid out,
    so the story is built first, noting its text, and ``embed`` comes last.
    """

    def __init__(self, name: str | None = None, file: str = SANS) -> None:
        self.file = file
        self.name = name or f"{FAMILY}-{next(_numbers)}"
        self.characters: set[str] = set(BASIC)
        for bold in (0, 1):
            for italic in (0, 1):
                font_maps.addMapping(self.name, bold, italic, self.name)

    def note(self, text: str) -> str:
        """Remember the characters of a text this document prints; return the text."""
        self.characters.update(text)
        return text

    def embed(self) -> None:
        """Register the subset of every noted character under this document's name."""
        characters = "".join(sorted(self.characters))
        font = TTFont(self.name, io.BytesIO(truetype_subset(characters, self.file)))
        # Not pdfmetrics.registerFont: it aliases every font whose face has a name
        # already seen (all of ours: NotoSansCJKsc-Regular) to the first one
        # registered, so the second PDF of a process drew with the first one's glyphs.
        pdfmetrics._fonts[self.name] = font

    def release(self) -> None:
        """Take the font out of ReportLab's global registry once the document is written."""
        pdfmetrics._fonts.pop(self.name, None)
        key = self.name.lower()
        font_maps._ps2tt_map.pop(key, None)
        for bold in (0, 1):
            for italic in (0, 1):
                font_maps._tt2ps_map.pop((key, bold, italic), None)


@contextmanager
def document_font() -> Iterator[DocumentFont]:
    """The font of the PDF being made inside the block (see ``current_font``)."""
    font = DocumentFont()
    token = _current.set(font)
    try:
        yield font
    finally:
        _current.reset(token)
        font.release()


@contextmanager
def monospaced_font() -> Iterator[DocumentFont]:
    """A second, monospaced font for one PDF (Noto Sans Mono CJK SC), released after it."""
    font = DocumentFont(file=MONO)
    try:
        yield font
    finally:
        font.release()


def current_font() -> DocumentFont:
    """The font of the PDF being made; outside ``document_font``, a shared one (tests)."""
    font = _current.get()
    if font is None:
        font = _shared()
    return font


@cache
def _shared() -> DocumentFont:
    return DocumentFont(FAMILY)

"""Every PDF embeds its font (issue 14, finding 11).

Reports and QR cards named STSong-Light without embedding it (``pdffonts``:
emb no), and their Latin text was Helvetica, never embedded either: on a
viewer or printer without a Chinese font every name, unit and comment
disappeared.  Now each PDF carries a Noto Sans CJK SC subset; these tests
read the files with pypdf: each font has its glyphs in the file, and the
Chinese comes back out as text.
"""

from __future__ import annotations

import io
from io import BytesIO

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from surveys.documents.pdf_fonts import truetype_subset
from surveys.documents.qrcodes import Card, write_cards_pdf
from surveys.results.report_pdf import write_cadre_report_pdf, write_overview_pdf
from surveys.results.reports import cadre_report, campaign_overview
from tests.report_campaign import report_campaign

FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def fonts_of(reader: PdfReader) -> dict[str, bool]:
    """Every font the pages use, by base name: True when its glyphs are in the file."""
    found = {}
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            described = font
            if "/DescendantFonts" in font:
                described = font["/DescendantFonts"][0].get_object()
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            found[str(font["/BaseFont"])] = any(key in descriptor for key in FONT_FILES)
    return found


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def written(write, *args) -> PdfReader:
    buffer = BytesIO()
    write(buffer, *args)
    return PdfReader(BytesIO(buffer.getvalue()))


def assert_all_embedded(reader: PdfReader) -> None:
    fonts = fonts_of(reader)
    assert fonts and all(fonts.values()), fonts
    assert not [name for name in fonts if "STSong" in name or "Helvetica" in name]


def test_reports_in_both_languages_embed_every_font_and_keep_chinese(session, now):
    campaign = report_campaign(session, now)
    for locale in ("zh", "en"):
        for cadre_id, name in (("C1", "王伟"), ("C2", "李娜")):
            report = cadre_report(session=session, campaign=campaign, cadre_id=cadre_id)
            reader = written(write_cadre_report_pdf, report, locale)
            assert_all_embedded(reader)
            text = text_of(reader)
            assert name in text and "发展改革委" in text
        overview = campaign_overview(session=session, campaign=campaign)
        reader = written(write_overview_pdf, overview, locale)
        assert_all_embedded(reader)
        assert all(name in text_of(reader) for name in ("王伟", "李娜", "张敏"))


def test_english_headers_wrap_at_spaces_not_mid_word(session, now):
    """In the CJK wrap mode every paragraph used, "Leniency-adjusted" broke anywhere."""
    campaign = report_campaign(session, now)
    reader = written(
        write_overview_pdf, campaign_overview(session=session, campaign=campaign), "en"
    )
    words = set(text_of(reader).split())
    assert "Composite" in words and "Completion" in words
    assert "Leniency-" in words and "adjusted" in words  # was "Leniency-adju" / "sted"


def test_qr_cards_embed_every_font_and_keep_chinese(tmp_path):
    path = tmp_path / "cards.pdf"
    card = Card(
        "王伟·阿依古丽 (R1)", "需测评干部 3 人", "https://x.example/r/abc", "截止\x00 12-10"
    )
    write_cards_pdf(path, [card])
    reader = PdfReader(path)
    assert_all_embedded(reader)
    text = text_of(reader)
    assert "王伟·阿依古丽" in text and "需测评干部" in text


def test_the_font_in_the_file_carries_its_licence(tmp_path):
    """The SIL Open Font License notice travels inside the PDF with the glyphs."""
    path = tmp_path / "cards.pdf"
    write_cards_pdf(path, [Card("王伟", "3 人", "https://x.example/r/a", "截止")])
    reader = PdfReader(path)
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        data = ref.get_object()["/FontDescriptor"].get_object()["/FontFile2"].get_data()
        assert "Open Font License" in TTFont(io.BytesIO(data))["name"].getDebugName(13)


def test_the_embedded_font_is_truetype_and_carries_its_licence():
    """ReportLab embeds TrueType outlines only; the OFL notice travels with the glyphs."""
    font = TTFont(io.BytesIO(truetype_subset("王伟 abc")))
    assert "glyf" in font and "CFF " not in font
    assert {ord(char) for char in "王伟abc"} <= set(font.getBestCmap())
    assert "Open Font License" in font["name"].getDebugName(13)

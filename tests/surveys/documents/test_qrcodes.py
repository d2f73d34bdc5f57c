"""QR codes: every rendering reads back as the code qrcode itself makes for the URL."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree

import pytest
import qrcode
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from surveys.documents import qrcodes
from surveys.documents.pdf_fonts import document_font
from surveys.documents.qrcodes import (
    Card,
    qr_matrix,
    qr_png,
    qr_svg,
    qr_terminal,
    slugify,
    unique_stems,
    wrap,
    write_cards_pdf,
    write_qr_files,
)
from tests.cli import pdf_pages, png_matrix, terminal_matrix

URL = "https://kaohe.example.cn/r/wiT8qH48NQks4iz784lT6nTpaxE2gS_g"


def reference_matrix(url: str, border: int = 4) -> list[list[bool]]:
    """The code as the qrcode library builds it on its own, at level M."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(url)
    return [list(row) for row in code.get_matrix()]


def test_matrix_is_level_m_with_a_quiet_zone():
    matrix = qr_matrix(URL)
    assert matrix == reference_matrix(URL)
    assert not any(matrix[0]) and not any(row[0] for row in matrix)
    assert qrcodes.make_qr(URL).error_correction == qrcode.constants.ERROR_CORRECT_M


def test_png_reads_back_as_the_code():
    data = qr_png(URL)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    modules = len(reference_matrix(URL))
    assert image.size == (modules * 10, modules * 10)
    assert png_matrix(data) == reference_matrix(URL)


def test_svg_is_an_svg_document():
    root = ElementTree.fromstring(qr_svg(URL))
    assert root.tag.endswith("svg")
    assert root.findall(".//{http://www.w3.org/2000/svg}path")


def test_terminal_art_reads_back_as_the_code():
    art = qr_terminal(URL)
    expected = reference_matrix(URL, border=2)
    lines = art.splitlines()
    assert len({len(line) for line in lines}) == 1
    assert len(lines[0]) == len(expected)
    decoded = terminal_matrix(art)
    assert decoded[: len(expected)] == expected
    assert all(all(row) for row in decoded[len(expected) :])  # padding shows as background


@pytest.mark.parametrize(
    ("stem", "slug"),
    [
        ("R1-测评人1", "R1-测评人1"),
        ("R2 / 王 伟", "R2-王-伟"),
        ("../../etc/passwd", "etc-passwd"),
        ("政务服务大厅3号窗口", "政务服务大厅3号窗口"),
        ("***", "qr"),
        ("", "qr"),
    ],
)
def test_slugify_keeps_letters_of_any_script(stem, slug):
    assert slugify(stem) == slug


def test_unique_stems_number_clashes_ignoring_case():
    assert unique_stems(["Window", "window", "Window", "a/b", "a b"]) == [
        "Window",
        "window-2",
        "Window-3",
        "a-b",
        "a-b-2",
    ]


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_write_qr_files_one_file_per_link(tmp_path, fmt):
    named = [("R1-王伟", URL), ("R1 王伟", URL + "x"), ("R2-李娜", URL + "y")]
    paths = write_qr_files(tmp_path / "codes", named, fmt)
    assert [path.name for path in paths] == [f"R1-王伟.{fmt}", f"R1-王伟-2.{fmt}", f"R2-李娜.{fmt}"]
    assert sorted(path.name for path in (tmp_path / "codes").iterdir()) == sorted(
        path.name for path in paths
    )
    if fmt == "png":
        assert png_matrix(paths[1].read_bytes()) == reference_matrix(URL + "x")


def test_write_qr_files_refuses_unknown_format(tmp_path):
    with pytest.raises(ValueError):
        write_qr_files(tmp_path, [("a", URL)], "gif")


def cards(count: int) -> list[Card]:
    return [
        Card(
            title=f"阿依古丽·买买提 (R{n})",
            subtitle="需测评干部 3 人",
            url=f"{URL}{n}",
            footer="2026年度考核 · 截止 2026-12-10 18:00",
        )
        for n in range(count)
    ]


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (8, 1), (9, 2), (17, 3)])
def test_cards_pdf_has_eight_cards_a_page(tmp_path, count, pages):
    path = tmp_path / "cards.pdf"
    write_cards_pdf(path, cards(count))
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert pdf_pages(data) == pages
    assert b"STSong-Light" not in data and b"/FontFile2" in data  # embedded, not referenced


def test_cards_pdf_needs_cards(tmp_path):
    with pytest.raises(ValueError):
        write_cards_pdf(tmp_path / "empty.pdf", [])


@pytest.fixture
def font():
    """A document's embedded font, with the glyphs these tests print."""
    with document_font() as font:
        font.note("中华人民共和国 Anonymous ballot slip 12 word")
        font.embed()
        yield font.name


def test_wrap_breaks_chinese_and_urls_anywhere_and_keeps_urls_whole(font):
    width = 90
    lines = wrap(URL, "Courier", 6.5, width, 6)
    assert "".join(lines) == URL and len(lines) > 1
    assert all(pdfmetrics.stringWidth(line, "Courier", 6.5) <= width for line in lines)
    assert len(wrap("中华人民共和国" * 4, font, 11, width, 9)) > 1


def test_wrap_prefers_spaces_and_clips_with_an_ellipsis(font):
    width = pdfmetrics.stringWidth("Anonymous ballot", font, 11) + 1
    assert wrap("Anonymous ballot slip 12", font, 11, width, 3) == [
        "Anonymous ballot",
        "slip 12",
    ]
    clipped = wrap("word " * 40, font, 7, 90, 2)
    assert len(clipped) == 2 and clipped[-1].endswith("…")


def test_middle_dot_of_names_is_printed_as_it_was_typed(tmp_path):
    """The CID font lacked U+00B7, so cards printed a katakana dot instead; Noto has it."""
    path = tmp_path / "cards.pdf"
    write_cards_pdf(path, cards(1))
    text = PdfReader(path).pages[0].extract_text()
    assert "阿依古丽·买买提" in text

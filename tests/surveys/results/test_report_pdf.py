"""The per-cadre report and the overview as PDFs: Chinese text extractable, charts as images."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from surveys.results.report_pdf import markup, write_cadre_report_pdf, write_overview_pdf
from surveys.results.reports import cadre_report, campaign_overview
from tests.factories import make_campaign, open_boxes
from tests.report_campaign import report_campaign


@pytest.fixture
def campaign(session, now):
    return report_campaign(session, now)


def pdf(write, *args) -> PdfReader:
    """Write a PDF into memory and read it back."""
    buffer = BytesIO()
    write(buffer, *args)
    return PdfReader(BytesIO(buffer.getvalue()))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def images_of(reader: PdfReader) -> list:
    """Image XObjects drawn on the pages."""
    found = []
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        found += [
            xobject
            for xobject in (ref.get_object() for ref in xobjects.values())
            if xobject["/Subtype"] == "/Image"
        ]
    return found


def test_the_cadre_report_renders_chinese_and_the_charts(session, campaign):
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    reader = pdf(write_cadre_report_pdf, report, "zh")
    text = text_of(reader)
    assert "王伟" in text and "称职" in text  # the name and the grade, as text
    assert "82.80" in text and "发展改革委" in text
    assert "德（政治素质）" in text and "其他测评人" in text
    assert "意见3：工作扎实" in text  # five comments: shown
    images = images_of(reader)
    assert len(images) == 2  # the radar and the group bars
    assert {(image["/Width"], image["/Height"]) for image in images} == {(600, 600), (600, 400)}


def test_a_group_below_k_is_not_in_the_pdf(session, campaign):
    for cadre_id in ("C1", "C2", "C3"):
        report = cadre_report(session=session, campaign=campaign, cadre_id=cadre_id)
        assert "同级" not in text_of(pdf(write_cadre_report_pdf, report, "zh"))


def test_the_report_in_english_to_a_file(session, campaign, tmp_path):
    report = cadre_report(session=session, campaign=campaign, cadre_id="C2")
    path = tmp_path / "c2.pdf"
    write_cadre_report_pdf(path, report, "en")
    text = text_of(PdfReader(path))
    assert "李娜" in text and "Competent" in text
    assert "Professional competence" in text and "2.25 below the unit average" in text
    assert "Fewer than 5 comments, so none is shown" in text


def test_the_overview_pdf(session, campaign):
    overview = campaign_overview(session=session, campaign=campaign)
    reader = pdf(write_overview_pdf, overview, "zh")
    text = text_of(reader)
    assert "2026年度考核" in text
    for name in ("王伟", "李娜", "张敏"):
        assert name in text
    assert "83.63" in text and "称职" in text and "同级" not in text
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape


def test_markup_escapes_and_sets_the_embedded_font():
    assert markup("a<b> & 王·伟\x00\n2") == (
        '<font name="NotoSansSC">a&lt;b&gt; &amp; 王·伟<br/>2</font>'
    )


def test_a_cadre_without_responses_gets_a_report_without_figures(session, now):
    campaign = make_campaign(session, now=now)
    open_boxes(session)
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    reader = pdf(write_cadre_report_pdf, report, "en")
    text = text_of(reader)
    assert "王伟" in text and "Composite" in text and "Rank in the unit" in text
    assert images_of(reader) == []

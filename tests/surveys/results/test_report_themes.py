"""Development suggestions and comment themes in the reports (issue 16, item 6): the cadre
report carries the cadre's suggestions and themes, the overview each unit's themes, in
every writer, over the comments the reports list only.

The campaigns are in tests/themes_campaign.py: this year's scores are the hand-worked ones
of tests/report_campaign.py (C1 de 87, neng 79.5, qin 81, ji 81, lian 87 against the unit's
88.5, 77.25, 81.75, 81.75, 88.5), last year's all 100.  C1 has five Chinese comments (three
on work style), C2 four (fewer than the comment threshold: never themed).
"""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pytest
from pypdf import PdfReader

from surveys.results.report_pdf import write_cadre_report_pdf, write_overview_pdf
from surveys.results.reports import (
    cadre_report,
    cadre_tables,
    campaign_overview,
    overview_tables,
    overview_text,
    report_text,
    write_results_workbook,
)
from tests.factories import opened_responses
from tests.report_campaign import PLAN
from tests.themes_campaign import history_campaigns, run_campaign

ENGLISH = {
    "C1": {
        "U1": "Listens to staff and explains decisions clearly",
        "U2": "Good communication with the team",
        "U3": "Should listen more and communicate earlier",
        "U4": "Slow to approve requests, long waiting",
        "U5": "Honest and fair in every case",
    }
}


@pytest.fixture
def campaigns(session, now):
    return history_campaigns(session, now)


def pdf_text(write, *args) -> str:
    buffer = BytesIO()
    write(buffer, *args)
    reader = PdfReader(BytesIO(buffer.getvalue()))
    return "\n".join(page.extract_text() for page in reader.pages)


def by_key(tables) -> dict:
    return {table.key: table for table in tables}


def test_the_cadre_report_has_suggestions_with_topics_and_the_cadres_themes(session, campaigns):
    last, current = campaigns
    report = cadre_report(session=session, campaign=current, cadre_id="C1")
    tables = by_key(cadre_tables(report, "en"))
    suggestions = tables["suggestions"]
    assert [row[:5] for row in suggestions.rows] == [
        ["Unit average", "Political quality and moral integrity", 87.0, 88.5, -1.5],
        ["Unit average", "Integrity and self-discipline", 87.0, 88.5, -1.5],
        [last.name, "Professional competence", 79.5, 100.0, -20.5],
        [last.name, "Diligence and work style", 81.0, 100.0, -19.0],
    ]
    assert suggestions.rows[0][5].startswith("Political conviction and Party spirit")
    assert suggestions.notes[0].startswith("Suggested training: ")
    themes = tables["themes"]
    assert themes.rows == [["Work style", 3, "工作作风务实，经常深入基层 / 作风扎实，调研细致"]]
    assert themes.notes[0] == "In no theme: 2"
    text = report_text(report, "en")
    assert "Development suggestions" in text and "Comment themes" in text
    assert "Work style  3" in text
    printed = pdf_text(write_cadre_report_pdf, report, "zh")
    assert (
        "工作作风" in printed
        and "作风扎实，调研细致" in printed
        and "理想信念与党性修养" in printed
    )


def test_too_few_comments_give_no_themes_and_say_why(session, campaigns):
    _, current = campaigns
    report = cadre_report(session=session, campaign=current, cadre_id="C2")
    themes = by_key(cadre_tables(report, "en"))["themes"]
    assert themes.rows == []
    assert themes.empty == "No comment themes: too few comments may be shown."
    assert "作风务实" not in report_text(report, "en")  # C2's four comments: nowhere


def test_the_overview_has_each_units_themes_in_every_writer(session, campaigns, tmp_path):
    _, current = campaigns
    overview = campaign_overview(session=session, campaign=current)
    tables = by_key(overview_tables(overview, "en"))
    assert tables["unit_themes"].rows == [
        ["发展改革委", "Work style", 3, "工作作风务实，经常深入基层 / 作风扎实，调研细致"]
    ]  # C1's five only: C2's four are listed nowhere
    assert tables["cadre_themes"].rows == [
        [
            "C1",
            "王伟",
            "发展改革委",
            "Work style",
            3,
            "工作作风务实，经常深入基层 / 作风扎实，调研细致",
        ]
    ]
    assert "Comment themes per unit" in overview_text(overview, "en")
    path = tmp_path / "results.xlsx"
    write_results_workbook(path, overview, "zh")
    sheet = openpyxl.load_workbook(path)["各单位评语主题"]
    assert list(sheet.iter_rows(values_only=True))[1][:3] == ("发展改革委", "工作作风", 3)
    printed = pdf_text(write_overview_pdf, overview, "en")
    assert "Comment themes per unit" in printed and "Work style" in printed


def test_english_comments_are_themed_too(session, now):
    campaign = run_campaign(session, now, PLAN, ENGLISH)
    opened_responses(session)
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    themes = by_key(cadre_tables(report, "en"))["themes"]
    assert themes.rows == [
        [
            "Communication and coordination",
            3,
            "Should listen more and communicate earlier / Listens to staff and explains "
            "decisions clearly",
        ]
    ]
    overview = campaign_overview(session=session, campaign=campaign)
    rows = by_key(overview_tables(overview, "zh"))["unit_themes"].rows
    assert [row[:3] for row in rows] == [["发展改革委", "沟通协调", 3]]

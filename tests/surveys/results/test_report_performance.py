"""Performance indicators (实绩) in the reports: the indicators, both parts, the share, the
combined score and the formula, in every writer (issue 16, item 3).

The campaign and its figures are in tests/performance_campaign.py: C1's indicator score
is 85.00 (招商引资 150% counted 120%, 投诉件数 50%), the raters' 100.00, 40% share, so
its 绩 is 94.00; C2 has no indicators (绩 100.00, the raters' alone).
"""

from __future__ import annotations

from io import BytesIO

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import Session

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
from tests.performance_campaign import performance_campaign
from tests.report_campaign import report_campaign
from tests.themes_campaign import history_campaigns

FORMULA = (
    "Work performance = 40% x the indicator score + 60% x the raters' figure. The indicator "
    "score is the weighted mean attainment x 100, at most 100: each indicator's actual / "
    "target (target / actual where lower is better), counted up to 120%."
)
MIXED = "Work performance = 40% indicators (85.00) + 60% ratings (100.00) = 94.00"


@pytest.fixture
def campaign(session, now, tmp_path):
    return performance_campaign(session, now, tmp_path)


def pdf_text(write, *args) -> str:
    buffer = BytesIO()
    write(buffer, *args)
    reader = PdfReader(BytesIO(buffer.getvalue()))
    return "\n".join(page.extract_text() for page in reader.pages)


def by_key(tables) -> dict:
    return {table.key: table for table in tables}


def test_the_cadre_report_lists_the_indicators_both_parts_and_the_formula(session, campaign):
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    tables = by_key(cadre_tables(report, "en"))
    assert tables["performance"].rows == [
        ["投诉件数", 25, 50, "件", 1, "lower is better", 50.0, 50.0],
        ["招商引资", 1000, 1500, "万元", 1, "higher is better", 150.0, 120.0],
    ]
    assert tables["performance_parts"].title == "Work performance: indicators and ratings combined"
    assert tables["performance_parts"].rows == [
        ["Indicator score", 85.0],
        ["Raters' figure", 100.0],
        ["Indicator share (%)", 40.0],
        ["Work performance (combined)", 94.0],
    ]
    assert tables["performance_parts"].notes == [FORMULA, MIXED]
    text = report_text(report, "en")
    assert "招商引资   1000    1500    万元" in text
    assert "Work performance (combined): 94.0" in text and MIXED in text and FORMULA in text
    assert [row[1] for row in tables["dimensions"].rows] == [100.0, 100.0, 100.0, 94.0, 100.0]
    printed = pdf_text(write_cadre_report_pdf, report, "en")
    for expected in ("招商引资", "1500", "120.0", "85.0", "94.0", "Raters' figure"):
        assert expected in printed
    assert "= 94.00" in printed


def test_a_cadre_without_indicators_keeps_the_raters_figure_and_says_so(session, campaign):
    report = cadre_report(session=session, campaign=campaign, cadre_id="C2")
    tables = by_key(cadre_tables(report, "en"))
    assert tables["performance"].rows == []
    assert tables["performance"].empty == (
        "No performance indicators for this cadre: Work performance is the raters' figure alone"
    )
    assert [row[1] for row in tables["performance_parts"].rows] == [None, 100.0, 40.0, 100.0]


def test_the_overview_has_the_parts_per_cadre_and_every_indicator_in_the_workbook(
    session, campaign, tmp_path
):
    overview = campaign_overview(session=session, campaign=campaign)
    tables = by_key(overview_tables(overview, "en"))
    assert tables["performance"].rows == [
        ["C1", "王伟", 2, 85.0, 100.0, 40.0, 94.0],
        ["C2", "李娜", 0, None, 100.0, 40.0, 100.0],
    ]
    assert tables["performance"].notes == [FORMULA]
    assert not tables["indicators"].printed  # one row per indicator: the workbook only
    text = overview_text(overview, "en")
    assert "C1        王伟  2           85.0             100.0" in text and FORMULA in text
    path = tmp_path / "results.xlsx"
    write_results_workbook(path, overview, "en")
    workbook = openpyxl.load_workbook(path)
    parts = list(workbook["Performance indicators"].iter_rows(values_only=True))
    assert parts[0] == (
        "Cadre id",
        "Name",
        "Indicators",
        "Indicator score",
        "Raters' figure",
        "Indicator share (%)",
        "Work performance (combined)",
    )
    assert parts[1] == ("C1", "王伟", 2, 85, 100, 40, 94)
    indicators = list(workbook["Indicators"].iter_rows(values_only=True))
    assert indicators[1:] == [
        ("C1", "王伟", "投诉件数", 25, 50, "件", 1, "lower is better", 50, 50),
        ("C1", "王伟", "招商引资", 1000, 1500, "万元", 1, "higher is better", 150, 120),
    ]
    printed = pdf_text(write_overview_pdf, overview, "en")
    assert "Performance indicators" in printed and "Indicator share (%)" in printed


def test_only_figures_that_may_be_shown(session, now, tmp_path):
    """With k = 5, four responses show nothing of the ratings: the raters' part and the
    combined 绩 (which would give it back) are withheld, HR's indicator score is not."""
    campaign = performance_campaign(session, now, tmp_path, k=5)
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    tables = by_key(cadre_tables(report, "en"))
    assert [row[1] for row in tables["performance_parts"].rows] == [85.0, None, 40.0, None]
    assert tables["performance_parts"].notes[1] == (
        "Work performance: the indicator score is shown; the raters' part and the mixed "
        "figure are not, as the raters' part rests on too few responses"
    )
    assert "100.0" not in report_text(report, "en")  # no rating figure anywhere
    overview = campaign_overview(session=session, campaign=campaign)
    rows = by_key(overview_tables(overview, "en"))["performance"].rows
    assert rows == [
        ["C1", "王伟", 2, 85.0, None, 40.0, None],
        ["C2", "李娜", 0, None, None, 40.0, None],
    ]


def test_no_performance_tables_without_a_performance_section(session, now):
    campaign = report_campaign(session, now)
    overview = campaign_overview(session=session, campaign=campaign)
    assert not {"performance", "indicators"} & set(by_key(overview_tables(overview, "en")))
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    assert not {"performance", "performance_parts"} & set(by_key(cadre_tables(report, "en")))


def test_the_parts_and_themes_read_the_same_on_both_databases(any_engine, now, tmp_path):
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = performance_campaign(session, now, tmp_path)
        report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
        _, current = history_campaigns(session, now)
        themed = cadre_report(session=session, campaign=current, cadre_id="C1")
    assert MIXED in report_text(report, "en")
    assert by_key(cadre_tables(themed, "en"))["themes"].rows[0][:2] == ["Work style", 3]

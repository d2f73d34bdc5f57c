"""Each report is described once, as titled tables; every writer renders whatever is there.

The writers are tried on tables of every form, and then a column is added
to one table of the description, inside the test only: it reaches the
terminal, the workbook, the PDF and the HR page without any writer knowing.
"""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import openpyxl
from pypdf import PdfReader

from surveys.documents.report_tables import LIST, PAIRS, Table
from surveys.documents.report_text import tables_text
from surveys.documents.report_xlsx import table_sheets
from surveys.results import reports
from surveys.results.report_pdf import write_overview_pdf
from surveys.results.reports import campaign_overview, overview_text, write_results_workbook
from surveys.setup.accounts import OFFICER
from tests.hr import hr_client
from tests.report_campaign import report_campaign
from tests.web import app_fixture, visible  # noqa: F401

FACTS = Table("facts", "", [], [["Grade", "Competent"], ["Rank", None]], form=PAIRS)
GRID = Table("grid", "Scores", ["Cadre", "Score"], [["王伟", 82.8], ["C2", None]])
EMPTY = Table("quiet", "Checks", ["Check"], [], empty="Nothing was flagged.")
LEFT_OUT = Table("votes", "Votes", ["Grade", "Share"], [])
LISTED = Table("uses", "Uses", [], [["Training"], ["Promotion"]], form=LIST, notes=["Why."])


def test_the_text_writer_renders_each_form():
    text = tables_text([FACTS, GRID, EMPTY, LEFT_OUT, LISTED], "zh")
    assert text.split("\n\n") == [
        "Grade：Competent\nRank：",
        "Scores\nCadre  Score\n王伟   82.8\nC2",  # Chinese counts two columns
        "Checks\nNothing was flagged.",
        "Uses\n  - Training\n  - Promotion\nWhy.",
    ]


def test_tables_naming_one_sheet_share_it_and_empty_ones_keep_their_header():
    sheets = table_sheets(
        [replace(FACTS, sheet="Overview"), replace(GRID, sheet="Overview"), EMPTY]
    )
    assert sheets == [
        ("Overview", [["Grade", "Competent"], ["Rank", None], [], *GRID.grid()]),
        ("Checks", [["Check"]]),
    ]


def test_a_table_reads_as_its_grid():
    assert list(GRID) == [["Cadre", "Score"], ["王伟", 82.8], ["C2", None]]
    assert GRID[0] == ["Cadre", "Score"] and len(GRID) == 3
    assert not LEFT_OUT.shown() and EMPTY.shown()


def test_a_column_added_to_the_description_reaches_every_output(app, session, now, monkeypatch):
    campaign = report_campaign(session, now)
    described = reports.grade_table

    def with_a_column(overview, locale):
        table = described(overview, locale)
        rows = [[*row, f"extra-{number}"] for number, row in enumerate(table.rows)]
        return replace(table, columns=[*table.columns, "Added column"], rows=rows)

    monkeypatch.setattr(reports, "grade_table", with_a_column)
    overview = campaign_overview(session=session, campaign=campaign)
    assert "Added column" in overview_text(overview, "en") and "extra-4" in overview_text(
        overview, "en"
    )
    workbook = BytesIO()
    write_results_workbook(workbook, overview, "en")
    rows = list(openpyxl.load_workbook(workbook)["Overview"].iter_rows(values_only=True))
    assert ("Grade", "Cadres", "Share (%)", "Added column") in rows
    pdf = BytesIO()
    write_overview_pdf(pdf, overview, "en")
    printed = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Added column" in printed and "extra-4" in printed
    page = hr_client(app, OFFICER).get(f"/admin/campaigns/{campaign.id}")
    assert page.status_code == 200
    assert "Added column" in visible(page.data) and "extra-4" in visible(page.data)

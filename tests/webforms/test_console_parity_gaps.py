"""The console sides that docs/cli-console.md found missing (issue 15).

- ``cadre roster import --renamed ID``: the roster preview lists every cadre id
  an earlier roster gave to someone of another name, with a checkbox per id;
  nothing is stored until each is ticked.
- ``cadre results push``: a button on the campaign page writes the shared summary.
- ``cadre bot cadre-links``: the invitations page downloads the cadres' links (CSV or cards).

On SQLite and PostgreSQL, through the real app and the Flask test client.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.engine import make_engine
from storage.models import Cadre, Campaign, Roster
from storage.shared import read_summaries
from surveys.setup.accounts import AUDITOR, OFFICER
from surveys.setup.roster import write_workbook
from tests.cli import CadreCli, pdf_pages
from tests.factories import make_campaign
from tests.hr import hr_client, hr_post
from tests.report_campaign import report_campaign
from tests.web import visible
from tests.webforms.test_console_setup import (
    ASSIGNMENTS,
    CADRES,
    RATERS,
    count,
    held_id,
    import_through_console,
    upload,
)

RENAMED = [{**CADRES[0], "name": "王伟伟"}, *CADRES[1:]]  # C1 renamed, C2 as before


@pytest.fixture
def engine(any_engine):
    """This run's database, SQLite then PostgreSQL (the ``session`` fixture uses it)."""
    return any_engine


@pytest.fixture(name="console")
def console_fixture(any_app, tmp_path):
    """The app on SQLite and PostgreSQL, holding uploads in the test's own folder."""
    any_app.config["HELD_FILES"] = str(tmp_path / "held")
    return any_app


def renamed_workbook(tmp_path: Path) -> bytes:
    """The roster again, with cadre C1 under a new name."""
    path = tmp_path / "renamed.xlsx"
    write_workbook(path, {"cadres": RENAMED, "raters": RATERS, "assignments": ASSIGNMENTS})
    return path.read_bytes()


def checkboxes(body: bytes) -> list[str]:
    """The values of the preview's "same person" checkboxes."""
    return re.findall(
        r'type="checkbox" id="renamed-\d+" name="renamed" value="([^"]+)"', body.decode()
    )


# --- roster import --renamed --------------------------------------------------------------------


def test_a_renamed_cadre_is_imported_only_once_hr_confirms_the_id(console, tmp_path):
    officer = hr_client(console, OFFICER)
    import_through_console(officer, tmp_path)
    preview = upload(officer, {"workbook": (renamed_workbook(tmp_path), "第二年.xlsx")})
    assert preview.status_code == 200
    text = visible(preview.data)
    assert "Cadre ids that named someone else in an earlier roster" in text
    assert "C1 王伟 王伟伟" in text  # the id, its earlier name, its name in this file
    assert checkboxes(preview.data) == ["C1"]  # C2 kept its name: nothing to confirm
    upload_id = held_id(preview.data)

    for unconfirmed in ({}, {"renamed": "C2"}, {"renamed": "<b>C9</b>"}):
        refused = hr_post(officer, "/admin/roster/confirm", {"upload": upload_id, **unconfirmed})
        assert refused.status_code == 422
        assert "confirm each cadre id below" in visible(refused.data)
        assert checkboxes(refused.data) == ["C1"]  # asked again, the upload still held
        assert held_id(refused.data) == upload_id
        assert count(console, Roster) == 1

    done = hr_post(officer, "/admin/roster/confirm", {"upload": upload_id, "renamed": "C1"})
    assert done.status_code == 303
    assert count(console, Roster) == 2
    with Session(console.extensions["cadre_engine"]) as session:
        names = session.exec(select(Cadre.name).where(Cadre.external_id == "C1")).all()
    assert sorted(names) == ["王伟", "王伟伟"]


def test_a_roster_without_clashes_asks_nothing_and_an_auditor_cannot_import(console, tmp_path):
    officer = hr_client(console, OFFICER)
    import_through_console(officer, tmp_path)
    again = upload(officer, {"workbook": (Path(tmp_path / "roster.xlsx").read_bytes(), "a.xlsx")})
    assert again.status_code == 200 and checkboxes(again.data) == []
    assert "named someone else" not in visible(again.data)
    auditor = hr_client(console, AUDITOR)
    refused = hr_post(auditor, "/admin/roster/confirm", {"upload": "x" * 32, "renamed": "C1"})
    assert refused.status_code == 403
    assert count(console, Roster) == 1


# --- results push ----------------------------------------------------------------------------


def campaign_page(client, campaign: Campaign):
    return client.get(f"/admin/campaigns/{campaign.id}")


def push(client, campaign: Campaign):
    return hr_post(client, f"/admin/campaigns/{campaign.id}/push")


def summaries(file: Path, campaign: Campaign) -> list[dict]:
    """The campaign's rows in a SQLite shared database (none when it has no table yet)."""
    if not file.exists():
        return []
    shared = make_engine(f"sqlite:///{file}")
    try:
        return read_summaries(shared, campaign.id)
    finally:
        shared.dispose()


def test_the_push_button_writes_the_shared_summary_as_the_cli_does(any_app, session, now, tmp_path):
    campaign = report_campaign(session, now)
    officer = hr_client(any_app, OFFICER)
    assert "no shared database configured" in visible(campaign_page(officer, campaign).data)
    refused = push(officer, campaign)
    assert refused.status_code == 409
    assert "nothing was pushed" in visible(refused.data)

    file = tmp_path / "shared.sqlite"
    any_app.config["SHARED_DATABASE_URL"] = f"sqlite:///{file}"
    page = visible(campaign_page(officer, campaign).data)
    assert "Push to the shared database" in page
    auditor = hr_client(any_app, AUDITOR)
    assert "Push to the shared database" not in visible(campaign_page(auditor, campaign).data)
    assert push(auditor, campaign).status_code == 403
    assert not file.exists()

    done = push(officer, campaign)
    assert done.status_code == 303
    shown = visible(officer.get(done.headers["Location"]).data)
    assert "Pushed 3 cadre summaries to the shared database." in shown
    rows = summaries(file, campaign)
    assert sorted(row["cadre_id"] for row in rows) == ["C1", "C2", "C3"]
    assert push(officer, campaign).status_code == 303  # again: the rows are updated, not doubled


def test_a_sealed_box_or_an_unreachable_shared_database_pushes_nothing(
    any_app, session, now, tmp_path
):
    officer = hr_client(any_app, OFFICER)
    opened = report_campaign(session, now)  # (opening it opens every box due by then)
    sealed = make_campaign(session, now=now)
    file = tmp_path / "shared.sqlite"
    any_app.config["SHARED_DATABASE_URL"] = f"sqlite:///{file}"
    refused = push(officer, sealed)
    assert refused.status_code == 409
    assert "sealed" in visible(refused.data).lower()
    assert not file.exists()  # a sealed box leaves the shared database untouched

    any_app.config["SHARED_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    failed = push(officer, opened)
    assert failed.status_code == 502
    assert "The shared database cannot be written" in visible(failed.data)
    assert push(officer, sealed).status_code == 409  # the box is refused before any connection


# --- bot cadre-links ---------------------------------------------------------------------------


def cadre_links(client, campaign: Campaign, fmt: str = "csv"):
    return hr_post(client, f"/admin/campaigns/{campaign.id}/cadre-links", {"format": fmt})


def test_the_cadres_links_download_is_what_the_cli_writes(
    any_app, session, now, tmp_path, database_url
):
    campaign = make_campaign(session, now=now)
    invitations = f"/admin/campaigns/{campaign.id}/invitations"
    officer = hr_client(any_app, OFFICER)
    assert "Download the cadres’ links" not in visible(officer.get(invitations).data)
    refused = cadre_links(officer, campaign)
    assert refused.status_code == 409 and "CADRE_TELEGRAM_BOT" in visible(refused.data)

    any_app.config["TELEGRAM_BOT"] = "kaohe_bot"
    assert "Download the cadres’ links" in visible(officer.get(invitations).data)
    auditor = hr_client(any_app, AUDITOR)
    assert "Download the cadres’ links" not in visible(auditor.get(invitations).data)
    assert cadre_links(auditor, campaign).status_code == 403

    done = cadre_links(officer, campaign)
    assert done.status_code == 200 and "attachment" in done.headers["Content-Disposition"]
    text = done.data.decode("utf-8")
    assert text.startswith("\ufeffcadre_id,name,unit,post,link")
    lines = text.lstrip("\ufeff").splitlines()
    assert len(lines) == 3 and all("https://t.me/kaohe_bot?start=" in line for line in lines[1:])

    cadre = CadreCli(tmp_path, database_url=database_url)
    cadre.env["CADRE_TELEGRAM_BOT"] = "kaohe_bot"
    assert cadre("bot", "cadre-links", campaign.id).output.splitlines() == lines

    cards = cadre_links(officer, campaign, "pdf")
    assert cards.status_code == 200 and cards.data.startswith(b"%PDF")
    assert pdf_pages(cards.data) >= 1


# --- box status ----------------------------------------------------------------------------------


def test_the_sealed_campaign_page_shows_what_box_status_prints(
    any_app, session, now, tmp_path, database_url
):
    campaign = make_campaign(session, now=now)
    auditor = hr_client(any_app, AUDITOR)
    page = visible(campaign_page(auditor, campaign).data)
    cadre = CadreCli(tmp_path, database_url=database_url)
    printed = cadre("box", "status", campaign.id).output
    fingerprint = re.search(r"Key fingerprint: (\S+)", printed).group(1)
    assert f"Key fingerprint: {fingerprint}" in page
    assert "0 sealed ballots." in page and "0 sealed ballots" in printed

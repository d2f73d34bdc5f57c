"""The console's early warnings: checked from the page, listed with rule, figures and
threshold, filtered by campaign, exported as CSV and xlsx, on SQLite and PostgreSQL.

The history campaigns (tests/themes_campaign.py): this year's C1 composite is 82.8,
down 17.2 from last year's 100; every cadre dropped on the composite and all five
dimensions, 18 warnings in all; last year's campaign has none.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlmodel import Session, select

from storage.models import EarlyWarning
from surveys.setup.accounts import AUDITOR, OFFICER
from tests.factories import make_campaign
from tests.hr import anonymous_client, hr_client, hr_post
from tests.themes_campaign import history_campaigns
from tests.web import visible


@pytest.fixture
def engine(any_engine):
    return any_engine


@pytest.fixture
def app(any_app):
    return any_app


def fresh(app) -> Session:
    return Session(app.extensions["cadre_engine"], expire_on_commit=False)


def test_warnings_are_checked_listed_filtered_and_exported(app, session, now):
    last, current = history_campaigns(session, now)
    other = make_campaign(session, now=now)  # sealed: nothing but completion could fire
    officer = hr_client(app, OFFICER)
    page = visible(officer.get("/admin/warnings").data)
    assert "No early warnings." in page and "Early warnings" in visible(officer.get("/admin/").data)

    checked = hr_post(
        officer, f"/admin/campaigns/{current.id}/warnings/check", {}, "/admin/warnings"
    )
    assert checked.status_code == 303
    page = visible(officer.get(checked.headers["Location"]).data)
    assert f"18 new warnings for {current.name}." in page
    assert hr_post(officer, f"/admin/campaigns/{last.id}/warnings/check").status_code == 303
    with fresh(app) as db:
        assert len(db.exec(select(EarlyWarning)).all()) == 18
    assert "Composite dropped" in page and "王伟 (C1)" in page
    assert "Composite 82.80, down 17.20 from 100.00" in page and "score=82.8" in page
    assert "Professional competence 79.50, down 20.50" in page  # a dimension by its title
    again = hr_post(officer, f"/admin/campaigns/{current.id}/warnings/check", {}, "/admin/warnings")
    assert "0 new warnings" in visible(officer.get(again.headers["Location"]).data)

    empty = visible(officer.get(f"/admin/warnings?campaign={other.id}").data)
    assert "No early warnings." in empty
    assert officer.get("/admin/warnings?campaign=0123456789abcdef").status_code == 404

    exported = officer.get(f"/admin/warnings.csv?campaign={current.id}")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Campaign", "First seen", "Rule"] and len(rows) == 19
    assert any(
        row[2:6] == ["Composite dropped", "王伟 (C1)", "score=82.8; before=100.0; drop=17.2", "5"]
        for row in rows
    )
    workbook = officer.get("/admin/warnings.xlsx")
    assert workbook.status_code == 200
    sheet = zipfile.ZipFile(io.BytesIO(workbook.data)).read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 19 and "Composite dropped" in sheet


def test_auditors_read_but_do_not_check_and_strangers_see_nothing(app, session, now):
    _, current = history_campaigns(session, now)
    auditor = hr_client(app, AUDITOR)
    assert auditor.get(f"/admin/warnings?campaign={current.id}").status_code == 200
    assert hr_post(auditor, f"/admin/campaigns/{current.id}/warnings/check").status_code == 403
    officer = hr_client(app, OFFICER, "officer.two")
    unknown = hr_post(officer, "/admin/campaigns/0123456789abcdef/warnings/check")
    assert unknown.status_code == 404
    stranger = anonymous_client(app)
    assert stranger.get("/admin/warnings").status_code in (302, 303, 401)
    assert stranger.get("/admin/warnings.csv").status_code in (302, 303, 401)

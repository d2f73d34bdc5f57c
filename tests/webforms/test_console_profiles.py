"""A person's results over the years in the HR console (tests/profiles_campaigns.py):
the table, the trend chart, the link from the cadre page, and unknown ids."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image
from sqlmodel import Session

from surveys.setup.accounts import AUDITOR, OFFICER
from tests.hr import anonymous_client, hr_client
from tests.profiles_campaigns import three_campaigns
from tests.web import parse, visible
from tests.webforms.test_admin_reports import table_with


@pytest.fixture
def campaigns(any_app, any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        return three_campaigns(session)


def test_the_profile_page_shows_the_trend_table_and_chart(any_app, campaigns):
    officer = hr_client(any_app, OFFICER)
    page = officer.get("/admin/profiles/C2")
    assert page.status_code == 200
    rows = table_with(page.data, "Campaign")
    assert rows[0][:5] == ["Campaign", "Period", "Composite", "Grade", "Percentile"]
    assert [row[:5] for row in rows[1:]] == [
        ["2024年度考核", "Annual, closed 2024-12-01", "60.00", "Basically competent", "25.00"],
        ["2025年度考核", "Annual, closed 2025-12-01", "100.00", "Competent", "75.00"],
        ["2026年度考核", "Annual, closed 2026-12-01", "—", "—", "—"],
    ]
    assert rows[3][5:] == ["—"] * 5  # withheld dimensions stay withheld
    text = visible(page.data)
    assert "李娜" in text and "C2" in text
    links = [a for a in parse(page.data).links if "/cadres/C2" in a]
    assert len(links) == 3 and f"/admin/campaigns/{campaigns[0].id}/cadres/C2" in links
    chart = officer.get("/admin/profiles/C2/trend.png")
    assert chart.status_code == 200 and chart.mimetype == "image/png"
    assert Image.open(BytesIO(chart.data)).size == (700, 400)


def test_the_cadre_page_links_to_the_profile(any_app, campaigns):
    auditor = hr_client(any_app, AUDITOR)
    page = auditor.get(f"/admin/campaigns/{campaigns[2].id}/cadres/C1")
    assert "/admin/profiles/C1" in parse(page.data).links


def test_unknown_ids_and_visitors_are_refused(any_app, campaigns):
    officer = hr_client(any_app, OFFICER)
    assert officer.get("/admin/profiles/C9").status_code == 404
    assert officer.get("/admin/profiles/C9/trend.png").status_code == 404
    anonymous = anonymous_client(any_app)
    assert anonymous.get("/admin/profiles/C1").status_code in (302, 303, 401)
    assert anonymous.get("/admin/profiles/C1/trend.png").status_code in (302, 303, 401)


def test_the_campaign_form_offers_the_regular_kind(any_app):
    page = hr_client(any_app, OFFICER).get("/admin/campaigns/new")
    assert '<option value="regular">Regular check-in</option>' in page.data.decode()

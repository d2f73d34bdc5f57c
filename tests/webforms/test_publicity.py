"""The public notice of the cadres proposed as Excellent: shown while it runs, 404 otherwise.

The hand-worked campaign (``tests/report_campaign.py``) grades everyone
Competent; HR revises 王伟 (C1) to Excellent on appeal, so the notice has
exactly one name, and the others must not appear.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from storage.models import Campaign
from surveys.results.appeals import file_appeal
from surveys.setup.accounts import OFFICER
from surveys.setup.campaigns import campaign_cadres
from tests.factories import CLOSES
from tests.hr import anonymous_client, hr_client, hr_post
from tests.report_campaign import report_campaign
from tests.web import visible

AFTER = CLOSES + timedelta(hours=2)  # 1 December, 10:00 in Asia/Shanghai
LAST_DAY = "2026-12-10"
# 23:30 on 10 December and 00:30 on 11 December, Asia/Shanghai.
LAST_EVENING = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
DAY_AFTER = datetime(2026, 12, 10, 16, 30, tzinfo=UTC)


@pytest.fixture
def campaign(app, session, now) -> Campaign:
    """The hand-worked campaign, closed at ``AFTER`` (the app's clock stands there)."""
    campaign = report_campaign(session, now)
    app.config["CLOCK"] = lambda: AFTER
    return campaign


def revise_to_excellent(app, campaign: Campaign, officer) -> None:
    """C1 appeals and HR revises the grade to Excellent through the appeals page."""
    with Session(app.extensions["cadre_engine"], expire_on_commit=False) as session:
        current = session.get(Campaign, campaign.id)
        cadre = next(
            c for c in campaign_cadres(session=session, campaign=current) if c.external_id == "C1"
        )
        appeal = file_appeal(
            session=session, campaign=current, cadre=cadre, reason="请复核", actor="bot", now=AFTER
        )
        session.commit()
    data = {"outcome": "revised", "revised_grade": "excellent", "decision": "复核后改为优秀"}
    assert hr_post(officer, f"/admin/appeals/{appeal.id}/decide", data).status_code == 303


def publish(officer, campaign: Campaign, until: str = LAST_DAY) -> None:
    """Publish through the HR page with a public notice until ``until``."""
    path = f"/admin/campaigns/{campaign.id}"
    data = {"publicity_until": until, "appeal_days": "7", "confirmed": "yes"}
    assert hr_post(officer, path + "/publish", data, path).status_code == 303


def test_the_notice_lists_the_excellent_cadres_until_its_last_day(app, campaign):
    officer = hr_client(app, OFFICER)
    publish(officer, campaign)
    revise_to_excellent(app, campaign, officer)
    visitor = anonymous_client(app)
    page = visitor.get(f"/publicity/{campaign.id}")
    assert page.status_code == 200
    text = visible(page.data)
    assert "王伟" in text and "发展改革委" in text and "主任" in text
    assert "李娜" not in text and "张敏" not in text
    assert "Dec 10, 2026" in text and "How to raise an objection" in text
    assert "82.8" not in text and "Excellent" in text  # names only, never a figure
    app.config["CLOCK"] = lambda: LAST_EVENING
    assert visitor.get(f"/publicity/{campaign.id}").status_code == 200
    app.config["CLOCK"] = lambda: DAY_AFTER
    gone = visitor.get(f"/publicity/{campaign.id}")
    assert gone.status_code == 404 and "王伟" not in visible(gone.data)


def test_the_notice_is_in_chinese_on_request(app, campaign):
    officer = hr_client(app, OFFICER)
    publish(officer, campaign)
    page = anonymous_client(app).get(f"/publicity/{campaign.id}?lang=zh")
    assert page.status_code == 200 and "2026年12月10日" in visible(page.data)


def test_no_notice_before_publication_or_without_a_last_day(app, campaign):
    visitor = anonymous_client(app)
    assert visitor.get(f"/publicity/{campaign.id}").status_code == 404
    publish(hr_client(app, OFFICER), campaign, until="")
    assert visitor.get(f"/publicity/{campaign.id}").status_code == 404
    assert visitor.get("/publicity/nosuchcampaign").status_code == 404

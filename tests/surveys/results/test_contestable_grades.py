"""Only the grades the rules name may be contested (公务员法 第九十五条: 不称职 only)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.models import Appeal, Cadre
from surveys.notification.publication import publish_results
from surveys.results.appeals import NOT_CONTESTABLE, decide_appeal, file_appeal
from surveys.results.outcomes import describe
from surveys.setup.campaigns import CampaignError, snapshot
from tests.contestable import contestable_only
from tests.factories import later
from tests.report_campaign import report_campaign


@pytest.fixture
def published(any_engine, now):
    """The report campaign (C1, C2, C3 all Competent), published, on SQLite and PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = report_campaign(session, now)
        publish_results(session=session, campaign=campaign, now=after(campaign))
        session.commit()
        yield session, campaign


def after(campaign):
    """A day after the deadline: published, and within the appeal period."""
    return later(campaign.closes_at, days=1)


def appeal(session, campaign, cadre_id="C1") -> Appeal:
    cadre = session.exec(select(Cadre).where(Cadre.external_id == cadre_id)).one()
    return file_appeal(
        session=session,
        campaign=campaign,
        cadre=cadre,
        reason="评分有误",
        actor="t",
        now=after(campaign),
    )


def test_a_grade_outside_the_list_cannot_be_contested(published):
    session, campaign = published
    contestable_only(session, campaign, ["incompetent"])
    with pytest.raises(CampaignError) as refused:
        appeal(session, campaign)
    error = refused.value
    assert error.message == NOT_CONTESTABLE
    assert error.values["grade"] == "competent" and error.values["grades"] == "incompetent"
    text = describe(error.message, error.values, "zh", snapshot(campaign))
    assert "称职" in text and "不称职" in text
    assert "《中华人民共和国公务员法》（2018年修订） 第九十五条" in text
    english = describe(error.message, error.values, "en", snapshot(campaign))
    assert "Your published grade is Competent; only results graded Incompetent" in english
    assert session.exec(select(Appeal)).all() == []


@pytest.mark.parametrize("grades", [["competent", "incompetent"], None])
def test_a_grade_on_the_list_or_no_list_may_be_contested(published, grades):
    session, campaign = published
    contestable_only(session, campaign, grades)
    assert appeal(session, campaign).status == "open"


def test_the_grade_revised_on_appeal_is_the_one_that_counts(published):
    session, campaign = published
    first = appeal(session, campaign)
    decide_appeal(
        session=session,
        appeal=first,
        outcome="revised",
        decision="复核后改为不称职",
        actor="hr",
        now=after(campaign),
        revised_grade="incompetent",
    )
    session.commit()
    contestable_only(session, campaign, ["incompetent"])
    assert appeal(session, campaign).status == "open"  # now graded 不称职: contestable
    with pytest.raises(CampaignError):
        appeal(session, campaign, "C2")  # still 称职

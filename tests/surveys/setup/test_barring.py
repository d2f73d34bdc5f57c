"""Barring situations and tiers HR marks per cadre, and the quota warning before launch."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import AuditEvent, CadreMark
from surveys.rules.grading import QuotaWarning
from surveys.setup.barring import campaign_marks, launch_warnings, mark_cadre
from surveys.setup.campaigns import CampaignError
from tests.presets import preset_campaign


def test_marks_are_stored_checked_and_audited(any_engine, now):
    from sqlmodel import Session

    with Session(any_engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        mark_cadre(
            session=session, campaign=campaign, roster_id="A1",
            flags=["sanction_in_effect", "under_investigation"], tier="科级",
            actor="hr", now=now,
        )  # fmt: skip
        session.commit()
        marks = campaign_marks(session=session, campaign=campaign)
        (mark,) = marks.values()
        assert mark.flags == ["under_investigation", "sanction_in_effect"]  # the rules' order
        assert mark.tier == "科级"
        mark_cadre(
            session=session, campaign=campaign, roster_id="A1", flags=None, tier="处级",
            actor="hr", now=now,
        )  # fmt: skip
        assert session.get(CadreMark, (campaign.id, mark.cadre_id)).flags == mark.flags
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "cadre_marked")).all()
        assert [event.detail["tier"] for event in events] == ["科级", "处级"]
        with pytest.raises(CampaignError, match="Unknown situation team_rated_poor"):
            mark_cadre(
                session=session, campaign=campaign, roster_id="A1", flags=["team_rated_poor"],
                tier=None, actor="hr", now=now,
            )  # fmt: skip
        with pytest.raises(CampaignError, match="No cadre Z9"):
            mark_cadre(
                session=session, campaign=campaign, roster_id="Z9", flags=[], tier=None,
                actor="hr", now=now,
            )  # fmt: skip


def test_launch_warning_for_the_agency_pool_and_per_unit(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        # The agency has nine cadres: 1.8 -> one place, no warning.
        assert launch_warnings(session=session, campaign=campaign) == []
        per_unit = preset_campaign(session, now, "leading-cadre-annual")
        # Per tier: none set yet, so all nine are one pool.
        assert launch_warnings(session=session, campaign=per_unit) == []
        for roster_id in ("B1", "B2", "B3", "B4"):
            mark_cadre(
                session=session, campaign=per_unit, roster_id=roster_id, flags=None,
                tier="科级", actor="hr", now=now,
            )  # fmt: skip
        assert launch_warnings(session=session, campaign=per_unit) == [QuotaWarning("科级", 4, 0)]

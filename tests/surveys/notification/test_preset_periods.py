"""Publicity and review periods of a preset, counted at publication across 国庆 2024.

The campaign closed in September 2024; every moment is passed in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from surveys.notification.publication import publish_results
from surveys.results.appeals import appeal_deadline
from surveys.results.opening import open_with_key_file
from surveys.results.outcomes import shown_results
from surveys.results.reports import cadre_report, report_text
from surveys.rules.grading import PENDING
from surveys.rules.workdays import UNKNOWN_YEAR
from surveys.setup.barring import mark_cadre
from surveys.setup.campaigns import CampaignError
from tests.factories import BOX_KEYS, LEDGER_KEY
from tests.presets import preset_campaign

# --- stored marks, the pre-launch warning, publication periods ------------------------------

PUBLISHED = datetime(2024, 9, 27, 2, tzinfo=UTC)  # Friday 27 September, 10:00 in Beijing


def test_publication_sets_the_periods_of_the_preset(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        mark_cadre(
            session=session, campaign=campaign, roster_id="A1",
            flags=["under_investigation"], tier=None, actor="hr", now=now,
        )  # fmt: skip
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
            now=datetime(2024, 9, 20, 1, tzinfo=UTC),
        )  # fmt: skip
        results = {
            r.cadre.external_id: r for r in shown_results(session=session, campaign=campaign)
        }
        assert results["A1"].decision.message == PENDING
        text = report_text(cadre_report(session=session, campaign=campaign, cadre_id="A1"), "zh")
        assert "涉嫌违纪违法被立案审查调查尚未结案：按规定不确定等次" in text
        assert "［依据：《公务员考核规定》（2020年）第二十八条］" in text  # checked: no caveat
        assert publish_results(session=session, campaign=campaign, now=PUBLISHED)
        # Five working days after Friday 27 September: the make-up Sunday 29, Monday 30,
        # then 8, 9 and 10 October.
        assert campaign.publicity_until == date(2024, 10, 10)
        # Thirty days after 27 September is Sunday 27 October: Monday 28 October.
        assert (campaign.appeal_days, appeal_deadline(campaign)) == (31, date(2024, 10, 28))
        with pytest.raises(CampaignError, match="published"):
            mark_cadre(
                session=session, campaign=campaign, roster_id="A2", flags=[], tier=None,
                actor="hr", now=PUBLISHED,
            )  # fmt: skip


def test_review_days_set_by_hr_are_counted_the_rules_way(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
            now=datetime(2024, 9, 20, 1, tzinfo=UTC),
        )  # fmt: skip
        until = date(2024, 10, 31)
        publish_results(
            session=session, campaign=campaign, now=PUBLISHED, publicity_until=until,
            appeal_days=5,
        )  # fmt: skip
        # HR's own last day of publicity stands; five days after 27 September is
        # Wednesday 2 October, in the holiday: the period runs to Tuesday 8 October.
        assert campaign.publicity_until == until
        assert (campaign.appeal_days, appeal_deadline(campaign)) == (11, date(2024, 10, 8))


def test_publishing_in_a_year_the_calendar_does_not_know_is_refused(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        campaign.closes_at = datetime(2099, 1, 5, tzinfo=UTC)
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
            now=datetime(2099, 1, 5, 1, tzinfo=UTC),
        )  # fmt: skip
        with pytest.raises(CampaignError, match="does not know 2099") as caught:
            publish_results(
                session=session, campaign=campaign, now=datetime(2099, 1, 6, tzinfo=UTC)
            )
        assert caught.value.message == UNKNOWN_YEAR  # a user error for the CLI and the console
        assert campaign.published_at is None

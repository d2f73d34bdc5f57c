"""A campaign's early warnings: from shown figures only, kept once, queued once per HR chat.

The history campaigns (tests/themes_campaign.py): last year every figure was 100; this
year C1 is 82.8 (de 87, neng 79.5, qin 81, ji 81, lian 87), C2 83.63 (de 90, neng 75,
qin 82.5, ji 82.5, lian 90), C3 82.13.  Nobody voted Incompetent.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlmodel import Session, func, select

from storage.models import EarlyWarning, OutboxMessage
from surveys.collection.ballots import submit_ballot
from surveys.notification.outbox import queue_warnings
from surveys.results.warnings import campaign_warnings, check_campaign, stored_warnings
from surveys.rules.questionnaire import load_questionnaire
from surveys.rules.warnings import WarningSettings
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.channels import create_channel, record_tally
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import import_roster
from tests.factories import (
    BOX_KEYS,
    CLOSES,
    OPENS,
    SECRET,
    complete_answers,
    make_campaign,
    small_roster_rows,
    tokens,
)
from tests.themes_campaign import history_campaigns
from tests.worlds_campaign import worlds_campaign

HR_CHATS = frozenset({-100_111, -100_222})


def summary(findings) -> Counter:
    return Counter((f.rule, f.subject.key) for f in findings)


@pytest.fixture
def history(session, now):
    return history_campaigns(session, now)


def test_drops_since_the_last_comparable_campaign_fire_with_the_roster_ids(session, now, history):
    last, current = history
    found = campaign_warnings(session=session, campaign=current, now=now)
    assert summary(found) == Counter(
        {
            ("composite_drop", "C1"): 1,
            ("composite_drop", "C2"): 1,
            ("composite_drop", "C3"): 1,
            ("dimension_drop", "C1"): 5,  # every dimension down 13 to 20.5 points
            ("dimension_drop", "C2"): 5,
            ("dimension_drop", "C3"): 5,
        }
    )
    c1 = next(f for f in found if f.rule == "composite_drop" and f.subject.key == "C1")
    assert c1.figures == {"score": 82.8, "before": 100.0, "drop": 17.2}
    assert c1.threshold == "5" and last.name in c1.values["previous"]
    # The first campaign has nothing to compare with, and all its figures are 100.
    assert campaign_warnings(session=session, campaign=last, now=now) == []


def test_thresholds_decide_firing_and_not_firing(session, now, history):
    _, current = history
    settings = WarningSettings(
        composite_drop=17.2,  # C1 dropped 17.2 exactly; C2 16.37 and C3 17.87
        dimension_drop=None,
        integrity_minimum=87.01,  # C1's 廉 is 87, C2's 90
        incompetent_share=Fraction(1, 3),
    )
    found = campaign_warnings(session=session, campaign=current, now=now, settings=settings)
    fired = summary(found)
    assert fired[("composite_drop", "C1")] == 1 and fired[("composite_drop", "C3")] == 1
    assert ("composite_drop", "C2") not in fired
    assert fired[("integrity_low", "C1")] == 1 and ("integrity_low", "C2") not in fired
    assert not any(rule == "dimension_drop" for rule, _ in fired)
    assert not any(rule == "incompetent_share" for rule, _ in fired)


def test_before_the_box_is_opened_only_completion_and_bursts_fire(session, now):
    campaign = make_campaign(session, now=now)
    links = tokens(session, campaign)
    submit_ballot(
        session=session,
        token=links["R1"],
        answers=complete_answers(session, links["R1"], now),
        now=now,
    )
    channel = create_channel(
        session=session, campaign=campaign, name="1号窗口", cadre_ids=["C1"], rotating=False
    )
    busy = CLOSES - timedelta(hours=30)
    for n in range(20):
        record_tally(session=session, channel=channel, now=busy, accepted=n % 5 != 0)
    session.commit()
    near = CLOSES - timedelta(hours=24)
    found = campaign_warnings(session=session, campaign=campaign, now=near)
    assert summary(found) == Counter(
        {("completion_low", "campaign"): 1, ("window_burst", channel.id): 1}
    )
    completion = next(f for f in found if f.rule == "completion_low")
    assert completion.figures == {"completed": 2, "assigned": 8}  # R1 rates both cadres
    burst = next(f for f in found if f.rule == "window_burst")
    assert burst.figures["count"] == 20 and burst.threshold == "20"
    # Too early for completion, one short of a burst: nothing.
    quiet = WarningSettings(burst_minimum=21)
    early = CLOSES - timedelta(hours=73)
    assert campaign_warnings(session=session, campaign=campaign, now=early, settings=quiet) == []
    assert campaign.box_opened_at is None  # and no result rule ran: nothing raised


@pytest.fixture
def any_session(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        yield session


def test_each_warning_is_queued_once_per_hr_chat_however_often_the_check_runs(any_session, now):
    session = any_session
    _, current = history_campaigns(session, now)
    first = check_campaign(session=session, campaign=current, now=now)
    session.commit()
    assert first == 18
    assert queue_warnings(session=session, chat_ids=HR_CHATS, now=now) == 36
    session.commit()
    later = now + timedelta(hours=1)
    assert check_campaign(session=session, campaign=current, now=later) == 0
    assert queue_warnings(session=session, chat_ids=HR_CHATS, now=later) == 0
    session.commit()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.purpose == "warning")).all()
    per_pair = Counter((row.key.split(":")[1], row.chat_id) for row in rows)
    kept = stored_warnings(session=session, campaign_id=current.id)
    assert len(kept) == 18 and set(per_pair.values()) == {1}
    assert set(per_pair) == {(w.id, chat) for w in kept for chat in HR_CHATS}
    assert all(w.sent_at == now for w in kept)
    # A new warning (a stricter integrity threshold) is the only one queued next.
    strict = WarningSettings(integrity_minimum=88)
    assert check_campaign(session=session, campaign=current, now=later, settings=strict) == 1
    assert queue_warnings(session=session, chat_ids=HR_CHATS, now=later) == 2
    session.commit()
    count = session.exec(select(func.count()).select_from(EarlyWarning)).one()
    assert count == 19
    # A chat added later gets nothing already sent.
    assert queue_warnings(session=session, chat_ids=HR_CHATS | {-100_333}, now=later) == 0


def test_the_campaigns_template_sets_the_thresholds(session, now):
    """A campaign reads its frozen template's ``warnings:`` section: completion at 30%."""
    questionnaire = load_questionnaire("annual")
    questionnaire = questionnaire.model_copy(
        update={"warnings": WarningSettings(completion_target="3/10", completion_hours=24)}
    )
    roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
    campaign = create_campaign(
        session=session, name="专项", kind="annual", roster_id=roster.id,
        questionnaire=questionnaire, opens_at=OPENS, closes_at=CLOSES, now=now,
        custody=KeyFileCustody(BOX_KEYS),
    )  # fmt: skip
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    links = tokens(session, campaign)
    answers = complete_answers(session, links["R1"], now)
    submit_ballot(session=session, token=links["R1"], answers=answers, now=now)
    session.commit()
    inside, outside = CLOSES - timedelta(hours=24), CLOSES - timedelta(hours=25)
    (fired,) = campaign_warnings(session=session, campaign=campaign, now=inside)
    assert (fired.rule, fired.threshold, fired.figures) == (
        "completion_low", "30%", {"completed": 2, "assigned": 8},
    )  # fmt: skip
    assert campaign_warnings(session=session, campaign=campaign, now=outside) == []


def test_without_hr_chats_warnings_wait_unsent(session, now, history):
    _, current = history
    check_campaign(session=session, campaign=current, now=now)
    assert queue_warnings(session=session, chat_ids=frozenset(), now=now) == 0
    assert all(w.sent_at is None for w in stored_warnings(session=session))
    assert queue_warnings(session=session, chat_ids=HR_CHATS, now=now) == 36


def _all_good(world: int, rater: str, cadre: str):
    return "good", {}, "excellent"


LOW = WarningSettings(
    composite_drop=1, dimension_drop=1, incompetent_share="1/10", integrity_minimum=99
)


def _comparable(finding) -> tuple:
    return (finding.rule, finding.key, finding.figures, finding.threshold, finding.values)


def test_two_worlds_differing_in_a_hidden_group_give_identical_warnings(session, now):
    """The attacker holds every warning of both worlds: they must be the same."""
    before = worlds_campaign(session, now, 1, _all_good)
    before.opens_at -= timedelta(days=365)
    before.closes_at -= timedelta(days=365)
    before.name = "2025年度考核"
    session.add(before)
    session.commit()
    first, second = worlds_campaign(session, now, 1), worlds_campaign(session, now, 2)
    warnings = [
        sorted(
            map(_comparable, campaign_warnings(session=session, campaign=c, now=now, settings=LOW))
        )
        for c in (first, second)
    ]
    assert warnings[0] == warnings[1]
    rules = {item[0] for item in warnings[0]}
    assert {"composite_drop", "dimension_drop", "integrity_low"} <= rules
    assert not any(":C6:" in item[1] for item in warnings[0])  # fewer than k: nothing shown

"""Early warnings reach the HR chats once, through the outbox and the real sender.

The campaign of tests/wave_world.py (four named raters, three cadres), two of the raters
done a day before the deadline: completion (6 of 12 assessments, 50%) is below the
default target of 80% within 72 hours of the deadline.  The scheduler's check keeps the
warning and queues it to each HR chat; the send job delivers it to the fake Bot API;
checking and sending again delivers nothing more.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from scheduler import jobs
from scheduler.waves import send_notices
from storage.models import Campaign, EarlyWarning, OutboxMessage
from surveys.collection.ballots import submit_ballot
from surveys.notification.outbox import WARNING
from tests.factories import CLOSES, complete_answers, tokens
from tests.fake_telegram import FakeTelegram
from tests.wave_world import build_wave_world

HR_CHATS = frozenset({-100_501, -100_502})
NEAR = CLOSES - timedelta(hours=24)


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def test_a_warning_is_delivered_once_to_each_hr_chat(any_engine, fake):
    world = build_wave_world(any_engine, fake, NEAR - timedelta(days=1), raters=4)
    with Session(any_engine, expire_on_commit=False) as session:
        links = tokens(session, world.campaign(session))
        for rater in ("R1", "R2"):
            answers = complete_answers(session, links[rater], NEAR)
            submit_ballot(session=session, token=links[rater], answers=answers, now=NEAR)
        session.commit()
    world.clock.now = NEAR
    runtime = world.runtime(hr_chats=HR_CHATS)
    jobs.ACTIVE = runtime
    try:
        assert jobs.check_warnings(runtime) == 1
        wanted = jobs.desired_jobs(runtime)
        assert wanted[f"warned:{world.campaign_id}"][0] == "warned_job"
        assert wanted["warnings"][1] == NEAR + timedelta(seconds=runtime.config.warning_seconds)
        report = send_notices(runtime, world.campaign_id, purpose=WARNING)
        assert report.sent == 2
        world.clock.now = NEAR + timedelta(hours=1)
        assert jobs.check_warnings(runtime) == 0  # the same warning: nothing new
        assert send_notices(runtime, world.campaign_id, purpose=WARNING) is None
    finally:
        jobs.ACTIVE = None
    texts = {message["chat_id"]: message["text"] for message in fake.messages}
    assert sorted(texts) == sorted(HR_CHATS) and len(fake.messages) == 2
    for text in texts.values():
        assert "完成率低于目标" in text or "Completion below target" in text
        assert "6" in text and "12" in text
    with Session(any_engine) as session:
        states = session.exec(
            select(OutboxMessage.state).where(OutboxMessage.purpose == WARNING)
        ).all()
        warning = session.exec(select(EarlyWarning)).one()
        assert states == ["sent", "sent"] and warning.rule == "completion_low"
        assert warning.campaign_id == session.get(Campaign, world.campaign_id).id

"""The scheduler role and a campaign's timed steps: open, close, result notices, summary push.

The role runs in a thread against a real database and the fake Bot API;
APScheduler keeps its jobs in the project database under stable ids.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler import jobs
from scheduler.role import run_role
from scheduler.runtime import utc_now
from scheduler.waves import send_notices
from storage.engine import make_engine
from storage.models import AuditEvent, Campaign, LedgerCheckpoint, OutboxMessage, SealedBallot
from storage.shared import read_summaries
from surveys.collection.ballots import submit_ballot
from surveys.collection.reminders import QuietHours, add_wave
from surveys.notification.lifecycle import close_campaign, note_opened, push_published
from surveys.notification.publication import publish_results
from surveys.results.opening import after_opening
from surveys.sealing.ballot_box import key_file
from tests.factories import BOX_KEYS, complete_answers, open_boxes, tokens
from tests.fake_telegram import FakeTelegram
from tests.wave_world import build_wave_world, chat_of

NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 local, the day after the deadline


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def complete_all(world, raters) -> None:
    with Session(world.engine, expire_on_commit=False) as session:
        links = tokens(session, world.campaign(session))
        for rater in raters:
            answers = complete_answers(session, links[rater], NOON)
            submit_ballot(session=session, token=links[rater], answers=answers, now=NOON)
        session.commit()


def test_closing_opens_the_box_signs_the_ledger_and_computes_results_once(engine, fake, tmp_path):
    world = build_wave_world(engine, fake, NOON, raters=4)
    complete_all(world, ["R1", "R2"])  # two ballots: fewer than k, sealed like any others
    key = tmp_path / "ledger.pem"
    options = {"key_path": key, "box_keys": BOX_KEYS}
    with Session(engine, expire_on_commit=False) as session:
        campaign = world.campaign(session)
        assert close_campaign(session=session, campaign=campaign, now=NOON, **options) is None
        detail = close_campaign(session=session, campaign=campaign, now=AFTER, **options)
        again = close_campaign(session=session, campaign=campaign, now=AFTER, **options)
        session.commit()
        assert session.exec(select(SealedBallot)).all() == []
        kinds = session.exec(select(LedgerCheckpoint.kind)).all()
        events = session.exec(select(AuditEvent.action, AuditEvent.actor)).all()
    after_opening(engine=engine, campaign_id=campaign.id, key_folder=BOX_KEYS)
    assert detail == {"sealed": 2, "responses": 6, "cadres": 3, "graded": 0}
    assert again is None
    assert kinds == ["close"]
    assert ("close", "scheduler") in events and ("open_box", "scheduler") in events
    assert not key_file(BOX_KEYS, campaign.id).exists()  # opened once: the secret is gone


def test_publication_notifies_every_bound_cadre_exactly_once(any_engine, fake):
    world = build_wave_world(any_engine, fake, NOON, raters=4)
    complete_all(world, ["R1", "R2", "R3", "R4"])
    world.clock.now = AFTER
    runtime = world.runtime()
    with Session(any_engine, expire_on_commit=False) as session:
        open_boxes(session)
        assert publish_results(session=session, campaign=world.campaign(session), now=AFTER)
        session.commit()

    send_notices(runtime, world.campaign_id)
    send_notices(runtime, world.campaign_id)
    with Session(any_engine, expire_on_commit=False) as session:
        assert not publish_results(session=session, campaign=world.campaign(session), now=AFTER)
        session.commit()
    send_notices(runtime, world.campaign_id)

    cadre_chats = set(world.cadre_chats.values())
    assert {m["chat_id"] for m in fake.messages} == cadre_chats
    assert len(fake.messages) == len(cadre_chats) == 3
    lines = fake.last(world.cadre_chats["C1"])["text"].splitlines()
    assert lines[0] == "2026年度考核"
    assert lines[1] == "您的考核结果已公布。"
    assert lines[2].startswith("等次：")
    assert lines[-1] == "发送 /results 查看详细结果。"


def test_result_notices_wait_for_the_end_of_quiet_hours(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=3)
    world.clock.now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 23:00 local
    with Session(engine, expire_on_commit=False) as session:
        open_boxes(session)
        publish_results(session=session, campaign=world.campaign(session), now=world.clock.now)
        session.commit()
    runtime = world.runtime(quiet="22:00-08:00")

    assert send_notices(runtime, world.campaign_id) is None
    assert fake.messages == []
    world.clock.now = AFTER
    send_notices(runtime, world.campaign_id)
    assert len(fake.messages) == 3


def test_published_summaries_are_pushed_to_the_shared_database_once(engine, fake, tmp_path):
    world = build_wave_world(engine, fake, NOON, raters=4)
    complete_all(world, ["R1", "R2", "R3"])
    shared = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    with Session(engine, expire_on_commit=False) as session:
        campaign = world.campaign(session)
        assert (
            push_published(session=session, campaign=campaign, shared_engine=shared, now=AFTER)
            is None
        )
        open_boxes(session)
        publish_results(session=session, campaign=campaign, now=AFTER)
        assert (
            push_published(session=session, campaign=campaign, shared_engine=shared, now=AFTER) == 3
        )
        assert (
            push_published(session=session, campaign=campaign, shared_engine=shared, now=AFTER)
            is None
        )
        session.commit()
    rows = read_summaries(shared, world.campaign_id)
    assert sorted(row["cadre_name"] for row in rows) == ["干部1", "干部2", "干部3"]
    shared.dispose()


def test_opening_is_noted_once(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=2)
    with Session(engine, expire_on_commit=False) as session:
        campaign = world.campaign(session)
        assert note_opened(session=session, campaign=campaign, now=NOON)
        assert not note_opened(session=session, campaign=campaign, now=NOON)
        session.commit()
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions == ["open"]


def run_in_thread(runtime) -> threading.Thread:
    thread = threading.Thread(target=run_role, args=(runtime,), daemon=True)
    thread.start()
    return thread


def stop(runtime, thread) -> None:
    runtime.stop.set()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the scheduler role did not stop"


def real_clock_world(engine, fake, **options):
    """A campaign open around the real now: the role's APScheduler runs on the real clock."""
    now = utc_now()
    world = build_wave_world(
        engine, fake, now, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10),
        **options,
    )  # fmt: skip
    world.clock = utc_now
    return world


def test_the_role_runs_waves_and_campaign_steps_from_its_job_store(any_engine, fake):
    world = real_clock_world(any_engine, fake, raters=5, bound=4)
    now = world.clock()
    with Session(any_engine) as session:
        closes = world.campaign(session).closes_at
    runtime = world.runtime(sync_seconds=0.3, failover_seconds=0.3)
    thread = run_in_thread(runtime)
    try:
        with Session(any_engine, expire_on_commit=False) as session:
            add_wave(
                session=session, campaign=world.campaign(session), at=now, now=now,
                quiet=QuietHours.parse("none"),
            )  # fmt: skip
            session.commit()
        assert fake.wait_for(lambda: len(fake.messages) == 4, timeout=20), fake.messages
        assert wait_until(lambda: opened(any_engine, world.campaign_id))
        with any_engine.connect() as connection:
            stored = dict(
                connection.execute(sa.text("SELECT id, next_run_time FROM apscheduler_jobs")).all()
            )
    finally:
        stop(runtime, thread)

    assert world.reminded() == {chat_of(f"R{n}"): 1 for n in range(1, 5)}
    assert "sync" in stored
    assert stored[f"close:{world.campaign_id}"] == pytest.approx(closes.timestamp())
    assert jobs.ACTIVE is None


def test_a_second_role_on_the_same_database_waits_and_takes_over(any_engine, fake):
    world = real_clock_world(any_engine, fake, raters=3)
    first = world.runtime(sync_seconds=0.3, failover_seconds=0.3)
    second = world.runtime(sync_seconds=0.3, failover_seconds=0.3)
    first_thread = run_in_thread(first)
    assert wait_until(lambda: first.scheduler is not None)
    second_thread = run_in_thread(second)
    try:
        time.sleep(1.0)
        assert second.scheduler is None  # waiting: only one process leads
        stop(first, first_thread)
        assert wait_until(lambda: second.scheduler is not None, timeout=10)
    finally:
        stop(second, second_thread)


def opened(engine, campaign_id: str) -> bool:
    with Session(engine) as session:
        return session.get(Campaign, campaign_id).opened_noted_at is not None


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_outbox_rows_keep_no_time(engine):
    columns = {column.name for column in OutboxMessage.__table__.columns}
    assert not {name for name in columns if name.endswith(("_at", "time", "date"))}

"""Reminder waves against a fake Bot API: who is reminded, exactly once, and when.

Everything is real except Telegram (``FakeTelegram`` on loopback) and the
clock: the outbox in SQLite and PostgreSQL, the sender's HTTP client, the
pacing and flood control.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.actions import EditText, Incoming, SendText
from bot.conversation import BotConfig
from bot.core import BotCore
from scheduler.waves import prepare_wave, send_wave
from storage.models import OutboxMessage, ReminderWave, TelegramChat
from surveys.collection.ballots import submit_ballot
from surveys.collection.reminders import QuietHours, add_wave, cancel_wave, plan_template_waves
from surveys.notification.outbox import wave_counts
from surveys.setup.campaigns import CampaignError
from tests.factories import SECRET, complete_answers, tokens
from tests.fake_telegram import FakeTelegram
from tests.wave_world import BASE_URL, build_wave_world, chat_of

NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai
NIGHT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 in Asia/Shanghai
QUIET = QuietHours.parse("22:00-08:00")
QUIET_ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def fake():
    """A fresh fake Bot API server."""
    with FakeTelegram() as server:
        yield server


def plan(world, at=NOON, **options) -> str:
    """Plan a wave through the domain rule, as HR's command does; return its id."""
    with Session(world.engine, expire_on_commit=False) as session:
        wave = add_wave(
            session=session, campaign=world.campaign(session), at=at, now=world.clock.now,
            quiet=options.pop("quiet", QuietHours.parse("none")), **options,
        )  # fmt: skip
        session.commit()
        return wave.id


def complete(world, rater: str) -> None:
    """The rater submits the web form (the same rule the bot uses)."""
    with Session(world.engine, expire_on_commit=False) as session:
        token = tokens(session, world.campaign(session))[rater]
        answers = complete_answers(session, token, world.clock.now)
        submit_ballot(session=session, token=token, answers=answers, now=world.clock.now)
        session.commit()


def counts(world, wave_id: str):
    with Session(world.engine) as session:
        return wave_counts(session=session, wave_ids=[wave_id])[wave_id]


def test_a_wave_reaches_every_pending_bound_rater_exactly_once(any_engine, fake):
    world = build_wave_world(any_engine, fake, NOON, raters=12, bound=9)
    wave_id = plan(world)

    report = send_wave(world.runtime(), wave_id)
    send_wave(world.runtime(), wave_id)  # running it again sends nothing more

    assert world.reminded() == {chat_of(f"R{n}"): 1 for n in range(1, 10)}
    assert report.sent == 9
    assert counts(world, wave_id) == {"total": 9, "sent": 9}
    with Session(any_engine) as session:
        assert session.get(ReminderWave, wave_id).status == "done"


def test_the_reminder_names_campaign_deadline_and_cadres_left_with_buttons(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=2)

    send_wave(world.runtime(), plan(world))

    message = fake.last(chat_of("R1"))
    assert message["text"].splitlines() == [
        "2026年度考核",
        "提醒：您的测评尚未完成。",
        "需评价干部：3 人",
        "截止时间：2026-12-01 08:00",
    ]
    keyboard = message["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0] == {
        "text": "继续作答",
        "callback_data": f"go:{world.invitation_of['R1']}",
    }
    assert keyboard[1][0]["web_app"]["url"].endswith(f"/app/{world.invitation_of['R1']}")


def test_hr_words_replace_the_standard_line_and_english_chats_read_english(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=2)
    with Session(engine) as session:
        session.add(TelegramChat(chat_id=chat_of("R2"), language="en-GB"))
        session.commit()

    send_wave(world.runtime(), plan(world, message="请于本周五前完成测评。"))

    assert fake.last(chat_of("R1"))["text"].splitlines()[1] == "请于本周五前完成测评。"
    english = fake.last(chat_of("R2"))["text"].splitlines()
    assert english[2:] == ["Cadres to rate: 3", "Deadline: 2026-12-01 08:00"]
    assert fake.last(chat_of("R2"))["reply_markup"]["inline_keyboard"][0][0]["text"] == (
        "Continue here"
    )


def test_completed_raters_and_meeting_slips_get_nothing(any_engine, fake):
    world = build_wave_world(any_engine, fake, NOON, raters=5)
    complete(world, "R2")
    complete(world, "R4")

    send_wave(world.runtime(), plan(world))

    assert set(world.reminded()) == {chat_of("R1"), chat_of("R3"), chat_of("R5")}
    with Session(any_engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert len(rows) == 3  # no row at all for the finished raters or the slips
        assert all(row.invitation_id for row in rows)


def test_a_rater_completing_during_the_wave_is_skipped(any_engine, fake):
    world = build_wave_world(any_engine, fake, NOON, raters=6)
    wave_id = plan(world)
    runtime = world.runtime(rate=10)
    rows, _ = prepare_wave(runtime, wave_id)
    with Session(any_engine) as session:
        last = session.get(OutboxMessage, rows[-1])
    late = next(
        r for r, invitation in world.invitation_of.items() if invitation == last.invitation_id
    )
    finished = []

    def progress(_step: int) -> None:
        if not finished:
            complete(world, late)  # while the wave is under way, before its turn
            finished.append(late)

    send_wave(runtime, wave_id, progress=progress)

    assert chat_of(late) not in world.reminded()
    assert len(world.reminded()) == 5
    assert counts(world, wave_id)["skipped:completed"] == 1


def test_quiet_hours_move_a_wave_to_eight_in_the_morning(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=2)
    world.clock.now = NIGHT - timedelta(hours=1)

    wave_id = plan(world, at=NIGHT, quiet=QUIET)

    with Session(engine) as session:
        wave = session.get(ReminderWave, wave_id)
        assert wave.planned_at == NIGHT
        assert wave.send_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 local


def test_a_wave_due_in_quiet_hours_waits_and_then_goes_out(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=3)
    wave_id = plan(world)
    world.clock.now = NIGHT  # the scheduler was down until 23:00 local
    runtime = world.runtime(quiet="22:00-08:00")

    assert send_wave(runtime, wave_id) is None
    assert fake.messages == []
    with Session(engine) as session:
        assert session.get(ReminderWave, wave_id).send_at == datetime(2026, 11, 26, tzinfo=UTC)

    world.clock.now = datetime(2026, 11, 26, 0, 1, tzinfo=UTC)
    send_wave(runtime, wave_id)
    assert len(world.reminded()) == 3


def test_a_wave_running_into_quiet_hours_stops_and_resumes_in_the_morning(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=6)
    wave_id = plan(world)
    runtime = world.runtime(rate=5, quiet="22:00-08:00")  # slots far apart: the stop lands mid-wave
    world.clock.now = datetime(2026, 11, 25, 13, 59, 59, tzinfo=UTC)  # 21:59:59 local
    sent = []

    def progress(_step: int) -> None:
        sent.append(1)
        if len(sent) == 2:
            world.clock.now = datetime(2026, 11, 25, 14, 0, 1, tzinfo=UTC)  # 22:00:01

    send_wave(runtime, wave_id, progress=progress)
    assert 2 <= len(world.reminded()) < 6
    with Session(engine) as session:
        wave = session.get(ReminderWave, wave_id)
        assert (wave.status, wave.send_at) == ("sending", datetime(2026, 11, 26, tzinfo=UTC))

    world.clock.now = datetime(2026, 11, 26, 0, 0, 5, tzinfo=UTC)
    send_wave(runtime, wave_id)
    assert world.reminded() == {chat_of(f"R{n}"): 1 for n in range(1, 7)}


def test_blocked_and_vanished_chats_are_marked_unreachable_and_not_tried_again(any_engine, fake):
    world = build_wave_world(any_engine, fake, NOON, raters=4)
    fake.block(chat_of("R1"))
    fake.forget(chat_of("R2"))
    first = plan(world)

    report = send_wave(world.runtime(), first)

    assert (report.sent, report.unreachable) == (2, 2)
    with Session(any_engine) as session:
        assert session.get(TelegramChat, chat_of("R1")).unreachable
        assert session.get(TelegramChat, chat_of("R2")).unreachable
    second = plan(world)
    send_wave(world.runtime(), second)
    assert counts(world, second) == {"total": 4, "sent": 2, "skipped": 2, "skipped:unreachable": 2}
    requests = [m for m in fake.requests if m == "sendMessage"]
    assert len(requests) == 6  # 4 in the first wave, 2 in the second


def test_flood_control_pauses_the_sender_and_loses_nothing(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=5)
    fake.force_429(2, retry_after=1)
    wave_id = plan(world)

    report = send_wave(world.runtime(), wave_id)

    assert report.flood_answers == 2
    assert report.seconds >= 1.0  # the whole sender waited retry_after
    assert world.reminded() == {chat_of(f"R{n}"): 1 for n in range(1, 6)}


def test_a_cancelled_wave_sends_nothing_more(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=3)
    wave_id = plan(world)
    with Session(engine, expire_on_commit=False) as session:
        cancel_wave(session=session, wave=session.get(ReminderWave, wave_id), now=NOON)
        session.commit()

    assert send_wave(world.runtime(), wave_id) is None
    assert fake.messages == []


def test_waves_refuse_times_that_cannot_work(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=1)
    with Session(engine) as session:
        campaign = world.campaign(session)
        early = campaign.opens_at - timedelta(days=2)
        cases = [
            ("that time has passed", NOON - timedelta(hours=2), NOON),
            (
                "a wave cannot go out before the campaign opens",
                campaign.opens_at - timedelta(days=1),
                early,
            ),
            (
                "after quiet hours (%(quiet)s) the wave would go out after the deadline",
                campaign.closes_at - timedelta(hours=1),  # 07:00 local: moved to 08:00
                NOON,
            ),
        ]
        for message, at, now in cases:
            with pytest.raises(CampaignError) as refused:
                add_wave(session=session, campaign=campaign, at=at, now=now, quiet=QUIET)
            assert refused.value.message == message


def test_the_template_plans_its_default_waves_outside_quiet_hours(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=1)
    with Session(engine, expire_on_commit=False) as session:
        campaign = world.campaign(session)
        waves = plan_template_waves(
            session=session, campaign=campaign, now=campaign.opens_at, quiet=QUIET
        )
        local = [w.send_at.astimezone(QUIET_ZONE).strftime("%m-%d %H:%M") for w in waves]

    # Opens 11-20 08:00 local; the deadline is 12-01 08:00, so "3 hours before" (05:00)
    # would be moved to 08:00, the deadline itself, and is left out.
    assert local == ["11-20 08:00", "11-28 08:00", "11-30 08:00"]
    assert {w.origin for w in waves} == {"template"}


def test_continue_here_in_a_reminder_starts_answering_in_the_chat(engine, fake):
    world = build_wave_world(engine, fake, NOON, raters=1)
    send_wave(world.runtime(), plan(world))
    button = fake.last(chat_of("R1"))["reply_markup"]["inline_keyboard"][0][0]
    core = BotCore(
        engine=engine,
        config=BotConfig(secret_key=SECRET, base_url=BASE_URL, hr_chats=frozenset()),
        clock=world.clock,
    )

    actions = core.handle(
        Incoming(chat_id=chat_of("R1"), callback_id="q1", callback_data=button["callback_data"],
                 message_id=1, language="zh")
    )  # fmt: skip

    texts = [a.text for a in actions if isinstance(a, SendText | EditText)]
    assert any("干部1" in text for text in texts), texts

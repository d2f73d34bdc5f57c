"""The HR console runs a campaign: reminder waves, live progress, publication, ledger, audit.

Every test drives the real app through its test client, signed in through the
login page (``tests/hr.py``), once on SQLite and once on PostgreSQL; what the
pages did is read back from the database with the same use cases the
scheduler and the command line use.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from storage.models import (
    Assignment,
    AuditEvent,
    Cadre,
    CadreChat,
    Campaign,
    Invitation,
    OutboxMessage,
    RaterChat,
    ReminderWave,
    Response,
)
from surveys.collection.ballots import submit_ballot
from surveys.notification.outbox import wave_counts
from surveys.setup.accounts import AUDITOR, OFFICER
from surveys.setup.reminders import start_wave, unfinished_waves
from tests.factories import CLOSES, complete_answers, make_campaign, open_boxes, tokens
from tests.hr import anonymous_client, hr_client, hr_post, log_in
from tests.web import ZH, visible

AFTER = CLOSES + timedelta(hours=2)  # 10:00 on 1 December in Asia/Shanghai


@pytest.fixture
def engine(any_engine):
    """This run's database: SQLite, then PostgreSQL."""
    return any_engine


@pytest.fixture
def app(any_app):
    """The real application on this run's database, standing at ``now``."""
    return any_app


@pytest.fixture
def campaign(app, session, now) -> Campaign:
    """The small campaign (two cadres, six named raters), open at ``now``."""
    return make_campaign(session, now=now)


def stand_at(app: Flask, moment: datetime) -> None:
    """Move the app's clock (sign in again after it: HR sessions last a working day)."""
    app.config["CLOCK"] = lambda: moment


def fresh(app: Flask) -> Session:
    """A session on the app's database, to read what the pages wrote."""
    return Session(app.extensions["cadre_engine"], expire_on_commit=False)


def path(campaign: Campaign, page: str = "") -> str:
    return f"/admin/campaigns/{campaign.id}{page}"


def answer(session: Session, campaign: Campaign, now: datetime, *raters: str) -> None:
    """These named raters submit complete ballots, as the web form would."""
    links = tokens(session, campaign)
    for rater in raters:
        answers = complete_answers(session, links[rater], now)
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
    session.commit()


# -- reminder waves --------------------------------------------------------------------------


def test_waves_are_planned_listed_and_cancelled_and_the_scheduler_sees_them(app, campaign, now):
    officer = hr_client(app, OFFICER, "wave.hr")
    assert "No waves planned." in visible(officer.get(path(campaign, "/waves")).data)
    planned = hr_post(
        officer, path(campaign, "/waves"), {"at": "2026-11-26T09:00", "message": "请尽快填写"},
        path(campaign, "/waves"),
    )  # fmt: skip
    assert planned.status_code == 303
    with fresh(app) as db:
        (wave,) = db.exec(select(ReminderWave)).all()
        assert wave.send_at == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
        assert (wave.origin, wave.status, wave.message) == ("hr", "planned", "请尽快填写")
        assert [w.id for w in unfinished_waves(session=db)] == [wave.id]  # the scheduler's list
    page = visible(officer.get(path(campaign, "/waves")).data)
    assert f"Planned wave {wave.id[:8]} for 2026-11-26 09:00." in page
    assert "2026-11-26 09:00" in page and "请尽快填写" in page and "Cancel" in page

    cancelled = hr_post(officer, f"/admin/waves/{wave.id}/cancel", {}, path(campaign, "/waves"))
    assert cancelled.status_code == 303
    with fresh(app) as db:
        assert db.get(ReminderWave, wave.id).status == "cancelled"
        assert unfinished_waves(session=db) == []
    page = visible(officer.get(path(campaign, "/waves")).data)
    assert f"Cancelled wave {wave.id[:8]}; 0 messages will not be sent." in page

    again = hr_post(officer, f"/admin/waves/{wave.id}/cancel", {}, path(campaign, "/waves"))
    assert again.status_code == 409
    assert "this wave was already cancelled" in visible(again.data)
    unknown = hr_post(officer, "/admin/waves/0123456789abcdef/cancel", {}, path(campaign, "/waves"))
    assert unknown.status_code == 404 and "0123456789abcdef" in visible(unknown.data)


def test_send_now_plans_a_wave_due_at_once_for_the_scheduler(app, campaign, now):
    officer = hr_client(app, OFFICER)
    sent = hr_post(officer, path(campaign, "/waves/now"), {"at": "", "message": "今天截止"})
    assert sent.status_code == 303
    with fresh(app) as db:
        (wave,) = unfinished_waves(session=db)
    assert (wave.origin, wave.send_at, wave.message) == ("now", now, "今天截止")
    page = visible(officer.get(path(campaign, "/waves")).data)
    assert f"The wave {wave.id[:8]} goes out now." in page and "send-now" in page
    stand_at(app, now + timedelta(hours=11))  # 23:00 in Shanghai: quiet hours
    assert log_in(officer, OFFICER).status_code == 303
    quiet = hr_post(officer, path(campaign, "/waves/now"), {}, path(campaign, "/waves"))
    assert quiet.status_code == 303
    text = visible(officer.get(path(campaign, "/waves")).data)
    assert "It is quiet hours now; the wave will go out at 2026-11-26 08:00." in text


def test_a_wave_in_quiet_hours_is_moved_and_the_page_says_so(app, campaign):
    officer = hr_client(app, OFFICER)
    moved = hr_post(officer, path(campaign, "/waves"), {"at": "2026-11-26 23:30"})
    assert moved.status_code == 303
    with fresh(app) as db:
        (wave,) = db.exec(select(ReminderWave)).all()
    assert wave.send_at == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 08:00 the next morning
    page = visible(officer.get(path(campaign, "/waves")).data)
    assert "Moved out of quiet hours (22:00-08:00)." in page
    assert "(asked for 2026-11-26 23:30)" in page


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2026-11-24T09:00", "that time has passed"),
        ("2026-12-05T09:00", "the wave would go out after the deadline"),
        ("tomorrow morning", "Cannot read the time tomorrow morning"),
        ("", "Cannot read the time"),
        ("2026-13-45T09:00", "Cannot read the time"),
    ],
)
def test_a_wave_that_cannot_work_is_refused_with_the_reason(app, campaign, at, message):
    officer = hr_client(app, OFFICER)
    refused = hr_post(officer, path(campaign, "/waves"), {"at": at, "message": "x"})
    assert refused.status_code == 422
    assert message in visible(refused.data)
    with fresh(app) as db:
        assert db.exec(select(ReminderWave)).all() == []


def test_a_closed_campaign_offers_no_wave_and_refuses_one(app, campaign):
    stand_at(app, AFTER)
    officer = hr_client(app, OFFICER)
    page = visible(officer.get(path(campaign, "/waves")).data)
    assert "The campaign has closed; there is nobody left to remind." in page
    refused = hr_post(officer, path(campaign, "/waves"), {"at": "2026-12-02T09:00"})
    assert refused.status_code == 422
    assert "the campaign has closed" in visible(refused.data)


def test_wave_status_counts_what_the_scheduler_wrote(app, session, campaign, now):
    invitations = session.exec(
        select(Invitation).where(col(Invitation.rater_id).is_not(None))
    ).all()
    for number, invitation in enumerate(invitations[:3]):
        session.add(
            RaterChat(invitation_id=invitation.id, nonce=f"n{number}", code_hash=f"h{number}",
                      chat_id=7_000_000_000 + number)
        )  # fmt: skip
    session.commit()
    officer = hr_client(app, OFFICER)
    assert hr_post(officer, path(campaign, "/waves"), {"at": "2026-11-25T13:00"}).status_code == 303
    with fresh(app) as db:
        wave = db.exec(select(ReminderWave)).one()
        assert start_wave(session=db, wave=wave, now=now + timedelta(hours=1)) == 3
        first = db.exec(select(OutboxMessage).where(OutboxMessage.wave_id == wave.id)).first()
        first.state = "sent"
        db.add(first)
        db.commit()
        counts = wave_counts(session=db, wave_ids=[wave.id])[wave.id]
    assert (counts["total"], counts["sent"], counts["planned"]) == (3, 1, 2)
    body = officer.get(path(campaign, "/waves")).data.decode()
    row = body[body.index(f'id="wave-{wave.id}"') :].split("</tr>")[0]
    cells = [cell.split("<")[0] for cell in row.split('<td class="num">')[1:]]
    assert cells == ["3", "1", "0", "0", "0", "0", "2"]  # planned, sent, ..., waiting
    assert "sending" in row and 'value="33"' in row
    cancelled = hr_post(officer, f"/admin/waves/{wave.id}/cancel", {}, path(campaign, "/waves"))
    assert "2 messages will not be sent" in visible(officer.get(path(campaign, "/waves")).data)
    assert cancelled.status_code == 303


def test_the_auditor_sees_the_waves_but_cannot_plan_or_cancel(app, campaign):
    officer = hr_client(app, OFFICER)
    assert hr_post(officer, path(campaign, "/waves"), {"at": "2026-11-26T09:00"}).status_code == 303
    auditor = hr_client(app, AUDITOR)
    page = visible(auditor.get(path(campaign, "/waves")).data)
    assert "2026-11-26 09:00" in page and "Plan the wave" not in page and "Cancel" not in page
    with fresh(app) as db:
        wave = db.exec(select(ReminderWave)).one()
    assert hr_post(auditor, path(campaign, "/waves"), {"at": "2026-11-27T09:00"}).status_code == 403
    assert hr_post(auditor, f"/admin/waves/{wave.id}/cancel").status_code == 403
    with fresh(app) as db:
        assert [w.status for w in db.exec(select(ReminderWave)).all()] == ["planned"]


# -- live progress ---------------------------------------------------------------------------


def named_progress(app: Flask, campaign: Campaign) -> dict:
    """Named raters assigned and done per cadre and group, counted straight from the tables."""
    counts: Counter = Counter()
    with fresh(app) as db:
        rows = db.exec(
            select(Cadre.external_id, Assignment.group, Invitation.status)
            .join(Cadre, col(Cadre.id) == Assignment.cadre_id)
            .join(Invitation, col(Invitation.rater_id) == Assignment.rater_id)
            .where(Invitation.campaign_id == campaign.id)
        ).all()
    for cadre, group, status in rows:
        counts[cadre, group, "assigned"] += 1
        counts[cadre, group, "completed"] += status == "completed"
    return counts


def flattened(data: dict) -> Counter:
    """The JSON's per cadre and group figures in the same shape as ``named_progress``."""
    return Counter(
        {
            (cadre["id"], group, key): value
            for cadre in data["cadres"]
            for group, numbers in cadre["groups"].items()
            for key, value in numbers.items()
        }
    )


def test_progress_json_counts_what_the_database_holds_and_nothing_else(app, session, campaign, now):
    officer = hr_client(app, OFFICER)
    empty = officer.get(path(campaign, "/progress.json")).get_json()
    assert empty["named"] == {"assigned": 8, "completed": 0}
    assert flattened(empty) == named_progress(app, campaign)
    answer(session, campaign, now, "R1", "R2", "R4")
    data = officer.get(path(campaign, "/progress.json")).get_json()
    assert flattened(data) == named_progress(app, campaign)
    assert data["named"] == {"assigned": 8, "completed": 5}  # R1 and R4 rate both cadres
    assert data["groups"] == {
        "superior": {"assigned": 2, "completed": 2},
        "peer": {"assigned": 2, "completed": 1},
        "subordinate": {"assigned": 4, "completed": 2},
    }
    c1 = next(cadre for cadre in data["cadres"] if cadre["id"] == "C1")
    assert (c1["name"], c1["assigned"], c1["completed"]) == ("王伟", 4, 3)
    assert data["sealed"] is True and data["state"] == "open"

    page = officer.get(path(campaign, "/progress")).data.decode()
    assert 'data-count="cadre/C1/peer/completed">1<' in page
    assert 'data-count="named/completed">5<' in page
    assert (
        "script-src 'self'"
        in officer.get(path(campaign, "/progress")).headers["Content-Security-Policy"]
    )


def test_progress_never_carries_a_ballot_count_before_or_after_the_opening(
    app, session, campaign, now
):
    """Only named raters' completion: no per-group ballot count, no public line, ever.

    After the opening each group of each cadre holds responses, some fewer
    than k (C1's single peer), which the disclosure rule keeps from being
    shown on their own; the progress figures must not change with the
    opening, or they would reveal them.
    """
    answer(session, campaign, now, "R1", "R2", "R4", "R5")
    officer = hr_client(app, OFFICER)
    sealed = officer.get(path(campaign, "/progress.json")).get_json()
    open_boxes(session)
    with fresh(app) as db:
        stored = Counter(db.exec(select(Response.group)).all())
    assert stored["peer"] == 1 and stored["superior"] == 2  # fewer than k = 3 each
    stand_at(app, AFTER)
    assert log_in(officer, OFFICER).status_code == 303
    opened = officer.get(path(campaign, "/progress.json")).get_json()
    assert opened["sealed"] is False
    assert {key: opened[key] for key in ("named", "groups", "cadres")} == {
        key: sealed[key] for key in ("named", "groups", "cadres")
    }
    for cadre in opened["cadres"]:
        assert "public" not in cadre["groups"]
        shown = cadre["groups"].values()
        assert all(set(numbers) == {"assigned", "completed"} for numbers in shown)
    assert "responses" not in officer.get(path(campaign, "/progress.json")).data.decode()


def test_progress_needs_a_sign_in(app, campaign):
    visitor = anonymous_client(app)
    response = visitor.get(path(campaign, "/progress.json"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    officer = hr_client(app, OFFICER)
    assert officer.get("/admin/campaigns/0123456789abcdef/progress.json").status_code == 404
    dashboard = officer.get("/admin/").data.decode()
    sealed = officer.get(path(campaign)).data.decode()
    assert f'href="{path(campaign, "/progress")}"' in dashboard
    assert f'href="{path(campaign, "/progress")}"' in sealed


# -- publication -----------------------------------------------------------------------------


def bind_cadre_chat(session: Session, external_id: str, chat_id: int) -> None:
    """The cadre has linked the bot (as ``surveys.collection.chats.bind_chat`` leaves it)."""
    cadre = session.exec(select(Cadre).where(Cadre.external_id == external_id)).one()
    session.add(CadreChat(cadre_id=cadre.id, nonce="n", code_hash=f"h{chat_id}", chat_id=chat_id))
    session.commit()


def test_publication_is_not_offered_before_the_deadline_and_says_why(app, campaign):
    officer = hr_client(app, OFFICER)
    sealed = visible(officer.get(path(campaign)).data)
    assert "Results can be published only after the deadline (" in sealed
    assert "and once the ballot box is opened" in sealed
    assert "Publish the results" not in sealed
    confirm = officer.get(path(campaign, "/publish"))
    text = visible(confirm.data)
    assert "Results can be published only after the deadline (2026-12-01 08:00)." in text
    assert "Publish now" not in text
    forced = hr_post(officer, path(campaign, "/publish"), {"confirmed": "yes", "appeal_days": "7"})
    assert forced.status_code == 409
    with fresh(app) as db:
        assert db.get(Campaign, campaign.id).published_at is None


def test_publishing_asks_for_confirmation_listing_who_will_be_notified(app, session, campaign, now):
    answer(session, campaign, now, "R1", "R2", "R4", "R5")
    bind_cadre_chat(session, "C1", 7_100_000_001)
    stand_at(app, AFTER)
    officer = hr_client(app, OFFICER, "pub.hr")
    before = visible(officer.get(path(campaign, "/publish")).data)
    assert "Results can be published only once the ballot box is opened." in before
    assert hr_post(officer, path(campaign, "/box/open"), {}, path(campaign)).status_code == 303

    overview = visible(officer.get(path(campaign)).data)
    assert "Publish the results…" in overview
    unconfirmed = hr_post(
        officer, path(campaign, "/publish"), {"appeal_days": "5", "publicity_until": ""},
        path(campaign),
    )  # fmt: skip
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["Location"].startswith(path(campaign, "/publish?"))
    with fresh(app) as db:
        assert db.get(Campaign, campaign.id).published_at is None
        assert db.exec(select(OutboxMessage)).all() == []

    confirm = officer.get(unconfirmed.headers["Location"])
    assert confirm.status_code == 200
    body = confirm.data.decode()
    rows = {
        cadre: visible(body[body.index(f'data-cadre="{cadre}"') :].split("</tr>")[0] + "</tr>")
        for cadre in ("C1", "C2")
    }
    assert "Telegram bot" in rows["C1"] and "王伟" in rows["C1"]
    assert "Not notified" in rows["C2"] and "李娜" in rows["C2"]
    text = visible(body)
    assert "1 of 2 cadres will be told by the bot" in text and "(5 days)" in text
    assert 'name="confirmed" value="yes"' in body and 'name="appeal_days" value="5"' in body

    confirmed = hr_post(
        officer, path(campaign, "/publish"),
        {"appeal_days": "5", "publicity_until": "", "confirmed": "yes"}, path(campaign),
    )  # fmt: skip
    assert confirmed.status_code == 303
    with fresh(app) as db:
        published = db.get(Campaign, campaign.id)
        assert published.published_at == AFTER and published.appeal_days == 5
        notices = db.exec(select(OutboxMessage).where(OutboxMessage.purpose == "result")).all()
        assert [notice.chat_id for notice in notices] == [7_100_000_001]
        assert db.exec(select(AuditEvent).where(AuditEvent.action == "publish")).one()
    after = visible(officer.get(path(campaign, "/publish")).data)
    assert "The results were published 2026-12-01 10:00." in after and "Publish now" not in after


def test_unreadable_publication_fields_on_the_confirmation_are_a_422(app, session, campaign, now):
    stand_at(app, AFTER)
    officer = hr_client(app, OFFICER)
    refused = officer.get(path(campaign, "/publish?appeal_days=abc"))
    assert refused.status_code == 422
    assert "whole number of days" in visible(refused.data)


# -- ledger and audit trail ------------------------------------------------------------------


def test_ledger_page_shows_the_verification_and_names_an_edited_ballot(app, session, campaign, now):
    officer = hr_client(app, OFFICER)
    sealed = visible(officer.get(path(campaign, "/ledger")).data)
    assert "Ledger: 0 ballots" in sealed and "still sealed" in sealed
    answer(session, campaign, now, "R1", "R2", "R4", "R5")
    stand_at(app, AFTER)
    assert log_in(officer, OFFICER).status_code == 303
    assert hr_post(officer, path(campaign, "/box/open"), {}, path(campaign)).status_code == 303
    with fresh(app) as db:
        responses = db.exec(select(Response)).all()
    page = visible(officer.get(path(campaign, "/ledger")).data)
    assert f"Ledger: {len(responses)} ballots" in page
    assert "Every ballot matches the ledger." in page
    assert "Every checkpoint was signed by this key." in page and "At the opening" in page
    with fresh(app) as db:
        changed = db.get(Response, responses[0].id)
        changed.vote = "incompetent" if changed.vote != "incompetent" else "excellent"
        db.add(changed)
        db.commit()
    tampered = visible(officer.get(path(campaign, "/ledger")).data)
    assert "edited:" in tampered and "Every ballot matches the ledger." not in tampered


def test_audit_trail_page_lists_every_step(app, session, campaign, now):
    stand_at(app, AFTER)
    officer = hr_client(app, OFFICER, "audit.hr")
    assert hr_post(officer, path(campaign, "/box/open"), {}, path(campaign)).status_code == 303
    page = visible(officer.get(path(campaign, "/audit")).data)
    assert "Audit trail" in page and "Ballot box opened" in page and "audit.hr" in page


def test_the_console_pages_speak_chinese(app, campaign):
    officer = hr_client(app, OFFICER)
    assert hr_post(officer, path(campaign, "/waves"), {"at": "2026-11-26T09:00"}).status_code == 303
    officer.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    english = re.compile(
        r"\b(Reminder waves|Progress|Ledger|Audit trail|Publish|Cancel|Refresh|"
        r"planned|by HR|Invited|Completed|Results|When|Signed|Plan)\b"
    )
    for page, words in [
        ("/waves", "提醒批次"),
        ("/progress", "进度"),
        ("/ledger", "账本"),
        ("/audit", "操作记录"),
        ("/publish", "公布"),
    ]:
        text = visible(officer.get(path(campaign, page)).data)
        assert words in text, page
        assert not english.findall(text), (page, english.findall(text))

"""``cadre waves`` and ``cadre campaign create``'s default waves, as HR runs them.

The commands run in-process against a SQLite file with the real clock, so
campaigns here are open around today; ``send-now`` talks to the fake Bot API.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from storage.models import Invitation, Rater, ReminderWave
from surveys.collection.chats import bind_chat, rater_payload, telegram_links
from tests.cli import CadreCli, local
from tests.factories import SECRET
from tests.fake_telegram import TOKEN, FakeTelegram

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cli(tmp_path) -> CadreCli:
    runner = CadreCli(tmp_path)
    runner.env["CADRE_QUIET_HOURS"] = "none"
    return runner


def open_campaign(cli: CadreCli) -> str:
    """A campaign that opened yesterday and closes in ten days (real time)."""
    today = datetime.now(UTC)
    return cli.create_campaign(
        opens=local(today - timedelta(days=1)), deadline=local(today + timedelta(days=10))
    )


def test_a_new_campaign_gets_its_template_waves(cli):
    start = datetime.now(UTC) + timedelta(days=2)
    output = cli(
        "campaign", "create", "--name", "2027年度考核", "--roster", cli.import_roster(),
        "--opens", local(start), "--deadline", local(start + timedelta(days=10)),
    ).output  # fmt: skip
    assert "Planned 4 reminder waves (see 'cadre waves list')." in output
    campaign_id = re.search(r"\b([0-9a-f]{32})\b", output).group(1)

    listing = cli("waves", "list", campaign_id).output.splitlines()
    assert len(listing) == 4
    assert all("template" in line and "planned" in line for line in listing)
    assert local(start) in listing[0]


def test_hr_adds_lists_and_cancels_a_wave(cli):
    campaign_id = open_campaign(cli)
    at = local(datetime.now(UTC) + timedelta(days=2))

    added = cli("waves", "add", campaign_id, "--at", at, "--message", "请尽快完成测评").output
    wave_id = re.search(r"Planned wave ([0-9a-f]{32}) for (.+)\.", added).group(1)
    assert f"for {at}." in added
    assert "请尽快完成测评" in cli("waves", "list", campaign_id).output

    cancelled = cli("waves", "cancel", wave_id[:8]).output
    assert f"Cancelled wave {wave_id}; 0 messages will not be sent." in cancelled
    assert "cancelled" in cli("waves", "list", campaign_id).output
    again = cli("waves", "cancel", wave_id, code=2)
    assert "this wave was already cancelled" in again.output


def test_quiet_hours_move_the_wave_and_say_so(cli):
    cli.env["CADRE_QUIET_HOURS"] = "22:00-08:00"
    campaign_id = open_campaign(cli)
    night = (datetime.now(ZONE) + timedelta(days=2)).replace(hour=23, minute=30)
    output = cli("waves", "add", campaign_id, "--at", night.strftime("%Y-%m-%d %H:%M")).output
    morning = (night + timedelta(days=1)).replace(hour=8, minute=0)
    assert f"for {morning:%Y-%m-%d %H:%M}." in output
    assert "Moved out of quiet hours (22:00-08:00)." in output
    assert f"(asked for {night:%Y-%m-%d %H:%M})" in cli("waves", "list", campaign_id).output


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2020-01-01 09:00", "that time has passed"),
        ("next year", "Cannot read the time next year"),
    ],
)
def test_bad_wave_times_are_refused_with_exit_code_2(cli, at, message):
    campaign_id = open_campaign(cli)
    assert message in cli("waves", "add", campaign_id, "--at", at, code=2).output
    assert "no campaign with id" in cli("waves", "list", "ffffffff", code=2).output


def test_waves_refuse_a_message_in_chinese_too(tmp_path):
    zh = CadreCli(tmp_path, locale="zh")
    campaign_id = open_campaign(zh)
    refused = zh("waves", "add", campaign_id, "--at", "2020-01-01 09:00", code=2)
    assert "该时间已过" in refused.output


def bind_every_rater(cli: CadreCli, campaign_id: str) -> dict[str, int]:
    """Each rater opens the bot's deep link (as /start would); chat ids by rater id."""
    chats = {}
    with cli.session() as session:
        from storage.models import Campaign

        campaign = session.get(Campaign, campaign_id)
        telegram_links(session=session, campaign=campaign, secret_key=SECRET, bot_username="b")
        rows = session.exec(
            select(Invitation, Rater)
            .join(Rater, Rater.id == Invitation.rater_id)
            .where(Invitation.campaign_id == campaign_id)
        ).all()
        for number, (invitation, rater) in enumerate(rows, start=1):
            payload = rater_payload(SECRET, invitation)
            bind_chat(session=session, payload=payload, chat_id=900 + number, now=datetime.now(UTC))
            chats[rater.external_id] = 900 + number
        session.commit()
    return chats


def test_send_now_shows_progress_and_status_counts_each_outcome(cli):
    campaign_id = open_campaign(cli)
    chats = bind_every_rater(cli, campaign_id)
    with FakeTelegram() as fake:
        fake.block(chats["R2"])
        cli.env |= {"CADRE_TELEGRAM_TOKEN": TOKEN, "CADRE_TELEGRAM_API_URL": fake.url}

        output = cli("waves", "send-now", campaign_id).output

        assert sorted(m["chat_id"] for m in fake.messages) == sorted(
            chat for rater, chat in chats.items() if rater != "R2"
        )
    assert output.splitlines()[0] == "Sending"  # the bar itself is drawn only on a terminal
    header, row = output.splitlines()[-2:]
    assert header.split("  ") == [
        "wave", "sends at", "status", "planned", "sent", "skipped (completed)",
        "unreachable", "failed", "uncertain", "waiting",
    ]  # fmt: skip
    assert row.split("  ")[2:] == [
        "done",
        str(len(chats)),
        str(len(chats) - 1),
        "0",
        "1",
        "0",
        "0",
        "0",
    ]
    assert row in cli("waves", "status", campaign_id).output.splitlines()  # beside template waves
    with cli.session() as session:
        origins = session.exec(select(ReminderWave.origin)).all()
    assert sorted(origins) == ["now", "template", "template", "template"]


def test_send_now_without_a_bot_token_explains_what_to_set(cli):
    campaign_id = open_campaign(cli)
    output = cli("waves", "send-now", campaign_id, code=2).output
    assert "Set CADRE_TELEGRAM_TOKEN" in output


@pytest.mark.skipif(
    shutil.which("script") is None, reason="needs util-linux 'script' for a terminal"
)
def test_send_now_draws_a_progress_bar_on_a_terminal(cli):
    campaign_id = open_campaign(cli)
    chats = bind_every_rater(cli, campaign_id)
    cadre = Path(sys.executable).with_name("cadre")
    with FakeTelegram() as fake:
        env = os.environ | {k: v for k, v in cli.env.items() if v is not None}
        env |= {"CADRE_TELEGRAM_TOKEN": TOKEN, "CADRE_TELEGRAM_API_URL": fake.url, "COLUMNS": "100"}
        env.pop("CADRE_DATABASE_URL", None)
        command = f"{shlex.quote(str(cadre))} waves send-now {campaign_id}"
        finished = subprocess.run(
            ["script", "-qec", command, "/dev/null"], env=env, capture_output=True, timeout=60
        )
        assert len(fake.messages) == len(chats)
    screen = finished.stdout.decode()
    assert finished.returncode == 0, screen
    assert re.search(rf"Sending\s+\[#+\]\s+{len(chats)}/{len(chats)}", screen), screen

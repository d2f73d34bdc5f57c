"""``cadre bot`` and the Telegram options of the invitation commands, as HR runs them."""

from __future__ import annotations

import csv
import io
import re

import pytest
from click.testing import CliRunner

from cadre.cli import cli
from tests.cli import CadreCli, pdf_pages

PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@pytest.fixture
def cadre(tmp_path) -> CadreCli:
    """The real command with its own data folder and a bot username."""
    runner = CadreCli(tmp_path)
    runner.env["CADRE_TELEGRAM_BOT"] = "kaohe_bot"
    return runner


def rows(text: str) -> list[dict[str, str]]:
    """CSV text (with or without a byte order mark) as dicts."""
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_telegram_links_are_stable_deep_links_with_short_payloads(cadre):
    campaign = cadre.create_campaign()
    first = rows(cadre("invitations", "export", campaign, "--telegram").output)
    again = rows(cadre("invitations", "export", campaign, "--telegram").output)
    assert [row["rater_id"] for row in first] == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert first == again
    web = rows(cadre("invitations", "export", campaign).output)
    for row, web_row in zip(first, web, strict=True):
        prefix, payload = row["link"].split("?start=")
        assert prefix == "https://t.me/kaohe_bot"
        assert PAYLOAD.match(payload) and payload.startswith("r")
        assert web_row["link"].rsplit("/", 1)[1] not in payload  # not the form token


def test_telegram_links_need_the_bot_username(cadre):
    campaign = cadre.create_campaign()
    del cadre.env["CADRE_TELEGRAM_BOT"]
    result = cadre("invitations", "export", campaign, "--telegram", code=2)
    assert "CADRE_TELEGRAM_BOT" in result.output


def test_telegram_qr_cards_and_cadre_links(cadre, tmp_path):
    campaign = cadre.create_campaign()
    cadre("invitations", "qr", campaign, "--telegram", "--out", str(tmp_path / "raters.pdf"))
    assert pdf_pages((tmp_path / "raters.pdf").read_bytes()) == 1
    out = tmp_path / "cadres.csv"
    cadre("bot", "cadre-links", campaign, "--out", str(out), "--qr", str(tmp_path / "qr"))
    cadres = rows(out.read_text(encoding="utf-8"))
    assert [(row["cadre_id"], row["name"]) for row in cadres] == [("C1", "王伟"), ("C2", "李娜")]
    assert all(row["link"].startswith("https://t.me/kaohe_bot?start=c") for row in cadres)
    assert len(list((tmp_path / "qr").glob("*.png"))) == 2
    again = rows(cadre("bot", "cadre-links", campaign).output)
    assert [row["link"] for row in again] == [row["link"] for row in cadres]


def test_console_answers_a_question_by_button_number(cadre):
    campaign = cadre.create_campaign()
    link = rows(cadre("invitations", "export", campaign, "--telegram").output)[1]["link"]
    payload = link.split("?start=")[1]
    script = f"/start {payload}\n1\n1\n/pending\n/quit\n"
    result = CliRunner().invoke(
        cli, ["bot", "console", "--language", "en"], env=cadre.env, input=script
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "This chat is now linked to your evaluation in 2026年度考核." in out
    assert "[1] Answer here" in out
    assert "Cadre 1 of 1 · question 1 of 9" in out
    assert "Answered 1 of 9" in out
    assert "[1] Continue here" in out


def test_bot_run_needs_a_token(cadre):
    result = cadre("bot", "run", code=2)
    assert "CADRE_TELEGRAM_TOKEN" in result.output


def test_results_are_published_only_after_the_deadline(cadre):
    campaign = cadre.create_campaign()
    result = cadre("results", "publish", campaign, code=2)
    assert "only after the deadline" in result.output


def test_publishing_a_closed_campaign_once(cadre):
    campaign = cadre.create_closed_campaign()
    sealed = cadre("results", "publish", campaign, code=2).output
    assert "only once the ballot box is opened" in sealed
    assert "Opened the ballot box: 0 ballots, 0 responses." in cadre("box", "open", campaign).output
    assert "Published the results of 2025年度考核." in cadre("results", "publish", campaign).output
    again = cadre("results", "publish", campaign).output
    assert "were already published" in again


@pytest.mark.parametrize("runtime", ["ptb", "aiogram"])
def test_cadre_bot_run_polls_a_self_hosted_bot_api_server(tmp_path, runtime):
    """The real command, as a process: settings reach the runtime, an update gets its reply."""
    import os
    import signal
    import subprocess
    import sys

    from tests.fake_telegram import TOKEN, FakeTelegram, message_update

    with FakeTelegram() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env |= {
            "CADRE_DATA_DIR": str(tmp_path),
            "CADRE_LOCALE": "en",
            "CADRE_TELEGRAM_TOKEN": TOKEN,
            "CADRE_TELEGRAM_API_URL": fake.url,
            "PTB_TIMEDELTA": "true",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "cadre", "bot", "run", "--runtime", runtime],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            fake.push_update(message_update(fake.next_update_id(), chat_id=77, text="/help"))
            assert fake.wait_for(lambda: fake.sent_to(77), timeout=90), process.poll()
            assert "/pending" in fake.last(77)["text"]
            assert fake.commands.get("zh")  # the command menu was registered in Chinese
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert TOKEN not in errors  # the token never reaches the log

"""The deployment as ``deploy/`` ships it, under a morning rush of 1,000 phones.

Debian's nginx (unprivileged, a prefix of its own, a self-signed certificate
made here) terminates TLS in front of two ``cadre serve --no-scheduler``
processes on one PostgreSQL database, with two ``cadre scheduler run`` and
a ``cadre bot run --webhook`` beside them; its configuration is rendered from the very templates in
``deploy/nginx`` by ``deploy/render.py``.  1,000 phones (``bench/rush.py``)
arrive, open their link and form over HTTPS, keep their connection idle
while they "read", then submit all at once.  Checked the attacker's way:

* no 5xx, refused or dropped connection, and every phone acknowledged;
* both web processes served (each holds its own database sessions);
* every token is accepted exactly once across both processes: each used
  form posted again straight to each process is refused with a 4xx, and
  100 further forms posted to both processes at the same moment are taken
  by exactly one of them;
* the sealed box holds exactly one ballot per acknowledgement, and opening
  it yields one response per cadre of every acknowledged form;
* exactly one scheduler process leads (the PostgreSQL advisory lock);
* ``cadre bot run --webhook`` behind the same proxy registers its HTTPS
  address, refuses an update without Telegram's secret header and answers
  one with it (a fake Bot API stands in for Telegram).

No timing is asserted: this machine's speed is not the product's behaviour
(``bench/rush.py`` prints the figures).  The test is skipped with a reason
when nginx or PostgreSQL is missing, except under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.leader import ADVISORY_KEY
from tests.databases import postgres_database
from tests.fake_telegram import TOKEN, message_update

RUSH = Path(__file__).resolve().parent.parent / "bench" / "rush.py"
WEBHOOK_SECRET = "stack-webhook-secret_0123456789"

PHONES = 1000
RACES = 100
CADRES = 200  # cadres per roster: about 1,100 raters, so two campaigns hold the tokens


def load_rush():
    """``bench/rush.py`` (it loads ``bench/ballots.py`` and ``deploy/render.py`` itself)."""
    if "bench_rush" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_rush", RUSH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_rush"]


@pytest.fixture(scope="module")
def bench_rush():
    module = load_rush()
    if module.nginx_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing in CI (python3 tasks.py test installs Debian's nginx)")
        pytest.skip("nginx is not installed (Debian package 'nginx'; tasks.py test installs it)")
    return module


async def post_everywhere(bench_rush, ports: list[int], phones) -> list[list[tuple[int, str]]]:
    """Each phone's filled form POSTed straight to every web process, all at the same moment."""
    import aiohttp

    limit = asyncio.Semaphore(50)
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(),
        connector=aiohttp.TCPConnector(limit=100),
        timeout=aiohttp.ClientTimeout(total=120),
    ) as session:

        async def one(port: int, phone) -> tuple[int, str]:
            async with limit:
                try:
                    return await bench_rush.post_form(
                        session, f"http://127.0.0.1:{port}{bench_rush.FORM_PATH}", phone
                    )
                except (aiohttp.ClientError, TimeoutError) as error:
                    return 0, f"{error.__class__.__name__}: {error}"

        async def both(phone) -> list[tuple[int, str]]:
            return list(await asyncio.gather(*(one(port, phone) for port in ports)))

        return list(await asyncio.gather(*(both(phone) for phone in phones)))


async def open_forms(bench_rush, base: str, certificate, tokens: list[str]):
    """Open forms through the proxy (each phone its own connection); return the filled phones."""
    context = bench_rush.tls_context(certificate)
    trace = bench_rush.Connections()
    phones = [bench_rush.Phone(token) for token in tokens]

    async def one(index: int, phone) -> None:
        async with bench_rush.phone_session(context, trace) as session:
            await bench_rush.open_link(session, base, phone, random.Random(index))

    await asyncio.gather(*(one(index, phone) for index, phone in enumerate(phones)))
    return phones


def telegram_posts(stack, update: dict, secret: str | None) -> int:
    """POST an update to the bot's webhook through nginx over HTTPS, as Telegram does."""
    import json
    import ssl
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"{stack.base_url}/telegram/webhook", json.dumps(update).encode(), headers, method="POST"
    )
    context = ssl.create_default_context(cafile=str(stack.folder / "tls.pem"))
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        refused.close()
        return refused.code


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_thousand_phones_through_nginx_and_two_web_processes(
    bench_rush, tmp_path, fake_telegram, request
):
    with postgres_database() as url:
        engine, world = bench_rush.build(url, PHONES + RACES, CADRES, tmp_path, seed=1)
        request.addfinalizer(engine.dispose)  # also when an assertion below fails
        rush_tokens, race_tokens = world.tokens[:PHONES], world.tokens[PHONES:]
        assert len(race_tokens) == RACES
        with bench_rush.running_stack(tmp_path, url, web=2, threads=8, schedulers=2) as stack:
            # The bot's webhook through the proxy: registered at the public HTTPS address,
            # refused without Telegram's secret header, answered with it.
            stack.start_bot(fake_telegram.url, TOKEN, WEBHOOK_SECRET)
            assert fake_telegram.wait_for(lambda: fake_telegram.webhook is not None, 60)
            assert fake_telegram.webhook["url"] == f"{stack.base_url}/telegram/webhook"
            help_update = message_update(1, chat_id=42, text="/help")
            assert telegram_posts(stack, help_update, None) in (401, 403)
            assert telegram_posts(stack, help_update, WEBHOOK_SECRET) == 200
            assert fake_telegram.wait_for(lambda: fake_telegram.sent_to(42), 60), stack.report()

            result = bench_rush.rush_in_loop(
                stack.base_url, tmp_path / "tls.pem", rush_tokens, ramp=15.0, think=2.0,
                rate=0.0, seed=1,
            )  # fmt: skip
            report = stack.report()
            assert result.errors == [], f"{result.errors[:5]}\n{report}"
            assert len(result.acknowledged) == PHONES
            # All phones idled at once, newcomers were answered meanwhile, and every phone
            # came back to the connection it had left open.
            assert result.peak_idle == PHONES
            assert len(result.newcomers) == 20
            assert result.held == PHONES, report

            with engine.connect() as connection:
                sessions = dict(
                    connection.execute(
                        sa.text(
                            "SELECT application_name, count(*) FROM pg_stat_activity "
                            "WHERE application_name LIKE 'cadre-web%' GROUP BY 1"
                        )
                    ).all()
                )
            assert set(sessions) == {"cadre-web1", "cadre-web2"}, sessions

            # A used form, sent again to each process: a clear refusal, never a 5xx or a 303.
            again = asyncio.run(post_everywhere(bench_rush, stack.web_ports, result.phones))
            statuses = {status for answers in again for status, _ in answers}
            assert all(400 <= status < 500 for status in statuses), (statuses, again[:3])

            # Fresh forms sent to both processes at once: exactly one of each pair accepted.
            racers = asyncio.run(
                open_forms(bench_rush, stack.base_url, tmp_path / "tls.pem", race_tokens)
            )
            # A rater takes longer than this to answer; the CSRF token's timestamp (whole
            # seconds) is then in the past on both processes' clocks, whatever their skew.
            time.sleep(1.5)
            raced = asyncio.run(post_everywhere(bench_rush, stack.web_ports, racers))
            for answers in raced:
                taken = [bench_rush.accepted(*answer) for answer in answers]
                assert taken.count(True) == 1, answers
                refused = [status for (status, _), ok in zip(answers, taken, strict=True) if not ok]
                assert all(400 <= status < 500 for status in refused), answers
            for phone in racers:
                phone.acknowledged = True

            assert wait_for(lambda: bench_rush.leaders(stack), 30), stack.report()
            time.sleep(2)  # the standby has had two more tries (failover every second)
            assert len(bench_rush.leaders(stack)) == 1, stack.report()
            with engine.connect() as connection:
                locks = connection.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND ((classid::bigint << 32) | objid::bigint) = :key AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"key": ADVISORY_KEY},
                ).scalar()
            assert locks == 1  # in this database: another test run's stack may share the server

        with engine.connect() as connection:
            sealed = connection.execute(sa.text("SELECT count(*) FROM sealedballot")).scalar()
        assert sealed == PHONES + RACES
        everyone = bench_rush.Rush(result.phones + racers, 0.0)
        stored_ok, note = bench_rush.check(engine, world, everyone, tmp_path)
        assert stored_ok, note
        engine.dispose()

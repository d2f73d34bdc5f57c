"""The scheduler role as real processes: killed, stopped and taken over in the middle of a wave.

Each test runs ``cadre scheduler run`` in child processes, with the real
clock, against a fake Bot API on loopback, and reads the outbox afterwards.
What must hold:

* SIGKILL mid-wave, then a restart: no chat gets the reminder twice.  The
  rows the kill cut off in flight (at most the sender's concurrency) become
  uncertain and are never resent: they are the only recipients who may miss
  out, and every recipient the server did not reach has such a row.
* SIGTERM mid-wave, then a restart: every recipient exactly once, nothing
  uncertain, the wave done.
* Two processes on one PostgreSQL database: one leads and sends each message
  once; when the leader is killed, the other takes the lead and finishes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.runtime import SchedulerConfig
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import OutboxMessage, ReminderWave
from surveys.setup.reminders import QuietHours, add_wave
from tests.factories import SECRET
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.wave_world import BASE_URL, build_wave_world

RECIPIENTS = 120
RATE = 40  # messages per second: a wave takes about three seconds
CONCURRENCY = SchedulerConfig(secret_key=SECRET, base_url=BASE_URL).concurrency
LEADS = "this process leads the scheduler role"
TIMEOUT = 30.0


class SchedulerProcess:
    """One ``cadre scheduler run`` child process, its output (INFO log) in a file."""

    def __init__(self, name: str, env: dict[str, str], folder: Path):
        self.name = name
        self.log_path = folder / f"scheduler-{name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cadre", "scheduler", "run"],
                env=env,
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 25) -> str:
        """The log's last lines, without the HTTP client's line per request (only counted)."""
        everything = self.log().splitlines()
        requests = [line for line in everything if " httpx " in line]
        text = "\n".join([line for line in everything if " httpx " not in line][-lines:])
        state = "running" if self.alive() else f"exited {self.process.returncode}"
        return (
            f"--- scheduler {self.name} ({state}; {len(requests)} Bot API requests logged), "
            f"last lines ---\n{text}"
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def leads(self) -> bool:
        return LEADS in self.log()

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: the process holds its connections but does nothing until ``resume``."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as systemd stops it; wait for a clean exit and return its code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"scheduler {self.name} ignored SIGTERM for {timeout}s\n{self.tail()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


class Site:
    """A database with a campaign open right now, the fake Bot API, and scheduler processes."""

    def __init__(self, url: str, fake: FakeTelegram, folder: Path):
        self.url = url
        self.fake = fake
        self.folder = folder
        self.processes: list[SchedulerProcess] = []
        self.engine = make_engine(url)
        upgrade(self.engine)
        now = datetime.now(UTC)
        self.world = build_wave_world(
            self.engine, fake, now, raters=RECIPIENTS,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10),
        )  # fmt: skip
        self.engine.dispose()

    def application_name(self, name: str) -> str:
        """How PostgreSQL names one process's connections (``pg_stat_activity``)."""
        return f"cadre-scheduler-{name}"

    def env(self, name: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CADRE_")}
        url = self.url
        if self.engine.dialect.name == "postgresql":
            url += f"?application_name={self.application_name(name)}"
        return env | {
            "CADRE_DATABASE_URL": url,
            "CADRE_DATA_DIR": str(self.folder / "data"),
            "CADRE_LOCALE": "en",
            "CADRE_SECRET_KEY": SECRET,
            "CADRE_BASE_URL": BASE_URL,
            "CADRE_TELEGRAM_TOKEN": TOKEN,
            "CADRE_TELEGRAM_API_URL": self.fake.url,
            "CADRE_REMINDER_RATE": str(RATE),
            "CADRE_QUIET_HOURS": "none",
            "CADRE_SCHEDULER_SYNC_SECONDS": "1",
            "CADRE_SCHEDULER_FAILOVER_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, name: str) -> SchedulerProcess:
        process = SchedulerProcess(name, self.env(name), self.folder)
        self.processes.append(process)
        return process

    def kill(self, process: SchedulerProcess) -> None:
        """SIGKILL a process; on PostgreSQL, also wait until the server has ended its sessions.

        A claim whose COMMIT reached the server just before the kill still
        lands after the process is gone; only then is the outbox what the
        kill left behind.
        """
        if self.engine.dialect.name != "postgresql":
            process.kill()
            return
        query = sa.text(  # this test's database only: another run may share the server
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = :name AND datname = current_database()"
        )

        def sessions() -> int:
            with self.engine.connect() as connection:
                name = self.application_name(process.name)
                return connection.execute(query, {"name": name}).scalar()

        assert sessions() > 0, f"no database session is named after {process.name}"
        process.kill()
        self.wait_until(
            lambda: sessions() == 0, f"end of the killed {process.name}'s database sessions"
        )

    def close(self) -> None:
        for process in self.processes:
            process.close()
        self.engine.dispose()

    def plan_wave(self, words: str) -> str:
        """A wave due now, in HR's own words (to tell its messages from another wave's)."""
        now = datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as session:
            wave = add_wave(
                session=session, campaign=self.world.campaign(session), at=now, now=now,
                quiet=QuietHours.parse("none"), message=words,
            )  # fmt: skip
            session.commit()
            return wave.id

    def received(self, words: str) -> Counter[int]:
        """Messages of one wave each chat received."""
        return Counter(
            message["chat_id"]
            for message in list(self.fake.messages)
            if words in (message.get("text") or "")
        )

    def delivered(self, words: str) -> int:
        return sum(self.received(words).values())

    def outbox(self, wave_id: str) -> dict[int, str]:
        """Chat → state of the wave's outbox rows."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(OutboxMessage.chat_id, OutboxMessage.state).where(
                    OutboxMessage.wave_id == wave_id
                )
            ).all()
        assert len(rows) == len({chat for chat, _ in rows}), "two rows of a wave share a chat"
        return dict(rows)

    def status(self, wave_id: str) -> str:
        with Session(self.engine) as session:
            return session.get(ReminderWave, wave_id).status

    def report(self) -> str:
        """What to show when something goes wrong: counts and every process's log tail."""
        tails = "\n".join(process.tail() for process in self.processes)
        return f"fake Bot API got {len(self.fake.messages)} messages\n{tails}"

    def wait_until(
        self,
        condition: Callable[[], bool],
        what: str,
        *,
        alive: tuple[SchedulerProcess, ...] = (),
        timeout: float = TIMEOUT,
    ) -> None:
        """Poll until ``condition()``; fail early if a process in ``alive`` exits."""
        deadline = time.monotonic() + timeout
        while not condition():
            for process in alive:
                if not process.alive():
                    pytest.fail(
                        f"scheduler {process.name} exited while waiting for {what}\n"
                        + self.report()
                    )
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} after {timeout}s\n{self.report()}")
            time.sleep(0.05)

    def mid_wave(self, words: str, *alive: SchedulerProcess) -> int:
        """Wait until a third of the wave has gone out; return how much had at that moment."""
        self.wait_until(
            lambda: self.delivered(words) >= RECIPIENTS // 3,
            f"third of the wave {words!r} delivered",
            alive=alive,
        )
        return self.delivered(words)


def open_site(url: str, folder: Path) -> Iterator[Site]:
    # Answers 0.1 s late, like a real network: several reminders are always in flight.
    with FakeTelegram(limit_per_second=3 * RATE, latency=0.1) as fake:
        site = Site(url, fake, folder)
        try:
            yield site
        finally:
            site.close()


@pytest.fixture
def site(database_url, tmp_path) -> Iterator[Site]:
    """A site on SQLite, and once more on PostgreSQL."""
    yield from open_site(database_url, tmp_path)


@pytest.fixture
def pg_site(postgres_url, tmp_path) -> Iterator[Site]:
    """A site on PostgreSQL, where several scheduler processes may share the database."""
    yield from open_site(postgres_url, tmp_path)


def check_at_most_once(site: Site, wave_id: str, words: str, cut_off: set[int]) -> None:
    """No chat twice; sent rows arrived once; only the cut-off rows are uncertain and may miss."""
    rows = site.outbox(wave_id)
    received = site.received(words)
    context = f"\n{site.report()}"
    assert len(rows) == RECIPIENTS, f"{len(rows)} outbox rows for {RECIPIENTS} recipients"
    twice = {chat: count for chat, count in received.items() if count > 1}
    assert not twice, f"chats that got the reminder more than once: {twice}{context}"
    strangers = set(received) - set(rows)
    assert not strangers, f"messages to chats outside the wave: {strangers}{context}"
    states = Counter(rows.values())
    assert set(states) <= {"sent", "uncertain"}, f"rows left unsettled: {states}{context}"
    uncertain = {chat for chat, state in rows.items() if state == "uncertain"}
    assert uncertain == cut_off, (
        f"uncertain rows {sorted(uncertain)} are not the rows in flight at the kill "
        f"{sorted(cut_off)}{context}"
    )
    assert len(uncertain) <= CONCURRENCY, (
        f"{len(uncertain)} rows uncertain after one kill, more than the sender's "
        f"concurrency of {CONCURRENCY}{context}"
    )
    unsent = {chat for chat, state in rows.items() if state == "sent" and received[chat] != 1}
    assert not unsent, f"rows marked sent that the server never got: {unsent}{context}"
    missed = {chat for chat in rows if received[chat] == 0}
    assert missed <= uncertain, f"recipients missed without an uncertain row: {missed}{context}"


def assert_each_reminded_once(site: Site, wave_id: str, words: str) -> None:
    """Every outbox row sent, and every recipient got exactly one message."""
    rows = site.outbox(wave_id)
    assert Counter(rows.values()) == {"sent": RECIPIENTS}, site.report()
    assert site.received(words) == dict.fromkeys(rows, 1), (
        f"not every recipient got the reminder exactly once\n{site.report()}"
    )


def sending(site: Site, wave_id: str) -> set[int]:
    """Chats whose rows are claimed (sending) right now."""
    return {chat for chat, state in site.outbox(wave_id).items() if state == "sending"}


def test_a_scheduler_killed_mid_wave_never_sends_a_reminder_twice(site):
    words = "Reminder: killed mid-wave"
    wave_id = site.plan_wave(words)
    first = site.start("first")
    at_kill = site.mid_wave(words, first)
    site.kill(first)

    assert at_kill < RECIPIENTS, f"the wave was over before the kill\n{site.report()}"
    cut_off = sending(site, wave_id)
    assert cut_off, (
        f"the kill cut no row off in flight: the crash path went untested\n{site.report()}"
    )
    assert site.status(wave_id) == "sending"

    second = site.start("second")
    site.wait_until(
        lambda: site.status(wave_id) == "done", "end of the wave after the restart", alive=(second,)
    )
    assert second.stop() == 0, second.tail()

    check_at_most_once(site, wave_id, words, cut_off)
    assert site.delivered(words) >= RECIPIENTS - len(cut_off)


def test_a_scheduler_stopped_mid_wave_resumes_with_each_reminder_exactly_once(site):
    words = "Reminder: stopped mid-wave"
    wave_id = site.plan_wave(words)
    first = site.start("first")
    site.mid_wave(words, first)
    assert first.stop() == 0, first.tail()

    rows = site.outbox(wave_id)
    states = Counter(rows.values())
    assert states["sending"] == 0, f"a graceful stop left claimed rows: {states}\n{site.report()}"
    assert states["uncertain"] == 0, f"a graceful stop made rows uncertain: {states}"
    assert 0 < states["planned"] < RECIPIENTS, f"the stop did not come mid-wave: {states}"
    received = site.received(words)
    assert {chat for chat, state in rows.items() if state == "sent"} == set(received), (
        "the rows marked sent are not the chats the server got before the stop"
    )
    assert site.status(wave_id) == "sending"

    second = site.start("second")
    site.wait_until(
        lambda: site.status(wave_id) == "done", "end of the wave after the restart", alive=(second,)
    )
    assert second.stop() == 0, second.tail()

    assert_each_reminded_once(site, wave_id, words)


@pytest.mark.postgres
def test_two_schedulers_on_one_database_send_each_reminder_once(pg_site):
    site = pg_site
    words = "Reminder: two schedulers"
    wave_id = site.plan_wave(words)
    one, two = site.start("one"), site.start("two")
    site.wait_until(lambda: site.status(wave_id) == "done", "end of the wave", alive=(one, two))

    leaders = [process.name for process in (one, two) if process.leads()]
    assert len(leaders) == 1, f"leaders: {leaders}\n{site.report()}"
    assert one.stop() == 0 and two.stop() == 0, site.report()
    assert_each_reminded_once(site, wave_id, words)


@pytest.mark.postgres
def test_when_the_leader_is_killed_the_standby_finishes_the_wave(pg_site):
    site = pg_site
    words = "Reminder: leader killed"
    wave_id = site.plan_wave(words)
    one, two = site.start("one"), site.start("two")
    at_kill = site.mid_wave(words, one, two)
    leaders = [process for process in (one, two) if process.leads()]
    assert len(leaders) == 1, f"leaders: {[p.name for p in leaders]}\n{site.report()}"
    leader = leaders[0]
    standby = two if leader is one else one
    standby.pause()  # so it cannot take over before the test has seen what the kill left
    site.kill(leader)
    cut_off = sending(site, wave_id)
    standby.resume()

    assert at_kill < RECIPIENTS, f"the wave was over before the kill\n{site.report()}"
    assert cut_off, f"the kill cut no row off in flight\n{site.report()}"

    site.wait_until(
        lambda: site.status(wave_id) == "done",
        f"end of the wave by the standby {standby.name}",
        alive=(standby,),
    )
    assert standby.leads(), f"the wave ended but {standby.name} never led\n{site.report()}"
    assert standby.stop() == 0, standby.tail()

    check_at_most_once(site, wave_id, words, cut_off)
    assert site.delivered(words) >= RECIPIENTS - len(cut_off)

"""Faults while opening the box: a SIGKILL half-way leaves the sealed box whole, never half.

``cadre box open`` runs as a child process on a database holding a few
thousand sealed ballots.  The test waits until the opening's transaction is
under way (on SQLite the WAL grows with its pages; on PostgreSQL the
child's connection is inside a transaction while it decrypts) and kills
the process then, with SIGKILL: no chance to clean up.  The database must
still hold every sealed ballot and no response; opening again must then
store every ballot exactly once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
from sqlmodel import Session, func, select

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Campaign, LedgerCheckpoint, LedgerLeaf, Response, SealedBallot
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from surveys.sealing.ballot_box import key_file
from tests.factories import BOX_KEYS, SECRET, make_campaign, roster_rows, tokens

RATERS = 2500
CADRES = 25


def crowded_box(folder, url: str) -> str:
    """A campaign whose box holds RATERS sealed ballots, its key where ``cadre`` looks.

    ``cadre box open`` reads the real clock: the campaign closed an hour ago.
    """
    closes = datetime.now(UTC) - timedelta(hours=1)
    now = closes - timedelta(days=1)
    cadres = [
        {"id": f"C{n}", "name": f"干部{n}", "unit": "局", "post": "科长"} for n in range(CADRES)
    ]
    raters = [{"id": f"R{n}", "name": f"人{n}", "phone": "", "telegram": ""} for n in range(RATERS)]
    links = [(f"R{n}", f"C{n % CADRES}", "subordinate") for n in range(RATERS)]
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(
            session, now=now, rows=roster_rows(cadres, raters, links), opens_at=now,
            closes_at=closes,
        )  # fmt: skip
        for token in tokens(session, campaign).values():
            form = open_ballot(session=session, token=token, now=now)
            section = form.sections[0]
            items = {i.key: "good" for d in section.dimensions for i in d.items}
            answers = {section.cadre.id: CadreAnswers(items=items, vote="competent")}
            submit_ballot(session=session, token=token, answers=answers, now=now)
        session.commit()
    engine.dispose()
    (folder / "box-keys").mkdir()
    shutil.copy(key_file(BOX_KEYS, campaign.id), key_file(folder / "box-keys", campaign.id))
    return campaign.id


def counts(url: str) -> tuple[int, int, int, bool]:
    """(sealed ballots, responses, ledger leaves, opened) as the database holds them now."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            opened = session.exec(select(Campaign.box_opened_at)).one() is not None
            return (
                session.exec(select(func.count()).select_from(SealedBallot)).one(),
                session.exec(select(func.count()).select_from(Response)).one(),
                session.exec(select(func.count()).select_from(LedgerLeaf)).one(),
                opened,
            )
    finally:
        engine.dispose()


def open_command(folder, url: str, campaign_id: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CADRE_")}
    env |= {"CADRE_DATA_DIR": str(folder), "CADRE_LOCALE": "en", "CADRE_SECRET_KEY": SECRET,
            "CADRE_DATABASE_URL": url}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "cadre", "box", "open", campaign_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def opening_under_way(url: str, wal, before: int) -> bool:
    """Whether the child's opening transaction has begun and not ended."""
    if url.startswith("sqlite"):
        return wal.exists() and wal.stat().st_size > before + 64 * 1024
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as watcher:
        # The opening's first statement claims the campaign row (an UPDATE): from then
        # until its commit the child holds a row-exclusive lock on the campaign table.
        busy = watcher.execute(
            "SELECT count(*) FROM pg_locks WHERE pid <> pg_backend_pid()"
            " AND relation = 'campaign'::regclass AND mode = 'RowExclusiveLock'"
        ).fetchone()[0]
    return busy > 0


def test_sigkill_while_opening_leaves_the_box_sealed_and_a_restart_opens_it_once(
    tmp_path, database_url
):
    url = database_url
    campaign_id = crowded_box(tmp_path, url)
    assert counts(url) == (RATERS, 0, 0, False)
    wal = tmp_path / "cadre.db-wal"
    before = wal.stat().st_size if wal.exists() else 0
    process = open_command(tmp_path, url, campaign_id)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if opening_under_way(url, wal, before):
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, output  # killed mid-opening, not finished
    if not url.startswith("sqlite"):
        time.sleep(0.5)  # the server notices the dropped connection and rolls back
    assert counts(url) == (RATERS, 0, 0, False)  # all still sealed: nothing half done

    again = open_command(tmp_path, url, campaign_id)
    output, _ = again.communicate(timeout=300)
    assert again.returncode == 0, output
    assert f"{RATERS} ballots, {RATERS} responses" in output
    assert counts(url) == (0, RATERS, RATERS, True)
    third = open_command(tmp_path, url, campaign_id)
    output, _ = third.communicate(timeout=60)
    assert third.returncode == 2 and "already been opened" in output
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.exec(select(LedgerCheckpoint.kind)).all() == ["close"]
    engine.dispose()
    assert not key_file(tmp_path / "box-keys", campaign_id).exists()
    if url.startswith("sqlite"):
        assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated

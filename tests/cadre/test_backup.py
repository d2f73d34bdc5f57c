"""``cadre backup``: a consistent copy while the database is in use."""

from __future__ import annotations

import sqlite3
import subprocess
import threading

import pytest
from sqlmodel import Session

from storage.backup import backup
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Campaign
from surveys.collection.ballots import submit_ballot
from tests.cli import OPEN_DURING, CadreCli
from tests.factories import complete_answers, make_campaign, tokens

DURING = OPEN_DURING  # inside the CLI campaign's window


def test_backup_of_sqlite_while_ballots_arrive(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id = cadre.create_campaign()
    stop = threading.Event()

    def keep_writing() -> None:
        with cadre.session() as session:
            campaign = session.get(Campaign, campaign_id)
            for token in tokens(session, campaign).values():
                if stop.is_set():
                    return
                answers = complete_answers(session, token, DURING)
                submit_ballot(session=session, token=token, answers=answers, now=DURING)
                session.commit()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    out = tmp_path / "copy.db"
    result = cadre("backup", str(out))
    stop.set()
    writer.join(timeout=60)
    assert "Backed up the database to" in result.output
    with sqlite3.connect(out) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM invitation").fetchone() == (6,)
        completed = copy.execute(
            "SELECT count(*) FROM invitation WHERE status = 'completed'"
        ).fetchone()[0]
        rows = copy.execute("SELECT count(*) FROM sealedballot").fetchone()[0]
    copy.close()
    assert (completed == 0) == (rows == 0)  # a snapshot: ballots and tokens together
    again = cadre("backup", str(out), code=2)
    assert "already exists" in again.output


@pytest.mark.postgres
def test_backup_of_postgresql_is_a_restorable_dump(postgres_url, now, tmp_path):
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            make_campaign(session, now=now)
        target = tmp_path / "cadre.dump"
        backup(engine, target)
    finally:
        engine.dispose()
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE public response" in listing and "TABLE DATA public invitation" in listing

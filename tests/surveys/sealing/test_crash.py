"""Durability: kill the server with SIGKILL in the middle of a burst of submissions.

Every ballot that got its thank-you page must be stored whole, none may be
half stored, and the ledger must verify once the box is opened.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, func, select

from storage.engine import make_engine
from storage.models import Assignment, Campaign, Invitation, Response, SealedBallot
from surveys.results.opening import open_with_key_file
from surveys.sealing.ballot_ledger import verify_campaign
from tests.cadre.test_serve import free_port
from tests.factories import SECRET
from tests.web import parse


def cadre_env(folder) -> dict[str, str]:
    """The environment of a fresh install in ``folder``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CADRE_")}
    return env | {"CADRE_DATA_DIR": str(folder), "CADRE_LOCALE": "en", "CADRE_SECRET_KEY": SECRET}


def start_server(folder, port: int) -> subprocess.Popen:
    """``cadre serve --demo`` in a child process, once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cadre", "serve", "--demo", "--port", str(port), "--threads", "8"],
        env=cadre_env(folder) | {"CADRE_BASE_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "Serving on" in line or process.poll() is not None:
            break
    drain = threading.Thread(target=process.stdout.read, daemon=True)  # keep the pipe open
    drain.start()
    process.drain = drain  # joined and closed by the test once the server is gone
    return process


def demo_links(folder, port: int) -> list[str]:
    """Every named rater's link, as HR exports them."""
    output = subprocess.run(
        [sys.executable, "-m", "cadre", "invitations", "export", demo_campaign(folder)],
        env=cadre_env(folder) | {"CADRE_BASE_URL": f"http://127.0.0.1:{port}"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.rsplit(",", 1)[1] for line in output.splitlines()[1:]]


def demo_campaign(folder) -> str:
    engine = make_engine(f"sqlite:///{folder / 'cadre.db'}")
    try:
        with Session(engine) as session:
            return session.exec(select(Campaign.id)).one()
    finally:
        engine.dispose()


def submit(link: str) -> bool:
    """Open a link like a phone and send a complete form; True once the thank-you page came."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        with opener.open(link, timeout=10) as response:
            page = parse(response.read())
            form_url = response.geturl()
        data = urllib.parse.urlencode(page.valid_answers(comment="durable")).encode()
        with opener.open(form_url, data=data, timeout=10) as response:
            return response.geturl().endswith("/done") and response.status == 200
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return False


def test_sigkill_mid_burst_loses_no_acknowledged_ballot(tmp_path):
    port = free_port()
    server = start_server(tmp_path, port)
    links = demo_links(tmp_path, port)
    assert len(links) == 40
    acknowledged: list[str] = []

    def one(link: str) -> None:
        if submit(link):
            acknowledged.append(link)
            if len(acknowledged) == 12:
                os.kill(server.pid, signal.SIGKILL)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, links))
    server.wait(timeout=10)
    server.drain.join(timeout=10)
    server.stdout.close()
    assert server.returncode == -signal.SIGKILL
    assert 12 <= len(acknowledged) < 40

    engine = make_engine(f"sqlite:///{tmp_path / 'cadre.db'}")
    try:
        with Session(engine, expire_on_commit=False) as session:
            campaign = session.exec(select(Campaign)).one()
            completed = session.exec(
                select(func.count()).where(Invitation.status == "completed")
            ).one()
            sealed = session.exec(select(func.count()).select_from(SealedBallot)).one()
            assert completed >= len(acknowledged)  # nothing acknowledged was lost
            assert sealed == completed  # one sealed ballot per consumed link, none half
            open_with_key_file(
                session=session, campaign=campaign, key_folder=tmp_path / "box-keys",
                ledger_key=tmp_path / "ledger.pem", now=campaign.closes_at,
            )  # fmt: skip
            session.commit()
            comments = session.exec(select(Response.comment)).all()
            expected = session.exec(
                select(func.count())
                .select_from(Assignment)
                .join(Invitation, Invitation.rater_id == Assignment.rater_id)
                .where(Invitation.status == "completed")
            ).one()
            # Every completed invitation has a row for each of its cadres (all with the
            # comment "durable"), and nothing else was stored.
            assert len(comments) == expected and set(comments) == {"durable"}
            report = verify_campaign(session=session, campaign=campaign, public_key_pem=None)
            assert report.problems == [] and report.size == expected
            assert sealed  # the kill really came mid-burst, with ballots stored
    finally:
        engine.dispose()

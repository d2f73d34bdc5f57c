"""Ballots per second through the real rater form, against a bare insert on the same server.

    .venv/bin/python bench/ballots.py [--database sqlite|postgresql|both] [--sizes 50,10000]
                                      [--ballots 2000] [--duration 60] [--clients 16]
                                      [--threads 16] [--seed 1] [--build auto|usecase|bulk]

For each database and roster size, on a fresh database (a SQLite file in WAL
mode with ``synchronous=FULL`` as ``storage.engine`` makes it, or a uniquely
named PostgreSQL database on ``CADRE_BENCH_PG``, by default
``postgresql://postgres@127.0.0.1:5432/postgres``, dropped afterwards):

1. build a campaign over a roster of N cadres, each rated by about 30 named
   raters (3 superiors, 9 peers and 18 subordinates from the cadre's unit of
   ten), every rater rating 3 to 8 cadres, and issue the invitations.  Small
   rosters go through the use cases (``import_roster``,
   ``issue_invitations``); large ones are checked with ``check_roster`` and
   inserted in bulk.  A roster has fewer raters than ``--ballots`` at 50
   cadres (about 270), so further campaigns over the same roster are added
   until there are enough tokens: each one costs a ballot what one campaign
   of that roster costs.  Building is timed apart and never in the figures;
2. serve the real app (``webforms.create_app``) under waitress in a child
   process with ``--threads`` threads, and on the same server a bare
   endpoint (``/bench/bare``, a WSGI dispatcher of this file, never part of
   the product) that parses the same form body and inserts one row per answer
   into a table of its own in the same database, one commit per request;
3. open every form as a phone does, untimed: ``GET /r/<token>`` swaps the
   token for the session cookie and redirects (303) to ``/r/``, whose page
   holds the CSRF token and one radio group per question and vote (named
   ``{cadre_id}:{item}`` and ``{cadre_id}:vote``) and a textarea
   ``{cadre_id}:comment``; every radio group gets a random valid option;
4. timed (after an untimed warm-up of the bare endpoint's connections):
   ``--clients`` threads with keep-alive connections POST the filled
   forms to the bare endpoint, then to ``/r/`` (each must answer 303 to
   ``/done``), then to the bare endpoint again, each POST timed from its
   start to its response.  A run stops after ``--ballots`` POSTs or
   ``--duration`` seconds, whichever comes first.  The bare figure is the mean
   of the two bare runs around the real one (a shared machine drifts);
5. check that the database holds every accepted ballot exactly once: the
   invitations completed and one sealed ballot for each; then the deadline
   is moved to the past and every box opened (untimed), and the response
   rows must be one per cadre of every accepted form; the bare table's
   ballots and rows too.

The table shows ballots/s, p50 and p99 of the POSTs, errors, the bare
endpoint's rate and ratio = ballots/s / bare/s; with several sizes, the ratio
of the ratios.  Figures, not pass/fail (the exit status is 1 only when a
ballot went missing or was stored twice, or a POST failed).
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Assignment, Cadre, Campaign, Invitation, Rater, Roster, new_id  # noqa: E402
from surveys.results.opening import open_with_key_file, sealed_count  # noqa: E402
from surveys.rules.questionnaire import load_questionnaire  # noqa: E402
from surveys.setup.campaigns import KeyFileCustody, create_campaign  # noqa: E402
from surveys.setup.invitations import (  # noqa: E402
    derive_token,
    hash_token,
    invitation_counts,
    issue_invitations,
    named_links,
)
from surveys.setup.roster import RosterError, RosterRows, check_roster, import_roster  # noqa: E402

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PG_ADMIN = os.environ.get("CADRE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BARE_PATH = "/bench/bare"
FORM_PATH = "/r/"
COOKIE = "cadre_session"  # webforms' SESSION_COOKIE_NAME
UNIT = 10  # cadres per unit; raters rate cadres of one unit
NEEDS = {"superior": 3, "peer": 9, "subordinate": 18}  # raters per cadre and group: 30
PER_RATER = (3, 8)  # cadres each rater rates
BULK_ABOVE = 1000  # --build auto: use cases up to this many cadres, bulk inserts above
CHUNK = 5000

BARE_METADATA = sa.MetaData()
BARE_TABLE = sa.Table(
    "bench_bare_answer",
    BARE_METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ballot", sa.String(32), nullable=False),
    sa.Column("field", sa.String(100), nullable=False),
    sa.Column("value", sa.String(2000), nullable=False),
)


# --- the world: a roster, campaigns, invitations -----------------------------------------


def bench_roster(cadres: int, rng: random.Random) -> RosterRows:
    """N cadres in units of ten; each cadre gets NEEDS raters, each rater 3-8 cadres of a unit."""
    cadre_rows = [
        {"id": f"C{n}", "name": f"干部{n}", "unit": f"单位{(n - 1) // UNIT + 1}", "post": "科长"}
        for n in range(1, cadres + 1)
    ]
    rater_rows: list[dict[str, str]] = []
    links: list[dict[str, str]] = []
    for first in range(1, cadres + 1, UNIT):
        unit = [f"C{n}" for n in range(first, min(first + UNIT, cadres + 1))]
        for group, need in NEEDS.items():
            left = dict.fromkeys(unit, need)
            while any(left.values()):
                open_ones = [cadre for cadre in unit if left[cadre]]
                rng.shuffle(open_ones)
                open_ones.sort(key=lambda cadre: -left[cadre])  # stable: random among equals
                rater = f"R{len(rater_rows) + 1}"
                rater_rows.append({"id": rater, "name": f"测评人{len(rater_rows) + 1}"})
                for cadre in open_ones[: rng.randint(*PER_RATER)]:
                    left[cadre] -= 1
                    links.append({"rater_id": rater, "cadre_id": cadre, "group": group})
    return RosterRows(
        {
            sheet: list(enumerate(rows, start=2))
            for sheet, rows in (
                ("cadres", cadre_rows),
                ("raters", rater_rows),
                ("assignments", links),
            )
        }
    )


def insert_chunks(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows with executemany, a chunk at a time."""
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(table), rows[start : start + CHUNK])


def bulk_roster(session: Session, rows: RosterRows, now: datetime) -> Roster:
    """What ``import_roster`` stores, checked by the same ``check_roster``, in bulk inserts."""
    problems = check_roster(rows)
    if problems:
        raise RosterError(problems)
    roster = Roster(name="基准名册", imported_at=now)
    session.add(roster)
    session.flush()
    cadre_ids = {row["id"]: new_id() for _, row in rows.sheets["cadres"]}
    rater_ids = {row["id"]: new_id() for _, row in rows.sheets["raters"]}
    insert_chunks(
        session,
        Cadre.__table__,
        [
            {"id": cadre_ids[row["id"]], "roster_id": roster.id, "external_id": row["id"]}
            | {key: row[key] for key in ("name", "unit", "post")}
            for _, row in rows.sheets["cadres"]
        ],
    )
    insert_chunks(
        session,
        Rater.__table__,
        [
            {"id": rater_ids[row["id"]], "roster_id": roster.id, "external_id": row["id"]}
            | {"name": row["name"], "phone": None, "telegram": None}
            for _, row in rows.sheets["raters"]
        ],
    )
    insert_chunks(
        session,
        Assignment.__table__,
        [
            {
                "id": new_id(),
                "roster_id": roster.id,
                "rater_id": rater_ids[row["rater_id"]],
                "cadre_id": cadre_ids[row["cadre_id"]],
                "group": row["group"],
            }
            for _, row in rows.sheets["assignments"]
        ],
    )
    return roster


def bulk_invitations(session: Session, campaign: Campaign) -> int:
    """What ``issue_invitations`` stores (a nonce, the derived token's hash), in bulk inserts."""
    raters = session.execute(
        sa.select(Assignment.rater_id).where(Assignment.roster_id == campaign.roster_id).distinct()
    ).scalars()
    rows = []
    for rater_id in sorted(raters):
        invitation_id, nonce = new_id(), secrets.token_hex(16)
        token = derive_token(SECRET, invitation_id, nonce)
        rows.append(
            {
                "id": invitation_id,
                "campaign_id": campaign.id,
                "rater_id": rater_id,
                "group": None,
                "nonce": nonce,
                "token_hash": hash_token(token),
                "status": "pending",
            }
        )
    insert_chunks(session, Invitation.__table__, rows)
    return len(rows)


@dataclass
class World:
    """The campaigns built, their tokens in the order raters will use them, and the roster."""

    campaign_ids: list[str]
    tokens: list[str]
    raters: int
    assignments: int


def build_world(
    engine: sa.Engine, *, cadres: int, ballots: int, bulk: bool, rng: random.Random,
    box_keys: Path,
) -> World:  # fmt: skip
    """A roster of ``cadres`` and as many campaigns over it as ``ballots`` tokens need."""
    now = datetime.now(UTC)
    rows = bench_roster(cadres, rng)
    raters = len(rows.sheets["raters"])
    with Session(engine, expire_on_commit=False) as session:
        if bulk:
            roster = bulk_roster(session, rows, now)
        else:
            roster = import_roster(session=session, rows=rows, name="基准名册", now=now)
        session.commit()
        campaign_ids: list[str] = []
        tokens: list[str] = []
        for round_ in range(1, max(1, math.ceil(ballots / raters)) + 1):
            campaign = create_campaign(
                session=session,
                name=f"基准考核{round_}",
                kind="annual",
                roster_id=roster.id,
                questionnaire=load_questionnaire("annual"),
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
                now=now,
                custody=KeyFileCustody(box_keys),
            )
            if bulk:
                bulk_invitations(session, campaign)
            else:
                issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
            session.commit()
            links = named_links(
                session=session, campaign=campaign, secret_key=SECRET, base_url="http://b"
            )
            mine = [link.url.rsplit("/", 1)[1] for link in links]
            rng.shuffle(mine)  # raters answer in no particular order, one campaign after another
            campaign_ids.append(campaign.id)
            tokens += mine
    return World(campaign_ids, tokens[:ballots], raters, len(rows.sheets["assignments"]))


# --- the server: the real app and the bare endpoint under one waitress ----------------------


class BareEndpoint:
    """Parse the form body as Flask does, insert one row per answer, commit once."""

    def __init__(self, url: str):
        self.engine = make_engine(url)  # WAL and synchronous=FULL on SQLite, as the app's

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request

        form = Request(environ).form
        ballot = new_id()
        rows = [
            {"ballot": ballot, "field": name, "value": value}
            for name, value in form.items(multi=True)
            if name != "csrf_token"
        ]
        with self.engine.begin() as connection:
            connection.execute(BARE_TABLE.insert(), rows)
        start_response("303 See Other", [("Location", "/done"), ("Content-Length", "0")])
        return [b""]


def serve(url: str, threads: int) -> None:
    """The child process: the real app plus the bare endpoint on one waitress server."""
    import waitress

    from webforms import create_app

    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": url, "BASE_URL": "http://127.0.0.1"})
    bare = BareEndpoint(url)

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO") == BARE_PATH:
            return bare(environ, start_response)
        return app(environ, start_response)

    server = waitress.create_server(dispatch, host="127.0.0.1", port=0, threads=threads)
    print(f"port {server.effective_port}", flush=True)
    server.run()


@contextmanager
def served(url: str, threads: int, log: Path) -> Iterator[int]:
    """Run ``serve`` in a child process; yield its port; stop it."""
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", url, "--threads", str(threads)],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            line = process.stdout.readline()
            if not line.startswith("port "):
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            yield int(line.split()[1])
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()


# --- the clients --------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields a browser would post: hidden inputs, radio groups and textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.textareas: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name", "")
        if tag == "input" and attributes.get("type") == "radio":
            self.radios.setdefault(name, []).append(attributes.get("value", ""))
        elif tag == "input" and attributes.get("type") == "hidden":
            self.hidden[name] = attributes.get("value", "")
        elif tag == "textarea":
            self.textareas.append(name)


@dataclass
class Ballot:
    """One filled form, ready to post: its session cookie, its body, what it should store."""

    cookie: str
    body: bytes
    cadres: int
    answers: int


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, reopened when it drops."""

    def __init__(self, port: int):
        self.port = port
        self.http: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, *, cookie: str = "", body: bytes | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"Accept-Language": "en"}
        if cookie:
            headers["Cookie"] = f"{COOKIE}={cookie}"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.http is None:
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            self.http.request(method, path, body=body, headers=headers)
            response = self.http.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.http.close()
            self.http = None
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.http.close()
            self.http = None
        return response.status, response.headers, data

    def close(self) -> None:
        if self.http is not None:
            self.http.close()


def session_cookie(headers: http.client.HTTPMessage, current: str) -> str:
    """The session cookie a response sets, or the one we had."""
    for header in headers.get_all("Set-Cookie") or []:
        jar = SimpleCookie()
        jar.load(header)
        if COOKIE in jar:
            current = jar[COOKIE].value
    return current


def open_form(connection: Connection, token: str, rng: random.Random) -> Ballot:
    """Follow the link as a phone does and fill in every question and vote."""
    status, headers, _ = connection.request("GET", f"/r/{token}")
    location = headers.get("Location", "")
    if status != 303 or not location.endswith(FORM_PATH):
        raise RuntimeError(f"the link answered {status} {location}")
    cookie = session_cookie(headers, "")
    status, headers, page = connection.request("GET", FORM_PATH, cookie=cookie)
    if status != 200:
        raise RuntimeError(f"the form answered {status}")
    cookie = session_cookie(headers, cookie)
    fields = FormFields()
    fields.feed(page.decode("utf-8"))
    fields.close()
    if "csrf_token" not in fields.hidden or not fields.radios:
        raise RuntimeError("the form has no CSRF token or no questions")
    data = dict(fields.hidden)
    data |= {name: rng.choice(options) for name, options in fields.radios.items()}
    data |= dict.fromkeys(fields.textareas, "")
    cadres = len({name.split(":", 1)[0] for name in fields.radios})
    return Ballot(cookie, urlencode(data).encode(), cadres, len(data) - 1)


def in_parallel(clients: int, work) -> list:
    """Run ``work(index)`` in ``clients`` threads started together; return their results."""
    results: list = [None] * clients
    start = threading.Barrier(clients)

    def run(index: int) -> None:
        start.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def open_forms(port: int, tokens: list[str], clients: int, seed: int) -> list[Ballot]:
    """Open every token's form with ``clients`` phones at once (untimed)."""
    ballots: list[Ballot | None] = [None] * len(tokens)
    cursor = iter(range(len(tokens)))
    lock = threading.Lock()
    problems: list[str] = []

    def work(index: int) -> None:
        connection = Connection(port)
        rng = random.Random(seed * 1000 + index)
        while True:
            with lock:
                position = next(cursor, None)
            if position is None:
                break
            try:
                ballots[position] = open_form(connection, tokens[position], rng)
            except Exception as error:  # noqa: BLE001  (reported, and the run fails)
                problems.append(str(error))
        connection.close()

    in_parallel(clients, work)
    if problems:
        raise RuntimeError(f"{len(problems)} forms did not open, e.g. {problems[0]}")
    return [ballot for ballot in ballots if ballot is not None]


@dataclass
class Run:
    """What one timed run of POSTs showed."""

    posted: list[Ballot] = field(default_factory=list)  # accepted ballots
    latencies: list[float] = field(default_factory=list)  # seconds, accepted POSTs
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.posted) / self.wall if self.wall else 0.0

    def percentile(self, fraction: float) -> float:
        """A latency percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def post_all(
    port: int, path: str, ballots: list[Ballot], clients: int, duration: float, thanks: bool
) -> Run:
    """POST the ballots to ``path`` from ``clients`` threads, each POST timed; stop early after
    ``duration`` seconds.  Every answer must be 303 to /done; with ``thanks``, each client then
    fetches /done once (untimed) and it must thank the rater."""
    run = Run()
    cursor = iter(ballots)
    lock = threading.Lock()
    began: list[float] = []

    def work(_index: int) -> None:
        connection = Connection(port)
        last: Ballot | None = None
        with lock:
            began.append(time.perf_counter())
        deadline = began[0] + duration
        while True:
            with lock:
                ballot = next(cursor, None) if time.perf_counter() < deadline else None
            if ballot is None:
                break
            start = time.perf_counter()
            try:
                status, headers, _ = connection.request(
                    "POST", path, cookie=ballot.cookie, body=ballot.body
                )
                outcome = f"{status} {headers.get('Location', '')}"
            except (OSError, http.client.HTTPException) as error:
                outcome = f"{error.__class__.__name__}: {error}"
            elapsed = time.perf_counter() - start
            with lock:
                if outcome.startswith("303 ") and outcome.endswith("/done"):
                    run.posted.append(ballot)
                    run.latencies.append(elapsed)
                    last = ballot
                else:
                    run.errors.append(outcome)
        if thanks and last is not None:
            try:
                status, _, page = connection.request("GET", "/done", cookie=last.cookie)
            except (OSError, http.client.HTTPException):
                status, page = 0, b""
            if status != 200 or b"Thank you" not in page:
                with lock:
                    run.errors.append(f"/done answered {status} without thanks")
        connection.close()
        return time.perf_counter()

    ends = in_parallel(clients, work)
    run.wall = max(ends) - min(began)
    return run


# --- one configuration ---------------------------------------------------------------------


@dataclass
class Result:
    """The figures of one database and size."""

    database: str
    cadres: int
    raters: int
    assignments: int
    campaigns: int
    build: float
    prepare: float
    real: Run
    bare: list[Run]
    stored_ok: bool
    stored_note: str

    @property
    def bare_rate(self) -> float:
        return statistics.mean(run.rate for run in self.bare)

    @property
    def ratio(self) -> float:
        return self.real.rate / self.bare_rate if self.bare_rate else math.nan

    @property
    def errors(self) -> int:
        return len(self.real.errors) + sum(len(run.errors) for run in self.bare)


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """A SQLite file in ``folder``, or a uniquely named PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    import psycopg

    name = f"cadre_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def check_stored(
    engine: sa.Engine, world: World, real: Run, bare: list[Run], folder: Path
) -> tuple[bool, str]:
    """Every accepted ballot stored exactly once: sealed, then opened; and in the bare table."""
    expected_rows = sum(ballot.cadres for ballot in real.posted)
    with Session(engine, expire_on_commit=False) as session:
        completed = sealed = rows = 0
        for campaign_id in world.campaign_ids:
            campaign = session.get(Campaign, campaign_id)
            completed += invitation_counts(session=session, campaign=campaign).get(
                ("named", "completed"), 0
            )
            sealed += sealed_count(session=session, campaign=campaign)
            campaign.closes_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(campaign)
            session.commit()
            rows += open_with_key_file(
                session=session, campaign=campaign, key_folder=folder / "box-keys",
                ledger_key=folder / "ledger.pem", now=datetime.now(UTC),
            ).responses  # fmt: skip
            session.commit()
        bare_ballots, bare_rows = session.execute(
            sa.select(sa.func.count(sa.distinct(BARE_TABLE.c.ballot)), sa.func.count())
        ).one()
    bare_posted = [ballot for run in bare for ballot in run.posted]
    found = (completed, sealed, rows, bare_ballots, bare_rows)
    wanted = (
        len(real.posted),
        len(real.posted),
        expected_rows,
        len(bare_posted),
        sum(ballot.answers for ballot in bare_posted),
    )
    note = (
        "ballots {}/{}, sealed {}/{}, rows after opening {}/{}, "
        "bare ballots {}/{}, bare rows {}/{}".format(
            *(value for pair in zip(found, wanted, strict=True) for value in pair)
        )
    )
    return found == wanted, note


def measure(kind: str, cadres: int, options: argparse.Namespace, folder: Path) -> Result:
    """One configuration on a fresh database of its own."""
    with fresh_database(kind, folder) as url:
        return measure_on(url, cadres, options, folder)


def measure_on(url: str, cadres: int, options: argparse.Namespace, folder: Path) -> Result:
    """Build, serve, open the forms, post them, check the database; return the figures.

    ``url`` must name an empty database; it is migrated here."""
    kind = sa.engine.make_url(url).get_backend_name()
    bulk = options.build == "bulk" or (options.build == "auto" and cadres > BULK_ABOVE)
    engine = make_engine(url)
    upgrade(engine)
    BARE_METADATA.create_all(engine)
    start = time.perf_counter()
    world = build_world(
        engine,
        cadres=cadres,
        ballots=options.ballots,
        bulk=bulk,
        rng=random.Random(options.seed),
        box_keys=folder / "box-keys",
    )
    build = time.perf_counter() - start
    say(
        f"{kind} {cadres} cadres: {world.raters} raters, {world.assignments} assignments, "
        f"{len(world.campaign_ids)} campaign(s) built {'in bulk ' if bulk else ''}"
        f"in {build:.1f} s"
    )
    log = folder / f"server-{kind}-{cadres}.log"
    with served(url, options.threads, log) as port:
        start = time.perf_counter()
        ballots = open_forms(port, world.tokens, options.clients, options.seed)
        prepare = time.perf_counter() - start
        say(f"  {len(ballots)} forms opened in {prepare:.1f} s")
        # Untimed: the bare endpoint opens its pool's connections (the forms opened the app's).
        warm = post_all(port, BARE_PATH, ballots[: 2 * options.clients], options.clients, 60, False)
        runs: list[Run] = []
        for path in (BARE_PATH, FORM_PATH, BARE_PATH):
            run = post_all(
                port, path, ballots, options.clients, options.duration, path == FORM_PATH
            )
            say(
                f"  {path:12} {len(run.posted):6d} in {run.wall:6.1f} s: "
                f"{run.rate:8.1f}/s, {len(run.errors)} errors"
                + (f", e.g. {run.errors[0]}" if run.errors else "")
            )
            runs.append(run)
    runs[0].errors += warm.errors  # a failed warm-up POST is a failure of the bare endpoint too
    stored_ok, note = check_stored(engine, world, runs[1], [warm, runs[0], runs[2]], folder)
    say(f"  stored: {'ok' if stored_ok else 'MISMATCH'} ({note})")
    engine.dispose()
    return Result(
        database=kind,
        cadres=cadres,
        raters=world.raters,
        assignments=world.assignments,
        campaigns=len(world.campaign_ids),
        build=build,
        prepare=prepare,
        real=runs[1],
        bare=[runs[0], runs[2]],
        stored_ok=stored_ok,
        stored_note=note,
    )


def say(text: str) -> None:
    """Progress, on stderr so the table stays alone on stdout."""
    print(text, file=sys.stderr, flush=True)


def table(results: list[Result]) -> str:
    """The figures as a printed table, then the ratio between sizes per database."""
    lines = [
        f"{'database':10} {'cadres':>6} {'ballots':>7} {'ballots/s':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'bare/s':>8} {'ratio':>7} {'build s':>7} {'stored':>6}"
    ]
    for result in results:
        lines.append(
            f"{result.database:10} {result.cadres:6d} {len(result.real.posted):7d} "
            f"{result.real.rate:9.1f} {result.real.percentile(0.5):8.1f} "
            f"{result.real.percentile(0.99):8.1f} {result.errors:6d} {result.bare_rate:8.1f} "
            f"{result.ratio:7.4f} {result.build:7.1f} {'ok' if result.stored_ok else 'BAD':>6}"
        )
    for kind in dict.fromkeys(result.database for result in results):
        mine = [result for result in results if result.database == kind]
        if len(mine) > 1:
            small, large = min(mine, key=lambda r: r.cadres), max(mine, key=lambda r: r.cadres)
            lines.append(
                f"{kind}: ratio at {small.cadres} cadres {small.ratio:.4f}, at {large.cadres} "
                f"{large.ratio:.4f}; {large.cadres} / {small.cadres}: "
                f"{large.ratio / small.ratio:.3f}"
            )
    return "\n".join(lines)


def parse_arguments(arguments: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--sizes", default="50,10000", help="cadres, comma-separated")
    parser.add_argument("--ballots", type=int, default=2000, help="most POSTs per run")
    parser.add_argument("--duration", type=float, default=60.0, help="most seconds per run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--threads", type=int, default=16, help="waitress threads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build", choices=("auto", "usecase", "bulk"), default="auto")
    parser.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    return parser.parse_args(arguments)


def run_bench(options: argparse.Namespace) -> list[Result]:
    """Every configuration the options ask for, one after the other."""
    kinds = ("sqlite", "postgresql") if options.database == "both" else (options.database,)
    sizes = [int(size) for size in options.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        return [measure(kind, size, options, Path(folder)) for kind in kinds for size in sizes]


def main() -> None:
    """Measure and print; exit 1 when a ballot failed or was not stored exactly once."""
    options = parse_arguments()
    if options.serve:
        serve(options.serve, options.threads)
        return
    say(
        f"{options.clients} clients, {options.threads} server threads, at most "
        f"{options.ballots} ballots or {options.duration:g} s per run"
    )
    results = run_bench(options)
    print(table(results))
    if any(result.errors or not result.stored_ok for result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()

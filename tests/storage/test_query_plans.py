"""PostgreSQL query plans at a realistic size: the selective lookups use indexes.

A roster of 1,000 cadres and 10,000 raters (20,000 assignments) assessed in
three yearly campaigns of 10,000 named invitations each (30,000 in all):
two past ones whose boxes are open (20,000 responses each) and the current
one, open, where nine raters in ten have answered (9,000 sealed ballots)
and four in seven bound the bot to their invitation.
The rows are written by ``INSERT ... SELECT generate_series`` on the server,
then ``ANALYZE``d.

The statements are not copies: each test runs our own query function on
that database, records the statements it sends (with their parameters) and
asks PostgreSQL to ``EXPLAIN (FORMAT JSON)`` exactly those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Campaign, Roster
from surveys.collection.ballots import open_ballot
from surveys.collection.progress import campaign_progress
from surveys.collection.reminders import recipients
from surveys.results.opening import sealed_count
from surveys.results.outcomes import campaign_responses
from surveys.results.reports import stored_ballots
from surveys.rules.questionnaire import load_questionnaire
from surveys.setup.campaigns import KeyFileCustody, campaign_cadres, create_campaign
from surveys.setup.invitations import find_invitation, invitation_counts
from tests.databases import postgres_database
from tests.factories import BOX_KEYS

pytestmark = pytest.mark.postgres

CADRES, RATERS, YEARS = 1_000, 10_000, (2025, 2026)
CURRENT = YEARS[-1]
OPENS = datetime(2026, 11, 20, tzinfo=UTC)
CLOSES = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)
# Tables that hold a row per rater, assignment, invitation or ballot: never read whole
# for a lookup.  (campaign, roster and the like hold a handful of rows.)
LARGE_TABLES = {
    "cadre",
    "rater",
    "assignment",
    "invitation",
    "raterchat",
    "telegramchat",
    "response",
    "sealedballot",
}


def fill(connection: sa.Connection, campaigns: dict[int, Campaign], answers: dict) -> None:
    """Write the rosters, invitations, chats and ballots in bulk, on the server.

    Row ids are md5 of a readable name, so one row can point at another in
    SQL; the token of rater n's invitation in a year is ``token:<year>:<n>``.
    """
    # Test data made consistent by construction: skip the per-row foreign-key triggers.
    connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
    connection.execute(sa.text("CREATE TEMPORARY TABLE years (y int, cid text) ON COMMIT DROP"))
    connection.execute(
        sa.text("INSERT INTO years VALUES (:y, :cid)"),
        [{"y": y, "cid": c.id} for y, c in campaigns.items()],
    )
    statements = [
        """INSERT INTO cadre (id, roster_id, external_id, name, unit, post)
           SELECT md5('cadre:' || n), :roster, 'C' || n, '干部' || n, '单位' || (n % 50), '科长'
           FROM generate_series(1, :cadres) n""",
        """INSERT INTO rater (id, roster_id, external_id, name)
           SELECT md5('rater:' || n), :roster, 'R' || n, '测评人' || n
           FROM generate_series(1, :raters) n""",
        # Each rater rates two cadres, half a roster apart: 20 per cadre.
        """INSERT INTO assignment (id, roster_id, rater_id, cadre_id, "group")
           SELECT md5('assignment:' || n || ':' || k), :roster, md5('rater:' || n),
                  md5('cadre:' || ((n + k * :cadres / 2) % :cadres + 1)),
                  (ARRAY['superior', 'peer', 'subordinate'])[n % 3 + 1]
           FROM generate_series(1, :raters) n, generate_series(0, 1) k""",
        # Past campaigns are all done; in the current one one rater in ten has not answered.
        """INSERT INTO invitation (id, campaign_id, rater_id, nonce, token_hash, status)
           SELECT md5('invitation:' || y || ':' || n), cid,
                  md5('rater:' || n), md5('nonce:' || y || ':' || n),
                  encode(sha256(convert_to('token:' || y || ':' || n, 'UTF8')), 'hex'),
                  CASE WHEN y = :current AND n % 10 = 0 THEN 'pending' ELSE 'completed' END
           FROM years, generate_series(1, :raters) n""",
        # Six raters in ten bound the bot to their invitation.
        """INSERT INTO raterchat (invitation_id, code_hash, chat_id)
           SELECT md5('invitation:' || y || ':' || n), md5('code:' || y || ':' || n),
                  CASE WHEN n % 7 < 4 THEN 1000000 + n END
           FROM years, generate_series(1, :raters) n""",
        """INSERT INTO telegramchat (chat_id, unreachable)
           SELECT 1000000 + n, n % 97 = 0 FROM generate_series(1, :raters) n WHERE n % 7 < 4""",
        # The past boxes are open: one response per assignment.
        """INSERT INTO response (id, campaign_id, cadre_id, "group", answers, vote)
           SELECT md5('response:' || y || a.id), cid, a.cadre_id, a."group",
                  CAST(:answers AS json), 'excellent'
           FROM years, assignment a WHERE y <> :current""",
        # The current box is sealed: one ciphertext per answered rater.
        """INSERT INTO sealedballot (id, campaign_id, ciphertext)
           SELECT md5('sealed:' || n), :campaign, sha256(int4send(n))
           FROM generate_series(1, :raters) n WHERE n % 10 <> 0""",
    ]
    values = {
        "roster": campaigns[CURRENT].roster_id,
        "campaign": campaigns[CURRENT].id,
        "current": CURRENT,
        "cadres": CADRES,
        "raters": RATERS,
        "answers": json.dumps(answers),
    }
    for statement in statements:
        connection.execute(sa.text(statement), values)


@dataclass
class BigDatabase:
    """The filled database and the campaigns in it."""

    engine: sa.Engine
    current: Campaign
    past: Campaign


def create_campaigns(engine: sa.Engine) -> dict[int, Campaign]:
    """One roster, and a real campaign on it (questionnaire, sealed box) per year; the
    past boxes are open."""
    questionnaire = load_questionnaire("annual")
    campaigns = {}
    with Session(engine, expire_on_commit=False) as session:
        roster = Roster(name="名册", imported_at=NOW - timedelta(days=365 * len(YEARS)))
        session.add(roster)
        session.flush()
        for year in YEARS:
            shift = timedelta(days=365 * (CURRENT - year))
            campaign = create_campaign(
                session=session,
                name=f"{year}年度考核",
                kind="annual",
                roster_id=roster.id,
                questionnaire=questionnaire,
                opens_at=OPENS - shift,
                closes_at=CLOSES - shift,
                now=NOW - shift,
                custody=KeyFileCustody(BOX_KEYS),
            )
            if year != CURRENT:
                campaign.box_opened_at = campaign.closes_at
            campaigns[year] = campaign
        session.commit()
    return campaigns


@pytest.fixture(scope="module")
def big() -> Iterator[BigDatabase]:
    """The realistic-size database, built once for this module."""
    with postgres_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        campaigns = create_campaigns(engine)
        questionnaire = load_questionnaire("annual")
        answers = {item.key: "good" for d in questionnaire.dimensions for item in d.items}
        with engine.begin() as connection:
            fill(connection, campaigns, answers)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))
        yield BigDatabase(engine, campaigns[CURRENT], campaigns[YEARS[0]])
        engine.dispose()


@dataclass(frozen=True)
class Statement:
    """One statement our code sent, with its parameters, ready to be explained."""

    sql: str
    parameters: object


def recorded(engine: sa.Engine, action) -> list[Statement]:
    """Run ``action(session)`` and return the SELECTs it sent to the server."""
    sent: list[Statement] = []

    def note(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(Statement(statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with Session(engine) as session:
            action(session)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert sent, "the action sent no SELECT"
    return sent


def plan(engine: sa.Engine, statement: Statement) -> dict:
    """PostgreSQL's plan for exactly that statement with those parameters."""
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement.sql, statement.parameters)
        (document,) = cursor.fetchone()
    return (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]


def nodes(node: dict) -> Iterator[dict]:
    """Every node of a plan, depth first."""
    yield node
    for child in node.get("Plans", ()):
        yield from nodes(child)


def seq_scans(node: dict) -> set[str]:
    """The large tables the plan reads whole."""
    return {
        n["Relation Name"]
        for n in nodes(node)
        if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in LARGE_TABLES
    }


def rescanned(node: dict) -> list[str]:
    """Large tables read whole once per outer row: a Seq Scan inside a Nested Loop's inner side."""
    found = []
    for loop in nodes(node):
        if loop["Node Type"] == "Nested Loop":
            inner = loop["Plans"][1]
            found += sorted(seq_scans(inner))
    return found


def explained(big: BigDatabase, action) -> list[tuple[str, dict]]:
    """(statement, plan) of every SELECT the action sends."""
    return [(s.sql, plan(big.engine, s)) for s in recorded(big.engine, action)]


# --- selective lookups: indexes only -------------------------------------------------------------


def test_a_rater_link_is_found_by_its_token_through_the_unique_index(big):
    """The token lookup (and the form behind it) touch only the rater's own rows."""
    token = f"token:{CURRENT}:10"  # a pending rater of the current campaign

    def lookup(session: Session) -> None:
        assert find_invitation(session=session, token=token) is not None

    def form(session: Session) -> None:
        assert len(open_ballot(session=session, token=token, now=NOW).sections) == 2

    for action in (lookup, form):
        for sql, tree in explained(big, action):
            assert seq_scans(tree) == set(), (sql, tree)
    ((_sql, tree),) = explained(big, lookup)
    assert [n["Node Type"] for n in nodes(tree)] == ["Index Scan"], tree


def test_the_pending_raters_of_a_wave_are_found_through_the_campaign_and_status_index(big):
    """A wave near the deadline, one rater in ten still pending: the campaign's pending
    invitations come from the (campaign, status) index, never from reading its completed ones.

    The chat bindings are then matched by hashing them in one pass: with 20,000 bindings
    in some 260 pages, one sequential read is cheaper than a thousand probes of their key,
    and PostgreSQL rightly picks it.  What must not happen is any table read per row.
    """

    def pending(session: Session) -> None:
        found = recipients(session=session, campaign=big.current)
        bound = [n for n in range(1, RATERS + 1) if n % 10 == 0 and n % 7 < 4]
        assert len(found) == len(bound)

    ((sql, tree),) = explained(big, pending)
    scans = [
        n
        for n in nodes(tree)
        if n.get("Relation Name") == "invitation"
        or n.get("Index Name", "").startswith("ix_invitation")
    ]
    assert "invitation" not in seq_scans(tree), (sql, tree)
    assert any(
        n.get("Index Name") == "ix_invitation_campaign_id_status" and "status" in n["Index Cond"]
        for n in scans
    ), (sql, tree)
    assert seq_scans(tree) <= {"raterchat"} and rescanned(tree) == [], (sql, tree)


# --- aggregations: they read everything of one campaign ------------------------------------------


def test_progress_counts_read_each_table_once(big):
    """HR's progress (per cadre and group, invitation totals, sealed ballots) counts every
    invitation and assignment of the campaign, so a sequential scan of those tables is
    right; what must not happen is a table read again for every row of another."""

    def progress(session: Session) -> None:
        rows = campaign_progress(session=session, campaign=big.current)
        assert sum(row.assigned for row in rows) == RATERS * 2
        assert sum(invitation_counts(session=session, campaign=big.current).values()) == RATERS
        assert sealed_count(session=session, campaign=big.current) == RATERS - RATERS // 10

    for sql, tree in explained(big, progress):
        assert rescanned(tree) == [], (sql, tree)


def test_per_cadre_aggregation_reads_the_campaigns_responses_once(big):
    """Scoring after opening reads every response of the campaign in one statement (here
    the whole table, so a sequential scan is the cheapest way) and groups them by cadre
    in Python; no statement is repeated per cadre and no table is read per row."""

    def results(session: Session) -> None:
        assert len(campaign_cadres(session=session, campaign=big.past)) == CADRES
        assert len(campaign_responses(session=session, campaign=big.past)) == RATERS * 2
        assert len(stored_ballots(session=session, campaign=big.past)) == RATERS * 2
        rows = campaign_progress(session=session, campaign=big.past)
        assert sum(group.responses for row in rows for group in row.groups.values()) == RATERS * 2

    statements = explained(big, results)
    assert len(statements) == 6  # cadres, responses, ballots; progress: cadres, named, stored
    for sql, tree in statements:
        assert rescanned(tree) == [], (sql, tree)

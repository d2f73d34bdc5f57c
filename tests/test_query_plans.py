"""PostgreSQL query plans at a realistic size: the selective lookups use indexes.

Three yearly rosters of 1,000 cadres and 10,000 raters each (20,000
assignments each), a campaign on each: two past ones whose boxes are open
(20,000 responses each) and the current one, open, with 10,000 named
invitations of which nine in ten are done and six in ten bound to a chat.
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
from surveys.ballots import open_ballot
from surveys.campaigns import KeyFileCustody, create_campaign
from surveys.invitations import find_invitation, invitation_counts
from surveys.opening import sealed_count
from surveys.progress import campaign_progress
from surveys.questionnaire import load_questionnaire
from surveys.reminders import recipients
from surveys.reports import stored_ballots
from surveys.results import campaign_results
from tests.databases import postgres_database
from tests.factories import BOX_KEYS

pytestmark = pytest.mark.postgres

CADRES, RATERS, YEARS = 1_000, 10_000, (2024, 2025, 2026)
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
    connection.execute(sa.text("CREATE TEMPORARY TABLE years (y int, rid text, cid text)"))
    connection.execute(
        sa.text("INSERT INTO years VALUES (:y, :rid, :cid)"),
        [{"y": y, "rid": c.roster_id, "cid": c.id} for y, c in campaigns.items()],
    )
    statements = [
        """INSERT INTO cadre (id, roster_id, external_id, name, unit, post)
           SELECT md5('cadre:' || y || ':' || n), rid, 'C' || n,
                  '干部' || n, '单位' || (n % 50), '科长'
           FROM years, generate_series(1, :cadres) n""",
        """INSERT INTO rater (id, roster_id, external_id, name)
           SELECT md5('rater:' || y || ':' || n), rid, 'R' || n, '测评人' || n
           FROM years, generate_series(1, :raters) n""",
        # Each rater rates two cadres, half a roster apart: 20 per cadre.
        """INSERT INTO assignment (id, roster_id, rater_id, cadre_id, "group")
           SELECT md5('assignment:' || y || ':' || n || ':' || k), rid,
                  md5('rater:' || y || ':' || n),
                  md5('cadre:' || y || ':' || ((n + k * :cadres / 2) % :cadres + 1)),
                  (ARRAY['superior', 'peer', 'subordinate'])[n % 3 + 1]
           FROM years, generate_series(1, :raters) n, generate_series(0, 1) k""",
        # Past campaigns are all done; in the current one one rater in ten has not answered.
        """INSERT INTO invitation (id, campaign_id, rater_id, nonce, token_hash, status)
           SELECT md5('invitation:' || y || ':' || n), cid,
                  md5('rater:' || y || ':' || n), md5('nonce:' || y || ':' || n),
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
           SELECT md5('response:' || a.id), cid, a.cadre_id, a."group",
                  CAST(:answers AS json), 'excellent'
           FROM years JOIN assignment a ON a.roster_id = rid
           WHERE y <> :current""",
        # The current box is sealed: one ciphertext per answered rater.
        """INSERT INTO sealedballot (id, campaign_id, ciphertext)
           SELECT md5('sealed:' || n), (SELECT cid FROM years WHERE y = :current), sha256(int4send(n))
           FROM generate_series(1, :raters) n WHERE n % 10 <> 0""",
    ]
    values = {
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
    """A roster row and a real campaign (questionnaire, sealed box) per year; past boxes open."""
    questionnaire = load_questionnaire("annual")
    campaigns = {}
    with Session(engine, expire_on_commit=False) as session:
        for year in YEARS:
            shift = timedelta(days=365 * (CURRENT - year))
            roster = Roster(name=f"{year}名册", imported_at=NOW - shift)
            session.add(roster)
            session.flush()
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


def test_the_pending_raters_of_a_wave_are_found_without_reading_whole_tables(big):
    """One in ten raters is still pending near the deadline: the wave's recipients are
    found through the invitation's (campaign, status) index and the chat bindings' key."""

    def pending(session: Session) -> None:
        found = recipients(session=session, campaign=big.current)
        bound = [n for n in range(1, RATERS + 1) if n % 10 == 0 and n % 7 < 4]
        assert len(found) == len(bound)

    ((sql, tree),) = explained(big, pending)
    assert seq_scans(tree) == set(), (sql, json.dumps(tree, indent=1))


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
    """Scoring after opening reads every response of the campaign (a third of the table
    here, so a sequential scan may be the cheapest way); never once per cadre."""

    def results(session: Session) -> None:
        scored = campaign_results(session=session, campaign=big.past)
        assert len(scored) == CADRES
        assert len(stored_ballots(session=session, campaign=big.past)) == RATERS * 2

    for sql, tree in explained(big, results):
        assert rescanned(tree) == [], (sql, tree)

"""Engines and sessions.  Nothing here is global: callers pass URLs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session


def make_engine(url: str) -> sa.Engine:
    """Create an engine; SQLite files get WAL mode, foreign keys and a busy wait.

    WAL lets the web server read while another process writes, which is the
    normal case with one web process and one scheduler on a single machine.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        # Plain postgresql:// would ask for psycopg2; the project installs psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # The driver opens a transaction just before the first write, with BEGIN
    # IMMEDIATE: the write lock is taken at once and a concurrent writer waits
    # (up to the 30 s busy timeout) instead of failing with "database is
    # locked" when it tries to upgrade a read.  Reads never block each other.
    connect_args = {"timeout": 30, "check_same_thread": False, "isolation_level": "IMMEDIATE"}
    engine = sa.create_engine(parsed, connect_args=connect_args)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL, foreign keys, full sync and secure delete for each SQLite connection.

    ``synchronous=FULL`` syncs the WAL at every commit, so a ballot that got
    its thank-you page survives a power cut; ``secure_delete`` overwrites
    deleted rows, so the sealed ballots deleted when the box is opened leave
    no trace in free pages.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

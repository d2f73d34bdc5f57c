"""Which scheduler process runs the jobs: exactly one at a time, and another when it dies.

On PostgreSQL the leader holds a session-level advisory lock on a connection
of its own; PostgreSQL releases it when that connection ends, including when
the process is killed, and a standby takes it over on its next try.  On a
SQLite file (one machine) the operating system's ``flock`` on a file beside
the database does the same.  Even if two processes believed they led at
once, the outbox claims would still send each message once.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import sqlalchemy as sa

log = logging.getLogger(__name__)

ADVISORY_KEY = 0x63616472655F7363  # "cadre_sc": the scheduler role's lock
"""The advisory lock's key; any other use of this number in the database would clash."""


class PostgresLeadership:
    """Leadership through ``pg_try_advisory_lock`` on a dedicated connection."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._connection: sa.Connection | None = None

    def acquire(self) -> bool:
        """Try to become the leader now; False if another process is."""
        try:
            if self._connection is None:
                self._connection = self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            query = sa.text("SELECT pg_try_advisory_lock(:key)")
            return bool(self._connection.execute(query, {"key": ADVISORY_KEY}).scalar())
        except sa.exc.SQLAlchemyError as exc:
            log.warning("cannot reach the database to take the lead: %s", type(exc).__name__)
            self._drop()
            return False

    def held(self) -> bool:
        """Whether the lock's connection is still alive (if it died, so did the lock)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            self._drop()
            return False

    def release(self) -> None:
        """Give up the lead: unlock, then close (the pool would keep a locked connection)."""
        if self._connection is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                )
        self._drop()

    def _drop(self) -> None:
        """Discard the connection for good, so no pooled connection keeps the lock."""
        if self._connection is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None


class FileLeadership:
    """Leadership through an exclusive ``flock`` next to a SQLite database file."""

    def __init__(self, path: Path):
        self.path = path
        self._handle = None

    def acquire(self) -> bool:
        """Try to become the leader now; False if another process on this machine is."""
        import fcntl

        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a+")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def held(self) -> bool:
        """A lock held by this open file cannot be lost while the process lives."""
        return self._handle is not None

    def release(self) -> None:
        """Unlock and close."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class SoleLeadership:
    """An in-memory database, or a platform without flock: this process is the only one."""

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        return None


def leadership_for(engine: sa.Engine):
    """The right kind of leadership for the database behind the engine."""
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine)
    database = engine.url.database
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return SoleLeadership()
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return FileLeadership(Path(database).with_name(Path(database).name + ".scheduler-lock"))
    return SoleLeadership()

"""Consistent online backups of the assessment database.

SQLite: the driver's online backup API copies a consistent snapshot page by
page while the server keeps taking ballots.  PostgreSQL: ``pg_dump`` in its
custom format, which reads one consistent snapshot too.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup that could not be made (the message says why, in English for logs)."""


def backup(engine: sa.Engine, target: Path) -> None:
    """Write a consistent copy of the database behind ``engine`` to ``target``."""
    if target.exists():
        raise BackupError(f"{target} already exists")
    if engine.dialect.name == "sqlite":
        backup_sqlite(engine, target)
    elif engine.dialect.name == "postgresql":
        backup_postgres(engine, target)
    else:
        raise BackupError(f"no backup method for {engine.dialect.name}")


def backup_sqlite(engine: sa.Engine, target: Path) -> None:
    """Copy with SQLite's backup API into a fresh file, then check the copy's integrity."""
    partial = target.with_name(target.name + ".partial")
    raw = engine.raw_connection()
    try:
        with sqlite3.connect(partial) as copy:
            raw.driver_connection.backup(copy)
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        copy.close()
    finally:
        raw.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {verdict}")
    partial.rename(target)


def backup_postgres(engine: sa.Engine, target: Path) -> None:
    """Run pg_dump (custom format) against the engine's database."""
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: apt install postgresql-client)")
    url = make_url(engine.url).set(drivername="postgresql")
    partial = target.with_name(target.name + ".partial")
    result = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={partial}", url.render_as_string(False)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(result.stderr.strip().splitlines()[-1] if result.stderr else "pg_dump")
    partial.rename(target)

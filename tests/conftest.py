"""Shared fixtures: real databases, fixed clocks, sessions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from storage.engine import make_engine
from storage.migrate import upgrade
from tests.databases import postgres_database

pytest_plugins = ["tests.bot_fixtures"]

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


@pytest.fixture
def now() -> datetime:
    """A fixed moment inside the factories' default campaign window."""
    return NOW


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'cadre.db'}"


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database for one test (see tests/databases.py)."""
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(
        {"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param]
    )


@pytest.fixture
def engine(sqlite_url):
    """A migrated SQLite engine (most tests); use ``any_engine`` for both databases."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def any_engine(database_url):
    """A migrated engine, once on SQLite and once on PostgreSQL."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A session on the SQLite engine; tests commit when they need to."""
    with Session(engine, expire_on_commit=False) as session:
        yield session

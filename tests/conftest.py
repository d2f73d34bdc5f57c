"""Shared fixtures: real databases, fixed clocks, sessions."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from storage.engine import make_engine
from storage.migrate import upgrade
from tests import clock_shift
from tests.databases import postgres_database

pytest_plugins = ["tests.bot_fixtures"]

# 12:00 in Asia/Shanghai: passed in as `now`, never compared with a real clock.
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift",
        type=float,
        default=float(os.environ.get(clock_shift.SHIFT_ENV) or 0),
        metavar="DAYS",
        help="run every test (and the processes it starts) on a clock DAYS from today",
    )


def pytest_configure(config):
    """Start the shifted clock before any test module is imported (see tests/clock_shift)."""
    days = config.getoption("--clock-shift")
    if days:
        clock_shift.start(days)
        clock_shift.propagate(days)


def pytest_report_header(config):
    days = config.getoption("--clock-shift")
    if days:
        return [f"clock shifted by {days} days: today is {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"]
    return []


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

"""The database as the web forms see it: one engine per app, one session per request."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlmodel import Session

from storage.engine import make_engine

log = logging.getLogger(__name__)

ENGINE_KEY = "cadre_engine"


def init_app(app: Flask) -> None:
    """Make the app's engine and close each request's session when the request ends.

    Migrating is the CLI's job (``cadre db upgrade``), not the web server's,
    so several web processes never race to change the schema.
    """
    app.extensions[ENGINE_KEY] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)


def get_engine() -> sa.Engine:
    """The current app's engine."""
    return current_app.extensions[ENGINE_KEY]


def get_session() -> Session:
    """This request's session, opened on first use so static files never touch the database."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_error: BaseException | None = None) -> None:
    """Close the request's session; anything not committed is rolled back."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def database_answers() -> bool:
    """Whether the database answers a trivial query, for the health check."""
    try:
        with get_engine().connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return False
    return True

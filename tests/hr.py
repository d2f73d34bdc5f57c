"""Signing in to the HR pages in tests: accounts in the app's database and logged-in clients.

Use with the ``app`` fixture of ``tests.web``::

    from tests.hr import hr_client, hr_post
    from tests.web import app_fixture  # noqa: F401

    def test_something(app):
        officer = hr_client(app, "officer")
        response = hr_post(officer, "/admin/…", {"field": "value"})

Each client signs in through the real login page (CSRF token included), so
what a test sees is what a browser would.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from storage.models import HrUser
from surveys.setup.accounts import create_user
from tests.web import parse

PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login"
DASHBOARD = "/admin/"
CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def make_hr_user(app: Flask, role: str, username: str | None = None) -> HrUser:
    """An account with ``PASSWORD`` in the app's database; the username defaults to the role."""
    with Session(app.extensions["cadre_engine"], expire_on_commit=False) as session:
        user = create_user(
            session=session,
            username=username or role,
            password=PASSWORD,
            role=role,
            actor="test",
            now=CREATED,
        )
        session.commit()
    return user


def anonymous_client(app: Flask) -> FlaskClient:
    """A browser with cookies and English pages, signed in to nothing."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def form_token(client: FlaskClient, path: str = LOGIN) -> str:
    """The CSRF token a page's forms carry for this client's session."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return parse(response.data).csrf_token


def log_in(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    """Post the login form as a person would (token from the login page first)."""
    token = form_token(client, LOGIN)
    return client.post(
        LOGIN, data={"username": username, "password": password, "csrf_token": token}
    )


def hr_client(app: Flask, role: str, username: str | None = None) -> FlaskClient:
    """A client signed in as a new account with ``role`` (admin, officer or auditor)."""
    user = make_hr_user(app, role, username)
    client = anonymous_client(app)
    response = log_in(client, user.username)
    assert response.status_code == 303, response.data
    return client


def hr_post(
    client: FlaskClient, path: str, data: dict | None = None, token_from: str = DASHBOARD
) -> TestResponse:
    """Post a form with a valid CSRF token, taken from a page this client may read."""
    token = form_token(client, token_from)
    return client.post(path, data={**(data or {}), "csrf_token": token})

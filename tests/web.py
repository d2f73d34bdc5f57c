"""Shared fixtures and helpers for the web form tests: the real app on a real SQLite file.

Import the fixtures into a test module with
``from tests.web import app_fixture, client_fixture  # noqa: F401``; they are
named ``app`` and ``client`` in tests.  The functions have other names so a
test's ``client`` parameter does not shadow an import (ruff's F811).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from storage.models import Campaign, Invitation, Response
from surveys.setup.invitations import named_links
from tests.factories import BOX_KEYS, LEDGER_KEY, SECRET, opened_responses
from webforms import create_app

BASE_URL = "http://localhost"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
FORM = "/r/"  # where a rater's form lives once the link's token is in the session


def make_app(database_url: str, now) -> Flask:
    """The real application on a migrated test database, standing at the fixed ``now``."""
    return create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "BASE_URL": BASE_URL,
            "CLOCK": lambda: now,
            "TESTING": True,
            "BOX_KEYS": str(BOX_KEYS),
            "LEDGER_KEY": str(LEDGER_KEY),
        }
    )


@pytest.fixture(name="app")
def app_fixture(engine, sqlite_url, now) -> Iterator[Flask]:
    """The application on the SQLite test database (most web tests)."""
    application = make_app(sqlite_url, now)
    yield application
    application.extensions["cadre_engine"].dispose()


@pytest.fixture(name="any_app")
def any_app_fixture(any_engine, database_url, now) -> Iterator[Flask]:
    """The application once on SQLite and once on PostgreSQL."""
    application = make_app(database_url, now)
    yield application
    application.extensions["cadre_engine"].dispose()


@pytest.fixture(name="client")
def client_fixture(app) -> FlaskClient:
    """A browser-like client that keeps cookies (the CSRF session and the language).

    It asks for English unless a test says otherwise: the UI strings are
    English message ids, so assertions on them keep holding once the
    Chinese catalog exists.  Tests of Chinese pages send ``ZH`` and assert
    on questionnaire data and Babel's date formats, which need no catalog.
    """
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def rater_paths(engine: sa.Engine, campaign: Campaign) -> dict[str, str]:
    """Each rater's form path (``/r/<token>``) by roster id, rebuilt as HR would print it."""
    with Session(engine) as session:
        links = named_links(
            session=session, campaign=campaign, secret_key=SECRET, base_url=BASE_URL
        )
        return {link.rater_id: urlsplit(link.url).path for link in links}


def responses(engine: sa.Engine) -> list[Response]:
    """Every stored response row, once every ballot box is opened (as at close)."""
    with Session(engine, expire_on_commit=False) as session:
        return opened_responses(session)


def invitation_statuses(engine: sa.Engine) -> list[str]:
    """The status of every invitation, sorted."""
    with Session(engine) as session:
        return sorted(session.exec(select(Invitation.status)).all())


@dataclass
class Page:
    """What a person sees and can fill in on one HTML page."""

    text: str = ""
    radios: dict[str, list[str]] = field(default_factory=dict)
    checked: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    textareas: dict[str, str] = field(default_factory=dict)
    marked: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    @property
    def csrf_token(self) -> str:
        """The form's CSRF token, as a browser would post it back."""
        return self.hidden["csrf_token"]

    def valid_answers(self, choice: int = 0, comment: str = "") -> dict[str, str]:
        """A complete submission: option ``choice`` of every radio group, plus comments."""
        data = dict(self.hidden)
        data.update({name: values[choice] for name, values in self.radios.items()})
        data.update({name: comment for name in self.textareas})
        return data


class _PageParser(HTMLParser):
    """Collects form fields, problem marks and visible text from our own templates."""

    def __init__(self) -> None:
        """Start with an empty page."""
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._texts: list[str] = []
        self._textarea: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Note fields, problem marks and links as they open."""
        attributes = {key: value or "" for key, value in attrs}
        if tag in ("style", "script", "title"):
            self._skip += 1
        if "bad" in attributes.get("class", "").split():
            self.page.marked.append(attributes.get("id", ""))
        if tag == "a" and "href" in attributes:
            self.page.links.append(attributes["href"])
        if tag == "input":
            self._input(attributes)
        if tag == "textarea":
            self._textarea = attributes["name"]
            self.page.textareas[self._textarea] = ""

    def _input(self, attributes: dict) -> None:
        """Record a radio option (and whether it is checked) or a hidden value."""
        name, value = attributes.get("name", ""), attributes.get("value", "")
        if attributes.get("type") == "radio":
            self.page.radios.setdefault(name, []).append(value)
            if "checked" in attributes:
                self.page.checked[name] = value
        elif attributes.get("type") == "hidden":
            self.page.hidden[name] = value

    def handle_endtag(self, tag: str) -> None:
        """Leave skipped elements and textareas."""
        if tag in ("style", "script", "title"):
            self._skip -= 1
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        """Text goes to the open textarea, or to the visible text."""
        if self._textarea is not None:
            self.page.textareas[self._textarea] += data
        elif not self._skip:
            self._texts.append(data)

    def close(self) -> None:
        """Finish parsing and collapse the visible text's whitespace."""
        super().close()
        self.page.text = re.sub(r"\s+", " ", " ".join(self._texts)).strip()


def parse(body: bytes | str) -> Page:
    """Parse a response body into a Page."""
    parser = _PageParser()
    parser.feed(body.decode() if isinstance(body, bytes) else body)
    parser.close()
    return parser.page


def visible(body: bytes | str) -> str:
    """The page's visible text, whitespace collapsed, entities decoded."""
    return html.unescape(parse(body).text)

"""Hostile and malformed input everywhere: no 500, no traceback, a clear message, nothing stored.

Property-based (hypothesis): the rater and public forms, the bot core,
roster files and questionnaire templates.  Everything that touches a database
runs on SQLite and on PostgreSQL: PostgreSQL refuses a NUL in text where
SQLite stores it, so a NUL once passed here and was a 500 in production.
"""

from __future__ import annotations

import string
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from bot.actions import Incoming
from bot.conversation import BotConfig
from bot.core import BotCore
from storage.models import Invitation, Response, SealedBallot
from surveys.rules.questionnaire import TemplateError, parse_questionnaire
from surveys.setup.channels import create_channel
from surveys.setup.roster import RosterError, import_roster, read_roster
from tests.factories import SECRET, make_campaign
from tests.hr import LOGIN, hr_client
from tests.web import FORM, parse, rater_paths

FUZZ = settings(
    max_examples=60,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text a hostile person might type or post: control characters, surrogates left out
# (forms arrive as UTF-8), very long strings, formula and markup fragments.
nasty_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=string.printable, max_size=3000),
    st.sampled_from(["=1+1", "<script>alert(1)</script>", "'; DROP TABLE response; --", "\x00"]),
    st.text(alphabet="好较差一般优秀称职", max_size=600),
)


@pytest.fixture
def engine(any_engine):
    """This run's database: SQLite, then PostgreSQL."""
    return any_engine


@pytest.fixture
def app(any_app):
    """The real application on this run's database."""
    return any_app


def stored(engine) -> tuple[int, int, int]:
    """(sealed ballots, responses, completed invitations): what a refused post must not change."""
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(SealedBallot)).one(),
            session.exec(select(func.count()).select_from(Response)).one(),
            session.exec(select(func.count()).where(Invitation.status == "completed")).one(),
        )


def assert_friendly(response) -> None:
    """A status the app means, and a page with no traceback in it."""
    assert response.status_code < 500, response.status_code
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "sqlalchemy" not in body.lower()


RATER_PATHS: dict[str, dict[str, str]] = {}


@FUZZ
@given(
    fields=st.dictionaries(st.text(max_size=80), nasty_text, max_size=30), keep_csrf=st.booleans()
)
def test_rater_form_takes_any_post_calmly(app, client, session, engine, now, fields, keep_csrf):
    made = RATER_PATHS.setdefault(str(engine.url), {})  # one campaign per database
    if not made:
        made.update(rater_paths(engine, make_campaign(session, now=now)))
    page = parse(client.get(made["R1"], follow_redirects=True).data)
    data = dict(fields)
    if keep_csrf and "csrf_token" in page.hidden:
        data["csrf_token"] = page.hidden["csrf_token"]
    before = stored(engine)
    response = client.post(FORM, data=data)
    assert_friendly(response)
    if response.status_code != 303:
        assert stored(engine) == before


SIGNED_IN: dict[int, object] = {}
PATHS = [
    "/r/{}", "/p/{}", "/p/{}/thanks", "/p/{}/display", "/p/{}/qr.png", "/publicity/{}",
    "/app/{}", "/admin/campaigns/{}", "/admin/campaigns/{}/results.xlsx",
    "/admin/campaigns/{}/overview.pdf", "/admin/campaigns/{}/cadres/{}/report.pdf",
    "/admin/appeals/{}/decide", "/{}",
]  # fmt: skip


@FUZZ
@given(
    pattern=st.sampled_from(PATHS),
    parts=st.lists(st.one_of(nasty_text, st.just("abc\x00")), min_size=2, max_size=2),
    signed_in=st.booleans(),
)
def test_any_link_is_answered_calmly(app, session, now, pattern, parts, signed_in):
    """Made-up links, NUL and all, signed in as HR or not: a page, never a 500.

    On PostgreSQL ``/p/abc%00`` and its kin were 500s: the NUL reached a query."""
    if not SIGNED_IN.get(id(app)):
        make_campaign(session, now=now)
        SIGNED_IN[id(app)] = hr_client(app, "auditor")
    client = SIGNED_IN[id(app)] if signed_in else app.test_client()
    path = pattern.format(*(quote(part, safe="") or "x" for part in parts))
    response = client.get(path)
    assert_friendly(response)
    if "%00" in path:
        assert response.status_code in (400, 404), (path, response.status_code)


@FUZZ
@given(username=nasty_text, password=nasty_text)
def test_any_login_is_refused_calmly(app, username, password):
    """An HR login as ``ad\\x00min`` was a 500 on PostgreSQL."""
    client = app.test_client()
    token = parse(client.get(LOGIN).data).csrf_token
    response = client.post(
        LOGIN, data={"username": username, "password": password, "csrf_token": token}
    )
    assert_friendly(response)
    assert response.status_code != 303  # nobody signs in with made-up names


@pytest.fixture
def public_path(session, now):
    """A static public channel (no rotating code) of a fresh campaign."""
    campaign = make_campaign(session, now=now)
    channel = create_channel(
        session=session, campaign=campaign, name="窗口", cadre_ids=["C1", "C2"], rotating=False
    )
    session.commit()
    return f"/p/{channel.slug}"


@FUZZ
@given(fields=st.dictionaries(st.text(max_size=40), nasty_text, max_size=20))
def test_public_form_takes_any_post_calmly(app, engine, public_path, fields):
    client = app.test_client()  # a fresh phone each time: the device limit is not under test
    page = parse(client.get(public_path).data)
    before = stored(engine)
    response = client.post(public_path, data={**fields, "csrf_token": page.hidden["csrf_token"]})
    assert_friendly(response)
    if response.status_code != 303:
        assert stored(engine) == before


@pytest.fixture
def core(engine, now):
    """The bot core on a campaign's database."""
    with Session(engine) as session:
        make_campaign(session, now=now)
    config = BotConfig(secret_key=SECRET, base_url="http://localhost", hr_chats=frozenset({1}))
    return BotCore(engine=engine, config=config, clock=lambda: now)


@FUZZ
@given(
    text=st.one_of(
        nasty_text,
        st.builds(
            lambda c, a: f"/{c} {a}",
            st.sampled_from(["start", "pending", "results", "progress", "language", "help", "x"]),
            nasty_text,
        ),
    ),
    data=st.one_of(
        st.none(),
        nasty_text,
        st.builds(
            lambda p, a: f"{p}:{a}",
            st.sampled_from(["go", "ans", "skip", "back", "sub", "lang", "zz"]),
            nasty_text,
        ),
    ),
    chat_id=st.integers(min_value=-(2**52), max_value=2**52),
)
def test_bot_core_answers_anything_without_failing(core, text, data, chat_id):
    incoming = Incoming(
        chat_id=chat_id,
        language="zh",
        text=None if data is not None else text,
        callback_id="cb" if data is not None else None,
        callback_data=data,
        message_id=5 if data is not None else None,
    )
    actions = core.handle(incoming)
    assert actions, "the bot must never stay silent"
    texts = " ".join(getattr(action, "text", "") or "" for action in actions)
    assert "系统出现问题" not in texts  # the apology means a handler raised


@FUZZ
@given(content=st.binary(max_size=2000), suffix=st.sampled_from([".xlsx", ".csv", ".txt", ""]))
def test_roster_files_are_refused_with_reasons(session, now, tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("roster") / f"roster{suffix}"
    path.write_bytes(content)
    try:
        rows = read_roster(path)
        import_roster(session=session, rows=rows, name="x", now=now)
    except RosterError as error:
        assert error.problems and all(problem.message for problem in error.problems)
        session.rollback()
        return
    pytest.fail("random bytes were accepted as a roster")


@FUZZ
@given(
    text=st.one_of(
        nasty_text,
        st.builds(
            lambda key, value: f"{key}: {value}\n",
            st.sampled_from(
                ["key", "title", "scale", "dimensions", "group_weights", "vote", "grading"]
            ),
            nasty_text,
        ),
    )
)
def test_templates_are_refused_with_a_clear_error(text):
    with pytest.raises(TemplateError) as refused:
        parse_questionnaire(text, "fuzz.yaml")
    assert "fuzz.yaml" in str(refused.value)

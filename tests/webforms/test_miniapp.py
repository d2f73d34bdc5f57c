"""The Mini App: Telegram's signed initData opens a bound rater's form, nothing else does."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode, urlsplit

import pytest
from sqlmodel import Session

from surveys.collection.chats import bind_chat, telegram_links
from tests.factories import SECRET, later, make_campaign
from tests.web import BASE_URL, rater_paths
from webforms import create_app
from webforms.miniapp import InitDataRefused, check_init_data

BOT_TOKEN = "123456:TEST-token-of-the-bot"
CHAT = 424242


def sign(fields: dict, bot_token: str = BOT_TOKEN) -> str:
    """initData as Telegram builds it: sorted key=value lines, HMAC with the WebAppData key."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def init_fields(now, user_id: int = CHAT, **extra) -> dict:
    """The fields Telegram sends: the user, the signing time, a query id."""
    user = {"id": user_id, "first_name": "测评人", "language_code": "en"}
    return {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(now.timestamp())),
        **extra,
    }


def test_correctly_signed_data_is_accepted(now):
    data = check_init_data(sign(init_fields(now)), bot_token=BOT_TOKEN, now=now, max_age=3600)
    assert data["user_id"] == CHAT
    assert data["user"]["first_name"] == "测评人"


def test_tampered_data_is_refused(now):
    signed = sign(init_fields(now))
    tampered = signed.replace(str(CHAT), str(CHAT + 1))
    assert tampered != signed
    with pytest.raises(InitDataRefused, match="signature"):
        check_init_data(tampered, bot_token=BOT_TOKEN, now=now, max_age=3600)


def test_data_signed_for_another_bot_is_refused(now):
    signed = sign(init_fields(now), bot_token="999999:another-bot")
    with pytest.raises(InitDataRefused, match="signature"):
        check_init_data(signed, bot_token=BOT_TOKEN, now=now, max_age=3600)


def test_expired_data_is_refused(now):
    signed = sign(init_fields(later(now, hours=-2)))
    with pytest.raises(InitDataRefused, match="expired"):
        check_init_data(signed, bot_token=BOT_TOKEN, now=now, max_age=3600)
    assert check_init_data(signed, bot_token=BOT_TOKEN, now=now, max_age=3 * 3600)


@pytest.mark.parametrize("init_data", ["", "hash=abc", "user=%7B%7D&hash=00", "%%%"])
def test_missing_or_garbage_data_is_refused(now, init_data):
    with pytest.raises(InitDataRefused):
        check_init_data(init_data, bot_token=BOT_TOKEN, now=now, max_age=3600)


@pytest.fixture
def bound(engine, now):
    """A campaign whose rater R2 has bound chat CHAT; returns (invitation id, R2's form path)."""
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        links = telegram_links(
            session=session, campaign=campaign, secret_key=SECRET, bot_username="cadre_bot"
        )
        payload = next(link for link in links if link.rater_id == "R2").url.split("start=")[1]
        binding = bind_chat(session=session, payload=payload, chat_id=CHAT, now=now)
        session.commit()
    return binding.invitation.id, rater_paths(engine, campaign)["R2"]


@pytest.fixture
def miniapp_client(engine, sqlite_url, now):
    """The real app with a bot token configured, so the Mini App pages exist."""
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": sqlite_url,
            "BASE_URL": BASE_URL,
            "CLOCK": lambda: now,
            "TELEGRAM_TOKEN": BOT_TOKEN,
        }
    )
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    yield client
    app.extensions["cadre_engine"].dispose()


def test_opening_page_runs_only_our_vendored_script(miniapp_client, bound):
    invitation_id, _path = bound
    page = miniapp_client.get(f"/app/{invitation_id}")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors https://web.telegram.org" in policy
    assert 'src="/static/miniapp.js' in page.text
    assert "<script>" not in page.text
    with miniapp_client.get("/static/miniapp.js") as script:
        assert script.status_code == 200
        assert b"tgWebAppData" in script.data


def test_bound_user_is_sent_to_the_form_in_their_language(miniapp_client, bound, now):
    invitation_id, path = bound
    answer = miniapp_client.post(
        f"/app/{invitation_id}", data={"init_data": sign(init_fields(now))}
    )
    assert answer.status_code == 303
    target = urlsplit(answer.headers["Location"])
    assert (target.path, target.query) == (path, "lang=en")
    form = miniapp_client.get(f"{target.path}?{target.query}", follow_redirects=True)
    assert form.status_code == 200
    assert "王伟" in form.text


@pytest.mark.parametrize(
    "case", ["another user", "tampered", "another bot", "expired", "unknown invitation"]
)
def test_everything_else_gets_the_same_refusal(miniapp_client, bound, now, case):
    invitation_id, _path = bound
    fields = init_fields(now, user_id=CHAT + 1 if case == "another user" else CHAT)
    if case == "expired":
        fields = init_fields(later(now, days=-1))
    init_data = sign(fields, "1:other" if case == "another bot" else BOT_TOKEN)
    if case == "tampered":
        init_data = init_data.replace("AAHdF6", "AAHdF7")
    target = "0" * 32 if case == "unknown invitation" else invitation_id
    answer = miniapp_client.post(f"/app/{target}", data={"init_data": init_data})
    assert answer.status_code == 403
    assert "Please open the form from the bot" in answer.text
    assert "Location" not in answer.headers


def test_without_a_bot_token_there_is_no_mini_app(client, bound, now):
    invitation_id, _path = bound
    assert client.get(f"/app/{invitation_id}").status_code == 404
    assert client.post(f"/app/{invitation_id}", data={"init_data": "x"}).status_code == 404

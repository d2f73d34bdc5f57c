"""Public channels that resist stuffing: rotating codes, one rating per device and day,
per-address limits, and tallies that flag bursts for HR.

Everything is checked as a person sees it (status and page text) through
the real app, and through the real ``cadre channels`` commands for HR.
"""

from __future__ import annotations

import os
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from sqlmodel import Session, select

from cadre.settings import Settings
from storage.models import Cadre, ChannelTally, PublicChannel
from surveys.documents.qrcodes import qr_matrix
from surveys.setup.channels import (
    channel_flags,
    channel_tallies,
    claim_code,
    code_claimed,
    code_spent,
    code_url,
    create_channel,
    display_key,
    next_serial,
    record_tally,
    rotating_code,
    spend_code,
    window_number,
    window_start,
)
from tests.cli import BASE_URL as CLI_BASE_URL
from tests.cli import CadreCli, png_matrix, terminal_matrix
from tests.factories import SECRET, later, make_campaign
from tests.web import BASE_URL, parse, responses, visible
from tests.webforms.test_public_form import scanned
from webforms import create_app

REDIS_URL = os.environ.get("CADRE_TEST_REDIS", "redis://127.0.0.1:6379/15")
EXPIRED = "This code has expired"
SCAN_AGAIN = "Please scan the code at the window again"


def open_channel(session, campaign, cadres: list[str], *, rotating: bool = True) -> PublicChannel:
    """A committed public channel for roster cadres."""
    channel = create_channel(
        session=session, campaign=campaign, name="1号窗口", cadre_ids=cadres, rotating=rotating
    )
    session.commit()
    return channel


def cadre_id(session, external_id: str) -> str:
    """A cadre's database id from its roster id."""
    return session.exec(select(Cadre).where(Cadre.external_id == external_id)).one().id


def set_clock(app, moment) -> None:
    """Move the app's clock, as the minutes pass while a person fills in."""
    app.config["CLOCK"] = lambda: moment


def rate(client, path: str, opened: str, cadre: str | None = None):
    """Open the form at ``opened`` and send complete answers (about ``cadre`` if asked)."""
    page = parse(client.get(opened).data)
    data = page.valid_answers()
    if cadre is not None:
        data["cadre"] = cadre
    return client.post(path, data=data)


def tallies(engine) -> list[tuple[int, int]]:
    """(accepted, refused) per stored channel hour."""
    with Session(engine) as session:
        return [(row.count, row.refused) for row in session.exec(select(ChannelTally))]


# --- rotating codes ---------------------------------------------------------------------------


def test_an_expired_code_is_refused_with_a_friendly_page(client, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    for address in (scanned(path, now, windows_ago=2), path, f"{path}?c=AAAAAAAAAA"):
        response = client.get(address)
        assert response.status_code == 403
        text = visible(response.data)
        assert EXPIRED in text and SCAN_AGAIN in text
        assert not parse(response.data).radios  # no form to fill in
    assert responses(engine) == []


def test_a_code_from_the_previous_window_is_accepted(client, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    response = client.get(scanned(path, now, windows_ago=1))
    assert response.status_code == 200 and "How were you served?" in visible(response.data)
    assert rate(client, path, scanned(path, now, windows_ago=1)).status_code == 303
    assert len(responses(engine)) == 1


def test_codes_change_with_the_window_and_ignore_case(session, now):
    first = rotating_code(SECRET, "slug", window_number(now))
    assert re.fullmatch(r"[A-Z2-7]{10}", first)
    assert first != rotating_code(SECRET, "slug", window_number(now) + 1)
    assert first != rotating_code(SECRET, "other", window_number(now))
    assert first != rotating_code("another-secret-key-0123456789abcdef", "slug", window_number(now))


def test_a_slow_person_is_not_refused_once_the_window_turns(app, client, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    page = parse(client.get(scanned(path, now)).data)
    set_clock(app, later(now, minutes=12))  # the code turned twice: it could not be scanned now
    assert client.get(scanned(path, now)).status_code == 403
    response = client.post(path, data=page.valid_answers(comment="慢慢填"))
    assert response.status_code == 303 and response.headers["Location"] == f"{path}/thanks"
    (row,) = responses(engine)
    assert row.comment == "慢慢填"


def test_a_form_left_open_for_hours_is_refused_and_nothing_is_stored(
    app, client, session, engine, now
):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    page = parse(client.get(scanned(path, now)).data)
    set_clock(app, later(now, minutes=61))
    response = client.post(path, data=page.valid_answers())
    assert response.status_code == 403
    assert SCAN_AGAIN in visible(response.data)
    assert responses(engine) == []
    assert tallies(engine) == [(0, 1)]


def test_the_language_links_keep_a_scanned_code(client, session, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    assert client.get(scanned(path, now)).status_code == 200
    response = client.get(f"{path}?lang=zh")
    assert response.status_code == 200 and "服务态度热情、耐心" in visible(response.data)


def test_a_post_without_a_scanned_code_is_refused(app, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    opened = app.test_client()
    page = parse(opened.get(scanned(path, now)).data)
    stranger = app.test_client()  # the same answers from a browser that never scanned
    response = stranger.post(path, data=page.valid_answers(), headers={"Accept-Language": "en"})
    assert response.status_code == 403 and EXPIRED in visible(response.data)
    assert responses(engine) == []


def test_a_static_channel_works_without_a_code(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = f"/p/{open_channel(session, campaign, ['C1'], rotating=False).slug}"
    response = client.get(path)
    assert response.status_code == 200 and "王伟" in visible(response.data)
    assert rate(client, path, path).status_code == 303
    assert len(responses(engine)) == 1


# --- one rating per cadre, device and day -----------------------------------------------------


def test_a_device_rates_each_cadre_once_a_day(app, client, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1', 'C2']).slug}"
    wang, li = cadre_id(session, "C1"), cadre_id(session, "C2")
    assert rate(client, path, scanned(path, now), wang).status_code == 303
    again = rate(client, path, scanned(path, now), wang)
    assert again.status_code == 403
    text = visible(again.data)
    assert "Already rated today" in text
    assert "You have already rated 王伟 today on this device." in text
    assert "You can rate them again from Nov 26, 2026, 12:00 AM China" in text
    assert path in parse(again.data).links  # "Rate another person": someone else at the window
    assert rate(client, path, scanned(path, now), li).status_code == 303
    assert sorted(row.cadre_id for row in responses(engine)) == sorted([wang, li])
    assert tallies(engine) == [(2, 1)]
    tomorrow = later(now, hours=20)  # 08:00 the next day in Shanghai
    set_clock(app, tomorrow)
    assert rate(client, path, scanned(path, tomorrow), wang).status_code == 303


def test_a_one_cadre_window_says_so_before_the_form(client, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    assert rate(client, path, scanned(path, now)).status_code == 303
    response = client.get(scanned(path, now))
    assert response.status_code == 403
    text = visible(response.data)
    assert "You have already rated 王伟 today on this device." in text
    assert not parse(response.data).radios and path not in parse(response.data).links


def test_a_forged_device_cookie_is_ignored(client, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    client.set_cookie("cadre_rated", "e30.forged", path="/p/")
    assert rate(client, path, scanned(path, now)).status_code == 303
    assert len(responses(engine)) == 1


# --- per-address limits -----------------------------------------------------------------------


def new_phone(app):
    """Another browser (its own cookies) behind the same address, asking for English."""
    phone = app.test_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return phone


def rate_from_new_phones(app, path: str, now, count: int) -> list:
    """``count`` different phones behind one address, each rating once."""
    return [rate(new_phone(app), path, scanned(path, now)) for _ in range(count)]


def assert_refused_by_the_limit(response) -> None:
    """The friendly, translated 429 page with a time to come back."""
    assert response.status_code == 429
    text = visible(response.data)
    assert "Too many ratings" in text
    # The limit's own clock is the real one: the hour ends some time from now.
    assert re.search(r"Please try again after \w{3} \d+, \d{4}, \d+:\d\d [AP]M China", text)
    assert int(response.headers["Retry-After"]) > 0


def test_one_address_may_post_a_limited_number_of_times(app, session, engine, now):
    app.config["PUBLIC_RATE_LIMIT"] = "3 per hour"
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    results = rate_from_new_phones(app, path, now, 4)
    assert [response.status_code for response in results[:3]] == [303, 303, 303]
    assert_refused_by_the_limit(results[3])
    zh = app.test_client()
    page = parse(zh.get(scanned(path, now)).data)
    response = zh.post(path, data=page.valid_answers(), headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 429
    assert re.search(r"\d{4}年\d+月\d+日 \d\d:\d\d 中国", visible(response.data))
    assert len(responses(engine)) == 3
    assert tallies(engine) == [(3, 2)]


def shown_code(app, path: str) -> str:
    """What a phone opens by scanning the window's screen now (read off the display page)."""
    slug = path.rsplit("/", 1)[1]
    screen = app.test_client().get(f"{path}/display?key={display_key(SECRET, slug)}")
    image = re.search(r'<img src="([^"]+)"', screen.data.decode()).group(1).replace("&amp;", "&")
    shown = parse_qs(urlsplit(image).query)
    window, serial = int(shown["w"][0]), int(shown["n"][0])
    return f"{path}?c={rotating_code(SECRET, slug, window, serial)}"


def test_a_busy_hall_behind_one_address_is_not_limited(app, session, engine, now):
    """Issue 14, finding 10.  Old behaviour: every address could post 30 times an hour, so
    a service hall behind one NAT address reached the limit on honest traffic.  Now the
    default allows 600 an hour: sixty phones behind one address, each scanning the fresh
    code on the screen, are all accepted, while a code passed on is refused."""
    assert Settings.model_fields["public_rate_limit"].default == "600 per hour"
    campaign = make_campaign(session, now=now)
    path = f"/p/{open_channel(session, campaign, ['C1', 'C2']).slug}"
    codes = []
    for turn in range(60):
        codes.append(shown_code(app, path))
        chosen = cadre_id(session, "C1" if turn % 2 else "C2")
        response = rate(new_phone(app), path, codes[-1], cadre=chosen)
        assert response.status_code == 303, turn
    assert len(set(codes)) == 60 and len(responses(engine)) == 60
    passed_on = new_phone(app).get(codes[7])
    assert passed_on.status_code == 403
    assert "This code was already used" in visible(passed_on.data)
    assert tallies(engine) == [(60, 1)]


def test_a_phone_that_keeps_its_session_gets_one_ballot_per_code(app, session, engine, now):
    """Issue 14, finding 10.  Old behaviour: one scan was enough: keeping the session cookie
    (which held the code's window) and dropping the once-a-day device cookie, one phone
    posted 30 ballots in seconds.  Now the scan's code is claimed and spent server-side:
    the same phone posting again, reopening the code or replaying it is refused."""
    campaign = make_campaign(session, now=now)
    path = f"/p/{open_channel(session, campaign, ['C1', 'C2']).slug}"
    first, second = cadre_id(session, "C1"), cadre_id(session, "C2")
    phone = new_phone(app)
    code = shown_code(app, path)
    assert new_phone(app).head(code).status_code == 200  # a link checker takes no code
    answers = parse(phone.get(code).data).valid_answers() | {"cadre": first}
    assert phone.post(path, data=answers).status_code == 303
    for _ in range(5):
        phone.delete_cookie("cadre_rated", path="/p/")  # the device cookie dropped
        again = phone.post(path, data=answers | {"cadre": second})
        assert again.status_code == 403 and "This code was already used" in visible(again.data)
        assert phone.get(code).status_code == 403
        assert phone.get(path).status_code == 403
    fresh = shown_code(app, path)
    assert fresh != code  # the screen moved on as soon as the code was taken
    assert rate(phone, path, fresh, cadre=second).status_code == 303
    assert sorted(row.cadre_id for row in responses(engine)) == sorted([first, second])


def test_two_posts_of_one_form_store_one_ballot(app, session, engine, now):
    """Two tabs (or a replayed request) holding the same claimed code: one ballot between them."""
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1', 'C2']).slug}"
    phone = new_phone(app)
    answers = parse(phone.get(shown_code(app, path)).data).valid_answers()
    first = phone.post(path, data=answers | {"cadre": cadre_id(session, "C1")})
    phone.delete_cookie("cadre_rated", path="/p/")
    second = phone.post(path, data=answers | {"cadre": cadre_id(session, "C2")})
    assert (first.status_code, second.status_code) == (303, 403)
    assert len(responses(engine)) == 1


def test_the_display_moves_on_when_its_code_is_taken(app, client, session, now):
    """The screen's script asks whether its code was taken; the answer turns true at the scan."""
    channel = open_channel(session, make_campaign(session, now=now), ["C1"])
    path = f"/p/{channel.slug}"
    key = display_key(SECRET, channel.slug)
    body = client.get(f"{path}/display?key={key}").data.decode()
    used = re.search(r'data-used="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert urlsplit(used).path == f"{path}/display/used"
    assert client.get(used).get_json() == {"used": False}
    assert new_phone(app).get(shown_code(app, path)).status_code == 200
    assert client.get(used).get_json() == {"used": True}
    assert client.get(f"{path}/display/used?key=wrong&w=1&n=0").status_code == 404
    set_clock(app, later(now, minutes=5))  # the window turned: a new code either way
    fresh = re.search(r'data-used="([^"]+)"', client.get(f"{path}/display?key={key}").data.decode())
    assert client.get(fresh.group(1).replace("&amp;", "&")).get_json() == {"used": False}


@pytest.fixture
def redis_app(engine, sqlite_url, now):
    """The app counting posts in Redis, as several web processes do; a private key prefix."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis server answers at {REDIS_URL} ({error.__class__.__name__})")
    prefix = f"cadre-test-{uuid.uuid4().hex}"
    application = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": sqlite_url,
            "BASE_URL": BASE_URL,
            "CLOCK": lambda: now,
            "TESTING": True,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": prefix,
            "PUBLIC_RATE_LIMIT": "2 per hour",
        }
    )
    yield application
    application.extensions["cadre_engine"].dispose()
    server = redis.Redis.from_url(REDIS_URL)
    keys = list(server.scan_iter(f"*{prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()


def test_the_limit_is_shared_through_redis(redis_app, session, engine, now):
    path = f"/p/{open_channel(session, make_campaign(session, now=now), ['C1']).slug}"
    server = redis.Redis.from_url(REDIS_URL)
    prefix = redis_app.config["RATELIMIT_KEY_PREFIX"]
    results = rate_from_new_phones(redis_app, path, now, 3)
    assert [response.status_code for response in results] == [303, 303, 429]
    assert_refused_by_the_limit(results[2])
    assert any(server.scan_iter(f"*{prefix}*")), "the counts should live in Redis"
    server.close()
    assert len(responses(engine)) == 2


def test_a_code_is_claimed_once_and_spent_once_on_both_databases(any_engine, now):
    """Two phones racing for one code, and two posts of one claim: one wins each time;
    claims of windows whose forms can no longer be sent are deleted."""
    with Session(any_engine, expire_on_commit=False) as session:
        channel = open_channel(session, make_campaign(session, now=now), ["C1"])
        window = window_number(now)
        claim = {"session": session, "channel": channel, "window": window, "oldest": window - 13}
        assert next_serial(session=session, channel=channel, window=window) == 0
        assert claim_code(serial=0, **claim) is True
        assert claim_code(serial=0, **claim) is False  # the second phone
        assert claim_code(serial=1, **claim) is True
        session.commit()
        assert next_serial(session=session, channel=channel, window=window) == 2
        spend = {"session": session, "channel": channel, "window": window}
        assert spend_code(serial=0, **spend) is True
        assert spend_code(serial=0, **spend) is False  # the replayed post
        assert spend_code(serial=7, **spend) is False  # never claimed
        session.commit()
        assert code_spent(serial=0, **spend) and not code_spent(serial=1, **spend)
        later_claim = claim | {"window": window + 14, "oldest": window + 1}
        assert claim_code(serial=0, **later_claim) is True
        session.commit()
        assert not code_claimed(serial=1, **spend)  # the old window's claims are gone


# --- the window's display page ----------------------------------------------------------------


def test_the_display_page_needs_its_key(client, session, now):
    channel = open_channel(session, make_campaign(session, now=now), ["C1"])
    base = f"/p/{channel.slug}"
    other = open_channel(session, make_campaign(session, now=now), ["C2"])
    for address in (
        f"{base}/display",
        f"{base}/display?key=",
        f"{base}/display?key={display_key(SECRET, other.slug)}",
        f"{base}/qr.png",
        f"{base}/qr.png?key=wrong",
        f"/p/nope/display?key={display_key(SECRET, 'nope')}",
    ):
        response = client.get(address)
        assert response.status_code == 404, address
        assert "Page not found" in visible(response.data)


def test_the_display_page_shows_the_current_code_and_refreshes(app, client, session, now):
    channel = open_channel(session, make_campaign(session, now=now), ["C1"])
    key = display_key(SECRET, channel.slug)
    moment = later(now, minutes=3, seconds=20)  # 1:40 before the 5-minute window turns
    set_clock(app, moment)
    response = client.get(f"/p/{channel.slug}/display?key={key}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.data.decode()
    # 1:41 until the code turns, but a screen without JavaScript reloads every 15 seconds.
    assert '<meta http-equiv="refresh" content="15">' in body
    assert '<script src="/static/display.js' in body and "<script>" not in body
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    text = visible(body)
    assert "1号窗口" in text and "Scan to rate our service" in text
    assert "Each code takes one rating and changes every 5 minutes" in text
    image = re.search(r'<img src="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert urlsplit(image).path == f"/p/{channel.slug}/qr.png"
    assert parse_qs(urlsplit(image).query)["key"] == [key]
    png = client.get(image)
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Cache-Control"] == "no-store"
    code = rotating_code(SECRET, channel.slug, window_number(moment))
    assert png_matrix(png.data) == qr_matrix(code_url(BASE_URL, channel.slug, code))
    scanner = app.test_client()
    opened = scanner.get(f"/p/{channel.slug}?c={code}")
    assert opened.status_code == 200 and "王伟" in visible(opened.data)


def test_the_window_length_is_configurable(app, client, session, now):
    app.config["PUBLIC_CODE_MINUTES"] = 2
    channel = open_channel(session, make_campaign(session, now=now), ["C1"])
    key = display_key(SECRET, channel.slug)
    body = client.get(f"/p/{channel.slug}/display?key={key}").data.decode()
    turns = window_start(window_number(now, 2) + 1, 2)
    refresh = min(int((turns - now).total_seconds()) + 1, 15)
    assert f'content="{refresh}"' in body and "every 2 minutes" in visible(body)
    path = f"/p/{channel.slug}"
    old = rotating_code(SECRET, channel.slug, window_number(now, 2) - 2)
    assert client.get(f"{path}?c={old}").status_code == 403
    fresh = rotating_code(SECRET, channel.slug, window_number(now, 2))
    assert client.get(f"{path}?c={fresh}").status_code == 200


# --- tallies and bursts -----------------------------------------------------------------------


def test_tallies_count_per_hour_and_flag_a_burst(any_engine, now):
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        busy = open_channel(session, campaign, ["C1"])
        quiet = create_channel(session=session, campaign=campaign, name="2号窗口", cadre_ids=["C2"])
        for minute in range(0, 60, 2):  # 30 in one hour, then 30 in the next: one episode
            record_tally(
                session=session, channel=busy, now=later(now, minutes=minute), accepted=True
            )
            record_tally(
                session=session,
                channel=busy,
                now=later(now, minutes=60 + minute),
                accepted=minute % 4 == 0,
            )
        for hours in (0, 2):
            record_tally(session=session, channel=quiet, now=later(now, hours=hours), accepted=True)
        session.commit()
        rows = channel_tallies(session=session, campaign=campaign)
        assert [(row.channel.name, row.accepted, row.refused) for row in rows] == [
            ("1号窗口", 30, 0),
            ("1号窗口", 15, 15),
            ("2号窗口", 1, 0),
            ("2号窗口", 1, 0),
        ]
        (flag,) = channel_flags(session=session, campaign=campaign, now=later(now, hours=3))
        assert flag.channel.id == busy.id and (flag.accepted, flag.refused) == (45, 15)
        assert flag.values == {
            "count": 60,
            "refused": 15,
            "channel": "1号窗口",
            "start": "2026-11-25 12:00",
            "end": "2026-11-25 14:00",
            "minimum": 20,
        }
        (so_far,) = channel_flags(session=session, campaign=campaign, now=now)
        assert so_far.values["count"] == 30 and so_far.values["end"] == "2026-11-25 13:00"
        assert channel_flags(session=session, campaign=campaign, now=now, minimum=31) == []


def test_a_burst_through_the_form_is_flagged(app, session, engine, now):
    app.config["PUBLIC_RATE_LIMIT"] = "100 per hour"
    campaign = make_campaign(session, now=now)
    path = f"/p/{open_channel(session, campaign, ['C1']).slug}"
    results = rate_from_new_phones(app, path, now, 4)
    assert {response.status_code for response in results} == {303}
    phone = new_phone(app)
    answers = parse(phone.get(scanned(path, now)).data).valid_answers()
    assert phone.post(path, data=answers).status_code == 303
    assert phone.post(path, data=answers).status_code == 403  # the same phone again
    (flag,) = channel_flags(session=session, campaign=campaign, now=now, minimum=5)
    assert (flag.accepted, flag.refused) == (5, 1)
    assert channel_flags(session=session, campaign=campaign, now=now) == []


# --- HR's commands ----------------------------------------------------------------------------


@pytest.fixture
def cadre(tmp_path) -> CadreCli:
    """The ``cadre`` command on a private data folder."""
    return CadreCli(tmp_path)


@pytest.fixture
def campaign_id(cadre) -> str:
    """A campaign made with the real commands."""
    return cadre.create_campaign()


def create(cadre: CadreCli, campaign_id: str, name: str, *extra: str) -> str:
    """Run ``channels create``; return its output."""
    return cadre("channels", "create", campaign_id, "--name", name, "--cadres", "C1", *extra).output


def test_new_channels_rotate_and_print_their_display_page(cadre, campaign_id):
    output = create(cadre, campaign_id, "1号窗口")
    with cadre.session() as session:
        (channel,) = session.exec(select(PublicChannel)).all()
    assert channel.rotating
    display = f"{CLI_BASE_URL}/p/{channel.slug}/display?key={display_key(SECRET, channel.slug)}"
    assert display in output and "code changes every few minutes" in output
    assert "▀" not in output  # no printed code: it would be refused
    qr = cadre("channels", "qr", campaign_id).output
    assert display in qr and "▀" not in qr
    listed = cadre("channels", "display", campaign_id).output
    assert "Display page" in listed and "rotating" in listed and display in listed
    refused = cadre("channels", "qr", campaign_id, "--out", str(cadre.folder / "x.pdf"), code=2)
    assert "nothing to print" in refused.output and "cadre channels display" in refused.output
    assert not (cadre.folder / "x.pdf").exists()


def test_static_channels_keep_their_printed_code(cadre, campaign_id):
    output = create(cadre, campaign_id, "Desk 4", "--static")
    url = re.search(rf"{re.escape(CLI_BASE_URL)}/p/\S+", output).group(0)
    assert "/display" not in url
    art = output[output.index("\n", output.index(url)) + 1 :].strip("\n")
    expected = qr_matrix(url, border=2)
    assert terminal_matrix(art)[: len(expected)] == expected
    create(cadre, campaign_id, "1号窗口")
    pdf = cadre.folder / "cards.pdf"
    result = cadre("channels", "qr", campaign_id, "--out", str(pdf))
    assert "Wrote 1 QR card" in result.output and "1号窗口" in result.output
    assert "static" in cadre("channels", "display", campaign_id).output


def test_status_prints_tallies_and_bursts(cadre, campaign_id, now):
    create(cadre, campaign_id, "1号窗口")
    create(cadre, campaign_id, "Desk 4", "--static")
    assert "No public submissions yet." in cadre("channels", "status", campaign_id).output
    with cadre.session() as session:
        window, desk = sorted(session.exec(select(PublicChannel)).all(), key=lambda c: c.name)
        for minute in range(30):
            record_tally(
                session=session, channel=window, now=later(now, minutes=minute), accepted=True
            )
        record_tally(session=session, channel=window, now=now, accepted=False)
        record_tally(session=session, channel=desk, now=now, accepted=True)
        session.commit()
    lines = cadre("channels", "status", campaign_id).output.splitlines()
    assert lines[0].split() == ["Channel", "Hour", "Accepted", "Refused"]
    assert lines[1].split() == ["1号窗口", "2026-11-25", "12:00", "30", "1"]
    assert lines[2].split() == ["Desk", "4", "2026-11-25", "12:00", "1", "0"]
    assert lines[3] == "Bursts to check:"
    assert lines[4].strip() == (
        "31 public submissions (1 refused) on channel 1号窗口 from 2026-11-25 12:00 "
        "to 2026-11-25 13:00: at least 20 within one hour"
    )
    quiet = cadre("channels", "status", campaign_id, "--minimum", "40").output
    assert "No bursts: no channel took 40 submissions within one hour." in quiet

"""HR sign-in and the admin pages: passwords, roles, sessions, rate limits, CSRF, headers.

Everything runs on the real app over a real SQLite file; accounts sign in
through the login page, as a browser would (see ``tests/hr.py``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import ValidationError
from sqlmodel import Session, select
from werkzeug.routing import Rule

from cadre.settings import Settings
from storage.models import AuditEvent, HrUser, Invitation
from surveys.setup import accounts
from surveys.setup.accounts import ADMIN, AUDITOR, OFFICER, AccountError
from tests.factories import SECRET, make_campaign
from tests.hr import (
    LOGIN,
    PASSWORD,
    anonymous_client,
    form_token,
    hr_client,
    hr_post,
    log_in,
    make_hr_user,
)
from tests.report_campaign import report_campaign
from tests.web import parse, visible
from webforms import InsecureConfiguration, create_app
from webforms.admin.accounts import SELF_SERVICE
from webforms.admin.ledger import READ_ONLY_POSTS

WRONG = "Wrong username, password or code."
NEW_PASSWORD = "a different long passphrase"
# What a write would need if a view forgot its guard: enough for each form to succeed.
WRITE_DATA = {
    "username": "intruder",
    "password": PASSWORD,
    "role": ADMIN,
    "current_password": PASSWORD,
    "new_password": NEW_PASSWORD,
    "repeat_password": NEW_PASSWORD,
}
# Admin POST views that manage other people's accounts: admins only.
USER_MANAGEMENT = {"admin.create_user", "admin.disable_user"}
TEMPLATES = Path(__file__).resolve().parents[2] / "webforms" / "templates" / "admin"


def engine_of(app: Flask):
    """The app's own engine, to look at what the pages stored."""
    return app.extensions["cadre_engine"]


def stored_user(app: Flask, username: str) -> HrUser:
    """An account as the database holds it now."""
    with Session(engine_of(app)) as session:
        return accounts.find_user(session=session, username=username)


def accounts_state(app: Flask) -> tuple:
    """Every account's fields and the audit trail's length: unchanged means nothing was written."""
    with Session(engine_of(app)) as session:
        users = session.exec(select(HrUser).order_by(HrUser.username)).all()
        events = len(session.exec(select(AuditEvent)).all())
    return tuple((u.username, u.role, u.disabled, u.password_hash) for u in users), events


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's session still opens the dashboard."""
    return client.get("/admin/").status_code == 200


# -- passwords and accounts ------------------------------------------------------------


def test_password_is_stored_as_scrypt_never_in_clear(session, now):
    user = accounts.create_user(
        session=session, username="Alice", password=PASSWORD, role=OFFICER, actor="t", now=now
    )
    assert user.username == "alice"
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    event = session.exec(select(AuditEvent)).one()
    assert (event.actor, event.action) == ("t", "hr_user_created")
    assert PASSWORD not in str(event.detail)


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("alice", "short", OFFICER, "The password must have at least %(length)s characters."),
        ("alice", "x" * 201, OFFICER, "The password must have at most %(length)s characters."),
        ("longusername", "LongUsername", OFFICER, "The password must not be the username."),
        ("a", PASSWORD, OFFICER, "A username has 2 to 64 letters, digits or the signs . _ @ -"),
        ("alice", PASSWORD, "root", "Unknown role %(role)s; use admin, officer or auditor."),
    ],
)
def test_bad_accounts_are_refused_with_a_message_id(
    session, now, username, password, role, message
):
    with pytest.raises(AccountError) as caught:
        accounts.create_user(
            session=session, username=username, password=password, role=role, actor="t", now=now
        )
    assert caught.value.message == message
    assert session.exec(select(HrUser)).all() == []


def test_usernames_are_unique_whatever_the_case(session, now):
    accounts.create_user(
        session=session, username="bob", password=PASSWORD, role=AUDITOR, actor="t", now=now
    )
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_user(
            session=session, username=" BOB ", password=PASSWORD, role=AUDITOR, actor="t", now=now
        )


def test_unknown_users_cost_a_password_check_too(session, now, monkeypatch):
    accounts.create_user(
        session=session, username="bob", password=PASSWORD, role=OFFICER, actor="t", now=now
    )
    checks = []
    real_check = accounts.check_password_hash

    def counting(stored, password):
        checks.append(stored.split("$")[0])
        return real_check(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    assert accounts.authenticate(session=session, username="nobody", password=PASSWORD) is None
    assert accounts.authenticate(session=session, username="bob", password="wrong!") is None
    assert (
        accounts.authenticate(session=session, username="Bob", password=PASSWORD).username == "bob"
    )
    # The same algorithm and cost every time, known user or not.
    assert len(checks) == 3 and len(set(checks)) == 1 and checks[0].startswith("scrypt:")


def test_the_last_admin_and_oneself_cannot_be_disabled(session, now):
    root = accounts.create_user(
        session=session, username="root", password=PASSWORD, role=ADMIN, actor="t", now=now
    )
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.disable_user(session=session, user=root, actor="cli", now=now)
    other = accounts.create_user(
        session=session, username="other", password=PASSWORD, role=ADMIN, actor="t", now=now
    )
    with pytest.raises(AccountError, match="your own account"):
        accounts.disable_user(
            session=session, user=other, actor="other", actor_id=other.id, now=now
        )
    accounts.disable_user(session=session, user=root, actor="other", actor_id=other.id, now=now)
    assert root.disabled
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.at))]
    assert actions.count("hr_user_disabled") == 1


# -- signing in ------------------------------------------------------------------------


def test_login_page_carries_a_csrf_token_and_the_strict_headers(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert parse(response.data).csrf_token
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_admin_templates_have_no_inline_script_or_style():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S)
        assert text.count("<script") == len(scripts), template  # every script tag is closed
        assert all(not body.strip() for body in scripts), template  # our own files only
        assert all('src="{{ url_for(' in tag for tag in re.findall(r"<script\b[^>]*>", text))
        assert "style=" not in text and "<style" not in text, template


def test_login_succeeds_and_the_cookie_is_httponly(app):
    make_hr_user(app, OFFICER)
    client = anonymous_client(app)
    response = log_in(client, "officer")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # ends with the browser; the server ends it after 8 hours
    page = client.get("/admin/")
    assert page.status_code == 200 and "officer" in visible(page.data)


def test_session_cookie_is_secure_behind_https(engine, sqlite_url):
    app = create_app(
        {"SECRET_KEY": SECRET, "DATABASE_URL": sqlite_url, "BASE_URL": "https://kaohe.example.cn"}
    )
    try:
        make_hr_user(app, OFFICER)
        client = anonymous_client(app)
        response = log_in(client, "officer")
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        engine_of(app).dispose()


def test_unknown_user_and_wrong_password_get_the_same_answer(app):
    make_hr_user(app, OFFICER)
    unknown = log_in(anonymous_client(app), "nobody")
    wrong = log_in(anonymous_client(app), "officer", "not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    assert visible(unknown.data) == visible(wrong.data)
    assert WRONG in visible(wrong.data)


def test_login_needs_the_csrf_token(app):
    make_hr_user(app, OFFICER)
    client = anonymous_client(app)
    client.get(LOGIN)
    response = client.post(LOGIN, data={"username": "officer", "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in visible(response.data)
    assert not signed_in(client)


def test_login_regenerates_the_session(app):
    make_hr_user(app, OFFICER)
    client = anonymous_client(app)
    client.get(LOGIN)
    with client.session_transaction() as planted:
        planted["hr_user"] = "someone else's id"
        planted["planted"] = "by an attacker"
        old_csrf = planted["csrf_token"]
    log_in(client, "officer")
    with client.session_transaction() as fresh:
        assert "planted" not in fresh
        assert fresh["hr_user"] == stored_user(app, "officer").id
        assert fresh.get("csrf_token") != old_csrf


def test_login_never_redirects_to_another_site(app):
    make_hr_user(app, OFFICER)
    client = anonymous_client(app)
    token = form_token(client)
    for target in ("//evil.example/admin/", "https://evil.example/", "/admin//evil.example"):
        data = {"username": "officer", "password": PASSWORD, "csrf_token": token, "next": target}
        response = client.post(LOGIN, data=data)
        assert response.headers["Location"] == "/admin/"
        client.post("/admin/logout", data={"csrf_token": form_token(client, "/admin/")})
        token = form_token(client)


def test_anonymous_visit_returns_to_the_page_after_login(app):
    make_hr_user(app, OFFICER)
    client = anonymous_client(app)
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=/admin/users"
    token = parse(client.get(response.headers["Location"]).data).csrf_token
    data = {
        "username": "officer",
        "password": PASSWORD,
        "csrf_token": token,
        "next": "/admin/users",
    }
    assert client.post(LOGIN, data=data).headers["Location"] == "/admin/users"


# -- rate limits -----------------------------------------------------------------------


def test_repeated_failures_are_locked_out_with_a_friendly_429(app):
    make_hr_user(app, OFFICER)
    client = anonymous_client(app)
    for _ in range(5):
        assert log_in(client, "officer", "guess guess guess").status_code == 401
    locked = log_in(client, "officer")  # even the right password now waits
    assert locked.status_code == 429
    assert "Too many attempts" in visible(locked.data)
    assert int(locked.headers["Retry-After"]) > 0
    assert not signed_in(client)


def from_address(app: Flask, address: str) -> FlaskClient:
    """A fresh browser at a given client address."""
    client = anonymous_client(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_guessing_from_many_addresses_cannot_lock_the_admin_out(app):
    """Issue 14, finding 9.  Old behaviour: ten failed sign-ins for ``admin`` from any mix of
    addresses locked the account for everyone: the right password from a fresh address got
    429 with Retry-After 3599.  Now an address with no failures always reaches the password
    check, while addresses that already failed on the attacked account are held back."""
    make_hr_user(app, ADMIN, "admin")
    statuses = [
        log_in(from_address(app, f"10.0.0.{number % 5 + 1}"), "ADMIN", "guess guess guess")
        for number in range(10)
    ]
    assert [response.status_code for response in statuses] == [401] * 10
    for number in range(1, 6):  # under attack: an address that failed twice waits
        held = log_in(from_address(app, f"10.0.0.{number}"), "admin")
        assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
        assert "Too many attempts" in visible(held.data)
    assert log_in(from_address(app, "10.0.0.9"), "admin", "yet another guess").status_code == 401
    real_admin = from_address(app, "192.168.1.20")
    assert log_in(real_admin, "admin").status_code == 303
    assert signed_in(real_admin)


def test_successful_logins_do_not_count_against_the_limit(app):
    make_hr_user(app, OFFICER)
    for _ in range(8):
        client = anonymous_client(app)
        assert log_in(client, "officer").status_code == 303


# -- the second factor ----------------------------------------------------------------


def sign_in_with_code(client: FlaskClient, username: str, code: str) -> object:
    """Post the login form with the password and a second-factor code."""
    token = form_token(client, LOGIN)
    data = {"username": username, "password": PASSWORD, "code": code, "csrf_token": token}
    return client.post(LOGIN, data=data)


def turn_on_totp(client: FlaskClient, now) -> tuple[pyotp.TOTP, list[str]]:
    """Add the offered key to an "app", confirm with its code; the app and the recovery codes."""
    page = client.get("/admin/totp")
    assert page.status_code == 200 and "Two-step sign-in" in visible(page.data)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.data.decode()).group(1)
    app_on_phone = pyotp.TOTP(secret)
    wrong = hr_post(client, "/admin/totp", {"current_password": "not my password", "code": "1"})
    assert wrong.status_code == 422 and "The current password is wrong." in visible(wrong.data)
    bad_code = hr_post(client, "/admin/totp", {"current_password": PASSWORD, "code": "000000"})
    assert bad_code.status_code == 422 and "code from the app is wrong" in visible(bad_code.data)
    previous_step = now - timedelta(seconds=30)  # the code shown a moment ago is still taken
    done = hr_post(
        client,
        "/admin/totp",
        {"current_password": PASSWORD, "code": app_on_phone.at(previous_step)},
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-7-]{19})</code>", done.data.decode())
    assert len(codes) == 10
    return app_on_phone, codes


def test_two_step_sign_in_needs_the_code_and_takes_each_code_once(app, now):
    """Issue 14, finding 9.  Old behaviour: the password alone opened every account; there
    was no second factor.  Now an account can turn on TOTP; sign-in then needs the code
    (a wrong or replayed one is refused) or a recovery code, which works once."""
    admin = hr_client(app, ADMIN, "admin")
    app_on_phone, recovery = turn_on_totp(admin, now)
    stored = stored_user(app, "admin")
    assert stored.totp_secret and len(stored.recovery_hashes) == 10
    assert not any(code in str(stored.recovery_hashes) for code in recovery)  # hashes only
    assert log_in(anonymous_client(app), "admin").status_code == 401  # password alone
    wrong = sign_in_with_code(anonymous_client(app), "admin", "123456")
    assert wrong.status_code == 401 and WRONG in visible(wrong.data)
    replayed = sign_in_with_code(
        anonymous_client(app), "admin", app_on_phone.at(now - timedelta(seconds=30))
    )
    assert replayed.status_code == 401  # the step used to turn it on is spent
    phone = anonymous_client(app)
    assert sign_in_with_code(phone, "admin", app_on_phone.at(now)).status_code == 303
    assert signed_in(phone)
    again = sign_in_with_code(anonymous_client(app), "admin", app_on_phone.at(now))
    assert again.status_code == 401  # a code seen over the shoulder is spent
    lost_phone = anonymous_client(app)
    typed = recovery[3].upper().replace("-", " ")
    assert sign_in_with_code(lost_phone, "admin", typed).status_code == 303
    assert signed_in(lost_phone)
    assert sign_in_with_code(anonymous_client(app), "admin", recovery[3]).status_code == 401
    assert len(stored_user(app, "admin").recovery_hashes) == 9
    page = visible(lost_phone.get("/admin/totp").data)
    assert "Two-step sign-in is on" in page and "Recovery codes left: 9" in page


def test_two_step_sign_in_can_be_turned_off_with_the_password(app, now):
    admin = hr_client(app, OFFICER, "officer")
    turn_on_totp(admin, now)
    refused = hr_post(admin, "/admin/totp/off", {"current_password": "wrong password!"})
    assert refused.status_code == 422 and stored_user(app, "officer").totp_secret
    off = hr_post(admin, "/admin/totp/off", {"current_password": PASSWORD})
    assert off.status_code == 303
    assert stored_user(app, "officer").totp_secret is None
    assert log_in(anonymous_client(app), "officer").status_code == 303


# -- sessions that must end ------------------------------------------------------------


def test_disabled_user_cannot_log_in_and_their_open_session_stops(app):
    admin = hr_client(app, ADMIN)
    officer = hr_client(app, OFFICER)
    assert signed_in(officer)
    victim = stored_user(app, "officer")
    response = hr_post(admin, f"/admin/users/{victim.id}/disable")
    assert response.status_code == 303
    assert stored_user(app, "officer").disabled
    assert officer.get("/admin/").status_code == 302
    again = log_in(anonymous_client(app), "officer")
    assert again.status_code == 401 and WRONG in visible(again.data)


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app):
    make_hr_user(app, AUDITOR)
    laptop, phone = anonymous_client(app), anonymous_client(app)
    log_in(laptop, "auditor")
    log_in(phone, "auditor")
    data = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "repeat_password": NEW_PASSWORD,
    }
    response = hr_post(laptop, "/admin/password", data)
    assert response.status_code == 303
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert log_in(anonymous_client(app), "auditor").status_code == 401
    assert log_in(anonymous_client(app), "auditor", NEW_PASSWORD).status_code == 303


def test_the_current_password_is_asked_before_changing_it(app):
    client = hr_client(app, OFFICER)
    before = accounts_state(app)
    data = {
        "current_password": "not my password",
        "new_password": NEW_PASSWORD,
        "repeat_password": NEW_PASSWORD,
    }
    response = hr_post(client, "/admin/password", data)
    assert response.status_code == 422
    assert "The current password is wrong." in visible(response.data)
    data["current_password"], data["repeat_password"] = PASSWORD, "something else entirely"
    response = hr_post(client, "/admin/password", data)
    assert response.status_code == 422
    assert accounts_state(app) == before
    assert signed_in(client)


def test_hr_session_ends_after_eight_hours(app, now):
    client = hr_client(app, OFFICER)
    app.config["CLOCK"] = lambda: now + timedelta(hours=7, minutes=59)
    assert signed_in(client)
    app.config["CLOCK"] = lambda: now + timedelta(hours=8, minutes=1)
    assert client.get("/admin/").status_code == 302


def test_logout_forgets_the_session(app):
    client = hr_client(app, OFFICER)
    response = hr_post(client, "/admin/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/login"
    assert not signed_in(client)


# -- pages and roles -------------------------------------------------------------------


def test_dashboard_shows_campaigns_with_state_and_completion(app, session, now):
    campaign = make_campaign(session, now=now)
    invitation = session.exec(
        select(Invitation).where(Invitation.campaign_id == campaign.id)
    ).first()
    invitation.status = "completed"
    session.add(invitation)
    session.commit()
    client = hr_client(app, AUDITOR)
    text = visible(client.get("/admin/").data)
    assert "2026年度考核" in text and "Open" in text
    assert "1 of 6 named raters answered (17%)." in text


def test_admin_creates_an_account_that_can_sign_in(app):
    admin = hr_client(app, ADMIN)
    data = {"username": "Carol", "password": PASSWORD, "role": OFFICER}
    response = hr_post(admin, "/admin/users", data, token_from="/admin/users")
    assert response.status_code == 303
    assert "Created the account carol." in visible(admin.get("/admin/users").data)
    assert log_in(anonymous_client(app), "carol").status_code == 303


def test_bad_account_form_is_shown_again_with_the_problem(app):
    admin = hr_client(app, ADMIN)
    data = {"username": "carol", "password": "short", "role": OFFICER}
    response = hr_post(admin, "/admin/users", data)
    assert response.status_code == 422
    assert "at least 12 characters" in visible(response.data)
    assert stored_user(app, "carol") is None


def test_wrong_role_gets_a_friendly_403(app):
    officer = hr_client(app, OFFICER)
    response = hr_post(
        officer, "/admin/users", {"username": "x1", "password": PASSWORD, "role": ADMIN}
    )
    assert response.status_code == 403
    assert "Not allowed for your role" in visible(response.data)
    page = visible(officer.get("/admin/users").data)
    assert "Create the account" not in page and "Disable" not in page


def test_admin_cannot_disable_themselves(app):
    admin = hr_client(app, ADMIN)
    me = stored_user(app, "admin")
    response = hr_post(admin, f"/admin/users/{me.id}/disable")
    assert response.status_code == 409
    assert "You cannot disable your own account." in visible(response.data)
    assert signed_in(admin)


def test_disabling_an_unknown_account_is_a_404(app):
    admin = hr_client(app, ADMIN)
    assert hr_post(admin, "/admin/users/0123456789abcdef/disable").status_code == 404


# -- every admin route, enumerated from the url map ------------------------------------


def admin_routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) of the admin blueprint except the login page itself."""
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and rule.endpoint != "admin.login"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def route_path(rule: Rule, victim: HrUser, known: dict[str, str] | None = None) -> str:
    """A concrete address for the rule; every id in it names an existing account, or the
    campaign and cadre in ``known`` (results pages must find them to answer 200)."""
    values = {argument: (known or {}).get(argument, victim.id) for argument in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def results_ids(session: Session, now) -> dict[str, str]:
    """Ids for the results pages' addresses: a campaign with results, and one of its cadres."""
    return {"campaign_id": report_campaign(session, now).id, "cadre_id": "C1"}


def test_the_enumeration_sees_the_admin_routes(app):
    endpoints = {rule.endpoint for rule, _ in admin_routes(app)}
    assert {
        "admin.dashboard",
        "admin.users",
        "admin.create_user",
        "admin.disable_user",
    } <= endpoints
    assert {
        "admin.logout",
        "admin.change_password",
        "admin.totp_on",
        "admin.totp_off",
    } == SELF_SERVICE


def test_every_admin_route_refuses_anonymous_visitors(app):
    victim = make_hr_user(app, OFFICER, "victim")
    client = anonymous_client(app)
    token = form_token(client)
    before = accounts_state(app)
    for rule, method in admin_routes(app):
        path = route_path(rule, victim)
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/admin/login"), (method, path)
        else:
            response = client.open(path, method=method, data={**WRITE_DATA, "csrf_token": token})
            assert response.status_code in (401, 403), (method, path, response.status_code)
        assert accounts_state(app) == before, (method, path)


def test_read_only_auditor_reads_everything_and_writes_nothing(app, session, now):
    victim = make_hr_user(app, OFFICER, "victim")
    known = results_ids(session, now)
    auditor = hr_client(app, AUDITOR)
    token = form_token(auditor, "/admin/")
    before = accounts_state(app)
    for rule, method in admin_routes(app):
        path = route_path(rule, victim, known)
        if method == "GET":
            assert auditor.get(path).status_code == 200, path
        elif rule.endpoint in READ_ONLY_POSTS:  # checks that only read: every role may run them
            response = auditor.open(path, method=method, data={**WRITE_DATA, "csrf_token": token})
            assert response.status_code == 200, (method, path, response.status_code)
            assert accounts_state(app) == before, (method, path)
        elif rule.endpoint not in SELF_SERVICE:
            response = auditor.open(path, method=method, data={**WRITE_DATA, "csrf_token": token})
            assert response.status_code == 403, (method, path, response.status_code)
            assert "Not allowed for your role" in visible(response.data)
            assert accounts_state(app) == before, (method, path)
    assert signed_in(auditor)


def test_officer_cannot_manage_accounts(app, session, now):
    victim = make_hr_user(app, OFFICER, "victim")
    known = results_ids(session, now)
    officer = hr_client(app, OFFICER)
    token = form_token(officer, "/admin/")
    before = accounts_state(app)
    for rule, method in admin_routes(app):
        path = route_path(rule, victim, known)
        if method == "GET":
            assert officer.get(path).status_code == 200, path
        elif rule.endpoint in USER_MANAGEMENT:
            response = officer.open(path, method=method, data={**WRITE_DATA, "csrf_token": token})
            assert response.status_code == 403, (method, path)
    assert accounts_state(app) == before


def test_every_admin_post_needs_the_csrf_token(app):
    victim = make_hr_user(app, OFFICER, "victim")
    admin = hr_client(app, ADMIN)
    before = accounts_state(app)
    for rule, method in admin_routes(app):
        if method != "GET":
            response = admin.open(route_path(rule, victim), method=method, data=WRITE_DATA)
            assert response.status_code == 400, (method, rule.rule)
    assert accounts_state(app) == before
    assert signed_in(admin)


# -- production settings ---------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "changeme", "CHANGETHIS", "short-but-random-9f3a"])
def test_production_refuses_a_missing_or_weak_secret_key(sqlite_url, secret):
    config = {"DATABASE_URL": sqlite_url, "BASE_URL": "https://x.cn", "PRODUCTION": True}
    if secret is not None:
        config["SECRET_KEY"] = secret
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        create_app(config)


def test_production_accepts_a_strong_key(sqlite_url):
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": sqlite_url,
            "BASE_URL": "https://x.cn",
            "PRODUCTION": True,
        }
    )
    engine_of(app).dispose()


def test_production_settings_require_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CADRE_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="CADRE_SECRET_KEY is required"):
        Settings(env="production", data_dir=tmp_path)
    assert not (tmp_path / "secret_key").exists()
    settings = Settings(env="production", data_dir=tmp_path, secret_key=SECRET)
    assert settings.flask_config()["PRODUCTION"] is True
    assert Settings(data_dir=tmp_path).flask_config()["PRODUCTION"] is False

"""``cadre admin`` and the first start's admin account, through the real command line."""

from __future__ import annotations

import re

import pyotp
import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from cadre.cli import Context, cli
from cadre.commands.admin import ensure_first_admin
from cadre.settings import Settings
from storage.models import AuditEvent, HrUser
from surveys.setup import accounts
from tests.cli import CadreCli
from tests.factories import SECRET
from tests.hr import LOGIN, PASSWORD, anonymous_client, form_token, log_in
from webforms import create_app

GENERATED = re.compile(r"\(shown only this once\): (\S+)")


@pytest.fixture
def cadre(tmp_path) -> CadreCli:
    """The real command with its own data folder, in English."""
    return CadreCli(tmp_path)


def sign_in_status(cadre: CadreCli, username: str, password: str, code: str = "") -> int:
    """What the real web app answers to these credentials, on the command's database."""
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": f"sqlite:///{cadre.data_dir / 'cadre.db'}",
            "BASE_URL": "http://localhost",
        }
    )
    try:
        client = anonymous_client(app)
        if not code:
            return log_in(client, username, password).status_code
        token = form_token(client, LOGIN)
        data = {"username": username, "password": password, "code": code, "csrf_token": token}
        return client.post(LOGIN, data=data).status_code
    finally:
        app.extensions["cadre_engine"].dispose()


def typed(cadre: CadreCli, *args: str, input: str, code: int = 0) -> Result:
    """Run a command with ``input`` typed at its prompts (the hidden password prompts)."""
    result = CliRunner().invoke(cli, list(args), env=cadre.env, input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    return result


def test_create_with_generate_prints_a_password_once_that_signs_in(cadre):
    output = cadre("admin", "create", "Alice", "--role", "admin", "--generate").output
    passwords = GENERATED.findall(output)
    assert len(passwords) == 1 and output.count(passwords[0]) == 1
    assert "Created the account alice (Administrator)." in output
    assert sign_in_status(cadre, "alice", passwords[0]) == 303
    with cadre.session() as session:
        user = session.exec(select(HrUser)).one()
        assert user.role == "admin" and user.password_hash.startswith("scrypt:")
        events = session.exec(select(AuditEvent).order_by(AuditEvent.at)).all()
        assert [(e.actor, e.action) for e in events] == [
            ("cli", "hr_user_created"),
            ("alice", "hr_login"),
        ]
    assert passwords[0] not in cadre("admin", "list").output


def test_create_reads_the_password_twice_without_echo(cadre):
    result = typed(cadre, "admin", "create", "bob", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert PASSWORD not in result.output
    assert "Repeat the password" in result.output
    assert "Created the account bob (HR officer)." in result.output
    assert sign_in_status(cadre, "bob", PASSWORD) == 303


def test_a_short_password_is_refused_with_exit_code_2(cadre):
    result = typed(cadre, "admin", "create", "bob", input="short\nshort\n", code=2)
    assert "at least 12 characters" in result.output
    with cadre.session() as session:
        assert session.exec(select(HrUser)).all() == []


def test_a_taken_username_is_refused(cadre):
    cadre("admin", "create", "bob", "--generate")
    result = cadre("admin", "create", "BOB", "--generate", code=2)
    assert "The user bob already exists." in result.output


def test_list_and_disable(cadre):
    cadre("admin", "create", "root", "--role", "admin", "--generate")
    output = cadre("admin", "create", "carol", "--role", "auditor", "--generate").output
    password = GENERATED.search(output).group(1)
    listing = cadre("admin", "list").output
    assert re.search(r"carol\s+Auditor \(read-only\)\s+Active", listing)
    assert "Disabled the account carol." in cadre("admin", "disable", "carol").output
    assert re.search(r"carol\s+Auditor \(read-only\)\s+Disabled", cadre("admin", "list").output)
    assert sign_in_status(cadre, "carol", password) == 401


def test_the_last_admin_stays_and_unknown_names_are_explained(cadre):
    cadre("admin", "create", "root", "--role", "admin", "--generate")
    assert "last active administrator" in cadre("admin", "disable", "root", code=2).output
    assert "There is no account nobody" in cadre("admin", "disable", "nobody", code=2).output


def test_list_says_when_there_are_no_accounts(cadre):
    assert "There are no HR accounts yet" in cadre("admin", "list").output


def test_password_resets_a_forgotten_password(cadre):
    cadre("admin", "create", "dave", "--generate")
    output = cadre("admin", "password", "dave", "--generate").output
    password = GENERATED.search(output).group(1)
    assert sign_in_status(cadre, "dave", password) == 303


def test_first_start_creates_admin_once_and_prints_its_password_once(tmp_path, capsys):
    database = f"sqlite:///{tmp_path / 'cadre.db'}"
    settings = Settings(data_dir=tmp_path, database_url=database, secret_key=SECRET)
    context = Context(settings=settings, locale="en")
    try:
        user = ensure_first_admin(context, "https://kaohe.example.cn")
        printed = capsys.readouterr().out
        assert user is not None and user.username == "admin" and user.role == "admin"
        password = re.search(r"password (\S+)\. It is shown only this once", printed).group(1)
        assert "https://kaohe.example.cn/admin/login" in printed and "change it" in printed
        with context.session() as session:
            assert accounts.authenticate(session=session, username="admin", password=password)
        assert ensure_first_admin(context, "https://kaohe.example.cn") is None
        assert capsys.readouterr().out == ""
    finally:
        context.close()


def test_totp_from_the_terminal_needs_a_code_then_prints_recovery_codes(cadre, monkeypatch):
    """Issue 14, finding 9: the server's terminal can turn the second factor on (confirmed with
    a code from the app) and off again for someone who lost phone and recovery codes."""
    output = cadre("admin", "create", "dave", "--role", "admin", "--generate").output
    password = GENERATED.search(output).group(1)
    secret = accounts.new_totp_secret()
    monkeypatch.setattr(accounts, "new_totp_secret", lambda: secret)
    wrong = typed(cadre, "admin", "totp", "dave", input="000000\n", code=2)
    assert secret in wrong.output and "The code from the app is wrong" in wrong.output
    app_code = pyotp.TOTP(secret).now()
    result = typed(cadre, "admin", "totp", "dave", input=f"{app_code}\n")
    assert "Two-step sign-in of dave is on." in result.output
    recovery = re.findall(r"^  ([a-z2-7]{4}(?:-[a-z2-7]{4}){3})$", result.output, re.M)
    assert len(recovery) == 10
    assert sign_in_status(cadre, "dave", password) == 401  # the password alone
    assert sign_in_status(cadre, "dave", password, recovery[0]) == 303
    assert "is off" in cadre("admin", "totp", "dave", "--off").output
    assert sign_in_status(cadre, "dave", password) == 303

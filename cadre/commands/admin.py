"""``cadre admin``: HR accounts for the web admin pages, managed from the server's terminal.

Whoever can run this command on the server already holds the database, so
it needs no sign-in; what it does is still written to the audit trail.
Passwords are typed twice without echo, or generated and shown exactly once.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from sqlmodel import Session

from cadre.cli import Context, UserError, fail, pass_context
from storage.models import HrUser
from surveys.results.reports import format_table
from surveys.setup import accounts
from surveys.setup.accounts import ROLE_LABELS, ROLES, AccountError

# How the audit trail names changes made from the terminal, and by the first start.
CLI_ACTOR = "cli"
FIRST_START_ACTOR = "first start"
FIRST_ADMIN = "admin"


@click.group("admin")
def admin_group() -> None:
    """HR accounts for the web admin pages (admin, HR officer, auditor)."""


def refuse(ctx: Context, error: AccountError) -> UserError:
    """An account problem as a user error in the user's language."""
    return UserError(ctx._(error.message, **error.values))


def new_password(ctx: Context, generate: bool) -> str:
    """A generated password, or one typed twice with hidden input."""
    if generate:
        return accounts.generate_password()
    return click.prompt(
        ctx._("Password (at least %(length)s characters)", length=accounts.MIN_PASSWORD_LENGTH),
        hide_input=True,
        confirmation_prompt=ctx._("Repeat the password"),
    )


def show_generated(ctx: Context, username: str, password: str) -> None:
    """Print a generated password: this is the only time anybody sees it."""
    click.echo(
        ctx._(
            "Password for %(username)s (shown only this once): %(password)s",
            username=username,
            password=password,
        )
    )


@admin_group.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=accounts.OFFICER,
    show_default=True,
    help="admin manages accounts; officer runs campaigns; auditor only reads.",
)
@click.option("--generate", is_flag=True, help="Make up a random password and print it once.")
@pass_context
def create_command(ctx: Context, username: str, role: str, generate: bool) -> None:
    """Create an HR account for the web admin pages."""
    password = new_password(ctx, generate)
    try:
        with ctx.session() as session:
            user = accounts.create_user(
                session=session,
                username=username,
                password=password,
                role=role,
                actor=CLI_ACTOR,
                now=ctx.now(),
            )
    except AccountError as error:
        raise refuse(ctx, error) from error
    click.echo(
        ctx._(
            "Created the account %(username)s (%(role)s).",
            username=user.username,
            role=ctx._(ROLE_LABELS[role]),
        )
    )
    if generate:
        show_generated(ctx, user.username, password)


@admin_group.command("password")
@click.argument("username")
@click.option("--generate", is_flag=True, help="Make up a random password and print it once.")
@pass_context
def password_command(ctx: Context, username: str, generate: bool) -> None:
    """Give an account a new password (for someone who forgot theirs); its sessions end."""
    password = new_password(ctx, generate)
    try:
        with ctx.session() as session:
            user = existing_user(ctx, session, username)
            accounts.set_password(
                session=session, user=user, password=password, actor=CLI_ACTOR, now=ctx.now()
            )
    except AccountError as error:
        raise refuse(ctx, error) from error
    click.echo(ctx._("The password of %(username)s was changed.", username=user.username))
    if generate:
        show_generated(ctx, user.username, password)


def existing_user(ctx: Context, session: Session, username: str) -> HrUser:
    """The named account, or a user error pointing at ``cadre admin list``."""
    user = accounts.find_user(session=session, username=username)
    if user is None:
        raise fail(
            ctx, "There is no account %(username)s; see 'cadre admin list'.", username=username
        )
    return user


@admin_group.command("list")
@pass_context
def list_command(ctx: Context) -> None:
    """List the HR accounts with their role and whether they may sign in."""
    with ctx.session() as session:
        users = accounts.list_users(session=session)
    if not users:
        click.echo(ctx._("There are no HR accounts yet; create one with 'cadre admin create'."))
        return
    zone = ZoneInfo(ctx.settings.timezone)
    rows = [[ctx._("Username"), ctx._("Role"), ctx._("Status"), ctx._("Created")]]
    rows += [
        [
            user.username,
            ctx._(ROLE_LABELS[user.role]),
            ctx._("Disabled") if user.disabled else ctx._("Active"),
            user.created_at.astimezone(zone).date().isoformat(),
        ]
        for user in users
    ]
    click.echo(format_table(rows))


@admin_group.command("disable")
@click.argument("username")
@pass_context
def disable_command(ctx: Context, username: str) -> None:
    """Stop an account from signing in; its open sessions end at once."""
    try:
        with ctx.session() as session:
            user = existing_user(ctx, session, username)
            accounts.disable_user(session=session, user=user, actor=CLI_ACTOR, now=ctx.now())
    except AccountError as error:
        raise refuse(ctx, error) from error
    click.echo(ctx._("Disabled the account %(username)s.", username=user.username))


@admin_group.command("totp")
@click.argument("username")
@click.option("--off", is_flag=True, help="Turn the second factor off (a lost phone and codes).")
@pass_context
def totp_command(ctx: Context, username: str, off: bool) -> None:
    """Turn an account's second factor (TOTP) on with a code from the app, or off."""
    # A code is asked before the key is stored, so nobody is locked out by a key no app
    # holds; --off is for someone who lost both phone and recovery codes.
    if off:
        with ctx.session() as session:
            user = existing_user(ctx, session, username)
            accounts.disable_totp(session=session, user=user, actor=CLI_ACTOR, now=ctx.now())
        click.echo(ctx._("Two-step sign-in of %(username)s is off.", username=user.username))
        return
    secret = accounts.new_totp_secret()
    with ctx.session() as session:
        user = existing_user(ctx, session, username)
        click.echo(ctx._("Add this key to the authenticator app: %(secret)s", secret=secret))
        click.echo(accounts.totp_uri(secret, user.username))
        code = click.prompt(ctx._("Code from the app"))
        try:
            codes = accounts.enable_totp(
                session=session, user=user, secret=secret, code=code, now=ctx.now()
            )
        except AccountError as error:
            raise refuse(ctx, error) from error
    click.echo(ctx._("Two-step sign-in of %(username)s is on.", username=user.username))
    click.echo(ctx._("Recovery codes (shown only this once, each works once):"))
    for recovery in codes:
        click.echo(f"  {recovery}")


def ensure_first_admin(ctx: Context, base_url: str) -> HrUser | None:
    """On a server with no HR account at all, create ``admin`` and print its password once.

    Otherwise nobody could sign in to the HR pages without first finding the
    command line.  The password is random and shown only here; the message
    says to change it.  Returns the new account, or None when one existed.
    """
    password = accounts.generate_password()
    try:
        with ctx.session() as session:
            if accounts.has_users(session=session):
                return None
            user = accounts.create_user(
                session=session,
                username=FIRST_ADMIN,
                password=password,
                role=accounts.ADMIN,
                actor=FIRST_START_ACTOR,
                now=ctx.now(),
            )
    except sa.exc.IntegrityError:  # another server process made it a moment ago
        return None
    click.echo(
        ctx._(
            "There was no HR account, so one was created: user %(username)s, "
            "password %(password)s. It is shown only this once: sign in at %(url)s "
            "and change it under 'My password'.",
            username=user.username,
            password=password,
            url=f"{base_url}/admin/login",
        )
    )
    return user


def register(cli: click.Group) -> None:
    """Attach ``cadre admin``."""
    cli.add_command(admin_group)

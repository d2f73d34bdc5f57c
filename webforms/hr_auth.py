"""Who is signed in to the HR pages, and the decorators that guard every HR view.

The session cookie is signed, not stored on the server, so it alone cannot
be revoked.  It therefore carries the account id, the sign-in time and a
stamp derived (with the secret key) from the account's password hash: every
request reloads the account, and a disabled account, a changed password or
a session older than ``HR_SESSION_LIFETIME`` is simply not signed in any more.

Anonymous visitors are sent to the login page when they ask for a page, and
refused (401) when they post; a signed-in person whose role does not allow a
view gets a friendly 403 page.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext

from storage.models import HrUser
from surveys.setup.accounts import WRITERS, get_user
from webforms.clock import current_time
from webforms.db import get_session
from webforms.errors import message_page

SESSION_USER = "hr_user"
SESSION_STAMP = "hr_stamp"
SESSION_SINCE = "hr_since"
READING_METHODS = ("GET", "HEAD")


def credential_stamp(user: HrUser) -> str:
    """A short keyed digest of the password hash: it changes whenever the password does.

    It is keyed with the secret key because the signed cookie can be read by
    whoever holds it, and must say nothing about the hash.
    """
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{user.id}:{user.password_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def start_hr_session(user: HrUser) -> None:
    """Sign a person in on a fresh session, so a session planted before login is worth nothing."""
    session.clear()
    session[SESSION_USER] = user.id
    session[SESSION_STAMP] = credential_stamp(user)
    session[SESSION_SINCE] = int(current_time().timestamp())
    g.pop("hr_user", None)


def end_hr_session() -> None:
    """Sign out: nothing of the session is kept, its CSRF secret included."""
    session.clear()
    g.pop("hr_user", None)


def current_hr_user() -> HrUser | None:
    """The signed-in, still active account of this request, or None (looked up once per request)."""
    if "hr_user" not in g:
        g.hr_user = _session_user()
    return g.hr_user


def _session_user() -> HrUser | None:
    """Read the session; a stale one (disabled, new password, too old) counts as signed out."""
    user_id = session.get(SESSION_USER)
    if not isinstance(user_id, str):
        return None
    user = get_user(session=get_session(), user_id=user_id)
    if user is None or not _still_valid(user):
        for key in (SESSION_USER, SESSION_STAMP, SESSION_SINCE):
            session.pop(key, None)
        return None
    return user


def _still_valid(user: HrUser) -> bool:
    """Whether the session's sign-in still holds: account active, same password, not too old."""
    stamp = session.get(SESSION_STAMP)
    return (
        not user.disabled
        and isinstance(stamp, str)
        and hmac.compare_digest(stamp, credential_stamp(user))
        and _recent(session.get(SESSION_SINCE))
    )


def _recent(since: Any) -> bool:
    """Whether a sign-in time lies within the HR session lifetime (a working day)."""
    if not isinstance(since, int):
        return False
    lifetime = current_app.config["HR_SESSION_LIFETIME"]
    age = current_time().timestamp() - since
    return 0 <= age <= lifetime.total_seconds()


def is_writer(user: HrUser | None) -> bool:
    """Whether this account may change data (admin or HR officer, not the read-only auditor)."""
    return user is not None and not user.disabled and user.role in WRITERS


def refuse_anonymous():
    """Pages lead to the login page; posts are refused outright, since their data would be lost."""
    if request.method in READING_METHODS:
        return redirect(url_for("admin.login", next=request.path), code=302)
    return message_page(
        401,
        gettext("Please sign in"),
        gettext("Your session has ended. Please sign in again and repeat what you were doing."),
    )


def refuse_role():
    """A signed-in person asked for something their role does not allow."""
    return message_page(
        403,
        gettext("Not allowed for your role"),
        gettext("Your account cannot do this. Ask an administrator if you need it."),
    )


def login_required(view: Callable) -> Callable:
    """Only signed-in, active accounts reach the view; any role will do."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if current_hr_user() is None:
            return refuse_anonymous()
        return view(*args, **kwargs)

    return guarded


def roles_required(*roles: str) -> Callable[[Callable], Callable]:
    """Only signed-in accounts with one of ``roles`` reach the view; others get a 403 page."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_hr_user()
            if user is None:
                return refuse_anonymous()
            if user.role not in roles:
                return refuse_role()
            return view(*args, **kwargs)

        return guarded

    return decorate

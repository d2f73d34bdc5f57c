"""HR accounts for the web admin: who may sign in, with which role, and every change audited.

Passwords are stored only as scrypt hashes (Werkzeug's format, ``scrypt:…``).
Signing in takes the same time whether or not the username exists, so the
login page cannot be used to find out who has an account.  Every account
change is written to the audit trail in the caller's transaction.

An account may add a second factor: a TOTP code from an authenticator app
(RFC 6238, 30-second steps), with ten one-time recovery codes for a lost
phone.  A password alone, guessed or stolen, then no longer opens it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from functools import cache

import pyotp
import sqlalchemy as sa
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from storage.models import HrUser
from surveys.rules.messages import N_
from surveys.sealing.audit import record_event

ADMIN = "admin"
OFFICER = "officer"
AUDITOR = "auditor"
ROLES = (ADMIN, OFFICER, AUDITOR)
# Roles that may change data; an auditor only reads.
WRITERS = frozenset({ADMIN, OFFICER})
ROLE_LABELS = {
    ADMIN: N_("Administrator"),
    OFFICER: N_("HR officer"),
    AUDITOR: N_("Auditor (read-only)"),
}

MIN_PASSWORD_LENGTH = 12
# The server's secret key signs HR sessions: these words, or anything shorter, are guessable.
# The settings refuse them, and the web app refuses to start with them in production.
WEAK_SECRETS = frozenset(
    {"changethis", "changeme", "secret", "dev", "development", "test", "password"}
)
MIN_SECRET_LENGTH = 32
# Long enough for any passphrase, short enough that hashing cannot be used to tie up the server.
MAX_PASSWORD_LENGTH = 200
HASH_METHOD = "scrypt"
USERNAME_PATTERN = re.compile(r"[\w.@-]{2,64}")
# The name authenticator apps show next to the account.
TOTP_ISSUER = "Cadre HR"
RECOVERY_CODES = 10
# 16 base32 characters, 80 bits: a plain SHA-256 of them cannot be searched
# through, so recovery codes need no slow hash (unlike passwords).
RECOVERY_CODE_LENGTH = 16


class AccountError(ValueError):
    """An account request that cannot be carried out (message id and values)."""

    def __init__(self, message: str, values: dict | None = None):
        self.message = message
        self.values = values or {}
        super().__init__(message % self.values if self.values else message)


def normal_username(username: str) -> str:
    """The stored form of a username: trimmed and lower case, so 'Alice' and 'alice' are one."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normal username, or an AccountError saying what a username may contain."""
    name = normal_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            N_("A username has 2 to 64 letters, digits or the signs . _ @ -"),
        )
    return name


def check_password(password: str, username: str) -> None:
    """Refuse passwords that are short, absurdly long or just the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            N_("The password must have at least %(length)s characters."),
            {"length": MIN_PASSWORD_LENGTH},
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            N_("The password must have at most %(length)s characters."),
            {"length": MAX_PASSWORD_LENGTH},
        )
    if normal_username(password) == normal_username(username):
        raise AccountError(N_("The password must not be the username."))


def weak_secret(secret: str | None) -> bool:
    """Whether a secret key is missing, a well-known placeholder or too short to be random."""
    if not secret:
        return True
    return secret.lower() in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH


def check_role(role: str) -> str:
    """The role, or an AccountError listing the roles there are."""
    if role not in ROLES:
        raise AccountError(
            N_("Unknown role %(role)s; use admin, officer or auditor."), {"role": role}
        )
    return role


def hash_password(password: str) -> str:
    """A salted scrypt hash; the clear password is never stored."""
    return generate_password_hash(password, method=HASH_METHOD)


def generate_password() -> str:
    """A random password (24 URL-safe characters, 144 bits) to hand out once."""
    return secrets.token_urlsafe(18)


@cache
def _decoy_hash() -> str:
    """A hash of nothing anybody knows, checked for unknown users so they take as long."""
    return hash_password(secrets.token_urlsafe(18))


def find_user(*, session: Session, username: str) -> HrUser | None:
    """The account with that username (any case), or None."""
    name = normal_username(username)
    return session.exec(select(HrUser).where(HrUser.username == name)).first()


def get_user(*, session: Session, user_id: str) -> HrUser | None:
    """The account with that id, or None."""
    return session.get(HrUser, user_id)


def list_users(*, session: Session) -> list[HrUser]:
    """Every account, disabled ones too, by username."""
    return list(session.exec(select(HrUser).order_by(col(HrUser.username))))


def has_users(*, session: Session) -> bool:
    """Whether any account exists yet (the first start creates one when none does)."""
    return session.exec(select(HrUser.id).limit(1)).first() is not None


def create_user(
    *, session: Session, username: str, password: str, role: str, actor: str, now: datetime
) -> HrUser:
    """Add an account after checking its name, password and role; the trail notes who did it."""
    name = check_username(username)
    check_role(role)
    check_password(password, name)
    if find_user(session=session, username=name) is not None:
        raise AccountError(N_("The user %(username)s already exists."), {"username": name})
    user = HrUser(username=name, password_hash=hash_password(password), role=role, created_at=now)
    session.add(user)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="hr_user_created",
        now=now,
        detail={"username": name, "role": role},
    )
    return user


def authenticate(*, session: Session, username: str, password: str) -> HrUser | None:
    """The active account these credentials open, or None.

    An unknown username costs one scrypt check against a decoy hash, exactly
    like a wrong password, so timing says nothing about who has an account.
    A disabled account is checked too and then refused, for the same reason.
    """
    user = find_user(session=session, username=username)
    stored = user.password_hash if user is not None else _decoy_hash()
    matches = check_password_hash(stored, password[:MAX_PASSWORD_LENGTH])
    if user is None or user.disabled or not matches:
        return None
    return user


def set_password(
    *, session: Session, user: HrUser, password: str, actor: str, now: datetime
) -> HrUser:
    """Give an account a new password; sessions opened with the old one stop working."""
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="hr_password_changed",
        now=now,
        detail={"username": user.username},
    )
    return user


def change_own_password(
    *, session: Session, user: HrUser, current: str, new: str, now: datetime
) -> HrUser:
    """A person's own password change; the current one is asked so an open tab is not enough."""
    if not check_password_hash(user.password_hash, current[:MAX_PASSWORD_LENGTH]):
        raise AccountError(N_("The current password is wrong."))
    return set_password(session=session, user=user, password=new, actor=user.username, now=now)


def disable_user(
    *, session: Session, user: HrUser, actor: str, now: datetime, actor_id: str | None = None
) -> HrUser:
    """Stop an account from signing in; its open sessions end at their next request.

    Nobody disables their own account (a slip of the mouse would lock them
    out), and the last active admin stays, so someone can always manage accounts.
    ``actor_id`` is the acting account's id when a person does it on the web.
    """
    if actor_id == user.id:
        raise AccountError(N_("You cannot disable your own account."))
    if user.role == ADMIN and not user.disabled and _active_admins(session) <= 1:
        raise AccountError(N_("The last active administrator cannot be disabled."))
    if not user.disabled:
        user.disabled = True
        session.add(user)
        session.flush()
        record_event(
            session=session,
            actor=actor,
            action="hr_user_disabled",
            now=now,
            detail={"username": user.username},
        )
    return user


def _active_admins(session: Session) -> int:
    """How many admin accounts can still sign in."""
    return len(
        session.exec(
            select(HrUser.id).where(HrUser.role == ADMIN, col(HrUser.disabled).is_(False))
        ).all()
    )


def record_login(*, session: Session, user: HrUser, now: datetime) -> None:
    """Note a successful sign-in, so the trail shows who was working when."""
    record_event(
        session=session,
        actor=user.username,
        action="hr_login",
        now=now,
        detail={"username": user.username},
    )


# --- the second factor ----------------------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh TOTP secret (160 bits, base32) for a person about to turn the factor on."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` address an authenticator app takes (typed or from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def _normal_code(code: str) -> str:
    """A typed code without spaces and dashes, lower case: people copy codes loosely."""
    return re.sub(r"[\s-]", "", code).lower()


def _recovery_hash(code: str) -> str:
    """How a recovery code is stored: its SHA-256, never the code itself."""
    return hashlib.sha256(_normal_code(code).encode()).hexdigest()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step whose TOTP code this is (now, or one step either side), else None."""
    code = _normal_code(code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(code, totp.generate_otp(step)):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten random one-time codes, shown once in groups of four for typing."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)))
    return codes


def enable_totp(
    *, session: Session, user: HrUser, secret: str, code: str, now: datetime
) -> list[str]:
    """Turn the second factor on once a code from the new app matches; return recovery codes.

    Asking for a code first proves the app holds the secret, so nobody turns
    on a factor they cannot produce and locks themselves out.  The recovery
    codes are returned once and only their hashes are kept.
    """
    step = _matching_step(secret, code, now)
    if step is None:
        raise AccountError(N_("The code from the app is wrong; check the phone's clock."))
    codes = new_recovery_codes()
    user.totp_secret = secret
    user.totp_last_step = step
    user.recovery_hashes = [_recovery_hash(code) for code in codes]
    session.add(user)
    session.flush()
    record_event(
        session=session,
        actor=user.username,
        action="hr_totp_enabled",
        now=now,
        detail={"username": user.username},
    )
    return codes


def disable_totp(*, session: Session, user: HrUser, actor: str, now: datetime) -> HrUser:
    """Turn the second factor off (the person, or an admin for someone who lost phone and codes)."""
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_hashes = []
    session.add(user)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="hr_totp_disabled",
        now=now,
        detail={"username": user.username},
    )
    return user


def check_second_factor(*, session: Session, user: HrUser, code: str, now: datetime) -> bool:
    """Whether ``code`` completes this account's sign-in; always true without a second factor.

    A TOTP code is accepted once: its step must be newer than the last one
    used, so a code seen over a shoulder cannot be replayed within its
    minute.  A recovery code is struck off when used.  The caller commits.
    """
    if not user.totp_secret:
        return True
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        # One conditional update: of two sign-ins racing with one code, one wins.
        taken = session.exec(
            sa.update(HrUser)
            .where(
                col(HrUser.id) == user.id,
                sa.or_(col(HrUser.totp_last_step).is_(None), col(HrUser.totp_last_step) < step),
            )
            .values(totp_last_step=step)
        )
        if taken.rowcount != 1:
            return False
        session.refresh(user)
        return True
    hashed = _recovery_hash(code)
    # Lock the row (PostgreSQL) so two sign-ins with one recovery code strike it once.
    session.refresh(user, with_for_update=True)
    remaining = [kept for kept in user.recovery_hashes if not hmac.compare_digest(kept, hashed)]
    if len(remaining) == len(user.recovery_hashes) or not _normal_code(code):
        return False
    user.recovery_hashes = remaining
    session.add(user)
    session.flush()
    record_event(
        session=session,
        actor=user.username,
        action="hr_recovery_code_used",
        now=now,
        detail={"username": user.username, "left": len(remaining)},
    )
    return True

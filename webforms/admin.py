"""The HR pages under ``/admin``: sign-in, the campaign dashboard and account management.

Every view except the login page is guarded by ``webforms.hr_auth``; every
form carries the global CSRF token (no view here is exempt).  Failed
sign-ins are limited per address and per username and address, with a
stricter limit while an account is under attack (``webforms/login_limits.py``):
guessing is slow, yet the real person signs in from an address that has not
failed.  Accounts with a second factor also type a code from their app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as web_session
from flask_babel import gettext, pgettext
from flask_limiter.errors import RateLimitExceeded
from sqlmodel import Session
from werkzeug.security import check_password_hash

from storage.models import Campaign, HrUser
from surveys.setup import accounts
from surveys.setup.accounts import ADMIN, ROLE_LABELS, ROLES, AccountError
from surveys.setup.campaigns import campaign_state, list_campaigns
from surveys.setup.invitations import campaigns_invitation_counts
from webforms import login_limits
from webforms.clock import current_time
from webforms.db import get_session
from webforms.errors import message_page
from webforms.hr_auth import (
    current_hr_user,
    end_hr_session,
    is_writer,
    login_required,
    roles_required,
    start_hr_session,
)
from webforms.security import limiter

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Failed sign-ins allowed per client address (per username and address: login_limits).
LOGIN_LIMIT_PER_ADDRESS = "5 per minute"
# Views that only touch the signed-in person's own session, password or second
# factor: every role may use them.  Every other view that writes needs a writing role.
SELF_SERVICE = frozenset(
    {"admin.logout", "admin.change_password", "admin.totp_on", "admin.totp_off"}
)
# The session key of a second-factor secret shown but not yet confirmed.
PENDING_TOTP = "totp_pending"
# Account times are shown in the install's zone (CADRE_TIMEZONE), this one unless set.
DEFAULT_ZONE = "Asia/Shanghai"


def failed_login(response) -> bool:
    """Only failures count against the limits: success answers with a redirect (303)."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=failed_login)
def login():
    """Show the sign-in form, or sign a person in on a fresh session.

    Whether the password or the second-factor code was wrong is never said,
    so the page does not confirm a guessed password.
    """
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_hr_user() is not None:
            return redirect(target, code=303)
        return render_template("admin/login.html", next=target, username="")
    username = request.form.get("username", "")
    name = accounts.normal_username(username)[:64]
    address = request.remote_addr or ""
    wait = login_limits.wait_seconds(name, address)
    if wait is not None:
        return too_many_attempts(None, {"Retry-After": str(wait)})
    db = get_session()
    now = current_time()
    user = accounts.authenticate(
        session=db, username=username, password=request.form.get("password", "")
    )
    if user is not None and not second_factor_passed(user, name, now):
        db.rollback()
        user = None
    if user is None:
        login_limits.count_failure(name, address)
        log.info("failed HR sign-in for %r from %s", name, address)
        error = gettext("Wrong username, password or code.")
        page = render_template("admin/login.html", next=target, username=username, error=error)
        return page, 401
    accounts.record_login(session=db, user=user, now=now)
    db.commit()
    start_hr_session(user)
    return redirect(target, code=303)


def second_factor_passed(user: HrUser, name: str, now: datetime) -> bool:
    """Whether the typed code completes the sign-in (always, for accounts without a factor).

    Wrong codes after a right password are counted per account; past the
    limit no code is even checked this hour (see ``webforms/login_limits``).
    """
    if not user.totp_secret:
        return True
    if not login_limits.factor_allowed(name):
        return False
    code = request.form.get("code", "")[:64]
    if accounts.check_second_factor(session=get_session(), user=user, code=code, now=now):
        return True
    login_limits.count_factor_failure(name)
    return False


def safe_next(value: str | None) -> str:
    """Where to go after signing in: an HR page of this site, never another site."""
    if value and value.startswith("/admin/") and "//" not in value and "\\" not in value:
        return value
    return url_for("admin.dashboard")


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error: RateLimitExceeded | None, headers: dict | None = None):
    """Too many failed sign-ins: say so plainly; Retry-After (from the limiter, or given)."""
    return message_page(
        429,
        gettext("Too many attempts"),
        gettext("There were too many failed sign-ins. Please wait a while and try again."),
        headers,
    )


@bp.post("/logout")
@login_required
def logout():
    """Sign out and forget the whole session."""
    end_hr_session()
    return redirect(url_for("admin.login"), code=303)


@dataclass(frozen=True)
class CampaignRow:
    """One line of the dashboard: a campaign, where it stands and how many have answered."""

    campaign: Campaign
    state: str
    invited: int
    answered: int

    @property
    def percent(self) -> int:
        """Named raters who answered, as a whole percentage (0 when nobody was invited)."""
        return round(100 * self.answered / self.invited) if self.invited else 0


def campaign_rows(session: Session, now: datetime) -> list[CampaignRow]:
    """Every campaign, newest first, with its state and named raters' completion."""
    rows = []
    campaigns = list_campaigns(session=session)
    every_count = campaigns_invitation_counts(
        session=session, campaign_ids=[campaign.id for campaign in campaigns]
    )
    for campaign in campaigns:
        counts = every_count.get(campaign.id, {})
        named = {status: number for (kind, status), number in counts.items() if kind == "named"}
        rows.append(
            CampaignRow(
                campaign=campaign,
                state=campaign_state(campaign, now),
                invited=sum(named.values()),
                answered=named.get("completed", 0),
            )
        )
    return rows


def state_labels() -> dict[str, str]:
    """A campaign state as HR reads it.

    "Open" has a context: the same English word is an appeal waiting for a
    decision elsewhere, and one Chinese word cannot say both (a running
    campaign showed 待处理, "pending").
    """
    return {
        "not_open": gettext("Not open yet"),
        "open": pgettext("campaign state", "Open"),
        "closed": gettext("Closed"),
    }


def admin_page(template: str, status: int = 200, **values):
    """Render an HR page with the signed-in account and what it may do."""
    user = current_hr_user()
    page = render_template(
        template,
        hr_user=user,
        is_admin=user is not None and user.role == ADMIN,
        is_writer=is_writer(user),
        role_labels=ROLE_LABELS,
        zone=current_app.config.get("TIMEZONE", DEFAULT_ZONE),
        **values,
    )
    return page, status


@bp.get("/")
@login_required
def dashboard():
    """The campaigns with their state and completion; reading only."""
    rows = campaign_rows(get_session(), current_time())
    return admin_page("admin/dashboard.html", rows=rows, states=state_labels())


@bp.get("/users")
@login_required
def users():
    """The accounts (every role may see who has access); only admins get the forms."""
    return users_page()


def users_page(status: int = 200, error: str | None = None, entered: dict | None = None):
    """The accounts page, with a creation problem and what was typed when there is one."""
    return admin_page(
        "admin/users.html",
        status,
        users=accounts.list_users(session=get_session()),
        roles=ROLES,
        error=error,
        entered=entered or {"username": "", "role": accounts.OFFICER},
    )


@bp.post("/users")
@roles_required(ADMIN)
def create_user():
    """Create an account (admins only) and go back to the list."""
    user = current_hr_user()
    entered = {"username": request.form.get("username", ""), "role": request.form.get("role", "")}
    db = get_session()
    try:
        created = accounts.create_user(
            session=db,
            username=entered["username"],
            password=request.form.get("password", ""),
            role=entered["role"],
            actor=user.username,
            now=current_time(),
        )
    except AccountError as error:
        db.rollback()
        return users_page(422, account_message(error), entered)
    db.commit()
    flash(gettext("Created the account %(username)s.", username=created.username))
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<user_id>/disable")
@roles_required(ADMIN)
def disable_user(user_id: str):
    """Disable an account (admins only); its open sessions end at once."""
    acting = current_hr_user()
    db = get_session()
    target = accounts.get_user(session=db, user_id=user_id)
    if target is None:
        abort(404)
    try:
        accounts.disable_user(
            session=db, user=target, actor=acting.username, actor_id=acting.id, now=current_time()
        )
    except AccountError as error:
        db.rollback()
        return users_page(409, account_message(error))
    db.commit()
    flash(gettext("Disabled the account %(username)s.", username=target.username))
    return redirect(url_for("admin.users"), code=303)


@bp.get("/password")
@login_required
def password_form():
    """The form to change one's own password."""
    return admin_page("admin/password.html")


@bp.post("/password")
@login_required
def change_password():
    """Change one's own password; other sessions of the account end, this one is renewed."""
    user = current_hr_user()
    new, repeated = request.form.get("new_password", ""), request.form.get("repeat_password", "")
    if new != repeated:
        error = gettext("The two new passwords differ.")
        return admin_page("admin/password.html", 422, error=error)
    db = get_session()
    try:
        accounts.change_own_password(
            session=db,
            user=user,
            current=request.form.get("current_password", ""),
            new=new,
            now=current_time(),
        )
    except AccountError as error:
        db.rollback()
        return admin_page("admin/password.html", 422, error=account_message(error))
    db.commit()
    start_hr_session(user)
    flash(gettext("Your password was changed."))
    return redirect(url_for("admin.dashboard"), code=303)


@bp.get("/totp")
@login_required
def totp_page():
    """One's own second factor: its state, or a new key to add to an authenticator app.

    The key waits in the (signed, server-keyed) session until a code made
    with it comes back, so a key nobody's app holds is never stored.
    """
    user = current_hr_user()
    if user.totp_secret:
        return totp_state(user)
    return totp_setup(user)


def totp_state(user: HrUser, status: int = 200, error: str | None = None):
    """The page for an account whose second factor is on."""
    left = len(user.recovery_hashes)
    return admin_page("admin/totp.html", status, enabled=True, recovery_left=left, error=error)


def totp_setup(user: HrUser, status: int = 200, error: str | None = None):
    """The page offering a key (kept across a wrong code, so the app need not be set up again)."""
    secret = web_session.get(PENDING_TOTP)
    if not isinstance(secret, str):
        secret = accounts.new_totp_secret()
        web_session[PENDING_TOTP] = secret
    uri = accounts.totp_uri(secret, user.username)
    return admin_page("admin/totp.html", status, secret=secret, uri=uri, error=error)


@bp.post("/totp")
@login_required
def totp_on():
    """Turn one's second factor on (current password and a code); show the recovery codes."""
    user = current_hr_user()
    if user.totp_secret:
        return redirect(url_for("admin.totp_page"), code=303)
    secret = web_session.get(PENDING_TOTP)
    if not isinstance(secret, str) or not password_matches(user):
        return totp_setup(user, 422, gettext("The current password is wrong."))
    db = get_session()
    try:
        codes = accounts.enable_totp(
            session=db,
            user=user,
            secret=secret,
            code=request.form.get("code", "")[:64],
            now=current_time(),
        )
    except AccountError as error:
        db.rollback()
        return totp_setup(user, 422, account_message(error))
    db.commit()
    web_session.pop(PENDING_TOTP, None)
    return admin_page("admin/totp.html", recovery_codes=codes)


@bp.post("/totp/off")
@login_required
def totp_off():
    """Turn one's second factor off; the current password is asked so an open tab is not enough."""
    user = current_hr_user()
    if not password_matches(user):
        return totp_state(user, 422, gettext("The current password is wrong."))
    db = get_session()
    accounts.disable_totp(session=db, user=user, actor=user.username, now=current_time())
    db.commit()
    flash(gettext("Two-step sign-in is off."))
    return redirect(url_for("admin.totp_page"), code=303)


def password_matches(user: HrUser) -> bool:
    """Whether the form's current password is the account's."""
    typed = request.form.get("current_password", "")[: accounts.MAX_PASSWORD_LENGTH]
    return check_password_hash(user.password_hash, typed)


def account_message(error: AccountError) -> str:
    """An account problem in the reader's language."""
    return gettext(error.message, **error.values)

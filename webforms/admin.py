"""The HR pages under ``/admin``: sign-in, the campaign dashboard and account management.

Every view except the login page is guarded by ``webforms.hr_auth``; every
form carries the global CSRF token (no view here is exempt).  Sign-in
attempts are rate limited per address and per username, counting failures
only, so an honest person who signs in is never slowed down by it.
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
from flask_babel import gettext, pgettext
from flask_limiter.errors import RateLimitExceeded
from sqlmodel import Session

from storage.models import Campaign
from surveys import accounts
from surveys.accounts import ADMIN, ROLE_LABELS, ROLES, AccountError
from surveys.campaigns import campaign_state, list_campaigns
from surveys.invitations import invitation_counts
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

# Failed sign-ins allowed per client address, and per username from anywhere.
LOGIN_LIMIT_PER_ADDRESS = "5 per minute"
LOGIN_LIMIT_PER_USERNAME = "10 per hour"
# Views that only touch the signed-in person's own session or password: every
# role may use them.  Every other view that writes needs a writing role.
SELF_SERVICE = frozenset({"admin.logout", "admin.change_password"})
# Account times are shown in the install's zone (CADRE_TIMEZONE), this one unless set.
DEFAULT_ZONE = "Asia/Shanghai"


def failed_login(response) -> bool:
    """Only failures count against the limits: success answers with a redirect (303)."""
    return response.status_code != 303


def login_username_key() -> str:
    """The per-username limit's key: the name as accounts store it, whatever the address."""
    name = accounts.normal_username(request.form.get("username", ""))[:64]
    return f"hr-username:{name}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=failed_login)
@limiter.limit(
    LOGIN_LIMIT_PER_USERNAME,
    key_func=login_username_key,
    methods=["POST"],
    deduct_when=failed_login,
)
def login():
    """Show the sign-in form, or sign a person in on a fresh session."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_hr_user() is not None:
            return redirect(target, code=303)
        return render_template("admin/login.html", next=target, username="")
    username = request.form.get("username", "")
    db = get_session()
    user = accounts.authenticate(
        session=db, username=username, password=request.form.get("password", "")
    )
    if user is None:
        log.info("failed HR sign-in for %r from %s", username[:64], request.remote_addr)
        error = gettext("Wrong username or password.")
        page = render_template("admin/login.html", next=target, username=username, error=error)
        return page, 401
    accounts.record_login(session=db, user=user, now=current_time())
    db.commit()
    start_hr_session(user)
    return redirect(target, code=303)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: an HR page of this site, never another site."""
    if value and value.startswith("/admin/") and "//" not in value and "\\" not in value:
        return value
    return url_for("admin.dashboard")


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(_error: RateLimitExceeded):
    """Too many failed sign-ins: say so plainly; the limiter adds Retry-After."""
    return message_page(
        429,
        gettext("Too many attempts"),
        gettext("There were too many failed sign-ins. Please wait a while and try again."),
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
    for campaign in list_campaigns(session=session):
        counts = invitation_counts(session=session, campaign=campaign)
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


def account_message(error: AccountError) -> str:
    """An account problem in the reader's language."""
    return gettext(error.message, **error.values)

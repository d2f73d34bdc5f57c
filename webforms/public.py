"""The public service form behind a channel's QR code, and the window's display page.

Anyone may answer; a channel with several cadres (a service window) first
asks who served the person.  Stuffing is resisted without ever learning who
rated (see ``surveys/channels.py``):

- a rotating channel opens only with the code its window's screen shows
  now (or showed in the previous window); the code's window is kept in the
  signed session, so a person who fills in slowly is not refused at submit;
- a signed cookie remembers which cadres this device rated today (in the
  campaign's time zone), and a second rating of the same cadre is refused;
- each address may post ``PUBLIC_RATE_LIMIT`` times (default 30 per hour),
  counted in ``RATELIMIT_STORAGE_URI`` (Redis when several processes serve);
- every accepted and refused submission is counted per channel and hour.

Settings read from the app's config (all optional): ``PUBLIC_CODE_MINUTES``
(window length, default 5), ``PUBLIC_FORM_MINUTES`` (how long after its
code's window a form may be sent, default 60), ``PUBLIC_RATE_LIMIT``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import TooManyRequests

from storage.models import Campaign, PublicChannel
from surveys.ballots import (
    BallotForm,
    BallotInvalid,
    BallotUnavailable,
    CadreSection,
    open_public,
    submit_public,
)
from surveys.channels import (
    WINDOW_MINUTES,
    code_window,
    current_url,
    display_key_valid,
    find_channel,
    form_accepted,
    local_day,
    next_day_start,
    record_tally,
    window_accepted,
    window_number,
    window_start,
)
from surveys.qrcodes import qr_png
from webforms.clock import current_time
from webforms.db import get_session
from webforms.errors import unavailable
from webforms.forms import (
    Field,
    FormState,
    option_lists,
    problem_names,
    question_count,
    read_answers,
    section_fields,
    summarise,
)
from webforms.i18n import current_locale, local_time
from webforms.security import csrf, csrf_passed, limiter

log = logging.getLogger(__name__)
bp = Blueprint("public", __name__)

SESSION_WINDOWS = "public_windows"  # channel slug -> window of the code the form opened with
RATED_COOKIE = "cadre_rated"  # signed: cadre id -> the local day this device rated it
RATED_SALT = "cadre-public-rated"
RATED_COOKIE_AGE = 2 * 24 * 3600  # today and tomorrow's first hours, whatever the time zone
DEFAULT_RATE_LIMIT = "30 per hour"
DEFAULT_FORM_MINUTES = 60


def code_minutes() -> int:
    """How long each rotating code is shown (``PUBLIC_CODE_MINUTES``)."""
    return int(current_app.config.get("PUBLIC_CODE_MINUTES", WINDOW_MINUTES))


def form_minutes() -> int:
    """How long after its code's window a form may be sent (``PUBLIC_FORM_MINUTES``)."""
    return int(current_app.config.get("PUBLIC_FORM_MINUTES", DEFAULT_FORM_MINUTES))


def public_rate_limit() -> str:
    """Posts allowed per address (``PUBLIC_RATE_LIMIT``, Flask-Limiter's notation)."""
    return str(current_app.config.get("PUBLIC_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def secret_key() -> str:
    """The key the codes, display keys and the device cookie are derived from."""
    return current_app.config["SECRET_KEY"]


def no_prefix(_cadre_id: str) -> str:
    """Public field names carry no cadre id: the cadre is its own field, ``cadre``."""
    return ""


@bp.route("/p/<slug>", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(public_rate_limit, methods=["POST"])
def form(slug: str):
    """Show the public form, or take one person's answers; CSRF is checked in ``submit``."""
    now = current_time()
    database = get_session()
    try:
        ballot = open_public(session=database, slug=slug, now=now)
    except BallotUnavailable as error:
        return unavailable(error)
    channel = find_channel(session=database, slug=slug)
    if request.method == "POST":
        return submit(channel, ballot, now)
    if not opened_with_code(channel, now):
        return code_expired()
    rated = rated_today(read_ratings(), ballot.campaign, now)
    if all(section.cadre.id in rated for section in ballot.sections):
        return already_rated(ballot, ballot.sections, now, other_cadres=False)
    return render(slug, ballot, FormState())


@bp.get("/p/<slug>/thanks")
def thanks(slug: str):
    """Thank the person and offer to rate someone else at the same window."""
    if find_channel(session=get_session(), slug=slug) is None:
        abort(404)
    return render_template("public_thanks.html", again=url_for("public.form", slug=slug))


# --- rotating codes ---------------------------------------------------------------------------


def opened_with_code(channel: PublicChannel, now: datetime) -> bool:
    """Whether this visit may see the form: a static channel, or a code that is still good.

    A code that is valid now is remembered in the session; without one (the
    language links, "rate another person") the remembered code must still be
    within its own two windows, exactly as if it had been scanned again.
    """
    if not channel.rotating:
        return True
    code = request.args.get("c", "")
    window = code_window(secret_key(), channel.slug, code, now, code_minutes()) if code else None
    if window is not None:
        remember_window(channel.slug, window, now)
        return True
    stored = session.get(SESSION_WINDOWS, {}).get(channel.slug)
    return isinstance(stored, int) and window_accepted(stored, now, code_minutes())


def form_still_open(channel: PublicChannel, now: datetime) -> bool:
    """Whether a submission may be stored: opened with a code whose form time has not run out."""
    if not channel.rotating:
        return True
    stored = session.get(SESSION_WINDOWS, {}).get(channel.slug)
    return isinstance(stored, int) and form_accepted(stored, now, form_minutes(), code_minutes())


def remember_window(slug: str, window: int, now: datetime) -> None:
    """Keep the newest good window per channel in the session; drop the ones that ran out."""
    windows = {
        name: value
        for name, value in session.get(SESSION_WINDOWS, {}).items()
        if isinstance(value, int) and form_accepted(value, now, form_minutes(), code_minutes())
    }
    windows[slug] = max(window, windows.get(slug, window))
    session[SESSION_WINDOWS] = windows


def code_expired():
    """A missing, wrong or old code: tell the person to scan again, never drop them silently."""
    return refusal(
        403,
        gettext("This code has expired"),
        gettext(
            "The QR code at the window changes every few minutes. Please scan the code "
            "at the window again; your browser must accept cookies for this site."
        ),
    )


# --- one rating per cadre, device and day ---------------------------------------------------


def rating_cookies() -> URLSafeSerializer:
    """Signs the device's list of rated cadres so nobody can forge or edit it."""
    return URLSafeSerializer(secret_key(), salt=RATED_SALT)


def read_ratings() -> dict[str, str]:
    """What this device rated and on which local day; nothing when the cookie is bad."""
    raw = request.cookies.get(RATED_COOKIE)
    if not raw:
        return {}
    try:
        ratings = rating_cookies().loads(raw)
    except BadSignature:
        return {}
    if not isinstance(ratings, dict):
        return {}
    return {str(cadre): str(day) for cadre, day in ratings.items()}


def rated_today(ratings: dict[str, str], campaign: Campaign, now: datetime) -> set[str]:
    """The cadres this device rated on the campaign's today."""
    today = local_day(campaign, now).isoformat()
    return {cadre for cadre, day in ratings.items() if day == today}


def remember_rating(
    response: Response, ratings: dict[str, str], cadre_id: str, campaign: Campaign, now: datetime
) -> None:
    """Add today's rating to the device's cookie, forgetting days that have passed."""
    today = local_day(campaign, now).isoformat()
    kept = {cadre: day for cadre, day in ratings.items() if day >= today}
    kept[cadre_id] = today
    response.set_cookie(
        RATED_COOKIE,
        rating_cookies().dumps(kept),
        max_age=RATED_COOKIE_AGE,
        path="/p/",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def already_rated(
    ballot: BallotForm, sections: list[CadreSection], now: datetime, *, other_cadres: bool
):
    """A second rating of the same cadre today: say when this device may rate them again."""
    campaign = ballot.campaign
    when = local_time(next_day_start(campaign, now), campaign.timezone)
    names = ", ".join(section.cadre.name for section in sections)
    text = gettext(
        "You have already rated %(name)s today on this device. "
        "You can rate them again from %(time)s.",
        name=names,
        time=when,
    )
    again = url_for("public.form", slug=request.view_args["slug"]) if other_cadres else None
    return refusal(403, gettext("Already rated today"), text, again)


# --- taking the answers -----------------------------------------------------------------------


def submit(channel: PublicChannel, ballot: BallotForm, now: datetime):
    """Store one rating, or say why not: an old code, a cadre rated today, answers to fix."""
    if not form_still_open(channel, now):
        count_refusal(channel, now)
        return code_expired()
    if not csrf_passed():
        return render(channel.slug, ballot, FormState(values=request.form, expired=True)), 400
    cadre_id = chosen_cadre(ballot)
    ratings = read_ratings()
    rated = rated_today(ratings, ballot.campaign, now)
    if cadre_id in rated:
        count_refusal(channel, now)
        chosen = [section for section in ballot.sections if section.cadre.id == cadre_id]
        others = any(section.cadre.id not in rated for section in ballot.sections)
        return already_rated(ballot, chosen, now, other_cadres=others)
    answers = read_answers(ballot.sections[0], request.form, "")
    database = get_session()
    try:
        submit_public(
            session=database, slug=channel.slug, cadre_id=cadre_id, answers=answers, now=now
        )
    except BallotUnavailable as error:
        database.rollback()
        return unavailable(error)
    except BallotInvalid as error:
        database.rollback()
        problems = problem_names(error.problems, no_prefix)
        state = FormState(values=request.form, problems=problems)
        return render(channel.slug, ballot, state), 422
    record_tally(session=database, channel=channel, now=now, accepted=True)
    database.commit()
    response = redirect(url_for("public.thanks", slug=channel.slug), code=303)
    remember_rating(response, ratings, cadre_id, ballot.campaign, now)
    return response


def count_refusal(channel: PublicChannel, now: datetime) -> None:
    """Count a refused submission for HR's burst check; a failure only costs the count."""
    database = get_session()
    try:
        record_tally(session=database, channel=channel, now=now, accepted=False)
        database.commit()
    except sa.exc.SQLAlchemyError:
        database.rollback()
        log.exception("counting a refused public submission failed")


def chosen_cadre(ballot: BallotForm) -> str:
    """The cadre the person picked; a one-cadre channel needs no choice at all."""
    if len(ballot.sections) == 1:
        return ballot.sections[0].cadre.id
    return (request.form.get("cadre") or "").strip()


def render(slug: str, ballot: BallotForm, state: FormState) -> str:
    """The public form page, with the person's answers and problems when it comes back."""
    section: CadreSection = ballot.sections[0]
    locale = current_locale()
    fields = section_fields(section, "", locale)
    if len(ballot.sections) > 1:
        fields.insert(0, Field("cadre", "", gettext("Who served you")))
    return render_template(
        "public_form.html",
        ballot=ballot,
        state=state,
        summary=summarise(fields, state),
        section=section,
        channel=ballot.channel_name,
        action=url_for("public.form", slug=slug),
        questions=question_count(section),
        **option_lists(ballot.questionnaire, locale),
    )


def refusal(status: int, title: str, text: str, again: str | None = None):
    """A friendly page saying why a rating was not taken, with a way on when there is one."""
    return render_template("public_refused.html", title=title, text=text, again=again), status


@bp.errorhandler(TooManyRequests)
def too_many(_error: TooManyRequests):
    """Too many posts from one address: count the refusal and say when to try again."""
    slug = (request.view_args or {}).get("slug", "")
    channel = find_channel(session=get_session(), slug=slug) if slug else None
    text = gettext("Too many ratings came from your network. Please try again later.")
    if channel is not None:
        now = current_time()
        count_refusal(channel, now)
        campaign = get_session().get(Campaign, channel.campaign_id)
        limit = limiter.current_limit
        if campaign is not None and limit is not None:
            when = local_time(datetime.fromtimestamp(limit.reset_at, UTC), campaign.timezone)
            text = gettext(
                "Too many ratings came from your network. Please try again after %(time)s.",
                time=when,
            )
    return refusal(429, gettext("Too many ratings"), text)


# --- the window's screen ----------------------------------------------------------------------


def displayed_channel(slug: str) -> PublicChannel:
    """The channel whose display key came with the request; anything else is a plain 404."""
    channel = find_channel(session=get_session(), slug=slug)
    key = request.args.get("key", "")
    if channel is None or not key or not display_key_valid(secret_key(), slug, key):
        abort(404)
    return channel


@bp.get("/p/<slug>/display")
def display(slug: str):
    """The page on the window's screen: the current code as a QR image, refreshed as it turns.

    No JavaScript: a meta refresh reloads the page one second after the next
    window begins, and the image's address names the window so no cache
    can show an old code.
    """
    channel = displayed_channel(slug)
    now = current_time()
    minutes = code_minutes()
    window = window_number(now, minutes)
    turns = window_start(window + 1, minutes)
    key = request.args["key"]
    return render_template(
        "public_display.html",
        channel=channel,
        campaign=get_session().get(Campaign, channel.campaign_id),
        image=url_for("public.qr_image", slug=slug, key=key, w=window),
        refresh=max(1, int((turns - now).total_seconds()) + 1),
        minutes=minutes,
        languages={
            "zh": url_for("public.display", slug=slug, key=key, lang="zh"),
            "en": url_for("public.display", slug=slug, key=key, lang="en"),
        },
    )


@bp.get("/p/<slug>/qr.png")
def qr_image(slug: str):
    """The current code as a PNG for the display page; never cached (``no-store``)."""
    channel = displayed_channel(slug)
    url = current_url(
        current_app.config["BASE_URL"], secret_key(), channel, current_time(), code_minutes()
    )
    response = Response(qr_png(url), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response

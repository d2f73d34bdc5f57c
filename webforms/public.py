"""The public service form behind a channel's QR code, and the window's display page.

Anyone may answer; a channel with several cadres (a service window) first
asks who served the person.  Stuffing is resisted without ever learning who
rated (see ``surveys/setup/channels.py``):

- a rotating channel opens only with a code its window's screen shows now
  (or showed in the previous window), and each code admits one ballot: the
  first visit claims it in the database and the stored ballot spends it,
  so keeping the session cookie, dropping the others or changing network
  buys nothing without a new scan at the window.  The claim is kept in the
  signed session, so a person who fills in slowly is not refused at submit;
- the screen moves on to the next code as soon as the shown one is claimed
  (a tiny script asks; without it, the page reloads every few seconds);
- a signed cookie remembers which cadres this device rated today (in the
  campaign's time zone), and a second rating of the same cadre is refused;
- each address may post ``PUBLIC_RATE_LIMIT`` times (default 600 per hour:
  a service hall behind one NAT address must never reach it; the codes, not
  this limit, stop stuffing), counted in ``RATELIMIT_STORAGE_URI``;
- every accepted and refused submission is counted per channel and hour.

Settings read from the app's config (all optional): ``PUBLIC_CODE_MINUTES``
(window length, default 5), ``PUBLIC_FORM_MINUTES`` (how long after its
code's window a form may be sent, default 60), ``PUBLIC_RATE_LIMIT``.
"""

from __future__ import annotations

import logging
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta

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
from surveys.collection.ballots import (
    BallotForm,
    BallotInvalid,
    BallotUnavailable,
    CadreSection,
    open_public,
    submit_public,
)
from surveys.documents.qrcodes import qr_png
from surveys.setup.channels import (
    MAX_SERIAL,
    WINDOW_MINUTES,
    claim_code,
    code_claimed,
    code_spent,
    current_url,
    display_key_valid,
    find_channel,
    form_accepted,
    local_day,
    next_day_start,
    next_serial,
    read_code,
    record_tally,
    spend_code,
    window_accepted,
    window_number,
    window_start,
)
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

SESSION_CODES = "public_codes"  # channel slug -> [window, serial] of the code this phone claimed
RATED_COOKIE = "cadre_rated"  # signed: cadre id -> the local day this device rated it
RATED_SALT = "cadre-public-rated"
RATED_COOKIE_AGE = 2 * 24 * 3600  # today and tomorrow's first hours, whatever the time zone
DEFAULT_RATE_LIMIT = "600 per hour"
DEFAULT_FORM_MINUTES = 60
# Without JavaScript the screen reloads this often, so a claimed code is soon replaced.
DISPLAY_RELOAD_SECONDS = 15


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
    # Refuse a repeat before the form is filled, and before a code is claimed for nothing.
    rated = rated_today(read_ratings(), ballot.campaign, now)
    if all(section.cadre.id in rated for section in ballot.sections):
        return already_rated(ballot, ballot.sections, now, other_cadres=False)
    refused = admission(channel, now)
    if refused is not None:
        return refused
    return render(slug, ballot, FormState(), rated)


@bp.get("/p/<slug>/thanks")
def thanks(slug: str):
    """Thank the person and offer to rate someone else at the same window."""
    channel = find_channel(session=get_session(), slug=slug)
    if channel is None:
        abort(404)
    # A rotating channel's code was spent on this rating: another needs a new scan.
    again = None if channel.rotating else url_for("public.form", slug=slug)
    return render_template("public_thanks.html", again=again)


# --- rotating codes ---------------------------------------------------------------------------


def admission(channel: PublicChannel, now: datetime):
    """None when this visit may see the form, else the page that says why not.

    A static channel needs nothing.  A scanned code must be current and not
    claimed by anyone else; this phone claims it.  Without a code (the
    language links, a reload) the phone's own claim must still be unspent
    and within its code's two windows, exactly as if it had scanned again.
    """
    if not channel.rotating:
        return None
    code = request.args.get("c", "")
    if not code:
        held = held_code(channel.slug)
        if held is None or not window_accepted(held[0], now, code_minutes()):
            return code_expired()
        if code_spent(session=get_session(), channel=channel, window=held[0], serial=held[1]):
            return code_used()
        return None
    found = read_code(secret_key(), channel.slug, code, now, code_minutes())
    if found is None:
        return code_expired()
    if request.method == "HEAD":
        return None  # a link checker asking whether the page exists takes no code
    database = get_session()
    if held_code(channel.slug) == found:
        if code_spent(session=database, channel=channel, window=found[0], serial=found[1]):
            return code_used()
        return None
    oldest = window_number(now - form_lifetime(), code_minutes()) - 1
    window, serial = found
    if not claim_code(
        session=database, channel=channel, window=window, serial=serial, oldest=oldest
    ):
        database.rollback()
        count_refusal(channel, now)
        return code_used()
    database.commit()
    remember_code(channel.slug, found, now)
    return None


def form_lifetime() -> timedelta:
    """How long a claimed code's form may be sent: never less than the code's two windows."""
    return max(timedelta(minutes=form_minutes()), timedelta(minutes=2 * code_minutes()))


def held_code(slug: str) -> tuple[int, int] | None:
    """The (window, serial) of the code this phone claimed for the channel, if any."""
    held = session.get(SESSION_CODES, {}).get(slug)
    if (
        isinstance(held, list)
        and len(held) == 2
        and all(isinstance(value, int) and not isinstance(value, bool) for value in held)
    ):
        return held[0], held[1]
    return None


def form_still_open(channel: PublicChannel, now: datetime) -> bool:
    """Whether a submission may be stored: opened with a code whose form time has not run out."""
    if not channel.rotating:
        return True
    held = held_code(channel.slug)
    return held is not None and form_accepted(held[0], now, form_minutes(), code_minutes())


def remember_code(slug: str, code: tuple[int, int], now: datetime) -> None:
    """Keep the claimed code per channel in the session; drop the ones that ran out."""
    codes = {}
    for name in session.get(SESSION_CODES, {}):
        held = held_code(name)
        if held is not None and form_accepted(held[0], now, form_minutes(), code_minutes()):
            codes[name] = list(held)
    codes[slug] = list(code)
    session[SESSION_CODES] = codes


def code_used():
    """A code another phone (or this one, for a ballot already sent) used: scan the new one."""
    return refusal(
        403,
        gettext("This code was already used"),
        gettext(
            "Each code on the window's screen takes one rating. Please scan the new "
            "code on the screen at the window."
        ),
    )


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
    held = held_code(channel.slug)
    if channel.rotating and not spend_code(
        session=database, channel=channel, window=held[0], serial=held[1]
    ):
        database.rollback()
        count_refusal(channel, now)
        return code_used()
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
        return render(channel.slug, ballot, state, rated), 422
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


def render(
    slug: str, ballot: BallotForm, state: FormState, rated: AbstractSet[str] = frozenset()
) -> str:
    """The public form page, with the person's answers and problems when it comes back.

    Cadres this device rated today are shown but cannot be picked, so nobody
    fills in the whole form only to be refused at the end.
    """
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
        rated=rated,
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
    """The page on the window's screen: the code to scan now as a QR image.

    The screen shows the next unclaimed code of the current window.  A tiny
    script (our own file, allowed by this page's policy) asks every two
    seconds whether a phone claimed it and reloads at once; without
    JavaScript a meta refresh reloads every ``DISPLAY_RELOAD_SECONDS`` and
    one second after the window turns.  The image's address names the
    window and serial so no cache can show an old code.
    """
    channel = displayed_channel(slug)
    now = current_time()
    minutes = code_minutes()
    window = window_number(now, minutes)
    serial = next_serial(session=get_session(), channel=channel, window=window)
    turns = window_start(window + 1, minutes)
    key = request.args["key"]
    until_turn = max(1, int((turns - now).total_seconds()) + 1)
    return render_template(
        "public_display.html",
        channel=channel,
        campaign=get_session().get(Campaign, channel.campaign_id),
        image=url_for("public.qr_image", slug=slug, key=key, w=window, n=serial),
        used=url_for("public.display_used", slug=slug, key=key, w=window, n=serial),
        refresh=min(until_turn, DISPLAY_RELOAD_SECONDS) if channel.rotating else until_turn,
        minutes=minutes,
    )


def shown_code(channel: PublicChannel) -> tuple[int, int]:
    """The (window, serial) a display request names; the current window's next code otherwise."""
    now = current_time()
    window = window_number(now, code_minutes())
    named = request.args.get("w", type=int), request.args.get("n", type=int)
    if named[0] == window and named[1] is not None and 0 <= named[1] <= MAX_SERIAL:
        return window, named[1]
    return window, next_serial(session=get_session(), channel=channel, window=window)


@bp.get("/p/<slug>/display/used")
def display_used(slug: str):
    """Whether the screen should load a new code: its code was claimed, or its window ended."""
    channel = displayed_channel(slug)
    window, serial = shown_code(channel)
    stale = window != request.args.get("w", type=int) or serial != request.args.get("n", type=int)
    used = stale or code_claimed(
        session=get_session(), channel=channel, window=window, serial=serial
    )
    return {"used": bool(channel.rotating and used)}


@bp.get("/p/<slug>/qr.png")
def qr_image(slug: str):
    """The code the page named as a PNG for the display page; never cached (``no-store``)."""
    channel = displayed_channel(slug)
    window, serial = shown_code(channel)
    moment = window_start(window, code_minutes())
    url = current_url(
        current_app.config["BASE_URL"], secret_key(), channel, moment, code_minutes(), serial
    )
    response = Response(qr_png(url), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response

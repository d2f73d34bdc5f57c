"""The rater form behind a one-time link: every assigned cadre on one phone page.

The token is the only credential.  On the first visit it is swapped for
the (signed, HttpOnly) session cookie and the browser is sent on to the
token-free address ``/r/``, so the token leaves no trace in access logs,
browser history or a screenshot of the address bar after that one request.
An unknown token is an ordinary 404 and a used one says so.

With JavaScript the page keeps the answers in the browser as the rater goes
(``static/draft.js``), so a reload, a language switch or a lost tab loses
nothing.  They are stored under a random draft key kept in the session beside
the token, never the token itself, and the thank-you page removes them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext

from surveys.collection.ballots import (
    BallotForm,
    BallotInvalid,
    BallotUnavailable,
    open_ballot,
    submit_form,
)
from webforms.clock import current_time
from webforms.db import get_session
from webforms.errors import message_page, unavailable
from webforms.forms import (
    FormState,
    option_lists,
    problem_names,
    question_count,
    read_answers,
    section_fields,
    summarise,
)
from webforms.i18n import current_locale
from webforms.security import csrf, csrf_passed

bp = Blueprint("rater", __name__)


def prefix(cadre_id: str) -> str:
    """Field names of one cadre's answers start with its id: ``{cadre_id}:{item_key}``."""
    return f"{cadre_id}:"


SESSION_TOKEN = "ballot_token"
# A random name for this form session's answers kept in the browser (static/draft.js).
# It is never the token nor made from it: a later user of a shared phone, or anyone
# reading its storage, must not learn which link the answers belonged to.
SESSION_DRAFT = "ballot_draft"
DRAFT_SCRIPT = Path(__file__).parent / "static" / "draft.js"


@bp.get("/r/<token>")
def arrive(token: str):
    """Check the link, keep its token in the session cookie, continue at ``/r/``."""
    now = current_time()
    try:
        open_ballot(session=get_session(), token=token, now=now)
    except BallotUnavailable as error:
        return unavailable(error)
    if session.get(SESSION_TOKEN) != token or not session.get(SESSION_DRAFT):
        session[SESSION_DRAFT] = new_draft_key()  # another link: never show its answers
    session[SESSION_TOKEN] = token  # a browser-session cookie: gone when the browser closes
    language = {"lang": request.args["lang"]} if "lang" in request.args else {}
    return redirect(url_for("rater.form", **language), code=303)


@bp.route("/r/", methods=["GET", "POST"])
@csrf.exempt
def form():
    """Show the form, or take the answers; CSRF is checked by hand in ``submit``."""
    now = current_time()
    token = session.get(SESSION_TOKEN)
    if not token:
        return link_needed()
    try:
        ballot = open_ballot(session=get_session(), token=token, now=now)
    except BallotUnavailable as error:
        return unavailable(error)
    if request.method == "POST":
        return submit(token, ballot, now)
    return render(ballot, FormState())


def new_draft_key() -> str:
    """A random key for the answers the browser keeps; unrelated to the token by design."""
    return secrets.token_urlsafe(12)


def draft_key() -> str:
    """This form session's draft key, made on first need (a session from before it existed)."""
    if not session.get(SESSION_DRAFT):
        session[SESSION_DRAFT] = new_draft_key()
    return session[SESSION_DRAFT]


@cache
def script_version() -> str:
    """A short hash of the draft script for its URL, so a phone never keeps an old copy."""
    return hashlib.sha256(DRAFT_SCRIPT.read_bytes()).hexdigest()[:10]


@bp.app_context_processor
def draft_script() -> dict:
    """The draft script's address for the form and the thank-you page, which clears it."""
    return {"draft_script": url_for("static", filename="draft.js", v=script_version())}


def link_needed():
    """No token in this browser's session: the person must open their link (again)."""
    return message_page(
        400,
        gettext("Please open your link again"),
        gettext(
            "This page opens from the link or QR code you were given. Open it again; "
            "your browser must accept cookies for this site."
        ),
    )


def submit(token: str, ballot: BallotForm, now: datetime):
    """Store the answers once and thank the rater, or show the form again with what to fix."""
    if not csrf_passed():
        return render(ballot, FormState(values=request.form, expired=True)), 400
    answers = {
        section.cadre.id: read_answers(section, request.form, prefix(section.cadre.id))
        for section in ballot.sections
    }
    database = get_session()
    try:
        submit_form(session=database, form=ballot, answers=answers, now=now)
    except BallotUnavailable as error:
        database.rollback()
        return unavailable(error)
    except BallotInvalid as error:
        database.rollback()
        state = FormState(values=request.form, problems=problem_names(error.problems, prefix))
        return render(ballot, state), 422
    database.commit()
    return redirect(url_for("site.done"), code=303)


def render(ballot: BallotForm, state: FormState) -> str:
    """The form page, with the rater's answers and problems when it comes back."""
    locale = current_locale()
    fields = [
        f
        for section in ballot.sections
        for f in section_fields(section, prefix(section.cadre.id), locale)
    ]
    return render_template(
        "rater_form.html",
        ballot=ballot,
        state=state,
        summary=summarise(fields, state),
        action=url_for("rater.form"),
        draft=draft_key(),
        prefix=prefix,
        questions=sum(question_count(section) for section in ballot.sections),
        question_count=question_count,
        **option_lists(ballot.questionnaire, locale),
    )

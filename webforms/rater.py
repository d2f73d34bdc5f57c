"""The rater form behind a one-time link: every assigned cadre on one phone page.

The token is the only credential: an unknown token is an ordinary 404, a
used one says so, and a successful post redirects to a page without the
token, so it does not stay in the browser's address bar.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for

from surveys.ballots import (
    BallotForm,
    BallotInvalid,
    BallotUnavailable,
    open_ballot,
    submit_ballot,
)
from webforms.clock import current_time
from webforms.db import get_session, mix_after_commit
from webforms.errors import unavailable
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


@bp.route("/r/<token>", methods=["GET", "POST"])
@csrf.exempt
def form(token: str):
    """Show the form, or take the answers; CSRF is checked by hand in ``submit``."""
    now = current_time()
    try:
        ballot = open_ballot(session=get_session(), token=token, now=now)
    except BallotUnavailable as error:
        return unavailable(error)
    if request.method == "POST":
        return submit(token, ballot, now)
    return render(token, ballot, FormState())


def submit(token: str, ballot: BallotForm, now: datetime):
    """Store the answers once and thank the rater, or show the form again with what to fix."""
    if not csrf_passed():
        return render(token, ballot, FormState(values=request.form, expired=True)), 400
    answers = {
        section.cadre.id: read_answers(section, request.form, prefix(section.cadre.id))
        for section in ballot.sections
    }
    session = get_session()
    try:
        submit_ballot(session=session, token=token, answers=answers, now=now)
    except BallotUnavailable as error:
        session.rollback()
        return unavailable(error)
    except BallotInvalid as error:
        session.rollback()
        state = FormState(values=request.form, problems=problem_names(error.problems, prefix))
        return render(token, ballot, state), 422
    session.commit()
    mix_after_commit(ballot.campaign, now)
    return redirect(url_for("site.done"), code=303)


def render(token: str, ballot: BallotForm, state: FormState) -> str:
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
        action=url_for("rater.form", token=token),
        prefix=prefix,
        questions=sum(question_count(section) for section in ballot.sections),
        question_count=question_count,
        **option_lists(ballot.questionnaire, locale),
    )

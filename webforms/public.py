"""The public service form behind a channel's QR code.

Anyone may answer, as often as they are served; a channel with several
cadres (a service window) first asks who served the person.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext

from surveys.ballots import (
    BallotForm,
    BallotInvalid,
    BallotUnavailable,
    CadreSection,
    open_public,
    submit_public,
)
from surveys.channels import find_channel
from webforms.clock import current_time
from webforms.db import get_session, mix_after_commit
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
from webforms.i18n import current_locale
from webforms.security import csrf, csrf_passed

bp = Blueprint("public", __name__)


def no_prefix(_cadre_id: str) -> str:
    """Public field names carry no cadre id: the cadre is its own field, ``cadre``."""
    return ""


@bp.route("/p/<slug>", methods=["GET", "POST"])
@csrf.exempt
def form(slug: str):
    """Show the public form, or take one person's answers; CSRF is checked in ``submit``."""
    now = current_time()
    try:
        ballot = open_public(session=get_session(), slug=slug, now=now)
    except BallotUnavailable as error:
        return unavailable(error)
    if request.method == "POST":
        return submit(slug, ballot, now)
    return render(slug, ballot, FormState())


@bp.get("/p/<slug>/thanks")
def thanks(slug: str):
    """Thank the person and offer to rate someone else at the same window."""
    if find_channel(session=get_session(), slug=slug) is None:
        abort(404)
    return render_template("public_thanks.html", again=url_for("public.form", slug=slug))


def submit(slug: str, ballot: BallotForm, now: datetime):
    """Store one rating, or show the form again with what to fix."""
    if not csrf_passed():
        return render(slug, ballot, FormState(values=request.form, expired=True)), 400
    cadre_id = chosen_cadre(ballot)
    answers = read_answers(ballot.sections[0], request.form, "")
    session = get_session()
    try:
        submit_public(session=session, slug=slug, cadre_id=cadre_id, answers=answers, now=now)
    except BallotUnavailable as error:
        session.rollback()
        return unavailable(error)
    except BallotInvalid as error:
        session.rollback()
        problems = problem_names(error.problems, no_prefix)
        state = FormState(values=request.form, problems=problems)
        return render(slug, ballot, state), 422
    session.commit()
    mix_after_commit(ballot.campaign, now)
    return redirect(url_for("public.thanks", slug=slug), code=303)


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

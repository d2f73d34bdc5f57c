"""The HR console's barring marks: each cadre's barring situations and tier of post.

The same as ``cadre campaign mark CAMPAIGN CADRE --flag … [--clear-flags]
[--tier …]``, through the same use case, ``surveys.setup.barring.mark_cadre``:
only the situations the campaign's rules list are accepted, each change goes
to the audit trail, and after publication every change is refused (a grade
then changes only on appeal).  The list shows every cadre with the
situations and tier HR set; one page per cadre offers the campaign's
situations, each with its rule and citation in the words of
``surveys.results.rulebook``, and the tier.  The form sends the whole
choice: the ticked situations replace the cadre's (none ticked clears
them, as ``--clear-flags``), and the tier replaces the cadre's.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext

from storage.models import Cadre, CadreMark, Campaign
from surveys.results.rulebook import Words, quota_warning_lines
from surveys.setup.accounts import WRITERS
from surveys.setup.barring import (
    MAX_TIER,
    campaign_marks,
    find_cadre,
    launch_warnings,
    mark_cadre,
)
from surveys.setup.campaigns import CampaignError, campaign_cadres, local_time, snapshot
from webforms.admin.accounts import admin_page, bp
from webforms.admin.hr_auth import current_hr_user, login_required, roles_required
from webforms.admin.indicators import campaign_frame
from webforms.admin.reports import campaign_message, campaign_or_404
from webforms.clock import current_time
from webforms.db import get_session
from webforms.errors import message_page
from webforms.i18n import current_locale

# The form's fields can never carry more situations than a preset lists; a cap on the
# count keeps a forged form from making the page check thousands.
MAX_FLAGS = 50


@dataclass(frozen=True)
class MarkRow:
    """One cadre as the list shows it: who, the situations HR set, the tier, last change."""

    cadre: Cadre
    situations: list[str]
    tier: str
    changed: str


@dataclass(frozen=True)
class Situation:
    """One barring situation of the campaign's rules, as the form offers it."""

    key: str
    label: str
    rule: str
    chosen: bool


def flag_labels(campaign: Campaign) -> dict[str, str]:
    """The rules' situations by key, in the reader's language."""
    locale = current_locale()
    return {flag.key: flag.label.get(locale) for flag in snapshot(campaign).grading.flags}


def mark_rows(campaign: Campaign) -> list[MarkRow]:
    """Every cadre of the campaign, in roster order, with its mark (if HR set one)."""
    session = get_session()
    marks = campaign_marks(session=session, campaign=campaign)
    labels = flag_labels(campaign)
    rows = []
    for cadre in campaign_cadres(session=session, campaign=campaign):
        mark = marks.get(cadre.id)
        rows.append(
            MarkRow(
                cadre=cadre,
                situations=[labels.get(flag, flag) for flag in mark.flags] if mark else [],
                tier=mark.tier if mark else "",
                changed=(
                    f"{local_time(campaign, mark.updated_at)} · {mark.updated_by}" if mark else ""
                ),
            )
        )
    return rows


def situations(campaign: Campaign, mark: CadreMark | None) -> list[Situation]:
    """The campaign's situations with their rule and citation, ticked where the cadre has them."""
    questionnaire = snapshot(campaign)
    words = Words(questionnaire, current_locale())
    chosen = set(mark.flags) if mark else set()
    return [
        Situation(flag.key, flag.label.get(current_locale()), words.flag(flag), flag.key in chosen)
        for flag in questionnaire.grading.flags
    ]


def warnings(campaign: Campaign) -> list[str]:
    """The quota pools that can never award Excellent with the tiers set so far."""
    session = get_session()
    found = launch_warnings(session=session, campaign=campaign)
    return quota_warning_lines(snapshot(campaign), found, current_locale())


def frozen(campaign: Campaign) -> str | None:
    """Why marks can no longer change (the results are published), or None."""
    if campaign.published_at is None:
        return None
    return gettext("The results are published: a grade now changes only on appeal.")


def marks_page(campaign: Campaign, status: int = 200, error: str | None = None):
    """Every cadre with its situations and tier."""
    return admin_page(
        "admin/marks.html",
        status,
        error=error,
        rows=mark_rows(campaign),
        labels=flag_labels(campaign),
        warnings=warnings(campaign),
        frozen=frozen(campaign),
        **campaign_frame(campaign),
    )


def cadre_or_404(campaign: Campaign, roster_id: str) -> Cadre:
    """The campaign's cadre by roster id; another id is a 404 that names it."""
    try:
        return find_cadre(session=get_session(), campaign=campaign, roster_id=roster_id)
    except CampaignError as error:
        page = message_page(404, gettext("No such cadre"), campaign_message(error))
        abort(make_response(*page))


def cadre_page(
    campaign: Campaign,
    cadre: Cadre,
    status: int = 200,
    error: str | None = None,
    entered: dict | None = None,
):
    """One cadre's form: the campaign's situations (ticked as set) and the tier."""
    mark = get_session().get(CadreMark, (campaign.id, cadre.id))
    offered = situations(campaign, mark)
    if entered is not None:  # a refused form comes back as it was sent
        offered = [Situation(s.key, s.label, s.rule, s.key in entered["flags"]) for s in offered]
    return admin_page(
        "admin/mark_cadre.html",
        status,
        error=error,
        cadre=cadre,
        situations=offered,
        tier=entered["tier"] if entered is not None else (mark.tier if mark else ""),
        max_tier=MAX_TIER,
        frozen=frozen(campaign),
        **campaign_frame(campaign),
    )


@bp.get("/campaigns/<campaign_id>/marks", endpoint="marks")
@login_required
def marks_view(campaign_id: str):
    """Every role may read the marks; writers change them on each cadre's page."""
    return marks_page(campaign_or_404(campaign_id))


@bp.get("/campaigns/<campaign_id>/marks/<cadre_id>", endpoint="mark_cadre")
@login_required
def mark_cadre_view(campaign_id: str, cadre_id: str):
    """One cadre's situations and tier (``cadre_id``: the roster id)."""
    campaign = campaign_or_404(campaign_id)
    return cadre_page(campaign, cadre_or_404(campaign, cadre_id))


@bp.post("/campaigns/<campaign_id>/marks/<cadre_id>", endpoint="set_mark")
@roles_required(*WRITERS)
def set_mark_view(campaign_id: str, cadre_id: str):
    """Set the cadre's situations (the ticked ones; none clears them) and tier.

    ``mark_cadre`` refuses what the command refuses: an unknown situation, a
    tier too long, any change after publication; the form comes back with the
    reason and a 4xx status, and nothing is stored.
    """
    campaign = campaign_or_404(campaign_id)
    cadre = cadre_or_404(campaign, cadre_id)
    entered = {
        "flags": request.form.getlist("flag")[:MAX_FLAGS],
        "tier": request.form.get("tier", "")[: MAX_TIER + 100],
    }
    db = get_session()
    try:
        mark = mark_cadre(
            session=db,
            campaign=campaign,
            roster_id=cadre.external_id,
            flags=entered["flags"],
            tier=entered["tier"],
            actor=current_hr_user().username,
            now=current_time(),
        )
    except CampaignError as error:
        db.rollback()
        status = 409 if campaign.published_at is not None else 422
        return cadre_page(campaign, cadre, status, campaign_message(error), entered)
    labels = flag_labels(campaign)
    joiner = "、" if current_locale() == "zh" else ", "
    shown = joiner.join(labels.get(flag, flag) for flag in mark.flags) or "—"
    db.commit()
    flash(
        gettext(
            "Cadre %(cadre)s: situations %(flags)s; tier %(tier)s.",
            cadre=cadre.external_id,
            flags=shown,
            tier=mark.tier or "—",
        )
    )
    return redirect(url_for("admin.marks", campaign_id=campaign.id), code=303)

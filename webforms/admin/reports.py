"""The HR pages of results: overview, cadre reports, downloads, publication and appeals.

The views are registered on the admin blueprint, so the sign-in guard, the
CSRF check and the route enumeration of ``tests/webforms/test_admin_auth.py`` cover
them like every other HR page: every page needs a signed-in account and
every post a writing role.

Every figure and sentence comes from ``surveys`` (``surveys.results.reports`` builds
the tables in the reader's language from ``surveys.results.outcomes``), so a page,
its PDF, the workbook and the terminal always show the same numbers and
nothing the anonymity rule withholds.  Views fetch, choose a template and
put domain errors into words; they never compute a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from sqlmodel import Session
from werkzeug.datastructures import MultiDict
from werkzeug.utils import secure_filename

from storage.models import Appeal, AuditEvent, Cadre, Campaign
from surveys.collection.progress import campaign_progress
from surveys.documents.report_tables import Table
from surveys.documents.report_xlsx import write_tables
from surveys.notification.publication import on_publicity, publish_results
from surveys.results.appeals import (
    CONTESTABLE_ONLY,
    appeal_deadline,
    campaign_appeals,
    contest_values,
    contestable_grades,
    decide_appeal,
)
from surveys.results.opening import after_opening, open_box, sealed_count
from surveys.results.outcomes import (
    campaign_grade_label,
    describe,
    radar_dimensions,
    sealed_refusal,
)
from surveys.results.report_pdf import radar_chart, write_cadre_report_pdf, write_overview_pdf
from surveys.results.reports import (
    THEMES_RULE,
    CadreReport,
    CampaignOverview,
    cadre_report,
    cadre_tables,
    campaign_overview,
    printed,
    unit_theme_tables,
)
from surveys.results.reports import overview_tables as surveys_overview_tables
from surveys.rules.messages import N_
from surveys.rules.questionnaire import GRADES
from surveys.rules.rater_groups import label_id
from surveys.sealing.audit import campaign_events
from surveys.sealing.ballot_box import (
    BoxError,
    BoxKeys,
    BoxSealed,
    ShareBasket,
    key_id,
    read_key_file,
)
from surveys.setup.accounts import WRITERS
from surveys.setup.campaigns import CampaignError, campaign_cadres, campaign_state, snapshot
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import current_hr_user, login_required, roles_required
from webforms.clock import current_time
from webforms.db import get_engine, get_session
from webforms.i18n import current_locale
from webforms.publicity import local_day

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The same bounds as ``cadre results publish --appeal-days``.
MAX_APPEAL_DAYS = 90


class FieldProblem(ValueError):
    """A publication field HR typed that cannot be read; the message is already translated."""


# --- looking things up --------------------------------------------------------------------------


def campaign_or_404(campaign_id: str) -> Campaign:
    """The campaign with exactly this id; an unknown id looks like any unknown page."""
    campaign = get_session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def report_or_404(campaign: Campaign, cadre_id: str) -> CadreReport:
    """One cadre's report by roster id; a cadre outside the campaign is a 404."""
    try:
        return cadre_report(session=get_session(), campaign=campaign, cadre_id=cadre_id)
    except CampaignError:
        abort(404)


def campaign_message(error: CampaignError) -> str:
    """A domain refusal (message id and values) in the reader's language."""
    return gettext(error.message, **error.values)


def download(data: bytes, mimetype: str, name: str):
    """Bytes as a download; the security headers still make it ``no-store``."""
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def file_stem(campaign: Campaign) -> str:
    """A short, ASCII-safe start for download names: the campaign's id prefix."""
    return campaign.id[:8]


# --- the campaign overview ----------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    """One step of the audit trail as HR reads it: when, who, what, about whom."""

    event: AuditEvent
    action: str
    cadre: str | None
    grade: str | None
    actor: str = ""


def action_labels() -> dict[str, str]:
    """The audit trail's actions in words; an unknown action is shown as stored.

    Every action ``record_event`` is called with has a label here (a test
    reads them from the code), so HR never reads a raw key such as open_box.
    """
    return {
        "open": gettext("Campaign opened"),
        "close": gettext("Deadline passed"),
        "open_box": gettext("Ballot box opened"),
        "publish": gettext("Results published"),
        "appeal_filed": gettext("Appeal filed"),
        "appeal_upheld": gettext("Appeal decided: result upheld"),
        "appeal_revised": gettext("Appeal decided: grade revised"),
        "hr_login": gettext("HR sign-in"),
        "hr_password_changed": gettext("HR password changed"),
        "hr_user_created": gettext("HR account created"),
        "hr_user_disabled": gettext("HR account disabled"),
        "hr_totp_enabled": gettext("Two-step sign-in turned on"),
        "hr_totp_disabled": gettext("Two-step sign-in turned off"),
        "hr_recovery_code_used": gettext("Recovery code used to sign in"),
        "cadre_marked": gettext("Cadre's barring situations or tier set"),
    }


def actor_label(actor: str) -> str:
    """Who did a step, in words: the scheduler, the command line, a cadre, or an HR login.

    Actors are stored as keys ("scheduler", "cli:alice", "cadre:C1"), which
    the audit trail showed as they were.
    """
    kind, _, who = actor.partition(":")
    if actor == "scheduler":
        return gettext("Scheduler (automatic)")
    if actor == "first start":
        return gettext("First start of the server")
    if kind == "cli":
        if who:
            return gettext("Command line (%(user)s)", user=who)
        return gettext("Command line")
    if kind == "cadre" and who:
        return gettext("Cadre %(id)s", id=who)
    return actor  # an HR account's user name


def event_rows(session: Session, campaign: Campaign, locale: str) -> list[EventRow]:
    """The campaign's audit trail, oldest first, with cadre names and revised grades."""
    names = {cadre.id: cadre.name for cadre in campaign_cadres(session=session, campaign=campaign)}
    labels = action_labels()
    questionnaire = snapshot(campaign)
    rows = []
    for event in campaign_events(session=session, campaign_id=campaign.id):
        revised = (event.detail or {}).get("revised_grade")
        rows.append(
            EventRow(
                event=event,
                action=labels.get(event.action, event.action),
                cadre=names.get(event.cadre_id) if event.cadre_id else None,
                grade=campaign_grade_label(revised, locale, questionnaire) if revised else None,
                actor=actor_label(event.actor),
            )
        )
    return rows


def overview_tables(overview: CampaignOverview, locale: str) -> list[Table]:
    """The overview's tables a page shows, exactly as the workbook and the PDF have them."""
    return printed(surveys_overview_tables(overview, locale))


def cadre_links(overview: CampaignOverview) -> dict[str, str]:
    """Each cadre's report page, by roster id (the ranking table's second column)."""
    return {
        result.cadre.external_id: url_for(
            "admin.cadre", campaign_id=overview.campaign.id, cadre_id=result.cadre.external_id
        )
        for result in overview.results
    }


def day_or_none(day: date | None) -> str | None:
    """A day in the reader's words, or None when there is none."""
    return local_day(day) if day is not None else None


def publication_facts(campaign: Campaign) -> dict:
    """The last day to appeal, the end of the public notice, its address while it runs."""
    showing = on_publicity(campaign, current_time())
    return {
        "deadline": day_or_none(appeal_deadline(campaign)),
        "publicity_until": day_or_none(campaign.publicity_until),
        "publicity": url_for("publicity.listing", campaign_id=campaign.id) if showing else None,
    }


def overview_page(
    campaign: Campaign, status: int = 200, error: str | None = None, entered: dict | None = None
):
    """The overview, the audit trail and (for writers) the publication form."""
    session, locale = get_session(), current_locale()
    try:
        overview = campaign_overview(session=session, campaign=campaign)
    except BoxSealed as sealed:
        return sealed_page(campaign, sealed, status=200 if error is None else status, error=error)
    return admin_page(
        "admin/campaign.html",
        status,
        error=error,
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        tables=overview_tables(overview, locale),
        links=cadre_links(overview),
        events=event_rows(session, campaign, locale),
        publication=publication_facts(campaign),
        entered=entered or {"publicity_until": "", "appeal_days": str(campaign.appeal_days)},
    )


def sealed_page(campaign: Campaign, sealed: BoxSealed, status: int, error: str | None = None):
    """While the ballot box is sealed: progress only, and when the box opens."""
    session = get_session()
    progress = [
        (cadre.cadre, gettext(label_id(group)), numbers)
        for cadre in campaign_progress(session=session, campaign=campaign)
        for group, numbers in cadre.groups.items()
    ]
    return admin_page(
        "admin/sealed.html",
        status,
        error=error,
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        sealed=gettext(sealed.message, **sealed.values),
        sealed_ballots=sealed_count(session=session, campaign=campaign),
        fingerprint=key_id(campaign.box_public_key or ""),  # as ``cadre box status``
        progress=progress,
        events=event_rows(session, campaign, current_locale()),
    )


@bp.errorhandler(BoxSealed)
def box_sealed(sealed: BoxSealed):
    """Any results page, report or download asked for before the box opened: 409, no figure."""
    campaign_id = (request.view_args or {}).get("campaign_id", "")
    return sealed_page(campaign_or_404(campaign_id), sealed, status=409)


@bp.get("/campaigns/<campaign_id>", endpoint="campaign")
@login_required
def campaign_view(campaign_id: str):
    """A campaign's results once its box is open; progress only while it is sealed."""
    return overview_page(campaign_or_404(campaign_id))


@bp.get("/campaigns/<campaign_id>/results.xlsx", endpoint="campaign_workbook")
@login_required
def campaign_workbook(campaign_id: str):
    """The results workbook, one sheet per view, in the reader's language."""
    campaign = campaign_or_404(campaign_id)
    overview = campaign_overview(session=get_session(), campaign=campaign)
    buffer = BytesIO()
    write_tables(buffer, surveys_overview_tables(overview, current_locale()))
    return download(buffer.getvalue(), XLSX, f"results-{file_stem(campaign)}.xlsx")


@bp.get("/campaigns/<campaign_id>/overview.pdf", endpoint="campaign_pdf")
@login_required
def campaign_pdf(campaign_id: str):
    """The printable overview (landscape A4)."""
    campaign = campaign_or_404(campaign_id)
    overview = campaign_overview(session=get_session(), campaign=campaign)
    buffer = BytesIO()
    write_overview_pdf(buffer, overview, current_locale())
    return download(buffer.getvalue(), "application/pdf", f"overview-{file_stem(campaign)}.pdf")


@bp.get("/campaigns/<campaign_id>/themes", endpoint="themes")
@login_required
def themes_view(campaign_id: str):
    """Comment themes per unit, and each cadre's, over the comments the reports list."""
    campaign = campaign_or_404(campaign_id)
    overview = campaign_overview(session=get_session(), campaign=campaign)
    return admin_page(
        "admin/themes.html",
        campaign=campaign,
        tables=unit_theme_tables(overview, current_locale()),
        links=cadre_links(overview),
        rule=gettext(THEMES_RULE, k=campaign.anonymity_k),
    )


# --- one cadre ----------------------------------------------------------------------------------


def has_radar(report: CadreReport) -> bool:
    """Whether the radar chart exists, without drawing it just to find out."""
    return bool(radar_dimensions(report.questionnaire, report.result))


@bp.get("/campaigns/<campaign_id>/cadres/<cadre_id>", endpoint="cadre")
@login_required
def cadre_view(campaign_id: str, cadre_id: str):
    """One cadre's report: the headline facts, dimensions, groups as disclosed, votes, comments."""
    campaign = campaign_or_404(campaign_id)
    report, locale = report_or_404(campaign, cadre_id), current_locale()
    return admin_page(
        "admin/cadre.html",
        campaign=campaign,
        cadre=report.result.cadre,
        tables=cadre_tables(report, locale),
        charts=page_charts(campaign, report),
    )


def page_charts(campaign: Campaign, report: CadreReport) -> dict[str, tuple[str, str]]:
    """The charts a cadre's page shows, by name: address and description.

    Only the radar is served as an image of its own; the page's policy
    allows no other image source.
    """
    if not has_radar(report):
        return {}
    address = url_for(
        "admin.cadre_radar", campaign_id=campaign.id, cadre_id=report.result.cadre.external_id
    )
    described = gettext("Radar chart of the dimension scores against the unit average")
    return {"radar": (address, described)}


@bp.get("/campaigns/<campaign_id>/cadres/<cadre_id>/radar.png", endpoint="cadre_radar")
@login_required
def cadre_radar(campaign_id: str, cadre_id: str):
    """The radar chart as our own image (the page's policy allows no other source)."""
    report = report_or_404(campaign_or_404(campaign_id), cadre_id)
    png = radar_chart(report, current_locale())
    if png is None:
        abort(404)
    response = current_app.response_class(png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/campaigns/<campaign_id>/cadres/<cadre_id>/report.pdf", endpoint="cadre_pdf")
@login_required
def cadre_pdf(campaign_id: str, cadre_id: str):
    """The printable report of one cadre (A4, charts included)."""
    campaign = campaign_or_404(campaign_id)
    report = report_or_404(campaign, cadre_id)
    buffer = BytesIO()
    write_cadre_report_pdf(buffer, report, current_locale())
    name = secure_filename(report.result.cadre.external_id) or "cadre"
    return download(
        buffer.getvalue(), "application/pdf", f"report-{file_stem(campaign)}-{name}.pdf"
    )


# --- publication --------------------------------------------------------------------------------


def publicity_day(text: str) -> date | None:
    """The last day of public display as typed (YYYY-MM-DD, what a date field sends), or None."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldProblem(
            gettext("Give the end of the publicity period as a date, such as 2026-12-20.")
        ) from None


def appeal_days(text: str) -> int | None:
    """The appeal period in days as typed; empty keeps the campaign's own."""
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_APPEAL_DAYS:
        raise FieldProblem(
            gettext(
                "The appeal period must be a whole number of days from 0 to %(most)s.",
                most=MAX_APPEAL_DAYS,
            )
        )
    return int(text)


def ledger_key() -> Path | None:
    """The ledger's signing key (app config ``LEDGER_KEY``); without one nothing is signed."""
    configured = current_app.config.get("LEDGER_KEY")
    return Path(configured) if configured else None


def publish_entered(form: MultiDict) -> dict:
    """The publication form as typed, to show it again when it is refused."""
    return {
        "publicity_until": form.get("publicity_until", "").strip()[:20],
        "appeal_days": form.get("appeal_days", "").strip()[:6],
    }


@bp.post("/campaigns/<campaign_id>/publish", endpoint="publish")
@roles_required(*WRITERS)
def publish(campaign_id: str):
    """Publish the results once the deadline has passed; refused with a reason before it."""
    campaign = campaign_or_404(campaign_id)
    entered = publish_entered(request.form)
    try:
        until, days = publicity_day(entered["publicity_until"]), appeal_days(entered["appeal_days"])
    except FieldProblem as problem:
        return overview_page(campaign, 422, str(problem), entered)
    if request.form.get("confirmed") != "yes":  # only the confirmation page's button publishes
        return redirect(url_for("admin.publish_confirm", campaign_id=campaign.id, **entered), 303)
    db = get_session()
    try:
        fresh = publish_results(
            session=db,
            campaign=campaign,
            now=current_time(),
            actor=current_hr_user().username,
            key_path=ledger_key(),
            publicity_until=until,
            appeal_days=days,
        )
    except CampaignError as error:
        db.rollback()
        return overview_page(campaign, 409, campaign_message(error), entered)
    db.commit()
    if fresh:
        flash(gettext("Published the results of %(campaign)s.", campaign=campaign.name))
    else:
        flash(
            gettext("The results of %(campaign)s were already published.", campaign=campaign.name)
        )
    return redirect(url_for("admin.campaign", campaign_id=campaign.id), code=303)


# --- opening the ballot box ---------------------------------------------------------------------


def box_keys() -> Path | None:
    """Where key-file boxes keep their secrets (app config ``BOX_KEYS``)."""
    configured = current_app.config.get("BOX_KEYS")
    return Path(configured) if configured else None


def typed_shares(campaign: Campaign) -> tuple[BoxKeys, list[str]]:
    """The scrutineers' names and shares from the form, each checked; BoxError names the first
    wrong one.  Shares are read from this request only and never stored or logged."""
    basket = ShareBasket.for_campaign(campaign)
    for number in range(1, (campaign.box_quorum or 0) + 1):
        name = request.form.get(f"name{number}", "").strip()
        share = request.form.get(f"share{number}", "")
        if not name or not share:
            raise BoxError(N_("Each scrutineer gives a name and a share."))
        basket.add(share, name)
    return basket.keys(), [basket.names[number] for number in sorted(basket.names)]


@bp.post("/campaigns/<campaign_id>/box/open", endpoint="open_box")
@roles_required(*WRITERS)
def open_ballot_box(campaign_id: str):
    """Open the sealed box after the deadline: with the key file, or with the scrutineers'
    shares typed here together.  Refusals come back on the progress page with the reason."""
    campaign = campaign_or_404(campaign_id)
    db = get_session()
    try:
        if campaign.box_custody == "scrutineers":
            keys, names = typed_shares(campaign)
        else:
            folder = box_keys()
            if folder is None:
                raise BoxError(N_("This server has no box key folder configured."))
            keys, names = read_key_file(folder, campaign.id, campaign.box_public_key or ""), []
        signing = ledger_key()
        if signing is None:
            raise BoxError(N_("This server has no ledger signing key configured."))
        opening = open_box(
            session=db, campaign=campaign, keys=keys, ledger_key=signing, now=current_time(),
            actor=current_hr_user().username, scrutineers=names,
        )  # fmt: skip
    except BoxError as error:
        db.rollback()
        sealed = sealed_refusal(campaign)
        return sealed_page(campaign, sealed, status=409, error=gettext(error.message,
                                                                       **error.values))  # fmt: skip
    db.commit()
    after_opening(engine=get_engine(), campaign_id=campaign.id, key_folder=box_keys())
    flash(gettext("Opened the ballot box: %(ballots)s ballots, %(responses)s responses.",
                  ballots=opening.ballots, responses=opening.responses))  # fmt: skip
    return redirect(url_for("admin.campaign", campaign_id=campaign.id), code=303)


# --- appeals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealRow:
    """One appeal as the list shows it, with the cadre and the status in words."""

    appeal: Appeal
    cadre: Cadre | None
    status: str
    grade: str | None


def status_labels() -> dict[str, str]:
    """An appeal's status as HR reads it."""
    return {
        "open": gettext("Waiting for a decision"),
        "upheld": gettext("Result upheld"),
        "revised": gettext("Grade revised"),
    }


def appeal_rows(session: Session, campaign: Campaign, locale: str) -> list[AppealRow]:
    """The campaign's appeals, oldest first."""
    cadres = {cadre.id: cadre for cadre in campaign_cadres(session=session, campaign=campaign)}
    labels = status_labels()
    questionnaire = snapshot(campaign)
    return [
        AppealRow(
            appeal=appeal,
            cadre=cadres.get(appeal.cadre_id),
            status=labels.get(appeal.status, appeal.status),
            grade=(
                campaign_grade_label(appeal.revised_grade, locale, questionnaire)
                if appeal.revised_grade
                else None
            ),
        )
        for appeal in campaign_appeals(session=session, campaign_id=campaign.id)
    ]


def contestable_line(campaign: Campaign, locale: str) -> str | None:
    """Which results the rules let a cadre contest, as the bot tells the cadre; None: all."""
    questionnaire = snapshot(campaign)
    if contestable_grades(questionnaire)[0] is None:
        return None
    return describe(CONTESTABLE_ONLY, contest_values(questionnaire), locale, questionnaire)


def appeals_page(
    campaign: Campaign, status: int = 200, error: str | None = None, entered: dict | None = None
):
    """The appeals list; writers get a decision form under each open appeal."""
    locale = current_locale()
    return admin_page(
        "admin/appeals.html",
        status,
        error=error,
        campaign=campaign,
        rows=appeal_rows(get_session(), campaign, locale),
        grades=[
            (grade, campaign_grade_label(grade, locale, snapshot(campaign))) for grade in GRADES
        ],
        deadline=day_or_none(appeal_deadline(campaign)),
        contestable=contestable_line(campaign, locale),
        entered=entered or {},
    )


@bp.get("/campaigns/<campaign_id>/appeals", endpoint="appeals")
@login_required
def appeals_view(campaign_id: str):
    """Every appeal of the campaign: status, filed, reason, decision."""
    return appeals_page(campaign_or_404(campaign_id))


@bp.post("/appeals/<appeal_id>/decide", endpoint="decide_appeal")
@roles_required(*WRITERS)
def decide(appeal_id: str):
    """Uphold or revise an appeal in writing; a refused decision comes back with its reason."""
    db = get_session()
    appeal = db.get(Appeal, appeal_id)
    if appeal is None:
        abort(404)
    campaign = db.get(Campaign, appeal.campaign_id)
    entered = {
        "appeal": appeal.id,
        "outcome": request.form.get("outcome", ""),
        "revised_grade": request.form.get("revised_grade", ""),
        "decision": request.form.get("decision", ""),
    }
    try:
        decide_appeal(
            session=db,
            appeal=appeal,
            outcome=entered["outcome"],
            decision=entered["decision"],
            actor=current_hr_user().username,
            now=current_time(),
            revised_grade=entered["revised_grade"] or None,
        )
    except CampaignError as error:
        db.rollback()
        return appeals_page(campaign, 422, campaign_message(error), entered)
    db.commit()
    flash(gettext("The appeal was decided."))
    return redirect(url_for("admin.appeals", campaign_id=campaign.id), code=303)

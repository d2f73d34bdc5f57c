"""The HR console's campaign setup: create a campaign, then print its links, cards and slips.

Each page does what a ``cadre`` command does, through the same use cases:
``surveys.setup.campaign_setup`` creates the campaign with its invitations and
waves (``cadre campaign create``); ``surveys.setup.cards`` builds the links CSV,
the QR card sheet and the meeting slips (``cadre invitations export``,
``qr`` and ``slips``).

Who may see what:

- every role may open the pages; only writers (admin, HR officer) get the
  forms, and every download here is a POST for writers only: a rater's
  link or a slip is a ballot, which a read-only auditor must not hold;
- the scrutineers' share cards are printed when the campaign is created,
  exactly as ``--shares-pdf``, and offered for download once, only to the
  account and browser session that created the campaign (the holding's
  id lives in its signed session, ``webforms.admin.held_files``); the download
  deletes them from the server, and unclaimed cards are deleted after an
  hour (the box could then never be opened: create the campaign again).
  Whoever downloads them holds every share until the cards are handed out,
  as the person who runs the CLI does: print, hand out, delete the file.

The views sit on the admin blueprint, so the sign-in guard, the CSRF check
and the route enumeration of ``tests/webforms/test_admin_auth.py`` cover them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext

from storage.models import Campaign
from surveys.collection.chats import telegram_links
from surveys.documents.qrcodes import Card, write_cards_pdf
from surveys.rules.messages import N_
from surveys.rules.questionnaire import (
    Questionnaire,
    TemplateError,
    built_in_names,
    load_questionnaire,
    parse_questionnaire,
)
from surveys.rules.rater_groups import group_keys, label_id
from surveys.sealing.ballot_box import write_share_cards
from surveys.setup.accounts import WRITERS
from surveys.setup.campaign_setup import (
    NO_PUBLIC_FORM,
    read_group_weights,
    set_up_campaign,
    with_group_weights,
    with_public_template,
)
from surveys.setup.campaigns import (
    KINDS,
    MAX_ANONYMITY_K,
    MAX_SCRUTINEERS,
    MIN_SCRUTINEERS,
    CampaignError,
    ScrutineerCustody,
    campaign_state,
    choose_custody,
    read_moment,
    time_zone,
)
from surveys.setup.cards import (
    SLIP_GROUPS,
    UTF8_BOM,
    group_label,
    issue_slip_urls,
    links_csv,
    rater_card,
    slip_cards,
)
from surveys.setup.invitations import invitation_counts, named_links
from surveys.setup.reminders import DEFAULT_QUIET_HOURS, QuietHours
from surveys.setup.roster import list_rosters
from webforms.admin import held_files
from webforms.admin.accounts import DEFAULT_ZONE, admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required, roles_required
from webforms.admin.reports import campaign_message, campaign_or_404, download, file_stem
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
SHARES_FILE = "shares.pdf"
MAX_TEMPLATE_BYTES = 256 * 1024
KIND_LABELS = {"annual": N_("Annual"), "term": N_("End of term"), "special": N_("Special")}
FIELDS = (
    "name", "kind", "roster", "template", "public_template", "opens", "deadline",
    "timezone", "anonymity_k", "custody", "scrutineers", "quorum",
)  # fmt: skip


class FormProblem(ValueError):
    """A field HR typed that cannot be read; the message is already translated."""


def shares_kind(campaign_id: str) -> str:
    """The holding of one campaign's share cards in the creator's session."""
    return f"shares:{campaign_id}"


# --- the new-campaign form ----------------------------------------------------------------------


def default_entries() -> dict[str, str]:
    """What the form shows before HR types anything."""
    return {
        "name": "",
        "kind": "annual",
        "roster": request.args.get("roster", ""),
        "template": "annual",
        "public_template": "public-service",
        "opens": "",
        "deadline": "",
        "timezone": current_app.config.get("TIMEZONE", DEFAULT_ZONE),
        "anonymity_k": "3",
        "custody": "key_file",
        "scrutineers": "",
        "quorum": "",
    } | {f"weight_{group}": "" for group in group_keys()}


def form_page(status: int = 200, error: str | None = None, entered: dict | None = None, **more):
    """The new-campaign form, with a problem and what HR typed when there is one."""
    templates = built_in_names()
    return admin_page(
        "admin/setup_campaign.html",
        status,
        error=error,
        entered=entered or default_entries(),
        rosters=list_rosters(session=get_session()),
        kinds=[(kind, gettext(KIND_LABELS[kind])) for kind in KINDS],
        templates=templates,
        public_templates=[*templates, NO_PUBLIC_FORM],
        groups=[(group, gettext(label_id(group))) for group in group_keys()],
        max_k=MAX_ANONYMITY_K,
        min_scrutineers=MIN_SCRUTINEERS,
        max_scrutineers=MAX_SCRUTINEERS,
        **more,
    )


@bp.get("/campaigns/new", endpoint="new_campaign")
@login_required
def new_campaign():
    """The form for a new campaign (every role may look; only writers can send it)."""
    return form_page()


@bp.post("/campaigns/new", endpoint="create_campaign")
@roles_required(*WRITERS)
def create_campaign():
    """Create the campaign with its invitations and waves, as ``cadre campaign create`` does.

    With scrutineers, their share cards are printed before anything is
    committed: if printing fails, nothing is stored and no box is left
    that nobody could open.
    """
    form = request.form
    entered = default_entries() | {key: form.get(key, "") for key in FIELDS}
    entered |= {f"weight_{group}": form.get(f"weight_{group}", "") for group in group_keys()}
    db = get_session()
    try:
        zone = entered["timezone"].strip() or current_app.config.get("TIMEZONE", DEFAULT_ZONE)
        time_zone(zone)
        custody = read_custody(entered)
        made = set_up_campaign(
            session=db,
            name=entered["name"],
            kind=entered["kind"],
            roster_id=entered["roster"],
            questionnaire=chosen_questionnaire(entered),
            opens_at=read_moment(entered["opens"], zone),
            closes_at=read_moment(entered["deadline"], zone),
            now=current_time(),
            timezone=zone,
            anonymity_k=whole_number(entered["anonymity_k"], gettext("Smallest group shown")),
            custody=custody,
            secret_key=current_app.config["SECRET_KEY"],
            quiet=quiet_hours(),
        )
        shares = share_cards_pdf(made.campaign, custody)
    except FormProblem as problem:
        db.rollback()
        return form_page(400, str(problem), entered)
    except CampaignError as error:
        db.rollback()
        return form_page(422, campaign_message(error), entered)
    except TemplateError as error:
        db.rollback()
        return form_page(422, gettext("The questionnaire template is not valid:"), entered,
                         template_problems=error.problems)  # fmt: skip
    campaign = made.campaign
    if shares is not None:  # held before committing: a box whose shares were lost is never stored
        held_files.hold(shares_kind(campaign.id), {SHARES_FILE: shares})
    db.commit()
    flash(
        gettext(
            "Created campaign %(name)s with %(count)s invitations and %(waves)s reminder waves.",
            name=campaign.name,
            count=made.invitations,
            waves=len(made.waves),
        )
    )
    return redirect(url_for("admin.invitations", campaign_id=campaign.id), code=303)


def read_custody(entered: dict[str, str]):
    """Key file or scrutineers, as chosen; the numbers are checked by ``choose_custody``."""
    if entered["custody"] not in ("key_file", "scrutineers"):
        raise FormProblem(gettext("Choose who keeps the ballot box's key."))
    scrutineers = quorum = None
    if entered["custody"] == "scrutineers":
        scrutineers = whole_number(entered["scrutineers"], gettext("Scrutineers"))
        quorum = whole_number(entered["quorum"], gettext("Quorum"))
    folder = current_app.config.get("BOX_KEYS")
    if scrutineers is None and not folder:
        raise FormProblem(gettext("This server has no folder for box keys; choose scrutineers."))
    return choose_custody(scrutineers=scrutineers, quorum=quorum, key_folder=Path(folder or "."))


def whole_number(text: str, field: str) -> int:
    """A whole number HR typed, or a FormProblem naming the field."""
    try:
        return int(text.strip())
    except ValueError:
        raise FormProblem(
            gettext("%(field)s must be a whole number, not %(text)s.", field=field, text=text)
        ) from None


def chosen_questionnaire(entered: dict[str, str]) -> Questionnaire:
    """The built-in or uploaded template, with the public form and the typed group weights.

    An uploaded YAML file counts as ``--template FILE`` does in the CLI.
    """
    upload = request.files.get("template_file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_TEMPLATE_BYTES + 1)
        if len(data) > MAX_TEMPLATE_BYTES or not upload.filename.lower().endswith(
            (".yaml", ".yml")
        ):
            raise FormProblem(gettext("A template file is a .yaml file of at most 256 KB."))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FormProblem(gettext("The template file is not UTF-8 text.")) from None
        questionnaire = parse_questionnaire(text, Path(upload.filename).name)
    elif entered["template"] in built_in_names():
        questionnaire = load_questionnaire(entered["template"])
    else:
        raise FormProblem(gettext("Choose a questionnaire template."))
    public = entered["public_template"]
    if public != NO_PUBLIC_FORM and public not in built_in_names():
        raise FormProblem(gettext("Choose a public form, or none."))
    questionnaire = with_public_template(questionnaire, public)
    weights = read_group_weights(
        {group: entered.get(f"weight_{group}", "") for group in group_keys()}
    )
    return with_group_weights(questionnaire, weights)


def quiet_hours() -> QuietHours:
    """The install's quiet hours for reminder waves (app config ``QUIET_HOURS``)."""
    return QuietHours.parse(current_app.config.get("QUIET_HOURS") or DEFAULT_QUIET_HOURS)


def share_cards_pdf(campaign: Campaign, custody) -> bytes | None:
    """The scrutineers' share cards as PDF bytes (None for a key file), in the reader's language."""
    if not isinstance(custody, ScrutineerCustody):
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / SHARES_FILE
        write_share_cards(path, campaign, custody.shares, current_locale())
        return path.read_bytes()


# --- a campaign's invitations: links, cards, slips, share cards ---------------------------------


@bp.get("/campaigns/<campaign_id>/invitations", endpoint="invitations")
@login_required
def invitations(campaign_id: str):
    """The invitations' progress and, for writers, the downloads of links, cards and slips."""
    campaign = campaign_or_404(campaign_id)
    counts = invitation_counts(session=get_session(), campaign=campaign)
    rows = [[gettext("Kind"), gettext("Pending"), gettext("Completed")]]
    for kind in ["named", *SLIP_GROUPS]:
        pending, done = counts.get((kind, "pending"), 0), counts.get((kind, "completed"), 0)
        if kind == "named" or pending or done:
            label = (
                gettext("Named invitations")
                if kind == "named"
                else gettext("Slips (%(group)s)", group=group_label(gettext, kind))
            )
            rows.append([label, pending, done])
    return admin_page(
        "admin/setup_invitations.html",
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        counts=rows,
        shares_waiting=held_files.held_folder(shares_kind(campaign.id)) is not None,
        slip_groups=[(group, group_label(gettext, group)) for group in SLIP_GROUPS],
        telegram=bool(current_app.config.get("TELEGRAM_BOT")),
    )


@bp.post("/campaigns/<campaign_id>/share-cards.pdf", endpoint="share_cards")
@roles_required(*WRITERS)
def share_cards(campaign_id: str):
    """The scrutineers' share cards, once, to the session that created the campaign."""
    campaign = campaign_or_404(campaign_id)
    kind = shares_kind(campaign.id)
    folder = held_files.held_folder(kind)
    if folder is None:
        return admin_page(
            "message.html",
            410,
            title=gettext("No share cards to download"),
            text=gettext(
                "The share cards were already downloaded, have expired, or were printed in "
                "another session. They are kept nowhere else."
            ),
        )
    data = (folder / SHARES_FILE).read_bytes()
    held_files.release(kind)
    return download(data, PDF, f"{file_stem(campaign)}-share-cards.pdf")


def links_of(campaign: Campaign) -> list:
    """Every named rater's link: web form links, or bot deep links when asked and configured."""
    db = get_session()
    config = current_app.config
    if request.form.get("telegram") and config.get("TELEGRAM_BOT"):
        links = telegram_links(
            session=db,
            campaign=campaign,
            secret_key=config["SECRET_KEY"],
            bot_username=config["TELEGRAM_BOT"],
        )
        db.commit()  # binding codes made on the first export must be kept
        return links
    return named_links(
        session=db, campaign=campaign, secret_key=config["SECRET_KEY"], base_url=config["BASE_URL"]
    )


@bp.post("/campaigns/<campaign_id>/links.csv", endpoint="links_csv")
@roles_required(*WRITERS)
def links_download(campaign_id: str):
    """Every named rater's link as CSV with a BOM for Excel (``cadre invitations export``)."""
    campaign = campaign_or_404(campaign_id)
    text = UTF8_BOM + links_csv(links_of(campaign))
    return download(text.encode("utf-8"), CSV, f"{file_stem(campaign)}-links.csv")


@bp.post("/campaigns/<campaign_id>/cards.pdf", endpoint="rater_cards")
@roles_required(*WRITERS)
def rater_cards(campaign_id: str):
    """A printable sheet of the named raters' QR cards (``cadre invitations qr``)."""
    campaign = campaign_or_404(campaign_id)
    links = links_of(campaign)
    if request.form.get("pending_only"):
        links = [link for link in links if link.status == "pending"]
    if not links:
        return invitations_problem(campaign, 422, gettext("There are no invitations to print."))
    cards = [rater_card(gettext, campaign, link) for link in links]
    return download(cards_pdf(cards), PDF, f"{file_stem(campaign)}-cards.pdf")


@bp.post("/campaigns/<campaign_id>/slips.pdf", endpoint="slips")
@roles_required(*WRITERS)
def slips(campaign_id: str):
    """Anonymous meeting slips (``cadre invitations slips``): issued and printed at once.

    The slip codes exist only in this response: they are committed only
    once the PDF is made, so an error stores no slip nobody could print.
    """
    campaign = campaign_or_404(campaign_id)
    db = get_session()
    try:
        count = whole_number(request.form.get("count", ""), gettext("Number of slips"))
        urls = issue_slip_urls(
            session=db,
            campaign=campaign,
            group=request.form.get("group", ""),
            count=count,
            base_url=current_app.config["BASE_URL"],
        )
        data = cards_pdf(slip_cards(gettext, campaign, request.form["group"], urls))
    except FormProblem as problem:
        db.rollback()
        return invitations_problem(campaign, 400, str(problem))
    except CampaignError as error:
        db.rollback()
        return invitations_problem(campaign, 422, campaign_message(error))
    db.commit()
    return download(data, PDF, f"{file_stem(campaign)}-slips-{request.form['group']}.pdf")


def invitations_problem(campaign: Campaign, status: int, message: str):
    """A refused download or slip request: the message and the way back, with a 4xx status."""
    return admin_page("admin/setup_problem.html", status, campaign=campaign, error=message)


def cards_pdf(cards: list[Card]) -> bytes:
    """A sheet of cards as PDF bytes (the writer wants a file, so a private temporary one)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cards.pdf"
        write_cards_pdf(path, cards)
        return path.read_bytes()

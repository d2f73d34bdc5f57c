"""``cadre invitations``: named links as CSV or QR codes, anonymous meeting slips, progress.

Named links can be printed as often as HR likes (they are rebuilt from the
secret key).  Slip tokens cannot: they exist only in the PDF written by
``slips``, so that command writes the PDF inside the database transaction
and an error in either stores nothing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlmodel import Session

from cadre.cli import Context, UserError, fail, pass_context
from storage.models import Campaign
from surveys.collection.chats import telegram_links
from surveys.documents.qrcodes import FORMATS, Card, write_cards_pdf, write_qr_files
from surveys.results.reports import format_table
from surveys.rules.cells import cell_text, printable
from surveys.rules.questionnaire import GROUP_LABELS
from surveys.setup.campaigns import get_campaign
from surveys.setup.invitations import (
    InvitationLink,
    form_url,
    invitation_counts,
    issue_slips,
    named_links,
)

SLIP_GROUPS = ("superior", "peer", "subordinate")
CSV_COLUMNS = ("rater_id", "rater_name", "phone", "telegram", "cadres", "status", "link")
UTF8_BOM = "\ufeff"


# Shared by ``invitations qr`` and ``channels qr``.
image_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="png",
    show_default=True,
    help="Image format when --out is a folder.",
)


@click.group("invitations")
def invitations_group() -> None:
    """Invitation links, QR codes and anonymous meeting slips."""


telegram_option = click.option(
    "--telegram", is_flag=True, help="Telegram bot deep links instead of web form links."
)


def group_label(ctx: Context, group: str) -> str:
    """A rater group's name in the user's language."""
    return ctx._(GROUP_LABELS[group]) if group in GROUP_LABELS else group


def deadline_text(ctx: Context, campaign: Campaign) -> str:
    """'Deadline: 2026-12-10 18:00', in the campaign's own time zone."""
    closes = campaign.closes_at.astimezone(ZoneInfo(campaign.timezone))
    return ctx._("Deadline: %(when)s", when=f"{closes:%Y-%m-%d %H:%M}")


def campaign_footer(ctx: Context, campaign: Campaign) -> str:
    """The footer of a printed invitation card: campaign name and deadline."""
    return f"{campaign.name} · {deadline_text(ctx, campaign)}"


def bot_username(ctx: Context) -> str:
    """The bot's username for deep links, or a UserError saying how to set it."""
    if not ctx.settings.telegram_bot:
        raise fail(ctx, "Set CADRE_TELEGRAM_BOT to the bot's username to make Telegram links.")
    return ctx.settings.telegram_bot


def load_links(
    ctx: Context, campaign_id: str, telegram: bool = False
) -> tuple[Campaign, list[InvitationLink]]:
    """The campaign and every named rater's link, rebuilt with this server's key.

    With ``telegram`` the links are bot deep links carrying a one-time
    binding code instead of web form links.
    """
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        if telegram:
            links = telegram_links(
                session=session,
                campaign=campaign,
                secret_key=ctx.settings.resolved_secret_key(),
                bot_username=bot_username(ctx),
            )
            return campaign, links
        links = named_links(
            session=session,
            campaign=campaign,
            secret_key=ctx.settings.resolved_secret_key(),
            base_url=ctx.settings.base_url,
        )
    return campaign, links


def cannot_write(ctx: Context, path: Path, error: OSError) -> UserError:
    """The user-facing error for an output path the system refused."""
    return fail(
        ctx, "Cannot write %(path)s: %(error)s", path=str(path), error=error.strerror or str(error)
    )


def write_codes(
    ctx: Context, out: Path, fmt: str, named: list[tuple[str, str]], cards: list[Card]
) -> str:
    """Write a PDF of cards when ``out`` ends in .pdf, else a folder of image files.

    Returns the confirmation to show.  One option covers both because HR
    usually wants either a sheet to print or files to send, never both at once.
    """
    try:
        if out.suffix.lower() == ".pdf":
            write_cards_pdf(out, cards)
            return ctx._("Wrote %(count)s QR cards to %(path)s", count=len(cards), path=str(out))
        write_qr_files(out, named, fmt)
    except OSError as error:
        raise cannot_write(ctx, out, error) from None
    return ctx._("Wrote %(count)s QR code files to %(path)s", count=len(named), path=str(out))


def links_csv(links: list[InvitationLink]) -> str:
    """The links as CSV text with a header row (Excel's CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for link in links:
        writer.writerow(
            [
                cell_text(link.rater_id),
                cell_text(link.rater_name),
                printable(link.phone or ""),  # +86 stays a phone number
                cell_text(link.telegram or ""),
                link.cadres,
                link.status,
                link.url,
            ]
        )
    return buffer.getvalue()


@invitations_group.command("export")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (default: standard output).",
)
@telegram_option
@pass_context
def export_command(ctx: Context, campaign_id: str, out: Path | None, telegram: bool) -> None:
    """Export every named rater's link as CSV, e.g. for a mail merge or SMS tool.

    Files start with a byte order mark so that Excel reads Chinese names
    correctly; standard output stays plain UTF-8 for pipes.
    """
    _, links = load_links(ctx, campaign_id, telegram)
    if emit_csv(ctx, links_csv(links), out):
        click.echo(
            ctx._("Wrote %(count)s invitation links to %(path)s", count=len(links), path=str(out)),
            err=True,
        )


def emit_csv(ctx: Context, text: str, out: Path | None) -> bool:
    """CSV text to standard output, or to a file with a BOM for Excel; True if a file."""
    if out is None:
        click.echo(text, nl=False)
        return False
    try:
        out.write_text(UTF8_BOM + text, encoding="utf-8", newline="")
    except OSError as error:
        raise cannot_write(ctx, out, error) from None
    return True


def rater_card(ctx: Context, campaign: Campaign, link: InvitationLink) -> Card:
    """A named rater's card: who it is for, how many cadres, the link."""
    return Card(
        title=f"{link.rater_name} ({link.rater_id})",
        subtitle=ctx._("Cadres to rate: %(count)s", count=link.cadres),
        url=link.url,
        footer=campaign_footer(ctx, campaign),
    )


@invitations_group.command("qr")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="A .pdf file for a printable sheet of cards, or a folder for image files.",
)
@image_format_option
@click.option("--pending-only", is_flag=True, help="Only raters who have not answered yet.")
@telegram_option
@pass_context
def qr_command(
    ctx: Context, campaign_id: str, out: Path, fmt: str, pending_only: bool, telegram: bool
) -> None:
    """QR codes of the named raters' links: a printable PDF or one image per rater."""
    campaign, links = load_links(ctx, campaign_id, telegram)
    if pending_only:
        links = [link for link in links if link.status == "pending"]
    if not links:
        raise fail(ctx, "There are no invitations to print.")
    named = [(f"{link.rater_id}-{link.rater_name}", link.url) for link in links]
    cards = [rater_card(ctx, campaign, link) for link in links]
    click.echo(write_codes(ctx, out, fmt, named, cards))


def slip_cards(ctx: Context, campaign: Campaign, group: str, urls: list[str]) -> list[Card]:
    """Numbered slip cards; the numbers only help count them at the meeting."""
    label = group_label(ctx, group)
    return [
        Card(
            title=ctx._("Anonymous ballot slip %(number)s", number=number),
            subtitle=ctx._("Rater group: %(group)s", group=label),
            url=url,
            footer=campaign_footer(ctx, campaign),
        )
        for number, url in enumerate(urls, start=1)
    ]


def check_slip_target(ctx: Context, out: Path) -> None:
    """Refuse anything but a new .pdf file: overwriting old slips would destroy them."""
    if out.suffix.lower() != ".pdf":
        raise fail(ctx, "Slips are printed from a PDF file; give --out a name ending in .pdf.")
    if out.exists():
        raise fail(
            ctx,
            "%(path)s already exists and slips cannot be printed again; choose a new file name.",
            path=str(out),
        )


def print_slips(
    ctx: Context, session: Session, campaign_id: str, group: str, count: int, out: Path
) -> None:
    """Issue the slips and write their PDF in one transaction (an error stores nothing)."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    tokens = issue_slips(session=session, campaign=campaign, group=group, count=count)
    secrets.SystemRandom().shuffle(tokens)  # printed numbers say nothing of the storing order
    urls = [form_url(ctx.settings.base_url, token) for token in tokens]
    try:
        write_cards_pdf(out, slip_cards(ctx, campaign, group, urls))
    except OSError as error:
        raise cannot_write(ctx, out, error) from None


@invitations_group.command("slips")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option(
    "--group",
    required=True,
    type=click.Choice(SLIP_GROUPS),
    help="The rater group the slips vote as.",
)
@click.option("--count", required=True, type=int, help="How many slips (1 to 2000).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="New PDF file to write the slips to.",
)
@pass_context
def slips_command(ctx: Context, campaign_id: str, group: str, count: int, out: Path) -> None:
    """Print anonymous meeting slips: one QR code per slip, for nobody in particular.

    The codes are written only to the PDF, never to the database, a log or
    the terminal; if anything fails, the half-written PDF is removed and
    no slip is stored.
    """
    check_slip_target(ctx, out)
    try:
        with ctx.session() as session:
            print_slips(ctx, session, campaign_id, group, count, out)
    except BaseException:
        with contextlib.suppress(OSError):
            out.unlink(missing_ok=True)
        raise
    click.echo(
        ctx._(
            "Wrote %(count)s anonymous slips for the %(group)s group to %(path)s",
            count=count,
            group=group_label(ctx, group),
            path=str(out),
        )
    )
    click.echo(
        ctx._(
            "Keep this file safe: the slip codes exist only in it and cannot be "
            "printed again. Delete it once the slips are printed."
        )
    )


def status_rows(ctx: Context, counts: dict[tuple[str, str], int]) -> list[list[str]]:
    """The status table: named invitations, each slip group present, and a total."""
    kinds = ["named"] + [group for group in SLIP_GROUPS if any(kind == group for kind, _ in counts)]
    rows = [[ctx._("Kind"), ctx._("Pending"), ctx._("Completed"), ctx._("Total")]]
    for kind in [*kinds, "total"]:
        pending, done = tally(counts, kind, "pending"), tally(counts, kind, "completed")
        rows.append([kind_label(ctx, kind), str(pending), str(done), str(pending + done)])
    return rows


def tally(counts: dict[tuple[str, str], int], kind: str, status: str) -> int:
    """One cell of the status table; the 'total' kind adds up every kind."""
    return sum(
        number
        for (each, state), number in counts.items()
        if state == status and kind in (each, "total")
    )


def kind_label(ctx: Context, kind: str) -> str:
    """The status table's row label."""
    if kind == "named":
        return ctx._("Named invitations")
    if kind == "total":
        return ctx._("Total")
    return ctx._("Slips (%(group)s)", group=group_label(ctx, kind))


@invitations_group.command("status")
@click.argument("campaign_id", metavar="CAMPAIGN")
@pass_context
def status_command(ctx: Context, campaign_id: str) -> None:
    """How many named invitations and slips are still pending or completed."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        counts = invitation_counts(session=session, campaign=campaign)
    click.echo(campaign.name)
    click.echo(format_table(status_rows(ctx, counts)))


def register(cli: click.Group) -> None:
    """Attach ``cadre invitations``."""
    cli.add_command(invitations_group)

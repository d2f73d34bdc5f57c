"""``cadre campaign``: create and list assessment campaigns."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from cadre.cli import Context, fail, pass_context
from surveys.rules.questionnaire import load_questionnaire
from surveys.sealing.ballot_box import write_share_cards
from surveys.setup.campaign_setup import set_up_campaign, with_public_template
from surveys.setup.campaigns import (
    KINDS,
    MAX_ANONYMITY_K,
    MAX_SCRUTINEERS,
    MIN_SCRUTINEERS,
    KeyFileCustody,
    ScrutineerCustody,
    choose_custody,
    list_campaigns,
    read_moment,
    time_zone,
)


@click.group("campaign")
def campaign_group() -> None:
    """Assessment campaigns."""


def parse_moment(_ctx: Context, text: str, zone: str) -> datetime:
    """Read a time HR typed; the rule is ``read_moment``, shared with the console."""
    return read_moment(text, zone)


@campaign_group.command("create")
@click.option("--name", required=True, help="Campaign name, e.g. '2026年度考核'.")
@click.option("--kind", type=click.Choice(KINDS), default="annual", show_default=True)
@click.option("--roster", "roster_id", required=True, help="Roster id from 'cadre roster import'.")
@click.option(
    "--template", default="annual", show_default=True, help="Built-in template name or a YAML file."
)
@click.option(
    "--public-template",
    default="public-service",
    show_default=True,
    help="Form for public QR channels; 'none' for no public rating.",
)
@click.option("--opens", required=True, help="Opening time, e.g. '2026-12-01 08:00'.")
@click.option("--deadline", required=True, help="Deadline, e.g. '2026-12-10 18:00'.")
@click.option("--timezone", help="The campaign's time zone (default: CADRE_TIMEZONE).")
@click.option(
    "--anonymity-k",
    default=3,
    show_default=True,
    type=click.IntRange(1, MAX_ANONYMITY_K),
    help="Smallest rater group shown on its own.",
)
@click.option(
    "--scrutineers",
    type=click.IntRange(MIN_SCRUTINEERS, MAX_SCRUTINEERS),
    help="Split the ballot box key among this many scrutineers (default: a key file).",
)
@click.option(
    "--quorum",
    type=click.IntRange(MIN_SCRUTINEERS, MAX_SCRUTINEERS),
    help="Scrutineers needed to open the box.",
)
@click.option(
    "--shares-pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to print the scrutineers' share cards (once; they are kept nowhere else).",
)
@pass_context
def create_command(
    ctx: Context,
    name,
    kind,
    roster_id,
    template,
    public_template,
    opens,
    deadline,
    timezone,
    anonymity_k,
    scrutineers,
    quorum,
    shares_pdf,
) -> None:
    """Create a campaign from a template and a roster, and issue its invitations."""
    custody = _custody(ctx, scrutineers, quorum, shares_pdf)
    zone = timezone or ctx.settings.timezone
    time_zone(zone)  # refuse an unknown zone before reading times in it
    questionnaire = with_public_template(load_questionnaire(template), public_template)
    with ctx.session() as session:
        made = set_up_campaign(
            session=session,
            name=name,
            kind=kind,
            roster_id=roster_id,
            questionnaire=questionnaire,
            opens_at=read_moment(opens, zone),
            closes_at=read_moment(deadline, zone),
            now=ctx.now(),
            timezone=zone,
            anonymity_k=anonymity_k,
            custody=custody,
            secret_key=ctx.settings.resolved_secret_key(),
            quiet=ctx.settings.quiet(),
        )
        campaign, issued, waves = made.campaign, made.invitations, made.waves
        if isinstance(custody, ScrutineerCustody):
            try:
                write_share_cards(shares_pdf, campaign, custody.shares, ctx.locale)
            except OSError as error:  # nothing is stored: the shares would be lost
                raise fail(
                    ctx, "Cannot write %(path)s: %(error)s", path=shares_pdf, error=error.strerror
                ) from None
    click.echo(
        ctx._("Created campaign %(id)s with %(count)s invitations.", id=campaign.id, count=issued)
    )
    if waves:
        click.echo(
            ctx._("Planned %(count)s reminder waves (see 'cadre waves list').", count=len(waves))
        )
    if isinstance(custody, ScrutineerCustody):
        click.echo(
            ctx._(
                "The ballot box opens with %(quorum)s of %(count)s scrutineers' shares, printed "
                "once to %(path)s: hand out the cards and destroy the file.",
                quorum=quorum,
                count=scrutineers,
                path=shares_pdf,
            )  # fmt: skip
        )


def _custody(ctx: Context, scrutineers, quorum, shares_pdf) -> KeyFileCustody | ScrutineerCustody:
    """Who will hold the ballot box's secret (the rule is ``choose_custody``'s).

    Only the file to print the shares to is the terminal's own business.
    """
    if scrutineers is None and (quorum is not None or shares_pdf is not None):
        raise fail(ctx, "--quorum and --shares-pdf go with --scrutineers.")
    if scrutineers is not None and (quorum is None or shares_pdf is None):
        raise fail(ctx, "--scrutineers needs --quorum and --shares-pdf.")
    return choose_custody(
        scrutineers=scrutineers, quorum=quorum, key_folder=ctx.settings.resolved_box_keys()
    )


@campaign_group.command("list")
@pass_context
def list_command(ctx: Context) -> None:
    """List campaigns, newest first."""
    with ctx.session() as session:
        campaigns = list_campaigns(session=session)
    if not campaigns:
        click.echo(ctx._("No campaigns yet."))
    for campaign in campaigns:
        zone = ZoneInfo(campaign.timezone)
        click.echo(
            f"{campaign.id}  {campaign.kind:8}  {campaign.name}  "
            f"{campaign.opens_at.astimezone(zone):%Y-%m-%d %H:%M} → "
            f"{campaign.closes_at.astimezone(zone):%Y-%m-%d %H:%M}"
        )


def register(cli: click.Group) -> None:
    """Attach ``cadre campaign``."""
    cli.add_command(campaign_group)

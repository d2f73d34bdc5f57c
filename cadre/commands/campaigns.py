"""``cadre campaign``: create and list assessment campaigns."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from cadre.cli import Context, fail, pass_context
from surveys.results.rulebook import quota_warning_lines, rule_lines
from surveys.rules.presets import preset_kind, preset_names, with_preset
from surveys.rules.questionnaire import load_questionnaire
from surveys.sealing.ballot_box import write_share_cards
from surveys.setup.barring import launch_warnings, mark_cadre
from surveys.setup.campaign_setup import set_up_campaign, with_public_template
from surveys.setup.campaigns import (
    KINDS,
    MAX_ANONYMITY_K,
    MAX_SCRUTINEERS,
    MIN_SCRUTINEERS,
    KeyFileCustody,
    ScrutineerCustody,
    choose_custody,
    get_campaign,
    list_campaigns,
    read_moment,
    snapshot,
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
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    help="annual, term or special (default: the preset's, else annual).",
)
@click.option("--roster", "roster_id", required=True, help="Roster id from 'cadre roster import'.")
@click.option(
    "--template", default="annual", show_default=True, help="Built-in template name or a YAML file."
)
@click.option(
    "--preset",
    type=click.Choice(preset_names()),
    help="Grade by this preset's rules (with citations) instead of the template's own.",
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
    preset,
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
    questionnaire = load_questionnaire(template)
    if preset is not None:
        questionnaire = with_preset(questionnaire, preset)
    questionnaire = with_public_template(questionnaire, public_template)
    with ctx.session() as session:
        made = set_up_campaign(
            session=session,
            name=name,
            kind=kind or preset_kind(questionnaire) or "annual",
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
        warnings = quota_warning_lines(
            questionnaire, launch_warnings(session=session, campaign=campaign), ctx.locale
        )
    for warning in warnings:
        click.echo(ctx._("Warning: %(warning)s", warning=warning), err=True)
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


@campaign_group.command("rules")
@click.argument("campaign_id")
@pass_context
def rules_command(ctx: Context, campaign_id: str) -> None:
    """Print the campaign's rules, each with its citation, and the quota warnings."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        questionnaire = snapshot(campaign)
        warnings = launch_warnings(session=session, campaign=campaign)
    for line in rule_lines(questionnaire, ctx.locale):
        click.echo(f"- {line}")
    for warning in quota_warning_lines(questionnaire, warnings, ctx.locale):
        click.echo(ctx._("Warning: %(warning)s", warning=warning))


@campaign_group.command("mark")
@click.argument("campaign_id")
@click.argument("cadre_id")
@click.option(
    "--flag",
    "flags",
    multiple=True,
    help="A barring situation from 'cadre campaign rules' (repeat; replaces the cadre's).",
)
@click.option("--clear-flags", is_flag=True, help="Remove the cadre's barring situations.")
@click.option("--tier", help="The tier of post whose Excellent quota the cadre counts in.")
@pass_context
def mark_command(
    ctx: Context, campaign_id: str, cadre_id: str, flags, clear_flags: bool, tier
) -> None:
    """Set a cadre's barring situations and tier of post for the campaign (CADRE_ID: roster id)."""
    if flags and clear_flags:
        raise fail(ctx, "--flag and --clear-flags do not go together.")
    if not flags and not clear_flags and tier is None:
        raise fail(ctx, "Give --flag, --clear-flags or --tier.")
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        mark = mark_cadre(
            session=session,
            campaign=campaign,
            roster_id=cadre_id,
            flags=[] if clear_flags else (list(flags) or None),
            tier=tier,
            actor=f"cli:{getpass.getuser()}",
            now=ctx.now(),
        )
        shown = ", ".join(mark.flags) or "—"
        tier_shown = mark.tier or "—"
    click.echo(
        ctx._(
            "Cadre %(cadre)s: situations %(flags)s; tier %(tier)s.",
            cadre=cadre_id,
            flags=shown,
            tier=tier_shown,
        )
    )


def register(cli: click.Group) -> None:
    """Attach ``cadre campaign``."""
    cli.add_command(campaign_group)

"""``cadre channels``: public QR codes at service windows, rated by members of the public.

A static channel's link carries no secret (anyone who sees the poster may
use it), so it is shown freely: in the terminal, in files and on printed
cards.  A rotating channel (the default) opens only with the code its
window's screen shows now; the screen's display link does carry a secret
(whoever has it can show the codes anywhere), so only ``create`` and
``display`` print it.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
from sqlmodel import Session

from cadre.cli import Context, fail, pass_context
from cadre.commands.invitations import image_format_option, write_codes
from storage.models import Campaign, PublicChannel
from surveys.documents.qrcodes import Card, qr_terminal
from surveys.results.reports import format_table
from surveys.setup.campaigns import campaign_cadres, get_campaign, time_zone
from surveys.setup.channels import (
    BURST_MINIMUM,
    channel_flags,
    channel_tallies,
    create_channel,
    display_url,
    list_channels,
    public_url,
)


@click.group("channels")
def channels_group() -> None:
    """Public QR channels: service windows that members of the public rate."""


def parse_ids(text: str) -> list[str]:
    """Roster ids from 'C1,C2' (Chinese commas and spaces too, as HR types them)."""
    return [part for part in re.split(r"[,，、\s]+", text) if part]


def channel_url(ctx: Context, channel: PublicChannel) -> str:
    """The public form's address of a channel on this server."""
    return public_url(ctx.settings.base_url, channel.slug)


def channel_display_url(ctx: Context, channel: PublicChannel) -> str:
    """The display page of a channel, for the window's screen (it carries the display key)."""
    return display_url(ctx.settings.base_url, ctx.settings.resolved_secret_key(), channel.slug)


def show_code(ctx: Context, channel: PublicChannel) -> None:
    """Print a static channel's link and terminal QR code, or a rotating one's display link.

    A printed code of a rotating channel would be refused, so none is shown.
    """
    if channel.rotating:
        click.echo(channel.name)
        click.echo(
            ctx._(
                "Its code changes every few minutes: open this display page on the window's "
                "screen (keep the link private):"
            )
        )
        click.echo(f"  {channel_display_url(ctx, channel)}")
        return
    url = channel_url(ctx, channel)
    click.echo(f"{channel.name}  {url}")
    click.echo(qr_terminal(url))


@channels_group.command("create")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option("--name", required=True, help="Shown to the public, e.g. '政务服务大厅3号窗口'.")
@click.option("--cadres", required=True, help="Roster ids of the cadres it rates, e.g. C1,C2.")
@click.option(
    "--static",
    is_flag=True,
    help="A fixed code to print, instead of one that changes on the window's screen.",
)
@pass_context
def create_command(ctx: Context, campaign_id: str, name: str, cadres: str, static: bool) -> None:
    """Open a public channel and show its QR code, or its display page if the code rotates."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        channel = create_channel(
            session=session,
            campaign=campaign,
            name=name,
            cadre_ids=parse_ids(cadres),
            rotating=not static,
        )
    click.echo(ctx._("Created the public channel %(name)s.", name=channel.name))
    show_code(ctx, channel)


def cadre_labels(session: Session, campaign: Campaign) -> dict[str, str]:
    """'C1 王伟' per cadre row id: channels store row ids, HR knows roster ids."""
    cadres = campaign_cadres(session=session, campaign=campaign)
    return {cadre.id: f"{cadre.external_id} {cadre.name}" for cadre in cadres}


@channels_group.command("list")
@click.argument("campaign_id", metavar="CAMPAIGN")
@pass_context
def list_command(ctx: Context, campaign_id: str) -> None:
    """List a campaign's public channels with their cadres and links."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        channels = list_channels(session=session, campaign=campaign)
        labels = cadre_labels(session, campaign)
    if not channels:
        click.echo(ctx._("This campaign has no public channels yet."))
        return
    rows = [[ctx._("Name"), ctx._("Code"), ctx._("Cadres"), ctx._("Link")]]
    rows += [
        [
            channel.name,
            channel.slug,
            ", ".join(labels.get(i, "?") for i in channel.cadre_ids),
            channel_url(ctx, channel),
        ]
        for channel in channels
    ]
    click.echo(format_table(rows))


def chosen_channels(
    ctx: Context, campaign_id: str, slug: str | None
) -> tuple[Campaign, list[PublicChannel]]:
    """The campaign's channels, or the one named by ``--channel``; none is an error."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        channels = list_channels(session=session, campaign=campaign)
    if slug is not None:
        channels = [channel for channel in channels if channel.slug == slug]
        if not channels:
            raise fail(
                ctx,
                "This campaign has no public channel %(slug)s; see 'cadre channels list'.",
                slug=slug,
            )
    if not channels:
        raise fail(
            ctx, "This campaign has no public channels; open one with 'cadre channels create'."
        )
    return campaign, channels


@channels_group.command("qr")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option("--channel", "slug", help="Only this channel (its code from 'cadre channels list').")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="A .pdf file of cards or a folder of images (default: show in the terminal).",
)
@image_format_option
@pass_context
def qr_command(
    ctx: Context, campaign_id: str, slug: str | None, out: Path | None, fmt: str
) -> None:
    """Show the channels' QR codes, or write them as image files or a printable PDF.

    Rotating channels have no code to print: their display links are shown instead.
    """
    campaign, channels = chosen_channels(ctx, campaign_id, slug)
    if out is None:
        for channel in channels:
            show_code(ctx, channel)
        return
    for channel in channels:
        if channel.rotating:
            show_code(ctx, channel)
    channels = [channel for channel in channels if not channel.rotating]
    if not channels:
        raise fail(
            ctx,
            "These channels' codes change every few minutes, so there is nothing to print: "
            "show their display pages at the windows ('cadre channels display'), or open a "
            "channel with --static for a printed code.",
        )
    named = [(channel.name, channel_url(ctx, channel)) for channel in channels]
    cards = [
        Card(
            title=channel.name,
            subtitle=ctx._("Scan to rate our service"),
            url=channel_url(ctx, channel),
            footer=campaign.name,
        )
        for channel in channels
    ]
    click.echo(write_codes(ctx, out, fmt, named, cards))


@channels_group.command("display")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option("--channel", "slug", help="Only this channel (its code from 'cadre channels list').")
@pass_context
def display_command(ctx: Context, campaign_id: str, slug: str | None) -> None:
    """List each channel's display page, to open on the screen at its window."""
    _campaign, channels = chosen_channels(ctx, campaign_id, slug)
    rows = [[ctx._("Name"), ctx._("QR code"), ctx._("Display page")]]
    rows += [
        [
            channel.name,
            ctx._("rotating") if channel.rotating else ctx._("static"),
            channel_display_url(ctx, channel),
        ]
        for channel in channels
    ]
    click.echo(format_table(rows))
    click.echo(
        ctx._(
            "Keep these links private: whoever opens one can show the window's current code. "
            "The page refreshes itself and needs no JavaScript."
        )
    )


@channels_group.command("status")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option(
    "--minimum",
    type=click.IntRange(min=1),
    default=BURST_MINIMUM,
    show_default=True,
    help="Flag a channel that takes this many submissions within one hour.",
)
@pass_context
def status_command(ctx: Context, campaign_id: str, minimum: int) -> None:
    """Public submissions per channel and hour (accepted, refused) and bursts for HR to check."""
    now = ctx.now()
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        tallies = channel_tallies(session=session, campaign=campaign, now=now)
        flags = channel_flags(session=session, campaign=campaign, now=now, minimum=minimum)
    if not tallies:
        click.echo(ctx._("No public submissions yet."))
        return
    zone = time_zone(campaign.timezone)
    rows = [[ctx._("Channel"), ctx._("Hour"), ctx._("Accepted"), ctx._("Refused")]]
    rows += [
        [row.channel.name, f"{row.hour.astimezone(zone):%Y-%m-%d %H:00}", row.accepted, row.refused]
        for row in tallies
    ]
    click.echo(format_table(rows))
    if not flags:
        click.echo(
            ctx._(
                "No bursts: no channel took %(minimum)s submissions within one hour.",
                minimum=minimum,
            )
        )
        return
    click.echo(ctx._("Bursts to check:"))
    for flag in flags:
        click.echo(f"  {ctx._(flag.message, **flag.values)}")


def register(cli: click.Group) -> None:
    """Attach ``cadre channels``."""
    cli.add_command(channels_group)

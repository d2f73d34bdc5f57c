"""``cadre demo``: load the fictional demo bureau and print what HR would hand out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import click

from cadre.cli import Context, pass_context
from storage.models import Campaign, PublicChannel
from surveys.collection.reminders import plan_template_waves
from surveys.demo import find_demo, load_demo
from surveys.documents.qrcodes import qr_terminal
from surveys.setup.channels import list_channels, public_url
from surveys.setup.invitations import InvitationLink, named_links


@dataclass(frozen=True)
class DemoView:
    """The demo campaign with every link, as printed for HR and scripts."""

    campaign: Campaign
    links: list[InvitationLink]
    channels: list[PublicChannel]
    created: bool


def ensure_demo(ctx: Context, base_url: str) -> DemoView:
    """Load the demo once; later calls show the same campaign and links."""
    secret = ctx.settings.resolved_secret_key()
    with ctx.session() as session:
        campaign = find_demo(session=session)
        created = campaign is None
        if created:
            campaign = load_demo(
                session=session, now=ctx.now(), secret_key=secret, timezone=ctx.settings.timezone,
                box_keys=ctx.settings.resolved_box_keys(),
            ).campaign  # fmt: skip
            plan_template_waves(
                session=session, campaign=campaign, now=ctx.now(), quiet=ctx.settings.quiet()
            )
        links = named_links(
            session=session, campaign=campaign, secret_key=secret, base_url=base_url
        )
        channels = list_channels(session=session, campaign=campaign)
    return DemoView(campaign=campaign, links=links, channels=channels, created=created)


def as_json(view: DemoView, base_url: str) -> str:
    """One JSON object for scripts: campaign id, every rater link, every public link."""
    return json.dumps(
        {
            "campaign_id": view.campaign.id,
            "campaign_name": view.campaign.name,
            "rater_links": [
                {
                    "rater_id": link.rater_id,
                    "name": link.rater_name,
                    "url": link.url,
                    "cadres": link.cadres,
                    "status": link.status,
                }
                for link in view.links
            ],
            "public_links": [
                {"name": channel.name, "url": public_url(base_url, channel.slug)}
                for channel in view.channels
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def print_summary(ctx: Context, view: DemoView, base_url: str) -> None:
    """The HR summary: campaign, counts, three rater links, the public links, one QR code."""
    zone = ZoneInfo(view.campaign.timezone)
    title = (
        ctx._("Demo campaign loaded:") if view.created else ctx._("Demo campaign (already loaded):")
    )
    click.echo(f"{title} {view.campaign.name}")
    click.echo(ctx._("Campaign id: %(id)s", id=view.campaign.id))
    click.echo(
        ctx._(
            "Open %(opens)s, deadline %(deadline)s",
            opens=f"{view.campaign.opens_at.astimezone(zone):%Y-%m-%d %H:%M}",
            deadline=f"{view.campaign.closes_at.astimezone(zone):%Y-%m-%d %H:%M}",
        )
    )
    pending = sum(link.status == "pending" for link in view.links)
    click.echo(
        ctx._(
            "%(raters)s rater invitations (%(pending)s pending), %(channels)s public channels.",
            raters=len(view.links),
            pending=pending,
            channels=len(view.channels),
        )
    )
    click.echo("\n" + ctx._("Some rater links (each works once):"))
    for link in _one_per_kind(view.links):
        click.echo(f"  {link.rater_id} {link.rater_name}: {link.url}")
    click.echo("\n" + ctx._("Public links (service windows):"))
    for channel in view.channels:
        click.echo(f"  {channel.name}: {public_url(base_url, channel.slug)}")
    if view.links:
        click.echo(
            "\n"
            + ctx._("Scan with a phone to open %(rater)s's form:", rater=view.links[0].rater_name)
        )
        click.echo(qr_terminal(view.links[0].url))


def _one_per_kind(links: list[InvitationLink]) -> list[InvitationLink]:
    """A superior's, a peer's and a staff member's link (ids start S, P, E)."""
    chosen = {}
    for link in links:
        if link.status == "pending":
            chosen.setdefault(link.rater_id[0], link)
    return list(chosen.values())


@click.command("demo")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON object for scripts.")
@pass_context
def demo_command(ctx: Context, as_json_flag: bool) -> None:
    """Load a fictional bureau (8 cadres, 40 raters, 2 public channels) and print its links."""
    base_url = ctx.settings.base_url
    view = ensure_demo(ctx, base_url)
    if as_json_flag:
        click.echo(as_json(view, base_url))
    else:
        print_summary(ctx, view, base_url)


def register(cli: click.Group) -> None:
    """Attach ``cadre demo``."""
    cli.add_command(demo_command)

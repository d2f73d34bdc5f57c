"""``cadre box``: a campaign's sealed ballot box: its state, and opening it once.

A key-file box opens by itself at the deadline (the scheduler role); this
command opens it by hand when the role was not running.  A box held by
scrutineers opens here when enough of them type their shares: each share
is asked for without echo, never taken from the command line, and checked
against the digest kept at creation, so a wrong share is named at once.
"""

from __future__ import annotations

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.results.overview import cli_actor
from surveys.results.opening import after_opening, open_box, sealed_count
from surveys.sealing.ballot_box import SUITE_NAME, BoxError, ShareBasket, key_id, read_key_file
from surveys.setup.campaigns import get_campaign, local_time


@click.group("box")
def box_group() -> None:
    """The sealed ballot box of a campaign."""


@box_group.command("status")
@click.argument("campaign_id", metavar="CAMPAIGN")
@pass_context
def status_command(ctx: Context, campaign_id: str) -> None:
    """Who holds the key, how many ballots are sealed, and whether the box is open."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        sealed = sealed_count(session=session, campaign=campaign)
    click.echo(ctx._("Suite: %(suite)s", suite=SUITE_NAME))
    click.echo(ctx._("Key fingerprint: %(id)s", id=key_id(campaign.box_public_key or "")))
    if campaign.box_custody == "scrutineers":
        click.echo(
            ctx._(
                "Held by %(count)s scrutineers; %(quorum)s shares open it.",
                count=len(campaign.box_share_digests),
                quorum=campaign.box_quorum,
            )  # fmt: skip
        )
    else:
        click.echo(ctx._("Held in a key file; the scheduler opens it at the deadline."))
    if campaign.box_opened_at is not None:
        opened = local_time(campaign, campaign.box_opened_at)
        click.echo(ctx._("Opened at %(time)s.", time=opened))
    else:
        deadline = local_time(campaign, campaign.closes_at)
        click.echo(
            ctx._("%(count)s sealed ballots; opens after %(time)s.", count=sealed, time=deadline)
        )


@box_group.command("open")
@click.argument("campaign_id", metavar="CAMPAIGN")
@pass_context
def open_command(ctx: Context, campaign_id: str) -> None:
    """Open the box after the deadline (scrutineers type their shares when asked)."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        if campaign.box_opened_at is not None:
            raise fail(ctx, "This ballot box has already been opened.")
        if campaign.box_custody == "scrutineers":
            keys, names = _shares_typed(ctx, campaign)
        else:
            keys, names = (
                read_key_file(ctx.settings.resolved_box_keys(), campaign.id,
                              campaign.box_public_key or ""),
                [],
            )  # fmt: skip
        opening = open_box(
            session=session, campaign=campaign, keys=keys,
            ledger_key=ctx.settings.resolved_ledger_key(), now=ctx.now(), actor=cli_actor(),
            scrutineers=names,
        )  # fmt: skip
    after_opening(
        engine=ctx.engine, campaign_id=campaign.id, key_folder=ctx.settings.resolved_box_keys()
    )
    click.echo(
        ctx._(
            "Opened the ballot box: %(ballots)s ballots, %(responses)s responses.",
            ballots=opening.ballots,
            responses=opening.responses,
        )  # fmt: skip
    )


def _shares_typed(ctx: Context, campaign):
    """Ask for scrutineers' names and shares until the quorum is in; wrong ones are named."""
    basket = ShareBasket.for_campaign(campaign)
    attempts = 0
    while basket.missing:
        name = click.prompt(ctx._("Scrutineer's name"), err=True).strip()
        text = click.prompt(ctx._("Share"), hide_input=True, err=True)
        try:
            number = basket.add(text, name)
        except BoxError as error:
            attempts += 1
            click.echo(ctx._(error.message, **error.values), err=True)
            if attempts >= 3 * (campaign.box_quorum or 1):
                raise fail(ctx, "Too many wrong shares; the box stays sealed.") from None
            continue
        click.echo(
            ctx._(
                "Share %(number)s accepted; %(missing)s more needed.",
                number=number,
                missing=basket.missing,
            ),  # fmt: skip
            err=True,
        )
    return basket.keys(), [basket.names[number] for number in sorted(basket.names)]


def register(cli: click.Group) -> None:
    """Attach ``cadre box``."""
    cli.add_command(box_group)

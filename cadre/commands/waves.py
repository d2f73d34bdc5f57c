"""``cadre waves``: plan, list, cancel, send and follow reminder waves."""

from __future__ import annotations

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.campaigns import parse_moment
from cadre.commands.scheduler import scheduler_runtime
from scheduler.waves import prepare_wave, send_prepared
from storage.models import ReminderWave
from surveys.notification.outbox import wave_counts
from surveys.setup.campaigns import get_campaign, local_time
from surveys.setup.reminders import (
    WAVE_COLUMNS,
    WAVE_ORIGINS,
    WAVE_STATUSES,
    add_wave,
    campaign_waves,
    cancel_wave,
    find_wave,
)

COLUMNS, ORIGINS, STATUSES = WAVE_COLUMNS, WAVE_ORIGINS, WAVE_STATUSES


@click.group("waves")
def waves_group() -> None:
    """Reminder waves: `add`, `list`, `cancel`, `send-now`, `status`."""


@waves_group.command("add")
@click.argument("campaign_id")
@click.option(
    "--at", "at_text", required=True, help="When, e.g. '2026-12-05 09:00' (campaign time)."
)
@click.option("--message", help="Your own words instead of the standard reminder text.")
@pass_context
def add_command(ctx: Context, campaign_id: str, at_text: str, message: str | None) -> None:
    """Plan a reminder wave; quiet hours move it to the next allowed time."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        at = parse_moment(ctx, at_text, campaign.timezone)
        wave = add_wave(
            session=session, campaign=campaign, at=at, now=ctx.now(),
            quiet=ctx.settings.quiet(), message=message,
        )  # fmt: skip
        when = local_time(campaign, wave.send_at)
    click.echo(ctx._("Planned wave %(id)s for %(when)s.", id=wave.id, when=when))
    if wave.send_at != wave.planned_at and wave.send_at > at:
        click.echo(ctx._("Moved out of quiet hours (%(quiet)s).", quiet=str(ctx.settings.quiet())))


@waves_group.command("list")
@click.argument("campaign_id")
@pass_context
def list_command(ctx: Context, campaign_id: str) -> None:
    """List a campaign's waves in sending order."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        waves = campaign_waves(session=session, campaign=campaign)
        if not waves:
            click.echo(ctx._("No waves planned."))
        for wave in waves:
            click.echo(_wave_line(ctx, campaign, wave))


def _wave_line(ctx: Context, campaign, wave: ReminderWave) -> str:
    """One wave: id, when it goes out (and when HR asked, if moved), origin, status, words."""
    origin, status = ctx._(ORIGINS[wave.origin]), ctx._(STATUSES[wave.status])
    line = f"{wave.id}  {local_time(campaign, wave.send_at)}  {origin}  {status}"
    if wave.send_at != wave.planned_at:
        line += "  " + ctx._("(asked for %(when)s)", when=local_time(campaign, wave.planned_at))
    if wave.message:
        line += f"  “{wave.message[:40]}”"
    return line


@waves_group.command("cancel")
@click.argument("wave_id")
@pass_context
def cancel_command(ctx: Context, wave_id: str) -> None:
    """Cancel a wave that has not finished; nothing more of it is sent."""
    with ctx.session() as session:
        wave = find_wave(session=session, wave_id=wave_id)
        skipped = cancel_wave(session=session, wave=wave, now=ctx.now())
    click.echo(
        ctx._(
            "Cancelled wave %(id)s; %(count)s messages will not be sent.", id=wave.id, count=skipped
        )
    )


@waves_group.command("send-now")
@click.argument("campaign_id")
@click.option("--message", help="Your own words instead of the standard reminder text.")
@pass_context
def send_now_command(ctx: Context, campaign_id: str, message: str | None) -> None:
    """Remind every pending rater with a bound chat now, showing progress."""
    current = scheduler_runtime(ctx)
    if not current.can_send:
        raise fail(ctx, "Set CADRE_TELEGRAM_TOKEN to the token BotFather gave you.")
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        now = ctx.now()
        wave = add_wave(
            session=session, campaign=campaign, at=now, now=now,
            quiet=ctx.settings.quiet(), message=message, origin="now",
        )  # fmt: skip
        if wave.send_at > now:
            when = local_time(campaign, wave.send_at)
            click.echo(ctx._("It is quiet hours now; the wave will go out at %(when)s.", when=when))
            return
        wave_id = wave.id
    _send_with_progress(ctx, current, wave_id)
    _print_status(ctx, campaign_id, only=wave_id)


def _send_with_progress(ctx: Context, current, wave_id: str) -> None:
    """Run the wave in this process with a progress bar over its recipients."""
    prepared = prepare_wave(current, wave_id)
    if prepared is None:
        return
    with click.progressbar(length=len(prepared[0]), label=ctx._("Sending"), show_pos=True) as bar:
        send_prepared(current, wave_id, prepared, progress=bar.update)


@waves_group.command("status")
@click.argument("campaign_id")
@pass_context
def status_command(ctx: Context, campaign_id: str) -> None:
    """Per-wave counts: planned, sent, skipped as completed, unreachable, failed."""
    _print_status(ctx, campaign_id)


def _print_status(ctx: Context, campaign_id: str, only: str | None = None) -> None:
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        waves = [
            w for w in campaign_waves(session=session, campaign=campaign) if only in (None, w.id)
        ]
        counts = wave_counts(session=session, wave_ids=[wave.id for wave in waves])
        if not waves:
            click.echo(ctx._("No waves planned."))
            return
        headers = [ctx._("wave"), ctx._("sends at"), ctx._("status")] + [
            ctx._(label) for _, label in COLUMNS
        ]
        click.echo("  ".join(headers))
        for wave in waves:
            figures = [str(counts[wave.id][key]) for key, _ in COLUMNS]
            status = ctx._(STATUSES[wave.status])
            cells = [wave.id[:8], local_time(campaign, wave.send_at), status, *figures]
            click.echo("  ".join(cells))


def register(cli: click.Group) -> None:
    """Attach ``cadre waves``."""
    cli.add_command(waves_group)

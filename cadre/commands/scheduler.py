"""``cadre scheduler run``: the scheduler role (reminder waves, campaign steps, notices, pushes)."""

from __future__ import annotations

import logging
import signal
import threading

import click

from cadre.cli import Context, pass_context
from scheduler.role import run_role
from scheduler.runtime import Runtime, SchedulerConfig


def scheduler_runtime(ctx: Context) -> Runtime:
    """The scheduler's runtime, configured from the settings."""
    settings = ctx.settings
    config = SchedulerConfig(
        secret_key=settings.resolved_secret_key(),
        base_url=settings.base_url,
        telegram_token=settings.telegram_token_value(),
        telegram_api_url=settings.telegram_api_url,
        rate=settings.reminder_rate,
        concurrency=settings.reminder_concurrency,
        quiet=settings.quiet(),
        ledger_key=settings.resolved_ledger_key(),
        box_keys=settings.resolved_box_keys(),
        shared_database_url=settings.shared_database_url,
        hr_chats=frozenset(settings.telegram_hr_chats),
        sync_seconds=settings.scheduler_sync_seconds,
        failover_seconds=settings.scheduler_failover_seconds,
    )
    return Runtime(engine=ctx.engine, config=config)


def start_in_thread(current: Runtime) -> threading.Thread:
    """Run the role beside the web server (the single-machine default of ``cadre serve``)."""
    thread = threading.Thread(target=run_role, args=(current,), name="scheduler", daemon=True)
    thread.start()
    return thread


@click.group("scheduler")
def scheduler_group() -> None:
    """The scheduler role: one process (or one leader among several) runs every timed job."""


@scheduler_group.command("run")
@pass_context
def run_command(ctx: Context) -> None:
    """Run the scheduler role until Ctrl+C or SIGTERM (several may run on PostgreSQL: one leads)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per job run is noise
    current = scheduler_runtime(ctx)
    if not current.can_send:
        click.echo(ctx._("CADRE_TELEGRAM_TOKEN is not set: reminders and notices wait."), err=True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: current.stop.set())
    click.echo(ctx._("The scheduler is running (press Ctrl+C to stop)."), err=True)
    run_role(current)


def register(cli: click.Group) -> None:
    """Attach ``cadre scheduler``."""
    cli.add_command(scheduler_group)

"""``cadre db``: the assessment database's schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from cadre.cli import Context, fail, pass_context
from storage.backup import BackupError, backup
from storage.migrate import upgrade


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@pass_context
def upgrade_command(ctx: Context) -> None:
    """Create or upgrade the schema to the newest migration."""
    upgrade(ctx.engine_for(ctx.settings.resolved_database_url()))
    click.echo(ctx._("The database schema is up to date."))


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def backup_command(ctx: Context, target: Path) -> None:
    """Write a consistent copy of the assessment database while it stays in use."""
    try:
        backup(ctx.engine, target)
    except (BackupError, OSError, sqlite3.Error) as error:
        raise fail(ctx, "The backup was not made: %(error)s", error=str(error)) from None
    click.echo(ctx._("Backed up the database to %(path)s", path=str(target)))


def register(cli: click.Group) -> None:
    """Attach ``cadre db`` and ``cadre backup``."""
    cli.add_command(db_group)
    cli.add_command(backup_command)

"""``cadre db``: the assessment database's schema."""

from __future__ import annotations

import click

from cadre.cli import Context, pass_context
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


def register(cli: click.Group) -> None:
    """Attach ``cadre db``."""
    cli.add_command(db_group)

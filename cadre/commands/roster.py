"""``cadre roster``: the roster workbook template and roster import."""

from __future__ import annotations

from pathlib import Path

import click

from cadre.cli import Context, pass_context
from cadre.commands.invitations import cannot_write
from surveys.setup.roster import import_roster, read_roster
from surveys.setup.roster_template import write_template


@click.group("roster")
def roster_group() -> None:
    """Rosters of cadres, raters and assignments."""


@roster_group.command("template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def template_command(ctx: Context, out: Path) -> None:
    """Write a roster workbook to fill in: sheets, headers, an example row, drop-down lists."""
    try:
        write_template(out, ctx.locale)
    except OSError as error:  # a missing folder, no permission: a message, not a traceback
        raise cannot_write(ctx, out, error) from None
    click.echo(ctx._("Wrote the roster template to %(path)s", path=out))


@roster_group.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--name", help="A name for the roster (default: the file name).")
@click.option(
    "--renamed",
    multiple=True,
    metavar="CADRE_ID",
    help="This cadre id names the same person as in earlier rosters, under a new name.",
)
@pass_context
def import_command(ctx: Context, source: Path, name: str | None, renamed: tuple[str, ...]) -> None:
    """Import an .xlsx workbook, or a folder with cadres.csv, raters.csv, assignments.csv."""
    rows = read_roster(source)
    with ctx.session() as session:
        roster = import_roster(
            session=session, rows=rows, name=name or source.stem, now=ctx.now(), renamed=renamed
        )
    counts = {sheet: len(rows.sheets[sheet]) for sheet in rows.sheets}
    click.echo(
        ctx._(
            "Imported roster %(id)s: %(cadres)s cadres, %(raters)s raters, "
            "%(assignments)s assignments.",
            id=roster.id,
            **counts,
        )
    )


def register(cli: click.Group) -> None:
    """Attach ``cadre roster``."""
    cli.add_command(roster_group)

"""``cadre results profile PERSON_ID``: one person's results over the years, in the user's language.

Everything printed comes from ``surveys.results.profiles``: each opened
campaign's shown figures for the person's roster id, on any roster, oldest
first; a withheld figure prints as a dash.
"""

from __future__ import annotations

from pathlib import Path

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.results.overview import results_group
from surveys.results.profiles import ProfileError, profile, profile_chart, profile_table


@results_group.command("profile")
@click.argument("person_id")
@click.option(
    "--png",
    "png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the trend chart (composite and dimensions) to this PNG file.",
)
@pass_context
def profile_command(ctx: Context, person_id: str, png: Path | None) -> None:
    """Print a person's composite, grade, percentile and dimensions in every campaign."""
    with ctx.session() as session:
        try:
            found = profile(session=session, external_id=person_id)
        except ProfileError as error:
            raise fail(ctx, error.message, **error.values) from None
        header, rows = profile_table(found, ctx.locale)
        chart = profile_chart(found, ctx.locale) if png is not None else None
    click.echo(f"{found.name} ({found.external_id}, {found.unit}, {found.post})")
    if not rows:
        click.echo("  " + ctx._("No opened campaign has assessed this person yet."))
    colon = "：" if ctx.locale == "zh" else ": "
    for row in rows:
        click.echo(f"{row[0]}（{row[1]}）" if ctx.locale == "zh" else f"{row[0]} ({row[1]})")
        click.echo(
            "  "
            + "  ".join(
                f"{name}{colon}{value}" for name, value in zip(header[2:5], row[2:5], strict=True)
            )
        )
        dimensions = list(zip(header[5:], row[5:], strict=True))
        if dimensions:
            click.echo("  " + "; ".join(f"{name}{colon}{value}" for name, value in dimensions))
    if png is not None:
        if chart is None:
            raise fail(ctx, "No opened campaign has assessed this person yet.")
        try:
            png.write_bytes(chart)
        except OSError as error:
            raise fail(
                ctx, "Cannot write %(path)s: %(error)s", path=png, error=error.strerror
            ) from None
        click.echo(ctx._("Wrote the trend chart to %(path)s", path=png), err=True)

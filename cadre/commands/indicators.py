"""``cadre indicators``: the performance indicator (实绩) template, import and listing."""

from __future__ import annotations

from pathlib import Path

import click

from cadre.cli import Context, UserError, pass_context
from cadre.commands.invitations import cannot_write
from surveys.results.outcomes import shown_results
from surveys.results.performance_parts import shown_performance
from surveys.results.reports import performance_sentence
from surveys.rules.performance import (
    Attainment,
    Indicator,
    indicator_score,
)
from surveys.rules.scoring import rounded
from surveys.setup.campaigns import get_campaign, snapshot
from surveys.setup.indicators import (
    IndicatorError,
    cadres_by_id,
    import_indicators,
    read_indicators,
    stored_indicators,
    write_template,
)


@click.group("indicators")
def indicators_group() -> None:
    """Performance indicators (实绩) of a campaign's cadres."""


def explain(ctx: Context, error: IndicatorError) -> UserError:
    """Every bad row, in the user's language, as one message (exit code 2)."""
    lines = [ctx._("The indicators were not imported; fix these rows and try again:")]
    for problem in error.problems:
        where = (
            ctx._("sheet %(sheet)s, row %(row)s", sheet=problem.sheet, row=problem.row)
            if problem.row
            else ctx._("sheet %(sheet)s", sheet=problem.sheet)
        )
        lines.append(f"  {where}: {ctx._(problem.message, **problem.values)}")
    return UserError("\n".join(lines))


@indicators_group.command("template")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the workbook.",
)  # fmt: skip
@pass_context
def template_command(ctx: Context, out: Path) -> None:
    """Write an indicator workbook with the header row and one example row."""
    try:
        write_template(out)
    except OSError as error:  # a missing folder, no permission: a message, not a traceback
        raise cannot_write(ctx, out, error) from None
    click.echo(ctx._("Wrote the indicator template to %(path)s", path=out))


@indicators_group.command("import")
@click.argument("campaign_id")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def import_command(ctx: Context, campaign_id: str, source: Path) -> None:
    """Import a campaign's indicators from an .xlsx or .csv file, replacing earlier ones."""
    try:
        rows = read_indicators(source)
        with ctx.session() as session:
            campaign = get_campaign(session=session, campaign_id=campaign_id)
            done = import_indicators(session=session, campaign=campaign, rows=rows, now=ctx.now())
    except IndicatorError as error:
        raise explain(ctx, error) from error
    click.echo(
        ctx._(
            "Imported %(stored)s indicators for %(cadres)s cadres.",
            stored=done.stored,
            cadres=done.cadres,
        )
    )
    if done.replaced:
        click.echo(
            ctx._("They replace the %(count)s indicators imported before.", count=done.replaced)
        )


def _figure(value: float | None) -> str:
    """A figure as shown: two decimals, or a dash when there is none (or it is withheld)."""
    return "-" if value is None else f"{rounded(value):.2f}"


@indicators_group.command("list")
@click.argument("campaign_id")
@pass_context
def list_command(ctx: Context, campaign_id: str) -> None:
    """List a campaign's indicators with their attainment; once the box is opened, also how
    the performance dimension of each cadre was made."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        questionnaire = snapshot(campaign)
        settings = questionnaire.performance
        titles = {d.key: d.title.get(ctx.locale) for d in questionnaire.dimensions}
        cadres = cadres_by_id(session=session, campaign=campaign)
        rows = stored_indicators(session=session, campaign=campaign)
        results = (
            shown_results(session=session, campaign=campaign) if campaign.box_opened_at else []
        )
    cap = settings.cap if settings else 1.0
    by_cadre: dict[str, list] = {}
    for row in rows:
        by_cadre.setdefault(row.cadre_id, []).append(row)
    if not rows:
        click.echo(ctx._("No indicators imported for this campaign."))
    for cadre_id, cadre_rows in by_cadre.items():
        cadre = cadres[cadre_id]
        indicators = [
            Indicator(r.name, r.target, r.actual, r.weight, r.direction, r.unit) for r in cadre_rows
        ]
        score, attained = indicator_score(indicators, cap)
        click.echo(
            ctx._(
                "%(id)s %(name)s: indicator score %(score)s",
                id=cadre.external_id, name=cadre.name, score=_figure(score),
            )
        )  # fmt: skip
        for reached in attained:
            click.echo(_indicator_line(ctx, reached))
    for result in results:
        part = shown_performance(result)
        if part is not None:
            title = titles.get(part.dimension, part.dimension)
            line = performance_sentence(part, title, ctx.locale)
            click.echo(f"{result.cadre.external_id} {result.cadre.name}: {line}")


def _indicator_line(ctx: Context, reached: Attainment) -> str:
    """One indicator: target, actual, unit, weight, direction and attainment as counted."""
    indicator = reached.indicator
    direction = (
        ctx._("higher is better") if indicator.direction == "higher" else ctx._("lower is better")
    )
    return "  " + ctx._(
        "%(name)s: target %(target)s, actual %(actual)s %(unit)s, weight %(weight)s, "
        "%(direction)s, attainment %(ratio)s%% (counted %(counted)s%%)",
        name=indicator.name,
        target=f"{indicator.target:g}",
        actual=f"{indicator.actual:g}",
        unit=indicator.unit,
        weight=f"{indicator.weight:g}",
        direction=direction,
        ratio=_figure(reached.ratio * 100) if reached.ratio != float("inf") else "∞",
        counted=_figure(reached.counted * 100),
    )


def register(cli: click.Group) -> None:
    """Attach ``cadre indicators``."""
    cli.add_command(indicators_group)

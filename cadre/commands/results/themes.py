"""``cadre results themes``: development suggestions and comment themes, in the user's language.

Everything printed comes from ``surveys.results.suggestions``: shown figures
and the comments the reports list, with the theme threshold applied there.
"""

from __future__ import annotations

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.results.overview import results_group
from storage.models import Cadre
from surveys.results.outcomes import shown_results
from surveys.results.suggestions import (
    DevelopmentSuggestion,
    WeakSpot,
    campaign_themes,
    development_suggestions,
)
from surveys.rules.questionnaire import Questionnaire
from surveys.rules.themes import KEYWORD, CommentThemes, Theme
from surveys.setup.campaigns import get_campaign, local_time, snapshot


@results_group.command("themes")
@click.argument("campaign_id")
@click.option("--cadre", "cadre_id", help="Only this cadre (roster id).")
@click.option("--unit", help="Only this unit: its themes and its cadres.")
@pass_context
def themes_command(ctx: Context, campaign_id: str, cadre_id: str | None, unit: str | None) -> None:
    """Print development suggestions and comment themes, per cadre and per unit."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        results = shown_results(session=session, campaign=campaign)
        suggestions = development_suggestions(session=session, campaign=campaign, results=results)
        themes = campaign_themes(session=session, campaign=campaign)
        questionnaire = snapshot(campaign)
        previous = {
            s.cadre.id: ctx._(
                "%(campaign)s (deadline %(deadline)s)",
                campaign=s.previous.name,
                deadline=local_time(s.previous, s.previous.closes_at),
            )
            for s in suggestions
            if s.previous
        }
    if cadre_id is not None:
        suggestions = [s for s in suggestions if s.cadre.external_id == cadre_id]
        if not suggestions:
            raise fail(ctx, "no cadre with id %(cadre)s in this campaign", cadre=cadre_id)
    if unit is not None:
        suggestions = [s for s in suggestions if s.cadre.unit == unit]
        if not suggestions:
            raise fail(ctx, "no unit named %(unit)s in this campaign", unit=unit)
    blocks = [
        cadre_text(
            ctx, s, themes.cadres[s.cadre.id], questionnaire, previous.get(s.cadre.id), themes.k
        )
        for s in suggestions
    ]
    if cadre_id is None:
        for name in sorted({s.cadre.unit for s in suggestions}):
            heading = ctx._("Unit %(unit)s", unit=name)
            blocks.append("\n".join([heading, *themes_lines(ctx, themes.units[name], themes.k)]))
    click.echo("\n\n".join(blocks))


def cadre_heading(cadre: Cadre) -> str:
    """Name, roster id and unit, as every listing names a cadre."""
    return f"{cadre.name} ({cadre.external_id}, {cadre.unit})"


def cadre_text(
    ctx: Context,
    suggestion: DevelopmentSuggestion,
    themes: CommentThemes,
    questionnaire: Questionnaire,
    previous: str | None,
    k: int,
) -> str:
    """One cadre's block: weak spots against the unit and the history, topics, themes."""
    lines = [cadre_heading(suggestion.cadre), "  " + ctx._("Weakest against the unit:")]
    lines += spot_lines(ctx, suggestion.against_unit, questionnaire, ctx._("unit average"))
    if previous is None:
        lines.append("  " + ctx._("No earlier comparable campaign to compare with."))
    else:
        lines.append("  " + ctx._("Weakest against %(campaign)s:", campaign=previous))
        lines += spot_lines(ctx, suggestion.against_history, questionnaire, ctx._("then"))
    if suggestion.topics:
        joiner = "、" if ctx.locale == "zh" else "; "
        topics = joiner.join(topic.get(ctx.locale) for topic in suggestion.topics)
        lines.append("  " + ctx._("Suggested training: %(topics)s", topics=topics))
    return "\n".join([*lines, *themes_lines(ctx, themes, k)])


def spot_lines(
    ctx: Context, spots: tuple[WeakSpot, ...], questionnaire: Questionnaire, reference: str
) -> list[str]:
    """One line per weak spot: dimension, score, reference figure, gap."""
    if not spots:
        return ["    " + ctx._("none below")]
    titles = {d.key: d.title.get(ctx.locale) for d in questionnaire.dimensions}
    return [
        "    "
        + ctx._(
            "%(dimension)s: %(score).2f (%(reference)s %(then).2f, %(gap)+.2f)",
            dimension=titles.get(spot.dimension, spot.dimension),
            score=spot.score,
            reference=reference,
            then=spot.reference,
            gap=spot.gap,
        )
        for spot in spots
    ]


def theme_name(ctx: Context, theme: Theme) -> str:
    """A lexicon theme's name in the user's language, or a keyword theme's word in quotes."""
    if theme.key == KEYWORD:
        return ctx._("“%(word)s”", word=theme.label)
    return ctx._(theme.label)


def themes_lines(ctx: Context, themes: CommentThemes, k: int) -> list[str]:
    """The themes with counts and examples, or why there are none (``k``: a theme's minimum)."""
    if not themes.themes and themes.comments < k:
        return ["  " + ctx._("No comment themes: too few comments may be shown.")]
    if not themes.themes:
        return [
            "  "
            + ctx._(
                "No comment themes: %(count)s comments, no theme shared by %(k)s of them.",
                count=themes.comments,
                k=k,
            )
        ]
    lines = ["  " + ctx._("Comment themes (%(count)s comments):", count=themes.comments)]
    for theme in themes.themes:
        lines.append(
            "    " + ctx._("%(theme)s: %(count)s", theme=theme_name(ctx, theme), count=theme.count)
        )
        lines += [f"      - {example}" for example in theme.examples]
    if themes.unthemed:
        lines.append("    " + ctx._("In no theme: %(count)s", count=themes.unthemed))
    return lines

"""``cadre appeals``: list a campaign's appeals and decide them in writing."""

from __future__ import annotations

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.results.overview import cli_actor
from surveys.results.appeals import campaign_appeals, decide_appeal, find_appeal
from surveys.results.outcomes import grade_label
from surveys.results.reports import format_table
from surveys.rules.messages import N_
from surveys.rules.questionnaire import GRADES
from surveys.setup.campaigns import campaign_cadres, get_campaign, local_time

STATUS = {"open": N_("open"), "upheld": N_("upheld"), "revised": N_("revised")}


@click.group("appeals")
def appeals_group() -> None:
    """Cadres' appeals against published results, and HR's written decisions."""


@appeals_group.command("list")
@click.argument("campaign_id", metavar="CAMPAIGN")
@pass_context
def list_command(ctx: Context, campaign_id: str) -> None:
    """Every appeal of a campaign: who, when (in the campaign's time zone), why, the decision."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        appeals = campaign_appeals(session=session, campaign_id=campaign.id)
        cadres = campaign_cadres(session=session, campaign=campaign)
        names = {cadre.id: f"{cadre.external_id} {cadre.name}" for cadre in cadres}
    if not appeals:
        click.echo(ctx._("No appeals."))
        return
    filed = ctx._("Filed (%(zone)s)", zone=campaign.timezone)
    rows = [[ctx._("Appeal"), ctx._("Cadre"), filed, ctx._("Status"), ctx._("Reason")]]
    for appeal in appeals:
        status = ctx._(STATUS[appeal.status])
        if appeal.revised_grade:
            status += f" → {grade_label(appeal.revised_grade, ctx.locale)}"
        rows.append(
            [
                appeal.id[:8],
                names.get(appeal.cadre_id, appeal.cadre_id),
                local_time(campaign, appeal.filed_at),
                status,
                appeal.reason,
            ]
        )
    click.echo(format_table(rows))


@appeals_group.command("decide")
@click.argument("appeal_id", metavar="APPEAL")
@click.option("--uphold", "outcome", flag_value="upheld", help="Keep the result as published.")
@click.option(
    "--revise",
    "revised_grade",
    type=click.Choice(GRADES),
    help="Change the grade to this one.",
)
@click.option("--reason", required=True, help="The written reason, told to the cadre.")
@pass_context
def decide_command(
    ctx: Context, appeal_id: str, outcome: str | None, revised_grade: str | None, reason: str
) -> None:
    """Decide an appeal: uphold the result, or revise the grade; always with a reason."""
    if bool(outcome) == bool(revised_grade):
        raise fail(ctx, "Give either --uphold or --revise GRADE.")
    with ctx.session() as session:
        appeal = find_appeal(session=session, appeal_id=appeal_id)
        decide_appeal(
            session=session,
            appeal=appeal,
            outcome=outcome or "revised",
            decision=reason,
            actor=cli_actor(),
            now=ctx.now(),
            revised_grade=revised_grade,
        )
    click.echo(ctx._("Decided: %(status)s.", status=ctx._(STATUS[outcome or "revised"])))


def register(cli: click.Group) -> None:
    """Attach ``cadre appeals``."""
    cli.add_command(appeals_group)

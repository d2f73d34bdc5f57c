"""``cadre results``: the campaign overview, a cadre's report, the workbook, PDFs and the push.

Everything printed or written comes from ``surveys.results.reports``, so it obeys the
anonymity threshold exactly as the shared database and the bot do.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from cadre.cli import Context, fail, pass_context
from surveys.collection.progress import campaign_progress
from surveys.documents.report_text import format_table
from surveys.notification.publication import publish_results
from surveys.results.report_pdf import write_cadre_report_pdf, write_overview_pdf
from surveys.results.reports import (
    cadre_report,
    campaign_overview,
    overview_text,
    report_text,
    write_results_workbook,
)
from surveys.results.summaries import push_results
from surveys.rules.rater_groups import label_id
from surveys.sealing.ballot_box import BoxSealed
from surveys.setup.campaigns import get_campaign


class ResultsGroup(click.Group):
    """``cadre results CAMPAIGN`` means ``cadre results show CAMPAIGN``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group("results", cls=ResultsGroup)
def results_group() -> None:
    """Campaign results: `cadre results CAMPAIGN [--xlsx FILE] [--pdf FILE]`,
    `cadre results report CAMPAIGN CADRE_ID [--pdf FILE]`, `cadre results push CAMPAIGN`."""


def _written(ctx: Context, path: Path, write) -> None:
    """Run a file writer; a file that cannot be written is a user error, not a traceback."""
    try:
        write()
    except OSError as error:
        raise fail(
            ctx, "Cannot write %(path)s: %(error)s", path=path, error=error.strerror
        ) from None
    click.echo(ctx._("Wrote the results to %(path)s", path=path), err=True)


@results_group.command("show")
@click.argument("campaign_id")
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results to this .xlsx workbook.",
)
@click.option(
    "--pdf",
    "pdf_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the overview to this PDF file.",
)
@pass_context
def show_command(
    ctx: Context, campaign_id: str, xlsx_path: Path | None, pdf_path: Path | None
) -> None:
    """Print the overview: grades, ranking, completion, quality checks, reliability."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        try:
            overview = campaign_overview(session=session, campaign=campaign)
        except BoxSealed as sealed:
            if xlsx_path or pdf_path:
                raise
            click.echo(ctx._(sealed.message, **sealed.values))
            click.echo(
                sealed_progress_text(ctx, campaign_progress(session=session, campaign=campaign))
            )
            return
    click.echo(overview_text(overview, ctx.locale))
    if xlsx_path is not None:
        _written(ctx, xlsx_path, lambda: write_results_workbook(xlsx_path, overview, ctx.locale))
    if pdf_path is not None:
        _written(ctx, pdf_path, lambda: write_overview_pdf(pdf_path, overview, ctx.locale))


@results_group.command("report")
@click.argument("campaign_id")
@click.argument("cadre_id")
@click.option(
    "--pdf",
    "pdf_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report to this PDF file.",
)
@pass_context
def report_command(ctx: Context, campaign_id: str, cadre_id: str, pdf_path: Path | None) -> None:
    """Print one cadre's report (CADRE_ID from the roster), optionally as a PDF too."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        report = cadre_report(session=session, campaign=campaign, cadre_id=cadre_id)
    click.echo(report_text(report, ctx.locale))
    if pdf_path is not None:
        _written(ctx, pdf_path, lambda: write_cadre_report_pdf(pdf_path, report, ctx.locale))


@results_group.command("push")
@click.argument("campaign_id")
@pass_context
def push_command(ctx: Context, campaign_id: str) -> None:
    """Upsert one summary row per cadre into the shared database."""
    url = ctx.settings.shared_database_url
    if not url:
        raise fail(ctx, "Set CADRE_SHARED_DATABASE_URL to the shared database first.")
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        try:
            count = push_results(
                session=session, campaign=campaign, shared_engine=ctx.engine_for(url), now=ctx.now()
            )
        except SQLAlchemyError as error:  # the shared server is someone else's: explain
            raise fail(
                ctx,
                "Cannot write to the shared database: %(error)s",
                error=str(error).splitlines()[0],
            ) from None
    click.echo(ctx._("Pushed %(count)s cadre summaries to the shared database.", count=count))


@results_group.command("publish")
@click.argument("campaign_id")
@click.option(
    "--publicity-until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Show the proposed Excellent cadres on a public page until this day (YYYY-MM-DD).",
)
@click.option(
    "--appeal-days",
    type=click.IntRange(0, 90),
    help="Days after publication in which a cadre may appeal (default: the campaign's, 7).",
)
@pass_context
def publish_command(
    ctx: Context, campaign_id: str, publicity_until, appeal_days: int | None
) -> None:
    """Publish the results after the deadline: cadres can then see their own in the bot.

    The ledger is signed at close (if not yet) and at publication, with the
    key in CADRE_LEDGER_KEY (default: a file in the data folder).
    """
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        fresh = publish_results(
            session=session,
            campaign=campaign,
            now=ctx.now(),
            actor=cli_actor(),
            key_path=ctx.settings.resolved_ledger_key(),
            publicity_until=publicity_until.date() if publicity_until else None,
            appeal_days=appeal_days,
        )
        name = campaign.name
    if fresh:
        click.echo(ctx._("Published the results of %(campaign)s.", campaign=name))
    else:
        click.echo(ctx._("The results of %(campaign)s were already published.", campaign=name))


def sealed_progress_text(ctx: Context, progress) -> str:
    """Progress only while the box is sealed: named raters invited and done, by cadre and group."""
    rows = [[ctx._("Cadre"), ctx._("Group"), ctx._("Invited"), ctx._("Completed")]]
    for cadre in progress:
        for group, numbers in cadre.groups.items():
            label = ctx._(label_id(group))
            rows.append([cadre.cadre.name, label, numbers.assigned, numbers.completed])
    return format_table(rows)


def cli_actor() -> str:
    """Who ran a command, for the audit trail: the operating-system user."""
    return f"cli:{getpass.getuser()}"


def register(cli: click.Group) -> None:
    """Attach ``cadre results``."""
    cli.add_command(results_group)

"""``cadre results warnings``: a campaign's early warnings, as a list, a CSV, or to HR's chats.

Everything comes from ``surveys.results.warnings``: the rules on results read
shown figures only, and only once the box is opened; before that only
completion and bursts can fire.  ``--send`` keeps the new warnings and queues
every warning not yet sent to ``CADRE_TELEGRAM_HR_CHATS`` (the scheduler
delivers them); a warning already sent is never sent again.
"""

from __future__ import annotations

import csv
from pathlib import Path

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.results import results_group
from surveys.notification.outbox import queue_warnings
from surveys.results.warnings import (
    campaign_warnings,
    describe_warning,
    record_warnings,
    rule_label,
)
from surveys.rules.cells import cell_text
from surveys.rules.warnings import EarlyWarningFinding
from surveys.setup.campaigns import get_campaign, snapshot

CSV_COLUMNS = ("rule", "subject_kind", "subject_id", "subject", "threshold", "figures", "warning")
"""The CSV's stable English column keys, for scripts (the cells are in the user's language)."""


def figures_text(figures: dict) -> str:
    """A warning's figures as ``name=value`` pairs."""
    return "; ".join(f"{name}={value}" for name, value in figures.items())


@results_group.command("warnings")
@click.argument("campaign_id")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the warnings to this CSV file.")  # fmt: skip
@click.option("--send", is_flag=True, help="Keep new warnings and queue them to the HR chats.")
@pass_context
def warnings_command(ctx: Context, campaign_id: str, csv_path: Path | None, send: bool) -> None:
    """List a campaign's early warnings: the rule that fired, on whom, figures and threshold."""
    if send and not ctx.settings.telegram_hr_chats:
        raise fail(ctx, "CADRE_TELEGRAM_HR_CHATS is not set: there is no HR chat to send to.")
    now = ctx.now()
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        findings = campaign_warnings(session=session, campaign=campaign, now=now)
        questionnaire = snapshot(campaign)
        rows = [
            (finding, describe_warning(finding.rule, finding.values, ctx.locale, questionnaire))
            for finding in findings
        ]
        if send:
            added = record_warnings(session=session, campaign=campaign, findings=findings, now=now)
            chats = frozenset(ctx.settings.telegram_hr_chats)
            queued = queue_warnings(session=session, chat_ids=chats, now=now)
        sealed = campaign.box_opened_at is None
    if csv_path is not None:
        write_csv(ctx, csv_path, rows)
    if sealed:
        click.echo(ctx._("The ballot box is sealed: only completion and bursts are checked."))
    if not rows:
        click.echo(ctx._("No early warnings."))
    for finding, sentence in rows:
        click.echo(f"[{rule_label(finding.rule, ctx.locale)}] {subject(finding)}: {sentence}")
    if send:
        click.echo(
            ctx._(
                "%(added)s new warnings kept; %(queued)s messages queued to the HR chats.",
                added=added,
                queued=queued,
            )
        )


def subject(finding: EarlyWarningFinding) -> str:
    """The cadre's name and roster id, or the window's or campaign's name."""
    if finding.subject.kind == "cadre":
        return f"{finding.subject.name} ({finding.subject.key})"
    return finding.subject.name


def write_csv(ctx: Context, path: Path, rows: list[tuple[EarlyWarningFinding, str]]) -> None:
    """The warnings as CSV, every cell through ``cell_text``; a path that cannot be written
    is a user error."""
    try:
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for finding, sentence in rows:
                writer.writerow(
                    [
                        cell_text(text)
                        for text in (
                            rule_label(finding.rule, ctx.locale),
                            finding.subject.kind,
                            finding.subject.key,
                            finding.subject.name,
                            finding.threshold,
                            figures_text(finding.figures),
                            sentence,
                        )
                    ]
                )
    except OSError as error:
        raise fail(
            ctx, "Cannot write %(path)s: %(error)s", path=path, error=error.strerror
        ) from None
    click.echo(ctx._("Wrote the warnings to %(path)s", path=path), err=True)


def register(cli: click.Group) -> None:
    """``cadre results warnings`` hangs under ``cadre results``, registered there."""

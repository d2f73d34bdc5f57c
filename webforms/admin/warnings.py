"""The HR console's early warnings: every kept warning across campaigns, exported or checked.

The page lists what ``surveys.results.warnings`` kept (the scheduler's check,
``cadre results warnings --send`` or the button here): the rule that fired,
on whom, its figures and its threshold, and whether it went to the HR chats.
Every figure there is a shown one: the rules on results read
``shown_results`` only, after the box is opened.  A campaign filter narrows
the list; CSV and xlsx carry the same rows, every cell through
``surveys.rules.cells``.  Writers may run the check for a campaign now; the
scheduler queues what is new to the HR chats on its next run.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from sqlmodel import select

from storage.models import Campaign, EarlyWarning
from surveys.documents.report_xlsx import write_workbook
from surveys.results.warnings import (
    check_campaign,
    describe_warning,
    rule_label,
    stored_warnings,
    subject_text,
)
from surveys.rules.cells import cell_text
from surveys.setup.accounts import WRITERS
from surveys.setup.campaigns import local_time, snapshot
from webforms.admin.accounts import admin_page, bp
from webforms.admin.hr_auth import login_required, roles_required
from webforms.admin.reports import XLSX, campaign_or_404, download
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale


@dataclass(frozen=True)
class WarningRow:
    """One kept warning as the page and the exports show it, in the reader's language."""

    warning: EarlyWarning
    campaign: Campaign
    seen: str
    rule: str
    subject: str
    figures: str
    threshold: str
    sentence: str
    sent: str

    def cells(self) -> list[str]:
        """The row for CSV and xlsx, in the columns of ``headings``."""
        return [self.campaign.name, self.seen, self.rule, self.subject, self.figures,
                self.threshold, self.sentence, self.sent]  # fmt: skip


def headings() -> list[str]:
    """The columns of the page and the exports."""
    return [gettext("Campaign"), gettext("First seen"), gettext("Rule"), gettext("On"),
            gettext("Figures"), gettext("Threshold"), gettext("Warning"),
            gettext("Sent to HR chats")]  # fmt: skip


def warning_rows(campaign_id: str | None) -> list[WarningRow]:
    """The kept warnings, newest first, one campaign's when filtered."""
    session = get_session()
    locale = current_locale()
    campaigns: dict[str, Campaign] = {}
    rows = []
    for warning in stored_warnings(session=session, campaign_id=campaign_id):
        campaign = campaigns.get(warning.campaign_id) or session.get(Campaign, warning.campaign_id)
        campaigns[campaign.id] = campaign
        detail = warning.detail
        figures = detail.get("figures", {})
        rows.append(
            WarningRow(
                warning=warning,
                campaign=campaign,
                seen=local_time(campaign, warning.first_seen_at),
                rule=rule_label(warning.rule, locale),
                subject=subject_text(detail, warning.subject),
                figures="; ".join(f"{name}={value}" for name, value in figures.items()),
                threshold=str(detail.get("threshold", "")),
                sentence=describe_warning(
                    warning.rule, detail.get("values", {}), locale, snapshot(campaign)
                ),
                sent=local_time(campaign, warning.sent_at) if warning.sent_at else "—",
            )
        )
    return rows


def chosen_campaign() -> str | None:
    """The campaign filter (``?campaign=ID``); an unknown campaign is a 404."""
    campaign_id = request.args.get("campaign") or None
    if campaign_id is not None and get_session().get(Campaign, campaign_id) is None:
        abort(404)
    return campaign_id


@bp.get("/warnings", endpoint="warnings")
@login_required
def warnings_view():
    """Every kept warning, with the rule, figures and threshold; filter by campaign."""
    campaign_id = chosen_campaign()
    campaigns = get_session().exec(select(Campaign)).all()
    return admin_page(
        "admin/warnings.html",
        rows=warning_rows(campaign_id),
        headings=headings(),
        campaigns=sorted(campaigns, key=lambda c: (c.closes_at, c.id), reverse=True),
        chosen=campaign_id,
    )


def export_name(campaign_id: str | None, extension: str) -> str:
    """``warnings.csv``, or ``warnings-<id prefix>.csv`` for one campaign."""
    return f"warnings-{campaign_id[:8]}.{extension}" if campaign_id else f"warnings.{extension}"


@bp.get("/warnings.csv", endpoint="warnings_csv")
@login_required
def warnings_csv():
    """The listed warnings as CSV (UTF-8 with a byte-order mark, for spreadsheet programs)."""
    campaign_id = chosen_campaign()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_text(text) for text in headings()])
    for row in warning_rows(campaign_id):
        writer.writerow([cell_text(text) for text in row.cells()])
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return download(data, "text/csv; charset=utf-8", export_name(campaign_id, "csv"))


@bp.get("/warnings.xlsx", endpoint="warnings_xlsx")
@login_required
def warnings_xlsx():
    """The listed warnings as a workbook (the writer puts every cell through cell_text)."""
    campaign_id = chosen_campaign()
    buffer = io.BytesIO()
    rows = [headings(), *(row.cells() for row in warning_rows(campaign_id))]
    write_workbook(buffer, [(gettext("Early warnings"), rows)])
    return download(buffer.getvalue(), XLSX, export_name(campaign_id, "xlsx"))


@bp.post("/campaigns/<campaign_id>/warnings/check", endpoint="check_warnings")
@roles_required(*WRITERS)
def check_view(campaign_id: str):
    """Check one campaign now and keep its new warnings (the scheduler sends them)."""
    campaign = campaign_or_404(campaign_id)
    added = check_campaign(session=get_session(), campaign=campaign, now=current_time())
    get_session().commit()
    flash(gettext("%(count)s new warnings for %(campaign)s.", count=added, campaign=campaign.name))
    return redirect(url_for("admin.warnings", campaign=campaign.id), code=303)

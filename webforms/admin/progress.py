"""Live progress of a campaign in the HR console: per cadre and per rater group.

The page is a plain table that is complete without JavaScript (a refresh
link reloads it); ``static/progress.js`` asks ``progress.json`` every few
seconds and updates the numbers in place.

Only what ``cadre results show`` and the bot's ``/progress`` print while the
box is sealed is shown, before and after the opening alike: named raters
assigned and done, per cadre and group.  A count of stored ballots per
cadre and group is never sent: before the opening none exists, and after
it a group's ballot count is a figure the disclosure rule may hide (a
public line of two, a group folded into "other raters"), so the report's
own tables are the only place it may appear.
"""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext
from sqlmodel import Session

from storage.models import Campaign
from surveys.collection.progress import CadreProgress, GroupProgress, campaign_progress
from surveys.rules.rater_groups import group_keys, group_order, label_id
from surveys.setup.campaigns import campaign_state
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required
from webforms.admin.reports import campaign_or_404
from webforms.clock import current_time
from webforms.db import get_session
from webforms.security import content_security_policy

# How often the page asks for fresh counts, in milliseconds.
POLL_MILLISECONDS = 5000


def named_counts(entry: GroupProgress | CadreProgress) -> dict[str, int]:
    """Named raters assigned and done: the only figures progress shows."""
    return {"assigned": entry.assigned, "completed": entry.completed}


def group_totals(rows: list[CadreProgress]) -> dict[str, dict[str, int]]:
    """Per rater group, every cadre together, in report order."""
    totals: dict[str, GroupProgress] = {}
    for row in rows:
        for group, entry in row.groups.items():
            total = totals.setdefault(group, GroupProgress())
            total.assigned += entry.assigned
            total.completed += entry.completed
    return {
        group: named_counts(totals[group])
        for group in sorted(totals, key=group_order)
        if totals[group].assigned
    }


def progress_snapshot(session: Session, campaign: Campaign) -> dict:
    """The campaign's progress as data: overall, per group, per cadre and group.

    Groups without named raters (the public, who rate through channels) have
    nothing to count here and are left out, so no line ever carries a
    ballot count.
    """
    rows = campaign_progress(session=session, campaign=campaign)
    return {
        "campaign": campaign.id,
        "state": campaign_state(campaign, current_time()),
        "sealed": campaign.box_opened_at is None,
        "named": {
            "assigned": sum(row.assigned for row in rows),
            "completed": sum(row.completed for row in rows),
        },
        "groups": group_totals(rows),
        "cadres": [
            {
                "id": row.cadre.external_id,
                "name": row.cadre.name,
                **named_counts(row),
                "groups": {
                    group: named_counts(row.groups[group])
                    for group in sorted(row.groups, key=group_order)
                    if row.groups[group].assigned
                },
            }
            for row in rows
        ],
    }


def group_names() -> dict[str, str]:
    """Each rater group in the reader's language."""
    return {group: gettext(label_id(group)) for group in group_keys()}


@bp.get("/campaigns/<campaign_id>/progress", endpoint="progress")
@login_required
def progress_view(campaign_id: str):
    """The progress table; with JavaScript it keeps itself current without a reload."""
    campaign = campaign_or_404(campaign_id)
    snapshot = progress_snapshot(get_session(), campaign)
    page, status = admin_page(
        "admin/progress.html",
        campaign=campaign,
        state=snapshot["state"],
        states=state_labels(),
        progress=snapshot,
        groups=group_names(),
        source=url_for("admin.progress_data", campaign_id=campaign.id),
        every=POLL_MILLISECONDS,
    )
    # This page alone runs our own script file (still no inline script).
    return page, status, {"Content-Security-Policy": content_security_policy("'self'")}


@bp.get("/campaigns/<campaign_id>/progress.json", endpoint="progress_data")
@login_required
def progress_data(campaign_id: str):
    """The same counts as the page, for its script (or anyone signed in who polls)."""
    return jsonify(progress_snapshot(get_session(), campaign_or_404(campaign_id)))

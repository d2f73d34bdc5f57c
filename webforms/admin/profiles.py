"""A person's results over the years in the HR console: the table and the trend chart.

One page per person (the roster's cadre id, the same in every roster),
linked from each cadre's report page.  Everything comes from
``surveys.results.profiles``: each opened campaign's shown figures, withheld
ones as a dash and as gaps in the chart.  An id no roster has is a 404,
like any unknown page.
"""

from __future__ import annotations

from flask import abort, current_app, url_for
from flask_babel import gettext

from surveys.results.profiles import Profile, ProfileError, profile, profile_chart, profile_table
from webforms.admin.accounts import admin_page, bp
from webforms.admin.hr_auth import login_required
from webforms.db import get_session
from webforms.i18n import current_locale


def profile_or_404(cadre_id: str) -> Profile:
    """The person's profile by roster id; an id no roster has is a 404."""
    try:
        return profile(session=get_session(), external_id=cadre_id)
    except ProfileError:
        abort(404)


@bp.get("/profiles/<cadre_id>", endpoint="profile")
@login_required
def profile_view(cadre_id: str):
    """Every opened campaign of one person, oldest first, with the trend chart."""
    found = profile_or_404(cadre_id)
    header, rows = profile_table(found, current_locale())
    links = {
        entry.campaign.name: url_for(
            "admin.cadre", campaign_id=entry.campaign.id, cadre_id=found.external_id
        )
        for entry in found.entries
    }
    return admin_page(
        "admin/profile.html",
        person=found,
        rows=[header, *rows],
        links=links,
        chart=(
            url_for("admin.profile_trend", cadre_id=found.external_id),
            gettext("Trend of the composite and the dimensions over the campaigns"),
        )
        if found.entries
        else None,
    )


@bp.get("/profiles/<cadre_id>/trend.png", endpoint="profile_trend")
@login_required
def profile_trend(cadre_id: str):
    """The trend chart as our own image (the page's policy allows no other source)."""
    png = profile_chart(profile_or_404(cadre_id), current_locale())
    if png is None:
        abort(404)
    response = current_app.response_class(png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response

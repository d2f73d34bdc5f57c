"""The public notice of the cadres proposed as Excellent (优秀等次公示).

Before Excellent grades are final, the names are put on public display for
a period so that anyone may object.  The page lists names, units and posts
only, never a figure, and exists only while ``on_publicity`` says the
notice runs: before publication and after its last day the address is an
ordinary 404, like any unknown page.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from flask import Blueprint, abort, render_template

from storage.models import Cadre, Campaign
from surveys.notification.publication import on_publicity
from surveys.results.outcomes import shown_results
from surveys.rules.grading import EXCELLENT
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale
from webforms.security import limiter

bp = Blueprint("publicity", __name__, url_prefix="/publicity")

# Anyone may open the page, and each view grades the whole campaign: keep it affordable.
PUBLICITY_LIMIT = "60 per minute"


def local_day(day: date) -> str:
    """A calendar day as people read it in the request's language, e.g. '2026年12月20日'."""
    locale = current_locale()
    return format_date(day, "medium" if locale == "en" else "long", locale=locale)


def proposed_excellent(campaign: Campaign) -> list[Cadre]:
    """The cadres whose grade as shown (appeals included) is Excellent, in roster order."""
    results = shown_results(session=get_session(), campaign=campaign)
    return [result.cadre for result in results if result.decision.grade == EXCELLENT]


@bp.get("/<campaign_id>")
@limiter.limit(PUBLICITY_LIMIT)
def listing(campaign_id: str):
    """The notice while it runs: who is proposed, until when, and how to object."""
    campaign = get_session().get(Campaign, campaign_id)
    if campaign is None or not on_publicity(campaign, current_time()):
        abort(404)
    return render_template(
        "publicity.html",
        campaign=campaign,
        cadres=proposed_excellent(campaign),
        until=local_day(campaign.publicity_until),
    )

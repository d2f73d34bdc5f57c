"""The HR console's campaign rules: what ``cadre campaign rules CAMPAIGN`` prints.

Every rule of the campaign's frozen questionnaire in words with its
citation (a citation nobody has checked against the gazetted text says so),
the numbers a template changed from its preset, and the quota pools that
can never award Excellent with the tiers set so far.  The sentences come
from ``surveys.results.rulebook``, the same as the command's and the
reports', so the console never words a rule by itself.
"""

from __future__ import annotations

from surveys.results.rulebook import quota_warning_lines, rule_lines
from surveys.setup.barring import launch_warnings
from surveys.setup.campaigns import snapshot
from webforms.admin.accounts import admin_page, bp
from webforms.admin.hr_auth import login_required
from webforms.admin.indicators import campaign_frame
from webforms.admin.reports import campaign_or_404
from webforms.db import get_session
from webforms.i18n import current_locale


@bp.get("/campaigns/<campaign_id>/rules", endpoint="rules")
@login_required
def rules_view(campaign_id: str):
    """The campaign's rules with citations and overrides, and the quota warnings; read only."""
    campaign = campaign_or_404(campaign_id)
    questionnaire = snapshot(campaign)
    locale = current_locale()
    found = launch_warnings(session=get_session(), campaign=campaign)
    return admin_page(
        "admin/rules.html",
        lines=rule_lines(questionnaire, locale),
        warnings=quota_warning_lines(questionnaire, found, locale),
        **campaign_frame(campaign),
    )

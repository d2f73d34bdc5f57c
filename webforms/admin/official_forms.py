"""The HR console's official forms: 年度考核登记表, 考核结果备案表 and the 优秀 roster to download.

What ``cadre results forms`` writes, from the same ``surveys.results.official_forms``:
every figure is a shown one, and before the box is opened every page and
download here answers 409 (the results pages' ``BoxSealed`` handler), so no
form exists before the results do.  Downloads are reads: the auditor may
take them too.
"""

from __future__ import annotations

from flask import abort, url_for
from werkzeug.utils import secure_filename

from storage.models import Campaign
from surveys.documents.official_form_writers import forms_pdf_bytes, forms_xlsx_bytes
from surveys.results.official_forms import (
    EXCELLENT,
    FILING,
    FORMS,
    REGISTRATION,
    forms_title,
    official_forms,
)
from surveys.results.outcomes import BOX_SEALED
from surveys.sealing.ballot_box import BoxSealed
from surveys.setup.campaigns import CampaignError, campaign_cadres, campaign_state, local_time
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required
from webforms.admin.reports import XLSX, campaign_or_404, download, file_stem
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale

FORMATS = {"xlsx": XLSX, "pdf": "application/pdf"}


def opened_or_409(campaign: Campaign) -> None:
    """Refuse, as the results pages do, while the box is sealed."""
    if campaign.box_opened_at is None:
        raise BoxSealed(BOX_SEALED, {"deadline": local_time(campaign, campaign.closes_at)})


def forms_file(campaign: Campaign, form: str, fmt: str, cadre_id: str | None = None):
    """The forms of one kind as a download in one format."""
    locale = current_locale()
    try:
        forms = official_forms(
            session=get_session(), campaign=campaign, form=form, locale=locale, cadre_id=cadre_id
        )
    except CampaignError:
        abort(404)
    if fmt == "pdf":
        data = forms_pdf_bytes(forms, forms_title(campaign, form, locale))
    else:
        data = forms_xlsx_bytes(forms)
    who = f"-{secure_filename(cadre_id) or 'cadre'}" if cadre_id is not None else ""
    return download(data, FORMATS[fmt], f"{form}-{file_stem(campaign)}{who}.{fmt}")


@bp.get("/campaigns/<campaign_id>/forms", endpoint="official_forms")
@login_required
def forms_view(campaign_id: str):
    """The downloads: each form as workbook and PDF, and each cadre's registration form."""
    campaign = campaign_or_404(campaign_id)
    opened_or_409(campaign)
    links = {
        form: {fmt: url_for(f"admin.official_{form}_{fmt}", campaign_id=campaign.id)
               for fmt in FORMATS}
        for form in FORMS
    }  # fmt: skip
    cadres = campaign_cadres(session=get_session(), campaign=campaign)
    return admin_page(
        "admin/official_forms.html",
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        links=links,
        forms=(REGISTRATION, FILING, EXCELLENT),
        cadres=cadres,
    )


def _campaign_download(form: str, fmt: str):
    def view(campaign_id: str):
        campaign = campaign_or_404(campaign_id)
        return forms_file(campaign, form, fmt)

    view.__name__ = f"official_{form}_{fmt}"
    view.__doc__ = f"Every {form} form of the campaign as .{fmt}."
    return login_required(view)


def _cadre_download(fmt: str):
    def view(campaign_id: str, cadre_id: str):
        campaign = campaign_or_404(campaign_id)
        return forms_file(campaign, REGISTRATION, fmt, cadre_id)

    view.__name__ = f"official_registration_cadre_{fmt}"
    view.__doc__ = f"One cadre's registration form as .{fmt}."
    return login_required(view)


for _form in FORMS:
    for _fmt in FORMATS:
        bp.add_url_rule(
            f"/campaigns/<campaign_id>/forms/{_form}.{_fmt}",
            endpoint=f"official_{_form}_{_fmt}",
            view_func=_campaign_download(_form, _fmt),
            methods=["GET"],
        )
for _fmt in FORMATS:
    bp.add_url_rule(
        f"/campaigns/<campaign_id>/forms/registration/<cadre_id>.{_fmt}",
        endpoint=f"official_registration_cadre_{_fmt}",
        view_func=_cadre_download(_fmt),
        methods=["GET"],
    )

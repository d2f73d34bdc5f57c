"""The confirmation step before publishing: who will be told, and how, before it happens.

Publishing tells every cadre with a bound bot chat their result and
cannot be undone, so the results page only leads here; this page lists
each cadre and whether the bot will notify them, and its button posts
to ``admin.publish`` with ``confirmed=yes`` (a post without it publishes
nothing and comes back here).  Before the deadline, before the box is
opened, or once published, the page says why instead of offering the button.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext

from storage.engine import make_engine
from storage.models import Cadre, Campaign
from surveys.collection.chats import cadre_links
from surveys.documents.qrcodes import Card
from surveys.notification.outbox import result_notice_chats
from surveys.results.summaries import push_results
from surveys.rules.cells import cell_text
from surveys.setup.accounts import WRITERS
from surveys.setup.campaigns import campaign_cadres, campaign_state, local_time
from surveys.setup.cards import UTF8_BOM, campaign_footer
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required, roles_required
from webforms.admin.reports import (
    FieldProblem,
    appeal_days,
    campaign_or_404,
    download,
    file_stem,
    overview_page,
    publicity_day,
    publish_entered,
)
from webforms.admin.setup import CSV, PDF, cards_pdf
from webforms.clock import current_time
from webforms.db import get_session


@dataclass(frozen=True)
class NoticeRow:
    """One cadre and how their result notice goes out (the bot, or not at all)."""

    cadre: Cadre
    by_bot: bool


def notice_rows(campaign: Campaign) -> list[NoticeRow]:
    """Every cadre of the campaign, in roster order, with whether the bot will notify them."""
    session = get_session()
    chats = result_notice_chats(session=session, campaign=campaign)
    return [
        NoticeRow(cadre=cadre, by_bot=cadre.id in chats)
        for cadre in campaign_cadres(session=session, campaign=campaign)
    ]


def publication_refusal(campaign: Campaign) -> str | None:
    """Why publishing is not possible now, in words; None when it is.

    The same order of checks as ``surveys.notification.publication.publish_results``,
    which still has the last word when the button is pressed.
    """
    if campaign.published_at is not None:
        return gettext(
            "The results were published %(time)s.",
            time=local_time(campaign, campaign.published_at),
        )
    if campaign_state(campaign, current_time()) != "closed":
        return gettext(
            "Results can be published only after the deadline (%(time)s).",
            time=local_time(campaign, campaign.closes_at),
        )
    if campaign.box_opened_at is None:
        return gettext("Results can be published only once the ballot box is opened.")
    return None


@bp.get("/campaigns/<campaign_id>/publish", endpoint="publish_confirm")
@login_required
def publish_confirm(campaign_id: str):
    """Show who will be notified and ask to confirm; say why not when publishing cannot happen.

    Reading this page is always allowed (200): a refusal here is an explanation,
    and only unreadable fields are an error (422).
    """
    campaign = campaign_or_404(campaign_id)
    entered = publish_entered(request.args)
    refusal, status = publication_refusal(campaign), 200
    try:
        until, days = publicity_day(entered["publicity_until"]), appeal_days(entered["appeal_days"])
    except FieldProblem as problem:
        refusal, status, until, days = str(problem), 422, None, None
    rows = notice_rows(campaign)
    return admin_page(
        "admin/publish.html",
        status,
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        refusal=refusal,
        rows=rows,
        by_bot=sum(row.by_bot for row in rows),
        entered=entered,
        until=until,
        days=campaign.appeal_days if days is None else days,
    )


@bp.post("/campaigns/<campaign_id>/push", endpoint="push_results")
@roles_required(*WRITERS)
def push(campaign_id: str):
    """Write one summary row per cadre into the shared database (``cadre results push``).

    The rows come from ``shown_results`` inside ``push_results``, so a sealed
    box is refused (the ``BoxSealed`` page) and hidden figures stay hidden.
    """
    campaign = campaign_or_404(campaign_id)
    url = current_app.config.get("SHARED_DATABASE_URL")
    if not url:
        return overview_page(
            campaign,
            409,
            gettext(
                "This server has no shared database configured (CADRE_SHARED_DATABASE_URL): "
                "nothing was pushed."
            ),
        )
    engine = make_engine(url)
    try:
        count = push_results(
            session=get_session(), campaign=campaign, shared_engine=engine, now=current_time()
        )
    except sa.exc.SQLAlchemyError:  # the shared server is someone else's: explain, no traceback
        current_app.logger.exception("pushing %s to the shared database failed", campaign.id)
        return overview_page(
            campaign,
            502,
            gettext(
                "The shared database cannot be written; check CADRE_SHARED_DATABASE_URL. "
                "Nothing was pushed."
            ),
        )
    finally:
        engine.dispose()
    flash(gettext("Pushed %(count)s cadre summaries to the shared database.", count=count))
    return redirect(url_for("admin.campaign", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<campaign_id>/cadre-links", endpoint="cadre_links")
@roles_required(*WRITERS)
def cadre_links_download(campaign_id: str):
    """Each cadre's one-time link that binds their chat to receive results, as CSV or a PDF
    of QR cards (``cadre bot cadre-links [--qr cards.pdf]``); writers only, as they bind."""
    campaign = campaign_or_404(campaign_id)
    bot = current_app.config.get("TELEGRAM_BOT")
    if not bot:
        return admin_page(
            "message.html",
            409,
            title=gettext("No Telegram bot"),
            text=gettext("Set CADRE_TELEGRAM_BOT to the bot's username to make Telegram links."),
        )
    db = get_session()
    links = cadre_links(
        session=db, campaign=campaign, secret_key=current_app.config["SECRET_KEY"], bot_username=bot
    )
    db.commit()  # binding codes made on the first download must be kept
    stem = f"{file_stem(campaign)}-cadre-links"
    if request.form.get("format") == "pdf":
        cards = [
            Card(
                title=f"{cadre.name} ({cadre.external_id})",
                subtitle=cadre.post,
                url=url,
                footer=campaign_footer(gettext, campaign),
            )
            for cadre, url in links
        ]
        return download(cards_pdf(cards), PDF, f"{stem}.pdf")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("cadre_id", "name", "unit", "post", "link"))
    writer.writerows(
        [cell_text(cadre.external_id), cell_text(cadre.name), cell_text(cadre.unit or ""),
         cell_text(cadre.post or ""), url]
        for cadre, url in links
    )  # fmt: skip
    return download((UTF8_BOM + buffer.getvalue()).encode("utf-8"), CSV, f"{stem}.csv")

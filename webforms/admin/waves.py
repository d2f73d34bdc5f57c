"""The HR console's reminder waves: list, plan, cancel, and each wave's sending status.

The same operations as ``cadre waves list/add/cancel/status``, through the
same use cases of ``surveys.setup.reminders`` and ``surveys.notification.outbox``: a wave
planned here is a row the scheduler picks up like any other, and a wave
cancelled here skips its unsent messages exactly as the command does.
Refusals (a time already past, after the deadline, a wave already sent or
cancelled) come back on the page with the reason and a 4xx status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext
from sqlmodel import Session

from storage.models import Campaign, ReminderWave
from surveys.notification.outbox import wave_counts
from surveys.setup.accounts import WRITERS
from surveys.setup.campaigns import CampaignError, campaign_state, local_time
from surveys.setup.reminders import (
    DEFAULT_QUIET_HOURS,
    MESSAGE_LIMIT,
    WAVE_COLUMNS,
    WAVE_ORIGINS,
    WAVE_STATUSES,
    QuietHours,
    add_wave,
    campaign_waves,
    cancel_wave,
)
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required, roles_required
from webforms.admin.reports import campaign_message, campaign_or_404
from webforms.clock import current_time
from webforms.db import get_session
from webforms.errors import message_page

COLUMNS, ORIGINS, STATUSES = WAVE_COLUMNS, WAVE_ORIGINS, WAVE_STATUSES
# Waves that may still be cancelled (``cancel_wave`` refuses the others with a reason).
CANCELLABLE = frozenset({"planned", "sending"})


class TimeProblem(ValueError):
    """The wave time as typed cannot be read; the message is already translated."""


@dataclass(frozen=True)
class WaveRow:
    """One wave as the console lists it: when, who planned it, where it stands, its counts."""

    wave: ReminderWave
    send_at: str
    asked_for: str | None
    origin: str
    status: str
    counts: list[int]
    sent_share: int

    @property
    def cancellable(self) -> bool:
        """Whether the cancel button is offered (the use case still has the last word)."""
        return self.wave.status in CANCELLABLE


def quiet_hours() -> QuietHours:
    """The install's quiet hours (``QUIET_HOURS``, from CADRE_QUIET_HOURS), as the CLI uses."""
    return QuietHours.parse(current_app.config.get("QUIET_HOURS") or DEFAULT_QUIET_HOURS)


def wave_rows(session: Session, campaign: Campaign) -> list[WaveRow]:
    """The campaign's waves in sending order, with the outbox counts of ``cadre waves status``."""
    waves = campaign_waves(session=session, campaign=campaign)
    counts = wave_counts(session=session, wave_ids=[wave.id for wave in waves])
    rows = []
    for wave in waves:
        figures = [counts[wave.id][key] for key, _ in COLUMNS]
        total, sent = counts[wave.id]["total"], counts[wave.id]["sent"]
        moved = wave.send_at != wave.planned_at
        rows.append(
            WaveRow(
                wave=wave,
                send_at=local_time(campaign, wave.send_at),
                asked_for=local_time(campaign, wave.planned_at) if moved else None,
                origin=gettext(ORIGINS.get(wave.origin, wave.origin)),
                status=gettext(STATUSES.get(wave.status, wave.status)),
                counts=figures,
                sent_share=round(100 * sent / total) if total else 0,
            )
        )
    return rows


def waves_page(
    campaign: Campaign, status: int = 200, error: str | None = None, entered: dict | None = None
):
    """The waves list with its status table, and (for writers) the form to plan one."""
    session = get_session()
    return admin_page(
        "admin/waves.html",
        status,
        error=error,
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        rows=wave_rows(session, campaign),
        headings=[gettext(label) for _, label in COLUMNS],
        quiet=str(quiet_hours()),
        limit=MESSAGE_LIMIT,
        entered=entered or {"at": "", "message": ""},
    )


def wave_moment(text: str, zone: str) -> datetime:
    """The typed time in the campaign's zone: what a datetime field sends, or '2026-12-01 18:00'.

    A time with its own offset is taken as it is, as ``cadre waves add`` does.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeProblem(
            gettext("Cannot read the time %(text)s; write it like 2026-12-01 18:00.", text=text)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


@bp.get("/campaigns/<campaign_id>/waves", endpoint="waves")
@login_required
def waves_view(campaign_id: str):
    """Every reminder wave of the campaign with how far its sending has got."""
    return waves_page(campaign_or_404(campaign_id))


@bp.post("/campaigns/<campaign_id>/waves", endpoint="add_wave")
@roles_required(*WRITERS)
def add_wave_view(campaign_id: str):
    """Plan a wave; quiet hours move it, and a time that cannot work is refused with a reason."""
    campaign = campaign_or_404(campaign_id)
    entered = {
        "at": request.form.get("at", "")[:40],
        "message": request.form.get("message", "")[: MESSAGE_LIMIT + 100],
    }
    db = get_session()
    try:
        at = wave_moment(entered["at"], campaign.timezone)
        wave = add_wave(
            session=db, campaign=campaign, at=at, now=current_time(), quiet=quiet_hours(),
            message=entered["message"],
        )  # fmt: skip
    except TimeProblem as problem:
        return waves_page(campaign, 422, str(problem), entered)
    except CampaignError as error:
        db.rollback()
        return waves_page(campaign, 422, campaign_message(error), entered)
    when = local_time(campaign, wave.send_at)
    moved = wave.send_at > at
    db.commit()
    flash(gettext("Planned wave %(id)s for %(when)s.", id=wave.id[:8], when=when))
    if moved:
        flash(gettext("Moved out of quiet hours (%(quiet)s).", quiet=str(quiet_hours())))
    return redirect(url_for("admin.waves", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<campaign_id>/waves/now", endpoint="send_wave_now")
@roles_required(*WRITERS)
def send_now_view(campaign_id: str):
    """Remind every pending rater now (``cadre waves send-now``): a wave due at once.

    The scheduler sends it on its next turn, as it sends every wave; the web
    request itself never talks to Telegram.  In quiet hours it waits for
    their end, and the page says until when.
    """
    campaign = campaign_or_404(campaign_id)
    entered = {"at": "", "message": request.form.get("message", "")[: MESSAGE_LIMIT + 100]}
    db, now = get_session(), current_time()
    try:
        wave = add_wave(
            session=db, campaign=campaign, at=now, now=now, quiet=quiet_hours(),
            message=entered["message"], origin="now",
        )  # fmt: skip
    except CampaignError as error:
        db.rollback()
        return waves_page(campaign, 422, campaign_message(error), entered)
    when = local_time(campaign, wave.send_at)
    db.commit()
    if wave.send_at > now:
        flash(gettext("It is quiet hours now; the wave will go out at %(when)s.", when=when))
    else:
        flash(gettext("The wave %(id)s goes out now.", id=wave.id[:8]))
    return redirect(url_for("admin.waves", campaign_id=campaign.id), code=303)


@bp.post("/waves/<wave_id>/cancel", endpoint="cancel_wave")
@roles_required(*WRITERS)
def cancel_wave_view(wave_id: str):
    """Cancel a wave not yet finished; a wave sent or cancelled already is refused (409)."""
    db = get_session()
    wave = db.get(ReminderWave, wave_id)
    if wave is None:
        return message_page(
            404, gettext("No such wave"), gettext("There is no wave with id %(id)s.", id=wave_id)
        )
    campaign = db.get(Campaign, wave.campaign_id)
    try:
        skipped = cancel_wave(session=db, wave=wave, now=current_time())
    except CampaignError as error:
        db.rollback()
        return waves_page(campaign, 409, campaign_message(error))
    db.commit()
    flash(
        gettext(
            "Cancelled wave %(id)s; %(count)s messages will not be sent.",
            id=wave.id[:8],
            count=skipped,
        )
    )
    return redirect(url_for("admin.waves", campaign_id=campaign.id), code=303)

"""Reminder waves: when HR's reminders go out, to whom, and what they say.

A wave is planned once (by HR, or from the campaign's template) and moved
out of quiet hours in the campaign's time zone.  When it starts, one outbox
row is written per rater who is still pending and whose chat is bound; the
scheduler then sends from the outbox (see ``surveys.notification.outbox``).  Meeting
slips have no chat and are never reminded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import (
    Campaign,
    Invitation,
    OutboxMessage,
    RaterChat,
    ReminderWave,
    TelegramChat,
    new_id,
)
from storage.queries import by_id_or_prefix
from surveys.rules.messages import N_
from surveys.setup.campaigns import CampaignError, campaign_state, snapshot

DEFAULT_QUIET_HOURS = "22:00-08:00"
OFFSET = re.compile(r"^(?:opening|(\d{1,3})([dhm]))$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}
MESSAGE_LIMIT = 1000

# How a wave is shown, by the CLI (``cadre waves``) and the console alike: the status
# columns (outbox counts from ``surveys.notification.outbox.wave_counts``, by key, with
# their headings), who planned it, and its state.
WAVE_COLUMNS = (
    ("total", N_("planned")),
    ("sent", N_("sent")),
    ("skipped:completed", N_("skipped (completed)")),
    ("unreachable", N_("unreachable")),
    ("failed", N_("failed")),
    ("uncertain", N_("uncertain")),
    ("planned", N_("waiting")),
)
WAVE_ORIGINS = {"hr": N_("by HR"), "template": N_("template"), "now": N_("send-now")}
WAVE_STATUSES = {
    "planned": N_("planned"),
    "sending": N_("sending"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}


@dataclass(frozen=True)
class QuietHours:
    """A daily span of local time in which no reminder is sent (start == end: none)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """Read '22:00-08:00'; 'none' (or an empty text) turns quiet hours off."""
        if text.strip().lower() in ("", "none", "off"):
            return cls(time(0), time(0))
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not match:
            raise ValueError(f"cannot read quiet hours {text!r}; write them like 22:00-08:00")
        hours = [int(part) for part in match.groups()]
        if hours[0] > 23 or hours[2] > 23 or hours[1] > 59 or hours[3] > 59:
            raise ValueError(f"quiet hours {text!r} name a time that does not exist")
        return cls(time(hours[0], hours[1]), time(hours[2], hours[3]))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}" if self.start != self.end else "none"

    def covers(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether the moment falls in quiet hours, in that time zone."""
        local = moment.astimezone(zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The moment itself, or the end of the quiet hours it falls in."""
        if not self.covers(moment, zone):
            return moment
        return _next_local(moment, zone, self.end)

    def next_start(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """When quiet hours next begin after the moment (None when there are none)."""
        if self.start == self.end:
            return None
        return _next_local(moment, zone, self.start)


def _next_local(moment: datetime, zone: ZoneInfo, wanted: time) -> datetime:
    """The first moment after ``moment`` whose local time of day is ``wanted``."""
    local = moment.astimezone(zone)
    candidate = datetime.combine(local.date(), wanted, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), wanted, tzinfo=zone)
    return candidate.astimezone(moment.tzinfo)


def offset_moment(campaign: Campaign, offset: str) -> datetime:
    """'opening' is the opening time; '3d', '12h', '30m' are that long before the deadline."""
    match = OFFSET.match(offset)
    if match is None:
        raise CampaignError(N_("cannot read the wave time %(offset)s"), {"offset": offset})
    if offset == "opening":
        return campaign.opens_at
    amount, unit = match.groups()
    return campaign.closes_at - timedelta(**{UNITS[unit]: int(amount)})


def add_wave(
    *,
    session: Session,
    campaign: Campaign,
    at: datetime,
    now: datetime,
    quiet: QuietHours,
    message: str | None = None,
    origin: str = "hr",
) -> ReminderWave:
    """Plan a wave at ``at`` (moved out of quiet hours), or raise CampaignError saying why not."""
    if at.tzinfo is None:
        raise CampaignError(N_("opening time and deadline need a time zone"))
    if campaign_state(campaign, now) == "closed":
        raise CampaignError(N_("the campaign has closed; there is nobody left to remind"))
    if at < now - timedelta(minutes=1):
        raise CampaignError(N_("that time has passed"))
    if at < campaign.opens_at:
        raise CampaignError(N_("a wave cannot go out before the campaign opens"))
    send_at = quiet.next_allowed(max(at, now), ZoneInfo(campaign.timezone))
    if send_at >= campaign.closes_at:
        raise CampaignError(
            N_("after quiet hours (%(quiet)s) the wave would go out after the deadline"),
            {"quiet": str(quiet)},
        )
    text = (message or "").strip() or None
    if text is not None and len(text) > MESSAGE_LIMIT:
        raise CampaignError(
            N_("the message is longer than %(limit)s characters"), {"limit": MESSAGE_LIMIT}
        )
    wave = ReminderWave(
        campaign_id=campaign.id,
        planned_at=at,
        send_at=send_at,
        message=text,
        origin=origin,
        created_at=now,
    )
    session.add(wave)
    session.flush()
    return wave


def plan_template_waves(
    *, session: Session, campaign: Campaign, now: datetime, quiet: QuietHours
) -> list[ReminderWave]:
    """The template's default waves; those already past or pushed past the deadline are left out."""
    waves = []
    for offset in snapshot(campaign).reminders:
        at = offset_moment(campaign, offset)
        try:
            waves.append(
                add_wave(
                    session=session,
                    campaign=campaign,
                    at=at,
                    now=now,
                    quiet=quiet,
                    origin="template",
                )
            )
        except CampaignError:
            continue
    return waves


def campaign_waves(*, session: Session, campaign: Campaign) -> list[ReminderWave]:
    """Every wave of a campaign, in sending order."""
    return list(
        session.exec(
            select(ReminderWave)
            .where(ReminderWave.campaign_id == campaign.id)
            .order_by(ReminderWave.send_at, ReminderWave.created_at)
        )
    )


def find_wave(*, session: Session, wave_id: str) -> ReminderWave:
    """A wave by id or unique id prefix, or CampaignError."""
    wave = by_id_or_prefix(session, ReminderWave, wave_id)
    if wave is not None:
        return wave
    raise CampaignError(N_("no wave with id %(id)s"), {"id": wave_id})


def cancel_wave(*, session: Session, wave: ReminderWave, now: datetime) -> int:
    """Cancel a wave that has not finished; messages not yet sent are skipped. Returns them."""
    if wave.status == "done":
        raise CampaignError(N_("this wave has already been sent"))
    if wave.status == "cancelled":
        raise CampaignError(N_("this wave was already cancelled"))
    wave.status = "cancelled"
    wave.finished_at = now
    session.add(wave)
    skipped = session.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.wave_id) == wave.id, col(OutboxMessage.state) == "planned")
        .values(state="skipped", reason="cancelled")
    ).rowcount
    session.flush()
    return skipped


def unfinished_waves(*, session: Session) -> list[ReminderWave]:
    """Waves that should be sending now or later (planned, or started and not finished)."""
    return list(
        session.exec(
            select(ReminderWave)
            .where(col(ReminderWave.status).in_(("planned", "sending")))
            .order_by(ReminderWave.send_at)
        )
    )


def start_wave(*, session: Session, wave: ReminderWave, now: datetime) -> int:
    """Write the wave's outbox, once: one row per pending rater with a bound chat.

    The status changes with a conditional UPDATE, so two schedulers starting
    the same wave cannot both write rows (and each row's key is unique
    anyway).  Returns how many rows were written (0 if already started).
    """
    started = session.execute(
        sa.update(ReminderWave)
        .where(col(ReminderWave.id) == wave.id, col(ReminderWave.status) == "planned")
        .values(status="sending", started_at=now)
    ).rowcount
    if started != 1:
        return 0
    campaign = session.get(Campaign, wave.campaign_id)
    if campaign_state(campaign, now) != "open":
        return 0
    rows = [
        {
            "id": new_id(),
            "key": f"wave:{wave.id}:{invitation_id}",
            "campaign_id": campaign.id,
            "wave_id": wave.id,
            "purpose": "reminder",
            "invitation_id": invitation_id,
            "chat_id": chat_id,
            "state": "skipped" if unreachable else "planned",
            "reason": "unreachable" if unreachable else None,
            "attempts": 0,
        }
        for invitation_id, chat_id, unreachable in recipients(session=session, campaign=campaign)
    ]
    if rows:
        session.execute(sa.insert(OutboxMessage), rows)
    session.flush()
    return len(rows)


def recipients(*, session: Session, campaign: Campaign) -> list[tuple[str, int, bool]]:
    """(invitation id, chat id, unreachable) of every named, pending, chat-bound invitation."""
    rows = session.exec(
        select(Invitation.id, RaterChat.chat_id, TelegramChat.unreachable)
        .join(RaterChat, col(RaterChat.invitation_id) == Invitation.id)
        .outerjoin(TelegramChat, col(TelegramChat.chat_id) == RaterChat.chat_id)
        .where(
            Invitation.campaign_id == campaign.id,
            Invitation.status == "pending",
            col(Invitation.rater_id).is_not(None),
            col(RaterChat.chat_id).is_not(None),
        )
    ).all()
    return [
        (invitation_id, chat_id, bool(unreachable)) for invitation_id, chat_id, unreachable in rows
    ]


def finish_if_sent(*, session: Session, wave: ReminderWave, now: datetime) -> bool:
    """Mark a sending wave done once no row is left planned or sending; True if it is done."""
    open_rows = session.exec(
        select(sa.func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.wave_id) == wave.id,
            col(OutboxMessage.state).in_(("planned", "sending")),
        )
    ).one()
    if open_rows:
        return False
    done = session.execute(
        sa.update(ReminderWave)
        .where(col(ReminderWave.id) == wave.id, col(ReminderWave.status) == "sending")
        .values(status="done", finished_at=now)
    ).rowcount
    session.flush()
    return done == 1 or wave.status == "done"


def postpone(*, session: Session, wave: ReminderWave, until: datetime) -> None:
    """Move the rest of a wave to a later moment (out of quiet hours)."""
    session.execute(
        sa.update(ReminderWave).where(col(ReminderWave.id) == wave.id).values(send_at=until)
    )
    session.flush()

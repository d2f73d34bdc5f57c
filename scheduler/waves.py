"""Running a reminder wave or a batch of result notices: outbox first, then the sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler.runtime import Runtime
from scheduler.sender import OutboxSender, SendReport
from scheduler.telegram import BotApi
from storage.engine import session_scope
from storage.models import Campaign, ReminderWave
from surveys.notification.outbox import mark_interrupted, planned_rows
from surveys.setup.reminders import finish_if_sent, postpone, start_wave

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


def prepare_wave(runtime: Runtime, wave_id: str) -> tuple[list[str], datetime | None] | None:
    """Start the wave (outbox rows, once) and list what is left to send, with the next quiet start.

    None when the wave is finished, cancelled, or waiting for quiet hours to end.
    """
    now = runtime.clock()
    with session_scope(runtime.engine) as session:
        wave = session.get(ReminderWave, wave_id)
        if wave is None or wave.status in ("done", "cancelled"):
            return None
        zone = ZoneInfo(session.get(Campaign, wave.campaign_id).timezone)
        allowed = runtime.config.quiet.next_allowed(now, zone)
        if allowed > now:
            postpone(session=session, wave=wave, until=allowed)
            return None
        start_wave(session=session, wave=wave, now=now)
        interrupted = mark_interrupted(session=session, wave_id=wave.id)
        if interrupted:
            log.warning(
                "wave %s: %s messages were cut off by a crash; not resent", wave_id, interrupted
            )
        rows = planned_rows(session=session, wave_id=wave.id)
        return rows, runtime.config.quiet.next_start(now, zone)


def send_wave(
    runtime: Runtime, wave_id: str, progress: Progress | None = None
) -> SendReport | None:
    """Send a wave's remaining reminders; finish it, or move the rest past quiet hours."""
    prepared = prepare_wave(runtime, wave_id)
    if prepared is None:
        return None
    return send_prepared(runtime, wave_id, prepared, progress)


def send_prepared(
    runtime: Runtime,
    wave_id: str,
    prepared: tuple[list[str], datetime | None],
    progress: Progress | None = None,
) -> SendReport | None:
    """Send what ``prepare_wave`` listed (callers that show progress need its count first)."""
    rows, until = prepared
    report = asyncio.run(send_rows(runtime, rows, until=until, progress=progress)) if rows else None
    with session_scope(runtime.engine) as session:
        wave = session.get(ReminderWave, wave_id)
        if finish_if_sent(session=session, wave=wave, now=runtime.clock()):
            return report
        now = runtime.clock()
        zone = ZoneInfo(session.get(Campaign, wave.campaign_id).timezone)
        later = runtime.config.quiet.next_allowed(now, zone)
        if later > now:
            postpone(session=session, wave=wave, until=later)
    return report


def send_notices(runtime: Runtime, campaign_id: str, purpose: str = "result") -> SendReport | None:
    """Send a published campaign's result notices (or its early warnings) still planned."""
    with session_scope(runtime.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        zone = ZoneInfo(campaign.timezone)
        now = runtime.clock()
        if runtime.config.quiet.covers(now, zone):
            return None
        mark_interrupted(session=session, campaign_id=campaign_id, purpose=purpose)
        rows = planned_rows(session=session, campaign_id=campaign_id, purpose=purpose)
        until = runtime.config.quiet.next_start(now, zone)
    if not rows:
        return None
    return asyncio.run(send_rows(runtime, rows, until=until))


async def send_rows(
    runtime: Runtime,
    rows: list[str],
    *,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> SendReport:
    """Send outbox rows through the Bot API at the configured rate."""
    config = runtime.config
    async with BotApi(token=config.telegram_token or "", api_url=config.telegram_api_url) as api:
        sender = OutboxSender(
            engine=runtime.engine,
            api=api,
            context=runtime.message_context(),
            rate=config.rate,
            clock=runtime.clock,
            concurrency=config.concurrency,
        )
        report = await sender.send(rows, stop=runtime.halted, until=until, progress=progress)
    log.info(
        "sent %s, skipped %s, unreachable %s, failed %s, uncertain %s; %s flood answers; %.1f/s",
        report.sent, report.skipped, report.unreachable, report.failed, report.uncertain,
        report.flood_answers, report.rate,
    )  # fmt: skip
    return report

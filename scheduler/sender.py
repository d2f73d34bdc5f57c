"""Sending outbox rows to Telegram at a steady rate, pausing everything on flood control.

Telegram allows about 30 bulk messages per second per bot; the sender keeps
to a configured rate below that (25 by default).  When Telegram answers 429
anyway, the whole sender waits ``retry_after`` and slows down by a fifth,
then creeps back up after a clean stretch: a limit lower than ours is found
without losing or repeating a message.  Database work runs in threads, so
the event loop only waits on the network.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from scheduler.telegram import Answer, Outcome
from storage.engine import session_scope
from surveys.notification.outbox import MessageContext, OutgoingMessage, claim, record, release

log = logging.getLogger(__name__)

SLOWDOWN = 0.85
"""The rate is multiplied by this after a 429 (once per pause, however many requests hit it)."""
RECOVERY_SECONDS = 5.0
"""After this long without a 429, the rate goes up by one message per second, up to the ceiling."""
CEILING_MARGIN = 0.97
"""After a 429 the rate never climbs back above this share of the rate that was refused..."""
CEILING_RECOVERY_SECONDS = 300.0
"""...until this long passes without a 429; then the ceiling rises by one (to the configured)."""


class Pacer:
    """Hands out send slots ``1/rate`` apart; a pause holds every slot back."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.configured = rate
        self.rate = rate
        self.ceiling = rate
        self._clock = clock
        self._next = 0.0
        self._resume_at = 0.0
        self._recent: deque[float] = deque()
        self._calm_since = clock()
        self._ceiling_since = clock()

    async def wait(self) -> None:
        """Wait for the next slot; re-queue if a pause began while waiting.

        Slots are ``1/rate`` apart; a late start may catch up half a slot, and
        no trailing second ever holds more than ``rate`` slots, so a stall of
        the event loop is never followed by a burst.
        """
        while True:
            now = self._clock()
            slot = max(self._next, self._resume_at, now - 0.5 / self.rate)
            slot = self._within_window(slot)
            self._next = slot + 1.0 / self.rate
            self._recent.append(slot)
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._resume_at <= self._clock():
                self._recover()
                return
            self._recent.remove(slot)  # a pause began meanwhile: this slot is void

    def _within_window(self, slot: float) -> float:
        """Move a slot later if the second before it already holds ``rate`` slots."""
        while self._recent and self._recent[0] <= slot - 1.0:
            self._recent.popleft()
        most = max(1, int(self.rate))
        if len(self._recent) >= most:
            slot = max(slot, self._recent[-most] + 1.0 + 1e-3)
        return slot

    def pause(self, seconds: float) -> None:
        """Flood control: nobody sends for ``seconds``; the rate drops, and so does its ceiling."""
        now = self._clock()
        if now >= self._resume_at:  # a new 429, not another request caught by the same one
            self.ceiling = min(self.ceiling, self.rate * CEILING_MARGIN)
            self.rate = max(1.0, self.rate * SLOWDOWN)
        self._resume_at = max(self._resume_at, now + seconds)
        self._next = self._resume_at
        self._calm_since = self._ceiling_since = self._resume_at

    def _recover(self) -> None:
        """Climb back after a calm stretch: the rate towards the ceiling, the ceiling slower."""
        now = self._clock()
        if self.ceiling < self.configured and now - self._ceiling_since >= CEILING_RECOVERY_SECONDS:
            self.ceiling = min(self.configured, self.ceiling + 1.0)
            self._ceiling_since = now
        if self.rate < self.ceiling and now - self._calm_since >= RECOVERY_SECONDS:
            self.rate = min(self.ceiling, self.rate + 1.0)
            self._calm_since = now


@dataclass
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    skipped: int = 0
    unreachable: int = 0
    failed: int = 0
    uncertain: int = 0
    released: int = 0
    flood_answers: int = 0
    seconds: float = 0.0
    stopped: bool = False

    @property
    def rate(self) -> float:
        """Messages sent per second over the run."""
        return self.sent / self.seconds if self.seconds else 0.0


class OutboxSender:
    """Sends claimed outbox rows through a Bot API client, ``concurrency`` requests at most."""

    def __init__(
        self,
        *,
        engine: sa.Engine,
        api,
        context: MessageContext,
        rate: float,
        clock: Callable[[], datetime],
        concurrency: int = 8,
    ):
        self.engine = engine
        self.api = api
        self.context = context
        self.pacer = Pacer(rate)
        self.clock = clock
        self.concurrency = concurrency

    async def send(
        self,
        row_ids: list[str],
        *,
        stop: Callable[[], bool] | None = None,
        until: datetime | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> SendReport:
        """Send the rows in order until done, ``stop()`` says so or the moment ``until`` comes."""
        report = SendReport()
        started = time.monotonic()
        slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task] = set()

        def halted() -> bool:
            return bool(stop and stop()) or (until is not None and self.clock() >= until)

        for row_id in row_ids:
            if halted():
                report.stopped = True
                break
            await slots.acquire()  # before the claim: at most ``concurrency`` rows in sending
            message = await asyncio.to_thread(self._claim, row_id)
            if message is None:
                slots.release()
                report.skipped += 1
                self._progress(progress)
                continue
            # Claim, then wait for the slot: the "still wanted?" check is at most
            # one slot older than the send, and skipped rows cost no slot.
            await self.pacer.wait()
            task = asyncio.create_task(self._deliver(message, report, halted, progress))
            task.add_done_callback(lambda _task: slots.release())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
        report.seconds = time.monotonic() - started
        return report

    async def _deliver(
        self, message: OutgoingMessage, report: SendReport, halted, progress
    ) -> None:
        """Send one message (its slot has come), waiting out flood control; store what happened."""
        while True:
            if halted():
                await asyncio.to_thread(self._release, message.row_id)
                report.released += 1
                report.stopped = True
                return
            outcome = await self.api.send_message(message)
            if outcome.answer is not Answer.RETRY:
                break
            if outcome.flood:
                report.flood_answers += 1
            self.pacer.pause(outcome.retry_after)
            await self.pacer.wait()
        await asyncio.to_thread(self._record, message.row_id, outcome)
        self._count(report, outcome)
        self._progress(progress)

    @staticmethod
    def _count(report: SendReport, outcome: Outcome) -> None:
        name = outcome.answer.value
        setattr(report, name, getattr(report, name) + 1)
        if outcome.answer is Answer.FAILED:
            log.warning("a message was refused: %s", outcome.description)

    @staticmethod
    def _progress(progress: Callable[[int], None] | None) -> None:
        if progress is not None:
            progress(1)

    def _claim(self, row_id: str) -> OutgoingMessage | None:
        with session_scope(self.engine) as session:
            return claim(session=session, row_id=row_id, now=self.clock(), context=self.context)

    def _record(self, row_id: str, outcome: Outcome) -> None:
        with session_scope(self.engine) as session:
            record(
                session=session,
                row_id=row_id,
                state=outcome.answer.value,
                reason=outcome.description[:40] or None,
            )

    def _release(self, row_id: str) -> None:
        with session_scope(self.engine) as session:
            release(session=session, row_id=row_id)

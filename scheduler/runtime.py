"""What every scheduler job needs: the database, the settings it uses, a clock and a stop signal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from storage.engine import make_engine
from surveys.notification.outbox import MessageContext
from surveys.setup.reminders import QuietHours


@dataclass(frozen=True)
class SchedulerConfig:
    """The scheduler role's settings (built from ``cadre.settings.Settings`` by the CLI)."""

    secret_key: str
    base_url: str
    telegram_token: str | None = None
    telegram_api_url: str | None = None
    rate: float = 25.0
    concurrency: int = 8
    quiet: QuietHours = field(default_factory=lambda: QuietHours.parse("22:00-08:00"))
    ledger_key: Path | None = None
    box_keys: Path | None = None
    shared_database_url: str | None = None
    sync_seconds: float = 30.0
    failover_seconds: float = 5.0
    hr_chats: frozenset[int] = frozenset()
    warning_seconds: float = 300.0
    """How often the early warnings are checked (``scheduler.jobs.warnings_job``)."""


def utc_now() -> datetime:
    """The current moment, time-zone aware."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """One scheduler process's state: shared by its jobs, never by two processes."""

    engine: sa.Engine
    config: SchedulerConfig
    clock: Callable[[], datetime] = utc_now
    stop: threading.Event = field(default_factory=threading.Event)
    halt: threading.Event = field(default_factory=threading.Event)
    running: set[str] = field(default_factory=set)
    scheduler: Any = None
    next_warning_check: datetime | None = None
    warned: set[str] = field(default_factory=set)
    """Campaigns whose results this process has checked for early warnings."""
    _shared: sa.Engine | None = None

    @property
    def can_send(self) -> bool:
        """Whether a bot token is configured (without one, messages wait in the outbox)."""
        return bool(self.config.telegram_token)

    def message_context(self) -> MessageContext:
        """A fresh composing context (per-campaign facts are read once per run)."""
        return MessageContext(secret_key=self.config.secret_key, base_url=self.config.base_url)

    def shared_engine(self) -> sa.Engine | None:
        """The shared database's engine, when one is configured."""
        if self.config.shared_database_url and self._shared is None:
            self._shared = make_engine(self.config.shared_database_url)
        return self._shared

    def halted(self) -> bool:
        """Whether sending must stop: the process is stopping or lost the lead."""
        return self.stop.is_set() or self.halt.is_set()

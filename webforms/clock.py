"""The web forms' idea of "now", replaceable so tests can stand at a fixed moment."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def utc_now() -> datetime:
    """The real time, time-zone aware, as every domain function expects."""
    return datetime.now(UTC)


def current_time() -> datetime:
    """Now, from ``app.config["CLOCK"]``, so tests can open or close a campaign at will."""
    return current_app.config["CLOCK"]()

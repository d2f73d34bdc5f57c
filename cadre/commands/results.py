"""``cadre results``."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Attach ``cadre results``."""

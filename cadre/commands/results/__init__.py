"""``cadre results``: everything HR reads, prints and sends once the box is opened.

``overview`` makes the ``cadre results`` group (the overview, a cadre's
report, the workbook and PDFs, publishing and the push); each other module
hangs one subcommand under it: ``themes`` (suggestions and comment themes),
``warnings`` (early warnings), ``official_forms`` (登记表, 备案表, 优秀名单)
and ``profiles`` (a person over the years).
"""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Attach ``cadre results`` with every subcommand (importing a module adds it)."""
    from cadre.commands.results import (  # noqa: F401
        official_forms,
        overview,
        profiles,
        themes,
        warnings,
    )

    cli.add_command(overview.results_group)

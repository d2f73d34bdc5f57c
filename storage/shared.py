"""The shared database: one summary row per cadre per campaign.

Other systems (personnel files, dashboards) read this table, so its columns
are a published contract, documented in the README.  It has its own metadata
and is never part of the assessment database's migrations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import UTCDateTime

shared_metadata = sa.MetaData()

cadre_summary = sa.Table(
    "cadre_summary",
    shared_metadata,
    sa.Column("campaign_id", sa.String(32), primary_key=True),
    sa.Column("cadre_id", sa.String(64), primary_key=True),
    sa.Column("campaign_name", sa.String(200), nullable=False),
    sa.Column("campaign_kind", sa.String(20), nullable=False),
    sa.Column("cadre_name", sa.String(200), nullable=False),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("post", sa.String(200), nullable=False),
    sa.Column("responses_total", sa.Integer, nullable=False),
    sa.Column("responses_by_group", sa.JSON, nullable=False),
    sa.Column("group_scores", sa.JSON, nullable=False),
    sa.Column("dimension_scores", sa.JSON, nullable=False),
    sa.Column("composite", sa.Numeric(6, 2), nullable=True),
    sa.Column("vote_shares", sa.JSON, nullable=False),
    sa.Column("pushed_at", UTCDateTime(), nullable=False),
)

SUMMARY_KEY = ("campaign_id", "cadre_id")


def ensure_shared_schema(engine: sa.Engine) -> None:
    """Create the summary table if the shared database does not have it yet."""
    shared_metadata.create_all(engine)


def upsert_summaries(engine: sa.Engine, rows: Iterable[dict[str, Any]]) -> int:
    """Insert or replace summary rows by (campaign_id, cadre_id); return the count.

    Pushing the same campaign twice therefore leaves one row per cadre.
    """
    rows = list(rows)
    if not rows:
        return 0
    dialect = engine.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise ValueError(f"shared database dialect {dialect!r} is not supported")
    statement = insert(cadre_summary)
    updated = {
        column.name: statement.excluded[column.name]
        for column in cadre_summary.columns
        if column.name not in SUMMARY_KEY
    }
    statement = statement.on_conflict_do_update(index_elements=list(SUMMARY_KEY), set_=updated)
    with engine.begin() as connection:
        connection.execute(statement, rows)
    return len(rows)

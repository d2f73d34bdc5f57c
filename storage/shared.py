"""The shared database: one summary row per cadre per campaign.

Other systems (personnel files, dashboards) read this table, so its columns
are a published contract, documented in the README.  It has its own metadata
and is never part of the assessment database's migrations.

The contract is versioned by a column: ``schema_version`` says under which
version a row was written (rows written before the column existed read 1).
``ensure_shared_schema`` upgrades a table of an earlier version in place, by
adding the missing columns (all nullable, so old rows stay valid), and
creates a missing table at the current version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import UTCDateTime

SCHEMA_VERSION = 2
shared_metadata = sa.MetaData()


def version_1_columns() -> tuple[sa.Column, ...]:
    """Version 1: who, the counts and the figures (fresh objects: a column has one table)."""
    return (
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


def version_2_columns() -> tuple[sa.Column, ...]:
    """Version 2 adds the grade and its rule, ranks, and what the figures rest on.

    Each is nullable or has a default, so a version 1 table takes them with ALTER TABLE
    and keeps its rows; ``schema_version`` reads 1 on those rows.
    """
    return (
        sa.Column("schema_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("anonymity_k", sa.Integer, nullable=True),
        sa.Column("votes_cast", sa.Integer, nullable=True),
        sa.Column("missing_groups", sa.JSON, nullable=True),
        sa.Column("grade", sa.String(32), nullable=True),
        sa.Column("grade_by_rules", sa.String(32), nullable=True),
        sa.Column("revised_on_appeal", sa.Boolean, nullable=True),
        sa.Column("grade_rule", sa.String(500), nullable=True),
        sa.Column("grade_rule_values", sa.JSON, nullable=True),
        sa.Column("grade_rule_en", sa.Text, nullable=True),
        sa.Column("grade_rule_zh", sa.Text, nullable=True),
        sa.Column("unit_rank", sa.Integer, nullable=True),
        sa.Column("unit_ranked", sa.Integer, nullable=True),
        sa.Column("unit_percentile", sa.Numeric(5, 2), nullable=True),
        sa.Column("campaign_rank", sa.Integer, nullable=True),
        sa.Column("campaign_ranked", sa.Integer, nullable=True),
        sa.Column("campaign_percentile", sa.Numeric(5, 2), nullable=True),
        sa.Column("weakest_dimensions", sa.JSON, nullable=True),
        sa.Column("recommended_uses", sa.JSON, nullable=True),
        sa.Column("computed_at", UTCDateTime(), nullable=True),
        sa.Column("ledger_size", sa.Integer, nullable=True),
        sa.Column("ledger_root", sa.String(64), nullable=True),
    )


cadre_summary = sa.Table(
    "cadre_summary", shared_metadata, *version_1_columns(), *version_2_columns()
)

SUMMARY_KEY = ("campaign_id", "cadre_id")


def ensure_shared_schema(engine: sa.Engine) -> None:
    """Create the summary table, or bring an older one up to SCHEMA_VERSION in place."""
    with engine.begin() as connection:
        if not sa.inspect(connection).has_table(cadre_summary.name):
            shared_metadata.create_all(connection)
            return
        present = {column["name"] for column in sa.inspect(connection).get_columns("cadre_summary")}
        for column in cadre_summary.columns:
            if column.name not in present:
                _add_column(connection, column)


def _add_column(connection: sa.Connection, column: sa.Column) -> None:
    """ALTER TABLE ... ADD COLUMN, typed for the connection's dialect (PostgreSQL, SQLite)."""
    definition = sa.schema.CreateColumn(column).compile(dialect=connection.dialect)
    connection.execute(sa.text(f"ALTER TABLE {cadre_summary.name} ADD COLUMN {definition}"))


def shared_schema_version(engine: sa.Engine) -> int | None:
    """The version of the table's columns: None without a table, 1 before versioning."""
    inspector = sa.inspect(engine)
    if not inspector.has_table(cadre_summary.name):
        return None
    present = {column["name"] for column in inspector.get_columns(cadre_summary.name)}
    return SCHEMA_VERSION if {c.name for c in cadre_summary.columns} <= present else 1


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


def read_summaries(engine: sa.Engine, campaign_id: str) -> list[dict[str, Any]]:
    """The summary rows of one campaign, as stored in the shared database."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(cadre_summary).where(cadre_summary.c.campaign_id == campaign_id)
        ).mappings()
        return [dict(row) for row in rows]

"""Small queries shared by every area: finding a row by its id as people type it."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, col, select

Row = TypeVar("Row", bound=SQLModel)

SHORTEST_PREFIX = 4
"""Ids may be shortened to a unique prefix of at least this many characters."""


def by_id_or_prefix(session: Session, model: type[Row], key: str) -> Row | None:
    """The row with this id, or the only one whose id starts with it; None otherwise."""
    row = session.get(model, key)
    if row is not None or len(key) < SHORTEST_PREFIX:
        return row
    matches = session.exec(select(model).where(col(model.id).startswith(key)).limit(2)).all()
    return matches[0] if len(matches) == 1 else None


def prefix_candidates(session: Session, model: type[Row], key: str, limit: int = 10) -> list[str]:
    """Ids that start with ``key`` (at most ``limit``), so an ambiguous prefix can be shown
    with the ids it could mean; none for a key shorter than SHORTEST_PREFIX."""
    if len(key) < SHORTEST_PREFIX:
        return []
    query = select(model.id).where(col(model.id).startswith(key)).order_by(model.id).limit(limit)
    return list(session.exec(query).all())

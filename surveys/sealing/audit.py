"""The audit trail: every consequential step, with who did it and when."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import AuditEvent


def record_event(
    *,
    session: Session,
    actor: str,
    action: str,
    now: datetime,
    campaign_id: str | None = None,
    cadre_id: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Add one step to the trail (the caller's transaction commits it with the change)."""
    event = AuditEvent(
        at=now,
        actor=actor,
        action=action,
        campaign_id=campaign_id,
        cadre_id=cadre_id,
        detail=detail or {},
    )
    session.add(event)
    session.flush()
    return event


def campaign_events(*, session: Session, campaign_id: str) -> list[AuditEvent]:
    """A campaign's trail, oldest first."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.campaign_id == campaign_id)
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        ).all()
    )

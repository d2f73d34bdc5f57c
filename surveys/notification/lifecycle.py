"""A campaign's life after creation: it opens, it closes, its results are published and pushed.

Each step is done once and stamped on the campaign, so the scheduler may
call it again after a restart (or two schedulers may race) without effect.
Whether a ballot is accepted never depends on these steps: the form checks
the deadline itself, so a late ballot is refused even if the scheduler is
down.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Campaign
from surveys.results.opening import open_with_key_file, sealed_count
from surveys.results.outcomes import shown_results
from surveys.results.summaries import push_results
from surveys.sealing.audit import record_event
from surveys.setup.campaigns import campaign_state
from surveys.setup.invitations import invitation_counts


def _stamp(session: Session, campaign: Campaign, column: str, now: datetime) -> bool:
    """Set a step's time where it is still empty (one UPDATE: only one caller wins)."""
    won = session.execute(
        sa.update(Campaign)
        .where(col(Campaign.id) == campaign.id, getattr(Campaign, column).is_(None))
        .values({column: now})
    ).rowcount
    return won == 1


def note_opened(*, session: Session, campaign: Campaign, now: datetime) -> bool:
    """Record in the audit trail that the campaign opened, with its invitations; once."""
    if campaign_state(campaign, now) == "not_open" or not _stamp(
        session, campaign, "opened_noted_at", now
    ):
        return False
    counts = invitation_counts(session=session, campaign=campaign)
    detail = {"invitations": sum(counts.values())}
    record_event(
        session=session, actor="scheduler", action="open", now=now, campaign_id=campaign.id,
        detail=detail,
    )  # fmt: skip
    return True


def close_campaign(
    *, session: Session, campaign: Campaign, now: datetime, key_path: Path | None,
    box_keys: Path | None,
) -> dict | None:  # fmt: skip
    """After the deadline: open a key-file box, sign the ledger, compute the results; once.

    A box held by scrutineers stays sealed until they open it together
    (``cadre box open``); the close is recorded with the count of sealed
    ballots.  Returns what was recorded, or None when the campaign is still
    open or was closed before.  The caller commits, then runs
    ``surveys.results.opening.after_opening``.
    """
    if campaign_state(campaign, now) != "closed" or not _stamp(
        session, campaign, "closed_done_at", now
    ):
        return None
    detail: dict = {"sealed": sealed_count(session=session, campaign=campaign)}
    can_open = campaign.box_custody == "keyfile" and key_path is not None and box_keys is not None
    if can_open and campaign.box_opened_at is None:
        opening = open_with_key_file(
            session=session, campaign=campaign, key_folder=box_keys, ledger_key=key_path, now=now
        )
        results = shown_results(session=session, campaign=campaign)
        detail |= {
            "responses": opening.responses,
            "cadres": len(results),
            "graded": sum(1 for result in results if result.decision.grade is not None),
        }
    record_event(
        session=session, actor="scheduler", action="close", now=now, campaign_id=campaign.id,
        detail=detail,
    )  # fmt: skip
    return detail


def push_published(
    *, session: Session, campaign: Campaign, shared_engine: sa.Engine, now: datetime
) -> int | None:
    """Push a published campaign's summaries to the shared database once; the row count."""
    if campaign.published_at is None or campaign.summaries_pushed_at is not None:
        return None
    count = push_results(session=session, campaign=campaign, shared_engine=shared_engine, now=now)
    campaign.summaries_pushed_at = now
    session.add(campaign)
    session.flush()
    return count


def lifecycle_campaigns(*, session: Session) -> list[Campaign]:
    """Campaigns with a step to do: not noted open, not closed, or published and not pushed."""
    return list(
        session.exec(
            select(Campaign).where(
                sa.or_(
                    col(Campaign.opened_noted_at).is_(None),
                    col(Campaign.closed_done_at).is_(None),
                    sa.and_(
                        col(Campaign.published_at).is_not(None),
                        col(Campaign.summaries_pushed_at).is_(None),
                    ),
                )
            )
        )
    )

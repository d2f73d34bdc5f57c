"""Publishing a campaign's results, and what a cadre may see of their own.

Results become visible to cadres only once HR publishes them, and only
after the deadline.  What a cadre sees obeys the campaign's anonymity
threshold: the same disclosure rule as every other output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from storage.models import Cadre, Campaign, LedgerCheckpoint
from surveys.notification.outbox import queue_result_notices
from surveys.results.outcomes import ShownResult, shown_results
from surveys.rules.messages import N_
from surveys.rules.workdays import CalendarError, window_end
from surveys.sealing.audit import record_event
from surveys.sealing.ballot_ledger import write_checkpoint
from surveys.setup.campaigns import CampaignError, campaign_state, snapshot


def publish_results(
    *,
    session: Session,
    campaign: Campaign,
    now: datetime,
    actor: str = "system",
    key_path: Path | None = None,
    publicity_until: date | None = None,
    appeal_days: int | None = None,
) -> bool:
    """Mark the results published; return False when they already were.

    Only a campaign whose ballot box has been opened (after the deadline)
    can be published: before that there are no figures.  With a signing
    key, the ledger gets a signed checkpoint at publication (the one at
    close was signed when the box opened).  Every cadre with a bound chat
    gets a result notice in the outbox, which the scheduler sends (once).
    Where the rules set the publicity and review periods (a preset), see
    ``preset_periods``.
    """
    if campaign_state(campaign, now) != "closed":
        raise CampaignError(N_("results can be published only after the deadline"))
    if campaign.box_opened_at is None:
        raise CampaignError(N_("results can be published only once the ballot box is opened"))
    if campaign.published_at is not None:
        return False
    publicity_until, appeal_days = preset_periods(campaign, now, publicity_until, appeal_days)
    if key_path is not None:
        write_checkpoint(
            session=session, campaign=campaign, kind="publication", key_path=key_path, now=now
        )
    campaign.published_at = now
    campaign.publicity_until = publicity_until
    if appeal_days is not None:
        campaign.appeal_days = appeal_days
    session.add(campaign)
    detail = {
        "publicity_until": publicity_until.isoformat() if publicity_until else None,
        "appeal_days": campaign.appeal_days,
    }
    record_event(
        session=session,
        actor=actor,
        action="publish",
        now=now,
        campaign_id=campaign.id,
        detail=detail,
    )
    queue_result_notices(session=session, campaign=campaign)
    session.flush()
    return True


def preset_periods(
    campaign: Campaign, now: datetime, publicity_until: date | None, appeal_days: int | None
) -> tuple[date | None, int | None]:
    """The publicity's last day and the appeal days, counted as the campaign's rules say.

    Without HR's own day, the publicity runs the rules' period (e.g. 5
    working days, holidays skipped, make-up days counted).  The review
    period (HR's days, else the rules') is counted the rules' way and stored
    as plain days after publication, a last day on a rest day moving to the
    next working day: the holiday calendar is read once, here, where a year
    it does not know is a clear refusal to publish, and never again by the
    pages and the bot that show the deadline.
    """
    windows = snapshot(campaign).windows
    published_on = now.astimezone(ZoneInfo(campaign.timezone)).date()
    try:
        if publicity_until is None and windows.publicity is not None:
            publicity = windows.publicity
            publicity_until = window_end(published_on, publicity.days, publicity.counting)
        review = windows.review
        if review is not None:
            days = review.days if appeal_days is None else appeal_days
            appeal_days = (window_end(published_on, days, review.counting) - published_on).days
    except CalendarError as error:
        raise CampaignError(error.message, error.values) from None
    return publicity_until, appeal_days


def close_checkpoint(*, session: Session, campaign: Campaign) -> LedgerCheckpoint | None:
    """The checkpoint signed when the ballot box was opened; None while it is sealed."""
    return session.exec(
        select(LedgerCheckpoint).where(
            LedgerCheckpoint.campaign_id == campaign.id, LedgerCheckpoint.kind == "close"
        )
    ).first()


def results_due(campaign: Campaign) -> date:
    """When HR says results will be out, or else the day of the deadline."""
    return campaign.results_due_on or campaign.closes_at.date()


@dataclass(frozen=True)
class CadreOutcome:
    """One campaign as a cadre sees it: published figures, or when they are due."""

    campaign: Campaign
    cadre: Cadre
    result: ShownResult | None

    @property
    def published(self) -> bool:
        """Whether the figures may be shown."""
        return self.result is not None


def cadre_outcomes(*, session: Session, cadre: Cadre, now: datetime) -> list[CadreOutcome]:
    """Every opened campaign of the cadre's roster, newest first, with published results."""
    campaigns = session.exec(
        select(Campaign)
        .where(Campaign.roster_id == cadre.roster_id, Campaign.opens_at <= now)
        .order_by(Campaign.closes_at.desc())
    ).all()
    outcomes = []
    for campaign in campaigns:
        result = None
        if campaign.published_at is not None:
            results = shown_results(session=session, campaign=campaign)
            result = next(r for r in results if r.cadre.id == cadre.id)
        outcomes.append(CadreOutcome(campaign=campaign, cadre=cadre, result=result))
    return outcomes


def dimension_titles(campaign: Campaign, locale: str) -> dict[str, str]:
    """The campaign's dimension titles in a language, by key."""
    return {d.key: d.title.get(locale) for d in snapshot(campaign).dimensions}


def on_publicity(campaign: Campaign, now: datetime) -> bool:
    """Whether the proposed Excellent cadres are on public display now."""
    if campaign.published_at is None or campaign.publicity_until is None:
        return False
    local = now.astimezone(ZoneInfo(campaign.timezone)).date()
    return local <= campaign.publicity_until

"""Publishing a campaign's results, and what a cadre may see of their own.

Results become visible to cadres only once HR publishes them, and only
after the deadline.  What a cadre sees obeys the campaign's anonymity
threshold: the same disclosure rule as every other output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from storage.models import Cadre, Campaign
from surveys.campaigns import CampaignError, campaign_state, snapshot
from surveys.messages import N_
from surveys.mixer import mix_waiting
from surveys.outcomes import ShownResult, shown_results


def publish_results(*, session: Session, campaign: Campaign, now: datetime) -> bool:
    """Mark the results published; return False when they already were.

    Only a closed campaign can be published: answers still arriving would
    change figures that cadres have already seen.
    """
    if campaign_state(campaign, now) != "closed":
        raise CampaignError(N_("results can be published only after the deadline"))
    if campaign.published_at is not None:
        return False
    mix_waiting(session=session, campaign=campaign, now=now, force=True)
    campaign.published_at = now
    session.add(campaign)
    session.flush()
    return True


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

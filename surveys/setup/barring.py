"""What HR marks per cadre for a campaign's rules: the barring situations and the tier of post.

The rules (a preset or the template) list the situations that bar a grade:
under investigation means no grade until the case closes; a sanction in
effect bars Excellent.  Whether a cadre is in one is a fact HR knows and the
votes do not, so HR sets it, for one campaign, before the results are
published (after that a grade changes only on appeal).  The tier of post
places the cadre in a quota pool when the quota is per tier.

The console and the CLI both call these use cases; every change goes to the
audit trail with who and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from storage.models import Cadre, CadreMark, Campaign
from surveys.rules.grading import QuotaWarning, quota_warnings
from surveys.rules.messages import N_
from surveys.sealing.audit import record_event
from surveys.setup.campaigns import CampaignError, campaign_cadres, snapshot

MAX_TIER = 100


def find_cadre(*, session: Session, campaign: Campaign, roster_id: str) -> Cadre:
    """The campaign's cadre with this roster id, or a CampaignError naming it."""
    cadre = session.exec(
        select(Cadre).where(Cadre.roster_id == campaign.roster_id, Cadre.external_id == roster_id)
    ).first()
    if cadre is None:
        raise CampaignError(N_("No cadre %(cadre)s in this campaign."), {"cadre": roster_id})
    return cadre


def mark_cadre(
    *,
    session: Session,
    campaign: Campaign,
    roster_id: str,
    flags: Iterable[str] | None,
    tier: str | None,
    actor: str,
    now: datetime,
) -> CadreMark:
    """Set a cadre's barring situations and/or tier for the campaign (None leaves one as is).

    Only situations the campaign's rules list are accepted, so a typo never
    silently fails to bar a grade.
    """
    if campaign.published_at is not None:
        raise CampaignError(N_("The results are published: a grade now changes only on appeal."))
    known = [flag.key for flag in snapshot(campaign).grading.flags]
    cadre = find_cadre(session=session, campaign=campaign, roster_id=roster_id)
    mark = session.get(CadreMark, (campaign.id, cadre.id)) or CadreMark(
        campaign_id=campaign.id, cadre_id=cadre.id, updated_at=now, updated_by=actor
    )
    if flags is not None:
        chosen = list(dict.fromkeys(flags))
        unknown = [flag for flag in chosen if flag not in known]
        if unknown:
            raise CampaignError(
                N_("Unknown situation %(flag)s; this campaign's rules list: %(known)s"),
                {"flag": unknown[0], "known": ", ".join(known) or "—"},
            )
        mark.flags = [flag for flag in known if flag in chosen]  # the rules' order
    if tier is not None:
        tier = tier.strip()
        if len(tier) > MAX_TIER:
            raise CampaignError(
                N_("The tier is too long: at most %(limit)s characters."), {"limit": MAX_TIER}
            )
        mark.tier = tier
    mark.updated_at, mark.updated_by = now, actor
    session.add(mark)
    record_event(
        session=session,
        actor=actor,
        action="cadre_marked",
        now=now,
        campaign_id=campaign.id,
        cadre_id=cadre.id,
        detail={"flags": list(mark.flags), "tier": mark.tier},
    )
    session.flush()
    return mark


def campaign_marks(*, session: Session, campaign: Campaign) -> dict[str, CadreMark]:
    """Every mark HR set in the campaign, by cadre id (cadres without one are absent)."""
    marks = session.exec(select(CadreMark).where(CadreMark.campaign_id == campaign.id))
    return {mark.cadre_id: mark for mark in marks}


def launch_warnings(*, session: Session, campaign: Campaign) -> list[QuotaWarning]:
    """The quota pools of the campaign that can never award Excellent (see ``quota_warnings``)."""
    marks = campaign_marks(session=session, campaign=campaign)
    pools = [
        (cadre.unit, marks[cadre.id].tier if cadre.id in marks else "")
        for cadre in campaign_cadres(session=session, campaign=campaign)
    ]
    return quota_warnings(snapshot(campaign).grading, pools)

"""Completion of a campaign per cadre and rater group, for HR's progress view."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from storage.models import Assignment, Cadre, Campaign, Invitation, Response
from surveys.setup.campaigns import campaign_cadres


@dataclass
class GroupProgress:
    """How far one rater group has got with one cadre."""

    assigned: int = 0
    completed: int = 0
    responses: int = 0


@dataclass
class CadreProgress:
    """One cadre's completion, group by group."""

    cadre: Cadre
    groups: dict[str, GroupProgress] = field(default_factory=dict)

    @property
    def assigned(self) -> int:
        """Named raters assigned to this cadre, every group together."""
        return sum(group.assigned for group in self.groups.values())

    @property
    def completed(self) -> int:
        """Named raters who have answered, every group together."""
        return sum(group.completed for group in self.groups.values())


def campaign_progress(*, session: Session, campaign: Campaign) -> list[CadreProgress]:
    """Per cadre and group: named raters assigned and done, and all responses stored.

    Responses include meeting slips and public ratings, which no named rater
    stands behind, so they are counted apart from the named raters.  They
    exist only once the ballot box is opened; before that a sealed ballot
    says nothing about whom it rates.
    """
    progress = {
        cadre.id: CadreProgress(cadre=cadre)
        for cadre in campaign_cadres(session=session, campaign=campaign)
    }
    named = session.exec(
        select(Assignment.cadre_id, Assignment.group, Invitation.status, func.count())
        .join(Invitation, col(Invitation.rater_id) == Assignment.rater_id)
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Assignment.cadre_id, Assignment.group, Invitation.status)
    ).all()
    for cadre_id, group, status, number in named:
        entry = progress[cadre_id].groups.setdefault(group, GroupProgress())
        entry.assigned += number
        entry.completed += number if status == "completed" else 0
    stored = session.exec(
        select(Response.cadre_id, Response.group, func.count())
        .where(Response.campaign_id == campaign.id)
        .group_by(Response.cadre_id, Response.group)
    ).all()
    for cadre_id, group, number in stored:
        if cadre_id in progress:
            progress[cadre_id].groups.setdefault(group, GroupProgress()).responses += number
    return list(progress.values())

"""Setting a campaign up: its questionnaire, its creation with invitations and reminder waves.

``cadre campaign create`` and the HR console's "new campaign" page both
call these, so a campaign made in the terminal and one made in the browser
are the same campaign, refused for the same reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from storage.models import Campaign, ReminderWave
from surveys.rules.messages import N_
from surveys.rules.questionnaire import (
    MAX_WEIGHT,
    Questionnaire,
    load_questionnaire,
)
from surveys.rules.rater_groups import group_keys
from surveys.setup.campaigns import (
    CampaignError,
    KeyFileCustody,
    ScrutineerCustody,
    create_campaign,
)
from surveys.setup.invitations import issue_invitations
from surveys.setup.reminders import QuietHours, plan_template_waves

NO_PUBLIC_FORM = "none"
# Campaign.name's column length.
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class CampaignSetUp:
    """What creating a campaign made: the campaign, its named invitations, its planned waves."""

    campaign: Campaign
    invitations: int
    waves: list[ReminderWave]


def with_public_template(questionnaire: Questionnaire, public_template: str) -> Questionnaire:
    """The questionnaire with a public service form merged in ('none': without one).

    A public form that does not fit (another answer scale) is a CampaignError,
    so no edge shows a traceback for a template HR picked.
    """
    if public_template == NO_PUBLIC_FORM:
        return questionnaire
    try:
        return questionnaire.with_public_form(load_questionnaire(public_template))
    except ValueError as error:
        raise CampaignError(
            N_("The public form cannot be merged: %(error)s"), {"error": str(error)}
        ) from None


def read_group_weights(texts: dict[str, str]) -> dict[str, float]:
    """Group weights HR typed, by group; blanks are left out (the template's weight stands).

    A weight is a finite number from 0 to ``MAX_WEIGHT``: "inf" or "nan"
    would make every composite nan and every grade Incompetent.
    """
    weights = {}
    for group, text in texts.items():
        text = text.strip()
        if not text:
            continue
        try:
            weight = float(text)
        except ValueError:
            weight = math.nan
        if not (math.isfinite(weight) and 0 <= weight <= MAX_WEIGHT):
            raise CampaignError(
                N_("The weight of the %(group)s group must be a number from 0 to %(high)s."),
                {"group": group, "high": MAX_WEIGHT},
            )
        weights[group] = weight
    return weights


def with_group_weights(questionnaire: Questionnaire, weights: dict[str, float]) -> Questionnaire:
    """The questionnaire with some group weights replaced; other groups keep the template's.

    Only groups the questionnaire already weighs may be changed, and at
    least one weight must stay positive (the template's own validation).
    """
    unknown = sorted(set(weights) - set(questionnaire.group_weights))
    if unknown:
        raise CampaignError(
            N_("The questionnaire has no %(group)s group to weigh."), {"group": unknown[0]}
        )
    if not weights:
        return questionnaire
    merged = dict(questionnaire.group_weights) | weights
    try:
        return Questionnaire.model_validate(questionnaire.model_dump() | {"group_weights": merged})
    except ValidationError:
        raise CampaignError(N_("At least one group weight must be more than 0.")) from None


def weighable_groups(questionnaire: Questionnaire) -> list[str]:
    """The groups whose weight HR may set, in the usual order."""
    return [group for group in group_keys() if group in questionnaire.group_weights]


def set_up_campaign(
    *,
    session: Session,
    name: str,
    kind: str,
    roster_id: str,
    questionnaire: Questionnaire,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    timezone: str,
    anonymity_k: int,
    custody: KeyFileCustody | ScrutineerCustody,
    secret_key: str,
    quiet: QuietHours,
) -> CampaignSetUp:
    """Create the campaign, issue its named invitations and plan the template's reminder waves.

    Everything happens in the caller's transaction: the caller prints the
    scrutineers' shares (if any) before committing, so that an error there
    stores nothing and no box is left that nobody can open.
    """
    if not name.strip():
        raise CampaignError(N_("A campaign needs a name."))
    if len(name.strip()) > MAX_NAME_LENGTH:  # PostgreSQL refuses longer names with an error
        raise CampaignError(
            N_("A campaign name has at most %(length)s characters."), {"length": MAX_NAME_LENGTH}
        )
    campaign = create_campaign(
        session=session,
        name=name.strip(),
        kind=kind,
        roster_id=roster_id,
        questionnaire=questionnaire,
        opens_at=opens_at,
        closes_at=closes_at,
        now=now,
        timezone=timezone,
        anonymity_k=anonymity_k,
        custody=custody,
    )
    issued = issue_invitations(session=session, campaign=campaign, secret_key=secret_key)
    waves = plan_template_waves(session=session, campaign=campaign, now=now, quiet=quiet)
    return CampaignSetUp(campaign=campaign, invitations=issued, waves=waves)

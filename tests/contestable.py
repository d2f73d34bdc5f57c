"""A campaign's rules narrowed to the grades that may be contested, as a preset would set them."""

from __future__ import annotations

import copy

from sqlmodel import Session

from storage.models import Campaign
from surveys.rules.presets import preset_data
from surveys.setup import campaigns


def contestable_only(session: Session, campaign: Campaign, grades: list[str] | None) -> None:
    """Give the campaign's review window the civil-servant preset's citation and ``grades``.

    Only for tests: a real campaign's rules are frozen when it is created.
    """
    data = copy.deepcopy(campaign.questionnaire)
    review = dict(preset_data("civil-servant-annual")["windows"]["review"])
    review["grades"] = grades
    review["days"] = 7  # a week, as the campaigns' default: no holiday calendar of next year
    data.setdefault("windows", {})["review"] = review
    campaign.questionnaire = data
    session.add(campaign)
    session.commit()
    campaigns._SNAPSHOTS.pop(campaign.id, None)  # the frozen rules as the test set them

"""Two campaigns on the report roster for the themes and suggestions tests.

The current campaign is the hand-worked one of tests/report_campaign.py (dimension
scores in its docstring) with comments of our own; the year before, on the same template
and roster ids, every rater answered Good on everything, so every earlier score is 100.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from storage.models import Campaign
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from tests.factories import make_campaign, opened_responses, tokens
from tests.report_campaign import DIMENSIONS, LABEL, PLAN, report_roster

LAST_OPENS = datetime(2025, 11, 20, tzinfo=UTC)
LAST_CLOSES = datetime(2025, 12, 1, tzinfo=UTC)
LAST_NOW = datetime(2025, 11, 25, tzinfo=UTC)
# C1's five comments reach the comment threshold (5); C2's four do not, so they are
# themed nowhere, not even in the unit's themes.
COMMENTS = {
    "C1": {
        "U1": "工作作风务实，经常深入基层",
        "U2": "作风扎实，调研细致",
        "U3": "作风严谨，联系群众紧密",
        "U4": "沟通不够，希望多听取下属意见",
        "U5": "廉洁自律，办事公道",
    },
    "C2": {f"U{n}": "作风务实，深入基层" for n in (1, 2, 3, 4)},
}
ALL_GOOD = (100, 100, 100, 100, 100)


def run_campaign(session, now, plan, comments, **window):
    """A campaign on the report roster, every rater answering as ``plan`` says."""
    campaign = make_campaign(session, now=now, rows=report_roster(), **window)
    links = tokens(session, campaign)
    for rater, cadres in plan.items():
        form = open_ballot(session=session, token=links[rater], now=now)
        answers = {}
        for section in form.sections:
            cadre = section.cadre.external_id
            points, vote = cadres[cadre]
            by_dimension = dict(zip(DIMENSIONS, points, strict=True))
            answers[section.cadre.id] = CadreAnswers(
                items={
                    item.key: LABEL[by_dimension[d.key]]
                    for d in section.dimensions
                    for item in d.items
                },
                vote=vote,
                comment=comments.get(cadre, {}).get(rater),
            )
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
        session.commit()
    return campaign


def history_campaigns(session: Session, now: datetime) -> tuple[Campaign, Campaign]:
    """Last year's campaign (all Good) and this year's, both boxes opened."""
    good = {rater: {c: (ALL_GOOD, "excellent") for c in cadres} for rater, cadres in PLAN.items()}
    last = run_campaign(session, LAST_NOW, good, {}, opens_at=LAST_OPENS, closes_at=LAST_CLOSES)
    current = run_campaign(session, now, PLAN, COMMENTS)
    opened_responses(session)
    return last, current

"""A campaign with performance indicators (实绩) for the report tests, figures worked by hand.

The factories' small roster (C1: one superior, one peer, two subordinates; C2 likewise)
on the annual template with ``performance: {dimension: ji, share: 0.4, cap: 1.2}``;
every rater answers Good (100) on every item, so every rating figure is 100.  HR imports
two indicators for C1 after the box is opened:

- 招商引资: target 1,000, actual 1,500 万元, weight 1: attainment 150%, counted 120% (cap);
- 投诉件数: target at most 25, actual 50 (lower is better), weight 1: 25/50 = 50%.

C1's indicator score is 100 x (1.2 + 0.5) / 2 = 85.00; its 绩 is 0.4 x 85 + 0.6 x 100 =
94.00.  C2 has no indicators: its 绩 is the raters' 100 alone.  With ``k = 5`` each
cadre's four responses are fewer than k: nothing of the ratings is shown, so neither
the raters' part nor the combined 绩 is, while HR's own indicator score is.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from storage.models import Campaign
from surveys.collection.ballots import submit_ballot
from surveys.rules.questionnaire import Performance, load_questionnaire
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.indicators import import_indicators, read_indicators, write_rows
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import import_roster
from tests.factories import (
    BOX_KEYS,
    CLOSES,
    OPENS,
    SECRET,
    complete_answers,
    open_boxes,
    small_roster_rows,
    tokens,
)

SHARE = Performance(dimension="ji", share=0.4, cap=1.2)
INDICATORS = [
    {"cadre_id": "C1", "indicator": "招商引资", "target": "1000", "actual": "1500", "unit": "万元"},
    {"cadre_id": "C1", "indicator": "投诉件数", "target": "25", "actual": "50"}
    | {"direction": "lower", "unit": "件"},
]


def performance_campaign(session: Session, now: datetime, folder: Path, k: int = 3) -> Campaign:
    """The campaign above, every ballot in, its box opened and C1's indicators imported."""
    roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
    questionnaire = load_questionnaire("annual").model_copy(update={"performance": SHARE})
    campaign = create_campaign(
        session=session, name="2026年度考核", kind="annual", roster_id=roster.id,
        questionnaire=questionnaire, opens_at=OPENS, closes_at=CLOSES, now=now,
        custody=KeyFileCustody(BOX_KEYS), anonymity_k=k,
    )  # fmt: skip
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    for token in tokens(session, campaign).values():
        answers = complete_answers(session, token, now)
        submit_ballot(session=session, token=token, answers=answers, now=now)
        session.commit()
    open_boxes(session)
    path = folder / "实绩.xlsx"
    write_rows(path, INDICATORS)
    import_indicators(session=session, campaign=campaign, rows=read_indicators(path), now=now)
    session.commit()
    return campaign

"""A hand-worked campaign for the report tests: three cadres, groups above and below k.

Roster (k = 3): superiors S1-S3 and peers P1-P2 rate all three cadres;
subordinates U1-U5 rate C1 and C2, U6-U8 rate C3.  No public ratings.

Answers, as points per dimension (de, neng, qin, ji, lian; weights 20, 20, 20, 25, 15):

- S1-S3 on every cadre: 100, 80, 100, 100, 100 -> group score 96; vote excellent;
- P1-P2 on every cadre: all fair (60) -> 60; vote competent;
- U1-U4 on C1: 100, 100, 80, 80, 100; U5 on C1: all fair (60)  [a straight line, an outlier]
  -> item means de 92, neng 92, qin 76, ji 76, lian 92 -> group score 84.8; vote excellent;
  each with a comment on C1 (five: the comment threshold);
- U1-U5 on C2: 100, 80, 80, 80, 100 -> 87; vote excellent;
- U6-U8 on C3: 80, 80, 80, 80, 100 -> 83; vote competent.

Public has a weight of 20 but no responses: weights renormalise over 80.

- C1 = (30*96 + 20*60 + 30*84.8) / 80 = 82.8;  C2 = (2880 + 1200 + 2610) / 80 = 83.625 -> 83.63;
  C3 = (2880 + 1200 + 2490) / 80 = 82.125 -> 82.13.  All Competent (band 75).
- Peers (2 < k) are hidden everywhere; taking them off would reveal them from the composite,
  so the smallest shown group joins them in "other raters": superiors on C1 and C2
  (other = (30*96 + 20*60) / 50 = 81.6, 5 responses), subordinates on C3 (other =
  (20*60 + 30*83) / 50 = 73.8, 5 responses).
- Dimensions: C1 de 87, neng 79.5, qin 81, ji 81, lian 87; C2 de 90, neng 75, qin 82.5,
  ji 82.5, lian 90; unit average (C1, C2) de 88.5, neng 77.25, qin 81.75, ji 81.75, lian 88.5;
  C1's weakest: de and lian (-1.5); C2's: neng (-2.25).
- Ranks: C2 1st, C1 2nd in unit and campaign; C3 1st of 1 in its unit, 3rd in the campaign.
  Campaign percentiles: C2 83.33, C1 50, C3 16.67.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import Campaign
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from tests.factories import make_campaign, opened_responses, roster_rows, tokens

DIMENSIONS = ("de", "neng", "qin", "ji", "lian")
LABEL = {100: "good", 80: "fairly_good", 60: "fair", 30: "poor"}
SUPERIOR = ((100, 80, 100, 100, 100), "excellent")
PEER = ((60, 60, 60, 60, 60), "competent")
PLAN = {
    **{f"S{n}": {c: SUPERIOR for c in ("C1", "C2", "C3")} for n in (1, 2, 3)},
    **{f"P{n}": {c: PEER for c in ("C1", "C2", "C3")} for n in (1, 2)},
    **{
        f"U{n}": {
            "C1": ((100, 100, 80, 80, 100), "excellent"),
            "C2": ((100, 80, 80, 80, 100), "excellent"),
        }
        for n in (1, 2, 3, 4)
    },
    "U5": {"C1": ((60, 60, 60, 60, 60), "excellent"), "C2": ((100, 80, 80, 80, 100), "excellent")},
    **{f"U{n}": {"C3": ((80, 80, 80, 80, 100), "competent")} for n in (6, 7, 8)},
}
COMMENTS = {f"U{n}": f"意见{n}：工作扎实" for n in range(1, 6)}  # on C1 only


def report_roster():
    """Three cadres in two units, and the raters of the plan above."""
    cadres = [
        {"id": "C1", "name": "王伟", "unit": "发展改革委", "post": "主任"},
        {"id": "C2", "name": "李娜", "unit": "发展改革委", "post": "副主任"},
        {"id": "C3", "name": "张敏", "unit": "审批局", "post": "局长"},
    ]
    raters = [
        {"id": rater, "name": f"测评人{rater}", "phone": "", "telegram": ""} for rater in PLAN
    ]
    groups = {"S": "superior", "P": "peer", "U": "subordinate"}
    links = [(rater, cadre, groups[rater[0]]) for rater, plan in PLAN.items() for cadre in plan]
    return roster_rows(cadres, raters, links)


def report_campaign(session: Session, now: datetime) -> Campaign:
    """The campaign above, every ballot submitted and its box opened."""
    campaign = make_campaign(session, now=now, rows=report_roster())
    links = tokens(session, campaign)
    for rater, plan in PLAN.items():
        form = open_ballot(session=session, token=links[rater], now=now)
        answers = {}
        for section in form.sections:
            points, vote = plan[section.cadre.external_id]
            by_dimension = dict(zip(DIMENSIONS, points, strict=True))
            comment = COMMENTS.get(rater) if section.cadre.external_id == "C1" else None
            answers[section.cadre.id] = CadreAnswers(
                items={
                    item.key: LABEL[by_dimension[d.key]]
                    for d in section.dimensions
                    for item in d.items
                },
                vote=vote,
                comment=comment,
            )
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
        session.commit()
    opened_responses(session)
    return campaign

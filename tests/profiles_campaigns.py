"""Three annual campaigns of the same people on two rosters, for the profile tests.

k = 3.  Superiors S1-S3 and subordinates U1-U3 rate each cadre (weights 30 and 30:
peers and public have no responses, so the composite is the mean of the two groups).
Every rater answers every item of a dimension alike; points per dimension
(de, neng, qin, ji, lian; weights 20, 20, 20, 25, 15):

2024 (roster A, published):
- C1 王伟: S 100, 80, 100, 100, 100 -> 96; U all 80 -> 80; composite 88;
  dimensions de 90, neng 80, qin 90, ji 90, lian 90.
- C2 李娜: all 60 -> 60; dimensions all 60.
- Campaign percentiles (mean kind, 2 ranked): C1 75, C2 25.
2025 (roster A, published):
- C1: S all 100, U all 60 -> 80; dimensions all 80.
- C2: all 100 -> 100.  Percentiles: C2 75, C1 25.
2026 (roster B, not published; C1 and C2 keep their ids, C3 张敏 is new):
- C1: S all 100; U 80, 100, 80, 100, 80 -> (1600 + 2000 + 1600 + 2500 + 1200) / 100 = 89;
  composite 94.5; dimensions de 90, neng 100, qin 90, ji 100, lian 90.
- C2: only S1 and U1 rate (2 < k): nothing is shown, not the grade, not a rank.
- C3: all 80 -> 80.  Ranked: C1 and C3 only; C1 75, C3 25.

Grades (bands 90 / 75 / 60; Excellent needs half the votes, all votes are Competent):
C1 competent, competent, competent; C2 basically competent, competent, withheld.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from storage.models import Campaign, Roster
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from surveys.notification.publication import publish_results
from surveys.rules.questionnaire import Questionnaire, load_questionnaire
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import import_roster
from tests.factories import BOX_KEYS, SECRET, open_boxes, roster_rows, tokens

DIMENSIONS = ("de", "neng", "qin", "ji", "lian")
LABEL = {100: "good", 80: "fairly_good", 60: "fair", 30: "poor"}
ALL = {n: (n,) * 5 for n in (60, 80, 100)}
SUPERIORS = ("S1", "S2", "S3")
SUBORDINATES = ("U1", "U2", "U3")
PEOPLE = {
    "C1": {"id": "C1", "name": "王伟", "unit": "发展改革委", "post": "主任"},
    "C2": {"id": "C2", "name": "李娜", "unit": "发展改革委", "post": "副主任"},
    "C3": {"id": "C3", "name": "张敏", "unit": "发展改革委", "post": "副主任"},
}

# Per year: per cadre, (superiors' points, subordinates' points, raters: None = all six).
PLANS = {
    2024: {"C1": ((100, 80, 100, 100, 100), ALL[80], None), "C2": (ALL[60], ALL[60], None)},
    2025: {"C1": (ALL[100], ALL[60], None), "C2": (ALL[100], ALL[100], None)},
    2026: {
        "C1": (ALL[100], (80, 100, 80, 100, 80), None),
        "C2": (ALL[100], ALL[100], ("S1", "U1")),
        "C3": (ALL[80], ALL[80], None),
    },
}


def plan_roster(plan: dict) -> object:
    """The roster of one year's plan: its cadres, the six raters, who rates whom."""
    raters = [
        {"id": r, "name": f"测评人{r}", "phone": "", "telegram": ""}
        for r in (*SUPERIORS, *SUBORDINATES)
    ]
    links = []
    for cadre, (_, _, who) in plan.items():
        for rater in who or (*SUPERIORS, *SUBORDINATES):
            links.append((rater, cadre, "superior" if rater[0] == "S" else "subordinate"))
    return roster_rows([PEOPLE[c] for c in plan], raters, links)


def run_campaign(
    session: Session,
    *,
    roster: Roster,
    plan: dict,
    closes_at: datetime,
    kind: str = "annual",
    name: str | None = None,
    questionnaire: Questionnaire | None = None,
) -> Campaign:
    """A campaign answered as ``plan`` says (all votes Competent), its box opened."""
    opens_at, now = closes_at - timedelta(days=10), closes_at - timedelta(days=5)
    campaign = create_campaign(
        session=session,
        name=name or f"{closes_at.year}年度考核",
        kind=kind,
        roster_id=roster.id,
        questionnaire=questionnaire or load_questionnaire("annual"),
        opens_at=opens_at,
        closes_at=closes_at,
        now=opens_at,
        custody=KeyFileCustody(BOX_KEYS),
    )
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    links = tokens(session, campaign)
    for rater, token in links.items():
        form = open_ballot(session=session, token=token, now=now)
        answers = {}
        for section in form.sections:
            superior, subordinate, _ = plan[section.cadre.external_id]
            points = superior if rater[0] == "S" else subordinate
            by_dimension = dict(zip(DIMENSIONS, points, strict=True))
            answers[section.cadre.id] = CadreAnswers(
                items={
                    item.key: LABEL[by_dimension[d.key]]
                    for d in section.dimensions
                    for item in d.items
                },
                vote="competent" if section.votes else None,
            )
        submit_ballot(session=session, token=token, answers=answers, now=now)
        session.commit()
    open_boxes(session)
    return campaign


def three_campaigns(session: Session) -> list[Campaign]:
    """The three years above, 2024 and 2025 published, oldest first."""
    first = import_roster(
        session=session,
        rows=plan_roster(PLANS[2024]),
        name="名册A",
        now=datetime(2024, 11, 1, tzinfo=UTC),
    )
    second = import_roster(
        session=session,
        rows=plan_roster(PLANS[2026]),
        name="名册B",
        now=datetime(2026, 11, 1, tzinfo=UTC),
    )
    session.commit()
    campaigns = []
    for year, roster in ((2024, first), (2025, first), (2026, second)):
        closes = datetime(year, 12, 1, tzinfo=UTC)
        campaigns.append(run_campaign(session, roster=roster, plan=PLANS[year], closes_at=closes))
    for campaign in campaigns[:2]:
        publish_results(
            session=session,
            campaign=campaign,
            now=campaign.closes_at.replace(day=5),
        )
    session.commit()
    return campaigns

"""Development suggestions (against the unit and the cadre's own history) and comment themes
per cadre and per unit, on the hand-worked campaign of tests/report_campaign.py.

The current campaign is that campaign (dimension scores in its docstring: C1 de 87,
neng 79.5, qin 81, ji 81, lian 87; C2 de 90, neng 75, qin 82.5, ji 82.5, lian 90) with
comments of our own; the year before, on the same template and roster ids, every rater
answered Good on everything, so every earlier dimension score is 100.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from surveys.results.outcomes import shown_results
from surveys.results.suggestions import (
    campaign_themes,
    comparable_campaigns,
    development_suggestions,
    shown_comment_pools,
)
from surveys.rules.questionnaire import load_questionnaire
from surveys.sealing.ballot_box import BoxSealed
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


@pytest.fixture
def campaigns(session, now):
    """Last year's campaign (all Good) and this year's, both boxes opened."""
    good = {rater: {c: (ALL_GOOD, "excellent") for c in cadres} for rater, cadres in PLAN.items()}
    last = run_campaign(session, LAST_NOW, good, {}, opens_at=LAST_OPENS, closes_at=LAST_CLOSES)
    current = run_campaign(session, now, PLAN, COMMENTS)
    opened_responses(session)
    return last, current


def titles(spots) -> list[tuple[str, float, float, float]]:
    return [(s.dimension, s.score, s.reference, round(s.gap, 2)) for s in spots]


def test_weak_spots_against_the_unit_and_the_history_carry_training_topics(session, campaigns):
    last, current = campaigns
    found = {
        s.cadre.external_id: s for s in development_suggestions(session=session, campaign=current)
    }
    c1, c2 = found["C1"], found["C2"]
    assert titles(c1.against_unit) == [("de", 87.0, 88.5, -1.5), ("lian", 87.0, 88.5, -1.5)]
    assert titles(c2.against_unit) == [("neng", 75.0, 77.25, -2.25)]
    # Against 100 everywhere: C1 neng -20.5, then qin and ji -19 (questionnaire order).
    assert titles(c1.against_history) == [("neng", 79.5, 100.0, -20.5), ("qin", 81.0, 100.0, -19.0)]
    assert titles(c2.against_history) == [("neng", 75.0, 100.0, -25.0), ("qin", 82.5, 100.0, -17.5)]
    assert c1.previous.id == last.id and found["C3"].previous.id == last.id
    topics = load_questionnaire("annual").training_topics
    assert c1.against_unit[0].topics == tuple(topics["de"])
    assert [t.zh for t in c1.topics] == [
        "理想信念与党性修养",
        "团队建设与团结协作",
        "廉洁自律与警示教育",
        "党风廉政建设主体责任",
        "专业知识更新",
        "组织协调与复杂问题处置",
        "调查研究与群众工作方法",
        "责任担当与执行力",
    ]
    assert [t.en for t in c2.topics][:2] == [
        "Updating professional knowledge",
        "Coordination and handling complex problems",
    ]


def test_the_first_campaign_has_no_history(session, campaigns):
    last, current = campaigns
    assert comparable_campaigns(session=session, campaign=last) == []
    assert comparable_campaigns(session=session, campaign=current) == [last]
    for suggestion in development_suggestions(session=session, campaign=last):
        assert suggestion.previous is None and suggestion.against_history == ()
        assert suggestion.against_unit == ()  # all 100: nobody below the unit


def test_a_campaign_whose_box_is_sealed_is_no_history_and_shows_no_themes(session, now, campaigns):
    _, current = campaigns
    sealed = make_campaign(
        session, now=now, rows=report_roster(), opens_at=LAST_OPENS, closes_at=now
    )
    assert comparable_campaigns(session=session, campaign=current) == [campaigns[0]]
    with pytest.raises(BoxSealed):
        campaign_themes(session=session, campaign=sealed)
    with pytest.raises(BoxSealed):
        development_suggestions(session=session, campaign=sealed)


def test_themes_only_over_the_comments_the_reports_show(session, campaigns):
    _, current = campaigns
    cadres = {
        r.cadre.external_id: r.cadre for r in shown_results(session=session, campaign=current)
    }
    pools = shown_comment_pools(session=session, campaign=current)
    assert sorted(pools[cadres["C1"].id]) == sorted(COMMENTS["C1"].values())
    assert pools[cadres["C2"].id] == []  # four comments, fewer than five: withheld
    themes = campaign_themes(session=session, campaign=current)
    assert themes.k == 3
    c1 = themes.cadres[cadres["C1"].id]
    assert (c1.comments, c1.unthemed) == (5, 2)
    assert [(t.key, t.count, t.examples) for t in c1.themes] == [
        ("work_style", 3, ("工作作风务实，经常深入基层", "作风扎实，调研细致"))
    ]
    assert themes.cadres[cadres["C2"].id].themes == ()
    unit = themes.units["发展改革委"]  # C1's five only, not C2's four
    assert (unit.comments, [t.count for t in unit.themes]) == (5, [3])
    assert themes.units["审批局"].comments == 0

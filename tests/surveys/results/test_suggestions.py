"""Development suggestions (against the unit and the cadre's own history) and comment themes
per cadre and per unit, on the hand-worked campaign of tests/report_campaign.py.

The campaigns are in tests/themes_campaign.py: this year's dimension scores are C1 de 87,
neng 79.5, qin 81, ji 81, lian 87; C2 de 90, neng 75, qin 82.5, ji 82.5, lian 90; last
year's are all 100.
"""

from __future__ import annotations

import pytest

from surveys.results.outcomes import shown_results
from surveys.results.suggestions import (
    campaign_themes,
    comparable_campaigns,
    development_suggestions,
    shown_comment_pools,
)
from surveys.rules.questionnaire import load_questionnaire
from surveys.sealing.ballot_box import BoxSealed
from tests.factories import make_campaign
from tests.report_campaign import report_roster
from tests.themes_campaign import COMMENTS, LAST_OPENS, history_campaigns


@pytest.fixture
def campaigns(session, now):
    return history_campaigns(session, now)


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

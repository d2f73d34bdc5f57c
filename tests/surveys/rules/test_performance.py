"""Performance indicators (实绩) mixed into the 绩 dimension, against figures worked by hand.

The questionnaire below:

    scale:          good = 100, ok = 80, poor = 40
    group weights:  superior 60, subordinate 40
    dimension de (weight 2): d1;  dimension ji (weight 3): j1 (both groups)
    performance:    ji, share 0.4, cap 1.2

Responses: the superior d1 = good (100), j1 = ok (80); two subordinates
(d1 ok 80, j1 poor 40) and (d1 good 100, j1 ok 80), so subordinate means
d1 = 90, j1 = 60.

Indicators of C1:
    A higher is better, target 100, actual 130 -> 1.30, capped 1.20, weight 2
    B lower is better,  target 10,  actual 20  -> 10/20 = 0.50,      weight 1
    C higher is better, target 50,  actual 45  -> 0.90,              weight 1
    indicator score = 100 x (1.2 x 2 + 0.5 + 0.9) / 4 = 100 x 3.8 / 4 = 95

The raters' ji: superior 80, subordinate 60, overall (80x60 + 60x40)/100 = 72.
Mixed per group: superior 0.4x95 + 0.6x80 = 86; subordinate 38 + 36 = 74;
overall (86x60 + 74x40)/100 = 81.2 = 0.4x95 + 0.6x72.
Group scores: superior (100x2 + 86x3)/5 = 91.6; subordinate (90x2 + 74x3)/5 = 80.4.
Composite (91.6x60 + 80.4x40)/100 = 87.12; ratings only it would be
superior (200 + 240)/5 = 88, subordinate (180 + 180)/5 = 72, (88x60 + 72x40)/100 = 81.6.
"""

from __future__ import annotations

import math

import pytest
import yaml

from surveys.rules.disclosure import disclose
from surveys.rules.grading import GradingInput, grade_campaign
from surveys.rules.performance import (
    LOWER,
    NO_INDICATORS,
    RATING_WITHHELD,
    Indicator,
    attainment,
    indicator_score,
)
from surveys.rules.questionnaire import Questionnaire, TemplateError, parse_questionnaire
from surveys.rules.scoring import ScoredResponse, rounded, score_cadre, score_campaign

BOTH = ["superior", "subordinate"]


def text(words: str) -> dict:
    return {"zh": words, "en": words}


def template(performance: dict | None = None) -> dict:
    data = {
        "key": "mixed",
        "title": text("mixed"),
        "scale": [
            {"key": "good", "points": 100, "label": text("good")},
            {"key": "ok", "points": 80, "label": text("ok")},
            {"key": "poor", "points": 40, "label": text("poor")},
        ],
        "group_weights": {"superior": 60, "subordinate": 40},
        "dimensions": [
            {
                "key": "de",
                "title": text("de"),
                "weight": 2,
                "items": [{"key": "d1", "text": text("d1"), "groups": BOTH}],
            },
            {
                "key": "ji",
                "title": text("ji"),
                "weight": 3,
                "items": [{"key": "j1", "text": text("j1"), "groups": BOTH}],
            },
        ],
    }
    if performance is not None:
        data["performance"] = performance
    return data


MIXED = Questionnaire.model_validate(template({"dimension": "ji", "share": 0.4, "cap": 1.2}))
PLAIN = Questionnaire.model_validate(template())
RESPONSES = [
    ScoredResponse("C1", "superior", {"d1": "good", "j1": "ok"}),
    ScoredResponse("C1", "subordinate", {"d1": "ok", "j1": "poor"}),
    ScoredResponse("C1", "subordinate", {"d1": "good", "j1": "ok"}),
]
INDICATORS = [
    Indicator("A", target=100, actual=130, weight=2),
    Indicator("B", target=10, actual=20, weight=1, direction=LOWER),
    Indicator("C", target=50, actual=45, weight=1),
]


def test_hand_worked_mixed_composite():
    score = score_cadre(MIXED, "C1", RESPONSES, INDICATORS)
    part = score.performance
    assert rounded(part.indicator) == 95.0
    assert rounded(part.rating) == 72.0
    assert {g: rounded(v) for g, v in part.rating_means.items()} == {
        "superior": 80.0,
        "subordinate": 60.0,
    }
    assert rounded(part.mixed) == 81.2
    assert part.share == 0.4 and part.note is None
    assert rounded(score.dimension_scores["ji"]) == 81.2
    assert rounded(score.dimension_means["superior"]["ji"]) == 86.0
    assert rounded(score.dimension_means["subordinate"]["ji"]) == 74.0
    assert rounded(score.group_scores["superior"]) == 91.6
    assert rounded(score.group_scores["subordinate"]) == 80.4
    assert rounded(score.composite) == 87.12
    assert [rounded(a.counted, 4) for a in part.attainments] == [1.2, 0.5, 0.9]
    assert rounded(part.attainments[0].ratio, 4) == 1.3


def test_ratings_only_composite_is_unchanged_without_a_performance_section():
    score = score_cadre(PLAIN, "C1", RESPONSES, INDICATORS)
    assert score.performance is None
    assert rounded(score.composite) == 81.6
    assert rounded(score.dimension_scores["ji"]) == 72.0


def test_cadre_without_indicators_keeps_the_raters_figure_with_a_note():
    scores = score_campaign(MIXED, ["C1", "C2"], RESPONSES, {"C2": INDICATORS})
    alone = scores[0]
    assert alone.performance.indicator is None
    assert alone.performance.note == NO_INDICATORS
    assert rounded(alone.performance.mixed) == rounded(alone.performance.rating) == 72.0
    assert rounded(alone.composite) == 81.6
    nobody = scores[1]  # indicators but no responses: no composite, indicator part kept
    assert nobody.composite is None and rounded(nobody.performance.indicator) == 95.0
    assert nobody.performance.rating is None and nobody.performance.mixed is None


def test_cap_limits_how_far_one_target_makes_up_for_another():
    far, missed = Indicator("far", 10, 30), Indicator("missed", 10, 6)
    assert rounded(indicator_score([far, missed], cap=1.2)[0]) == 90.0  # (1.2 + 0.6) / 2
    assert rounded(indicator_score([far, missed], cap=2.0)[0]) == 100.0  # (2 + 0.6)/2, at most 100
    assert rounded(indicator_score([far, missed], cap=1.0)[0]) == 80.0  # (1 + 0.6) / 2
    assert indicator_score([], cap=1.2) == (None, ())


def test_lower_is_better():
    assert attainment(Indicator("complaints", 10, 8, direction=LOWER), cap=2).ratio == 1.25
    assert attainment(Indicator("complaints", 10, 8, direction=LOWER), cap=1.2).counted == 1.2
    assert attainment(Indicator("complaints", 10, 40, direction=LOWER), cap=1.2).counted == 0.25
    none_at_all = attainment(Indicator("accidents", 3, 0, direction=LOWER), cap=1.2)
    assert math.isinf(none_at_all.ratio) and none_at_all.counted == 1.2
    assert attainment(Indicator("output", 10, 0), cap=1.2).counted == 0


def test_withheld_rating_withholds_the_mixed_figure_but_not_the_indicators():
    few = RESPONSES[:2]  # one superior, one subordinate: fewer than k = 3 in all
    score = score_cadre(MIXED, "C1", few, INDICATORS)
    shown = disclose(score, MIXED.group_weights, k=3)
    assert "ji" not in shown.dimension_scores
    part = score.performance.shown("ji" in shown.dimension_scores)
    assert rounded(part.indicator) == 95.0
    assert part.rating is None and part.mixed is None and part.rating_means == {}
    assert part.note == RATING_WITHHELD
    full = score_cadre(MIXED, "C1", RESPONSES, INDICATORS)
    assert full.performance.shown(True) is full.performance
    alone = score_cadre(
        Questionnaire.model_validate(template({"dimension": "ji", "share": 1})),
        "C1",
        few,
        INDICATORS,
    )
    assert rounded(alone.performance.shown(False).mixed) == 95.0  # raters do not count


@pytest.mark.parametrize(
    ("performance", "field"),
    [
        ({"dimension": "qin", "share": 0.4}, "performance.dimension"),
        ({"dimension": "ji", "share": 0}, "performance.share"),
        ({"dimension": "ji", "share": 1.5}, "performance.share"),
        ({"dimension": "ji", "share": 0.4, "cap": 0.9}, "performance.cap"),
        ({"dimension": "ji", "share": float("nan")}, "performance.share"),
    ],
)
def test_bad_performance_sections_are_named(performance, field):
    with pytest.raises(TemplateError) as error:
        parse_questionnaire(yaml.safe_dump(template(performance)), "mine.yaml")
    assert field in str(error.value)


def test_snapshot_and_public_form_keep_the_performance_section():
    again = Questionnaire.model_validate(MIXED.model_dump())
    assert again.performance == MIXED.performance
    old = MIXED.model_dump()
    del old["performance"]  # a snapshot from before the section existed
    assert Questionnaire.model_validate(old).performance is None


def test_grade_follows_the_mixed_composite():
    """With Excellent from 85: the mixed composite 87.12 is Excellent, ratings alone
    (81.6) Competent."""
    bands = {"grading": {"bands": {"excellent": 85, "competent": 75, "basically_competent": 60}}}
    mixed = Questionnaire.model_validate(
        template({"dimension": "ji", "share": 0.4, "cap": 1.2}) | bands
    )
    plain = Questionnaire.model_validate(template() | bands)
    grades = {}
    for name, questionnaire in (("mixed", mixed), ("plain", plain)):
        score = score_cadre(questionnaire, "C1", RESPONSES, INDICATORS)
        decision = grade_campaign(questionnaire, [GradingInput(score=score, roster_id="C1")])
        grades[name] = decision["C1"].grade
    assert grades == {"mixed": "excellent", "plain": "competent"}

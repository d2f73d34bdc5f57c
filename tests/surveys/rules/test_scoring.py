"""Scoring rules, checked against figures worked out by hand.

The tiny questionnaire below keeps the arithmetic easy to follow:

    scale:          good = 100, ok = 80, poor = 40
    group weights:  superior 50, peer 20, subordinate 30
    dimension de (weight 2):  d1 (superior, peer, subordinate)
                              d2 (superior, subordinate)
    dimension ji (weight 3):  j1 (superior, peer, subordinate)
                              j2 (peer, subordinate; optional)
    vote:           superior, peer, subordinate
"""

from __future__ import annotations

from statistics import fmean

import pytest

from surveys.results.summaries import rounded
from surveys.rules.questionnaire import Questionnaire
from surveys.rules.scoring import ScoredResponse, score_cadre, score_campaign, weighted_mean

ALL = ["superior", "peer", "subordinate"]


def text(words: str) -> dict:
    return {"zh": words, "en": words}


TINY = Questionnaire.model_validate(
    {
        "key": "tiny",
        "title": text("tiny"),
        "scale": [
            {"key": "good", "points": 100, "label": text("good")},
            {"key": "ok", "points": 80, "label": text("ok")},
            {"key": "poor", "points": 40, "label": text("poor")},
        ],
        "group_weights": {"superior": 50, "peer": 20, "subordinate": 30},
        "dimensions": [
            {
                "key": "de",
                "title": text("de"),
                "weight": 2,
                "items": [
                    {"key": "d1", "text": text("d1"), "groups": ALL},
                    {"key": "d2", "text": text("d2"), "groups": ["superior", "subordinate"]},
                ],
            },
            {
                "key": "ji",
                "title": text("ji"),
                "weight": 3,
                "items": [
                    {"key": "j1", "text": text("j1"), "groups": ALL},
                    {
                        "key": "j2",
                        "text": text("j2"),
                        "groups": ["peer", "subordinate"],
                        "required": False,
                    },
                ],
            },
        ],
        "vote": {"groups": ALL},
    }
)


def response(group: str, vote: str | None = None, cadre: str = "C1", **answers: str):
    return ScoredResponse(cadre_id=cadre, group=group, answers=answers, vote=vote)


# One superior and two subordinates; no peer answered.
WITHOUT_PEERS = [
    response("superior", "excellent", d1="good", d2="ok", j1="ok"),
    response("subordinate", "competent", d1="good", d2="poor", j1="good", j2="ok"),
    response("subordinate", "excellent", d1="ok", d2="ok", j1="poor"),  # j2 skipped
]
PEER = response("peer", "basically_competent", d1="ok", j1="good", j2="poor")


def test_item_means_per_group():
    score = score_cadre(TINY, "C1", WITHOUT_PEERS)
    assert score.item_means == {
        # superior: one response each
        "superior": {"d1": 100, "d2": 80, "j1": 80},
        # subordinate: d1 (100 + 80) / 2 = 90;  d2 (40 + 80) / 2 = 60;  j1 (100 + 40) / 2 = 70;
        # j2 was answered once (80) and skipped once: the skip is not a zero, so 80.
        "subordinate": {"d1": 90, "d2": 60, "j1": 70, "j2": 80},
    }
    assert score.responses == {"superior": 1, "subordinate": 2}
    assert score.responses_total == 3


def test_dimension_means_per_group():
    score = score_cadre(TINY, "C1", WITHOUT_PEERS)
    assert score.dimension_means == {
        "superior": {"de": 90, "ji": 80},  # de (100 + 80) / 2 = 90;  ji: only j1 = 80
        "subordinate": {"de": 75, "ji": 75},  # de (90 + 60) / 2 = 75;  ji (70 + 80) / 2 = 75
    }


def test_group_score_is_dimension_weighted():
    score = score_cadre(TINY, "C1", WITHOUT_PEERS)
    # superior:    (90 * 2 + 80 * 3) / (2 + 3) = (180 + 240) / 5 = 84
    #   (an unweighted mean of the dimensions would be 85)
    # subordinate: (75 * 2 + 75 * 3) / 5 = 75
    assert score.group_scores == {"superior": 84, "subordinate": 75}


def test_composite_renormalises_when_a_group_did_not_answer():
    score = score_cadre(TINY, "C1", WITHOUT_PEERS)
    # Peers (weight 20) are absent, so the weights 50 and 30 are renormalised over 80:
    #   (84 * 50 + 75 * 30) / 80 = (4200 + 2250) / 80 = 6450 / 80 = 80.625
    # (counting the absent peers as 0 would give 6450 / 100 = 64.5).
    assert score.composite == pytest.approx(80.625)
    assert score.missing_groups == ["peer"]
    assert rounded(score.composite) == 80.63


def test_composite_with_every_group():
    score = score_cadre(TINY, "C1", [*WITHOUT_PEERS, PEER])
    # peer item means:  d1 80, j1 100, j2 40
    # peer dimensions:  de 80 (d1 only);  ji (100 + 40) / 2 = 70
    # peer score:       (80 * 2 + 70 * 3) / 5 = (160 + 210) / 5 = 74
    assert score.dimension_means["peer"] == {"de": 80, "ji": 70}
    assert score.group_scores["peer"] == 74
    # composite: (84 * 50 + 74 * 20 + 75 * 30) / 100 = (4200 + 1480 + 2250) / 100 = 79.3
    assert score.composite == pytest.approx(79.3)
    assert score.missing_groups == []
    assert score.responses_total == 4


def test_dimension_scores_are_group_weighted():
    score = score_cadre(TINY, "C1", WITHOUT_PEERS)
    # de: (90 * 50 + 75 * 30) / 80 = (4500 + 2250) / 80 = 84.375
    # ji: (80 * 50 + 75 * 30) / 80 = (4000 + 2250) / 80 = 78.125
    assert score.dimension_scores == pytest.approx({"de": 84.375, "ji": 78.125})
    # Half up, as by hand: 84.375 -> 84.38 and 78.125 -> 78.13.
    assert [rounded(v) for v in score.dimension_scores.values()] == [84.38, 78.13]

    with_peer = score_cadre(TINY, "C1", [*WITHOUT_PEERS, PEER])
    # de: (90 * 50 + 80 * 20 + 75 * 30) / 100 = (4500 + 1600 + 2250) / 100 = 83.5
    # ji: (80 * 50 + 70 * 20 + 75 * 30) / 100 = (4000 + 1400 + 2250) / 100 = 76.5
    assert with_peer.dimension_scores == pytest.approx({"de": 83.5, "ji": 76.5})


def test_vote_shares():
    score = score_cadre(TINY, "C1", [*WITHOUT_PEERS, PEER])
    # excellent 2, competent 1, basically_competent 1, incompetent 0 of 4 votes
    assert score.votes == {"excellent": 2, "competent": 1, "basically_competent": 1}
    assert score.vote_shares == {
        "excellent": 0.5,
        "competent": 0.25,
        "basically_competent": 0.25,
        "incompetent": 0.0,
    }


def test_vote_shares_count_only_votes_cast():
    responses = [
        response("peer", "excellent", d1="ok", j1="ok"),
        response("peer", None, d1="ok", j1="ok"),
        response("peer", "incompetent", d1="ok", j1="ok"),
    ]
    score = score_cadre(TINY, "C1", responses)
    # two votes cast (the blank one is not a vote): 1/2 and 1/2
    assert score.vote_shares == {
        "excellent": 0.5,
        "competent": 0.0,
        "basically_competent": 0.0,
        "incompetent": 0.5,
    }
    assert score.responses == {"peer": 3}


def test_only_the_groups_own_items_and_scale_answers_count():
    responses = [
        # A peer does not answer d2; an answer sent anyway is ignored.  "great" is
        # not on the scale and is ignored too, so j1 has no answers and ji = j2 = 40.
        response("peer", d1="good", d2="poor", j1="great", j2="poor"),
    ]
    score = score_cadre(TINY, "C1", responses)
    assert score.item_means == {"peer": {"d1": 100, "j2": 40}}
    assert score.dimension_means == {"peer": {"de": 100, "ji": 40}}
    # (100 * 2 + 40 * 3) / 5 = (200 + 120) / 5 = 64
    assert score.group_scores == {"peer": 64}
    assert score.composite == 64
    assert score.missing_groups == ["superior", "subordinate"]


def test_a_response_without_answers_counts_but_does_not_score():
    score = score_cadre(TINY, "C1", [response("subordinate", "competent")])
    assert score.responses == {"subordinate": 1}
    assert score.group_scores == {}
    assert score.composite is None
    assert score.missing_groups == ["superior", "peer", "subordinate"]
    assert score.vote_shares["competent"] == 1.0


def test_campaign_scores_every_cadre_in_order():
    responses = [*WITHOUT_PEERS, response("peer", "excellent", cadre="C2", d1="poor", j1="poor")]
    scores = score_campaign(TINY, ["C3", "C2", "C1"], responses)
    assert [s.cadre_id for s in scores] == ["C3", "C2", "C1"]
    nobody, c2, c1 = scores
    assert nobody.composite is None and nobody.responses_total == 0
    assert nobody.missing_groups == ["superior", "peer", "subordinate"]
    assert nobody.vote_shares == {} and nobody.dimension_scores == {}
    # C2: one peer giving 40 everywhere -> 40 in every figure.
    assert c2.composite == 40 and c2.dimension_scores == {"de": 40, "ji": 40}
    assert c1.composite == pytest.approx(80.625)  # C2's response does not reach C1


def test_public_group_without_items_is_not_missing():
    # TINY gives the public no weight and no items: never reported missing.
    assert "public" not in score_cadre(TINY, "C1", []).missing_groups


def test_weighted_mean():
    # (90 * 1 + 60 * 2) / 3 = 70
    assert weighted_mean({"a": 90, "b": 60}, {"a": 1, "b": 2}) == 70
    # keys without values are left out of the total: 90 * 1 / 1
    assert weighted_mean({"a": 90}, {"a": 1, "b": 2}) == 90
    # nothing to average, or only zero weights
    assert weighted_mean({}, {"a": 1}) is None
    assert weighted_mean({"a": 90}, {"a": 0, "b": 2}) is None


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (2.675, 2, 2.68),  # the float is 2.67499999...; round() would give 2.67
        (84.125, 2, 84.13),  # round() would go to even: 84.12
        (84.135, 2, 84.14),
        (80.625, 2, 80.63),
        (79.994, 2, 79.99),
        (0.5, 0, 1.0),  # round() would give 0
        (2 / 3, 4, 0.6667),
        (0.00005, 4, 0.0001),
        (100.0, 2, 100.0),
        (None, 2, None),
    ],
)
def test_rounded_rounds_half_up(value, places, expected):
    assert rounded(value, places) == expected


def test_rounded_sees_through_float_noise():
    # A peer dimension mean of 60 and 244/3 is 212/3 by hand, but fmean([60, 244 / 3])
    # is 70.66666666666666, one unit in the last place short of 212/3.
    peer = fmean([60, 244 / 3])
    assert peer < 212 / 3
    # With a superior score of 39 and weights 50 and 30 the composite is, by hand,
    #   (39 * 50 + 212/3 * 30) / 80 = (1950 + 2120) / 80 = 4070 / 80 = 50.875 -> 50.88,
    # while the floats give 50.87499999999999, which naive half-up rounds to 50.87.
    composite = weighted_mean({"superior": 39.0, "peer": peer}, {"superior": 50, "peer": 30})
    assert composite < 50.875
    assert rounded(composite) == 50.88

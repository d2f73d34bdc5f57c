"""Quality checks: each flags ballots with hand-checked numbers and never changes the data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from surveys.rules.quality import (
    BURST,
    LENIENT,
    OUTLIER,
    SEVERE,
    STRAIGHT_LINE,
    Ballot,
    bursts,
    check_ballots,
    leniency_adjusted,
    lenient_or_severe,
    outliers,
    robust_z,
    straight_lined,
    to_ballot,
)
from surveys.rules.questionnaire import Questionnaire, load_questionnaire
from surveys.rules.scoring import ScoredResponse, score_cadre


def text(words: str) -> dict:
    return {"zh": words, "en": words}


# One dimension, one item, peers only: a ballot's points are its score.
ONE_ITEM = Questionnaire.model_validate(
    {
        "key": "one",
        "title": text("one"),
        "scale": [
            {"key": "good", "points": 100, "label": text("good")},
            {"key": "poor", "points": 40, "label": text("poor")},
        ],
        "group_weights": {"peer": 1},
        "dimensions": [
            {
                "key": "de",
                "title": text("de"),
                "items": [{"key": "q", "text": text("q"), "groups": ["peer"]}],
            }
        ],
    }
)


def ballot(ref: str, cadre: str, *points: float, link: str | None = None, group="peer"):
    """A ballot with items i0, i1, ... given the points in order."""
    return Ballot(ref, cadre, group, {f"i{n}": value for n, value in enumerate(points)}, link)


def test_to_ballot_takes_the_groups_items_and_scale_answers():
    annual = load_questionnaire("annual")
    response = ScoredResponse(
        "C1", "peer", {"de_stance": "good", "neng_leadership": "poor", "ji_targets": "bad"}
    )
    # Peers do not answer neng_leadership; "bad" is not on the scale.
    assert to_ballot(annual, "r1", response, link="F1") == Ballot(
        "r1", "C1", "peer", {"de_stance": 100}, "F1"
    )


# --- straight lines -------------------------------------------------------------------------


def test_straight_lined_ballots():
    ballots = [
        ballot("same", "C1", 80, 80, 80, 80),
        ballot("short", "C1", 100, 100),  # two answers prove little
        ballot("varied", "C1", 100, 80, 100),
    ]
    flags = straight_lined(ballots)
    assert [(f.check, f.refs, f.cadre_id) for f in flags] == [("straight_line", ("same",), "C1")]
    assert (flags[0].message, flags[0].values) == (STRAIGHT_LINE, {"items": 4, "points": 80})
    assert [f.refs for f in straight_lined(ballots, min_items=2)] == [("same",), ("short",)]


# --- outliers -------------------------------------------------------------------------------


def test_robust_z_by_hand():
    # median 82; |deviations| 2, 0, 2, 4, 52 -> MAD 2.  z(30) = 0.6745 * (30 - 82) / 2.
    z = robust_z([80, 82, 84, 86, 30])
    assert z == pytest.approx([-0.6745, 0, 0.6745, 1.349, 0.6745 * -52 / 2])


def test_robust_z_when_most_ballots_agree():
    # median 80, MAD 0; MeanAD = 40 / 5 = 8; z(40) = -40 / (1.253314 * 8) = -3.98942.
    assert robust_z([80, 80, 80, 80, 40]) == pytest.approx([0, 0, 0, 0, -3.98942], abs=1e-5)
    assert robust_z([70, 70, 70]) == [0, 0, 0]


def test_outliers_within_cadre_and_group():
    means = {"a": 80, "b": 82, "c": 84, "d": 86, "e": 30}
    ballots = [ballot(ref, "C1", value, value) for ref, value in means.items()]
    # The same low ballot from a subordinate is compared with no one: not enough ballots.
    ballots.append(ballot("s", "C1", 30, 30, group="subordinate"))
    flags = outliers(ballots)
    assert [(f.check, f.refs, f.cadre_id, f.message) for f in flags] == [
        ("outlier", ("e",), "C1", OUTLIER)
    ]
    assert flags[0].values == {
        "mean": 30,
        "group": "peer",
        "median": 82,
        "z": -17.54,
        "threshold": 3.5,
    }
    assert outliers(ballots[:4]) == []  # four ballots: below min_ballots


def test_no_outlier_within_the_threshold():
    # median 80, MAD 2 (|dev| 0, 2, 2, 4, 6 -> 2); z(86) = 0.6745 * 6 / 2 = 2.02 < 3.5
    ballots = [ballot(str(v), "C1", v) for v in (80, 78, 82, 84, 86)]
    assert outliers(ballots) == []


# --- lenient and severe raters --------------------------------------------------------------

OTHERS = [
    ballot("u1", "C1", 60),
    ballot("u2", "C1", 70),
    ballot("u3", "C2", 50),
    ballot("u4", "C2", 60),
]


def test_lenient_form():
    # C1: 90 - (60 + 70) / 2 = 25;  C2: 85 - (50 + 60) / 2 = 30;  average 27.5 points above.
    form = [ballot("f1", "C1", 90, link="F1"), ballot("f2", "C2", 85, link="F1")]
    flags = lenient_or_severe([*OTHERS, *form])
    assert [(f.check, f.refs, f.message) for f in flags] == [("lenient", ("f1", "f2"), LENIENT)]
    assert flags[0].values == {"link": "F1", "cadres": 2, "difference": 27.5}


def test_severe_form():
    # C1: 40 - 65 = -25;  C2: 30 - 55 = -25.
    form = [ballot("f1", "C1", 40, link="F2"), ballot("f2", "C2", 30, link="F2")]
    flags = lenient_or_severe([*OTHERS, *form])
    assert [(f.check, f.message, f.values["difference"]) for f in flags] == [("severe", SEVERE, 25)]


def test_lenient_needs_links_two_cadres_and_a_clear_gap():
    unlinked = [ballot("f1", "C1", 90), ballot("f2", "C2", 85)]
    assert lenient_or_severe([*OTHERS, *unlinked]) == []
    one_cadre = [ballot("f1", "C1", 95, link="F1")]
    assert lenient_or_severe([*OTHERS, *one_cadre]) == []
    # C1: 75 - 65 = 10;  C2: 65 - 55 = 10: within 15 points.
    mild = [ballot("f1", "C1", 75, link="F1"), ballot("f2", "C2", 65, link="F1")]
    assert lenient_or_severe([*OTHERS, *mild]) == []
    assert [f.check for f in lenient_or_severe([*OTHERS, *mild], threshold=10)] == ["lenient"]


def test_check_ballots_runs_every_check_and_keeps_the_ballots():
    form = [ballot("f1", "C1", 90, 90, 90, link="F1"), ballot("f2", "C2", 85, link="F1")]
    ballots = [*OTHERS, *form]
    before = list(ballots)
    assert [f.check for f in check_ballots(ballots)] == ["straight_line", "lenient"]
    assert ballots == before


# --- bursts on public channels --------------------------------------------------------------


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 25, hour, minute)


def test_burst_within_an_hour():
    submissions = [
        ("win1", at(10, 0)),
        ("win1", at(10, 20)),
        ("win1", at(13, 0)),
        ("win1", at(10, 10)),
        ("win1", at(10, 50)),  # 50 minutes after the first: still within the hour
        ("win2", at(10, 0)),
        ("win2", at(10, 1)),
    ]
    found = bursts(submissions, minimum=3, window=timedelta(hours=1))
    assert [(b.channel, b.start, b.end, b.count) for b in found] == [
        ("win1", at(10, 0), at(10, 50), 4)
    ]
    assert found[0].message == BURST
    assert found[0].values == {
        "count": 4,
        "channel": "win1",
        "start": "2026-11-25T10:00:00",
        "end": "2026-11-25T10:50:00",
        "minimum": 3,
        "hours": 1,
    }


def test_bursts_by_day_are_separate_episodes():
    day, next_day, later = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 28)
    submissions = [("hall", day)] * 3 + [("hall", next_day)] * 2 + [("hall", later)] * 5
    found = bursts(submissions, minimum=3)
    assert [(b.start.date(), b.count) for b in found] == [(day, 3), (later, 5)]
    assert bursts(submissions, minimum=6) == []


# --- the leniency-adjusted composite --------------------------------------------------------


def one(ref: str, cadre: str, value: float, link: str | None = None) -> Ballot:
    return Ballot(ref, cadre, "peer", {"q": value}, link)


def test_leniency_adjusted_composite_by_hand():
    # Lenient form L1: C1 100, C2 80.  Severe form L2: C1 60, C2 40.  Unlinked: C1 70.
    # All answers: 100, 80, 60, 40, 70 -> mean 70, population SD sqrt(2000 / 5) = 20.
    # L1: mean 90, SD 10 -> z +1, -1 -> 70 + 20 = 90 and 50.  L2: mean 50, SD 10 -> 90, 50.
    ballots = [
        one("a", "C1", 100, "L1"),
        one("b", "C2", 80, "L1"),
        one("c", "C1", 60, "L2"),
        one("d", "C2", 40, "L2"),
        one("e", "C1", 70),
    ]
    result = leniency_adjusted(ONE_ITEM, ballots)
    c1, c2 = result["C1"], result["C2"]
    assert c1.raw == pytest.approx((100 + 60 + 70) / 3)  # 76.67
    assert c1.adjusted == pytest.approx((90 + 90 + 70) / 3)  # 83.33
    assert (c1.adjusted_ballots, c1.unchanged_ballots) == (2, 1)
    assert (c2.raw, c2.adjusted) == (pytest.approx(60), pytest.approx(50))
    assert ballots[0].points == {"q": 100}  # the input is untouched


def test_forms_on_one_cadre_and_flat_inputs_stay_as_they_are():
    ballots = [one("a", "C1", 100, "L1"), one("b", "C1", 60, "L2"), one("c", "C2", 80)]
    result = leniency_adjusted(ONE_ITEM, ballots)
    assert result["C1"].raw == result["C1"].adjusted == 80
    assert result["C1"].adjusted_ballots == 0
    flat = leniency_adjusted(ONE_ITEM, [one("a", "C1", 80, "L1"), one("b", "C2", 80, "L1")])
    assert flat["C1"].adjusted == 80


def test_raw_composite_matches_scoring():
    annual = load_questionnaire("annual")
    responses = [
        ScoredResponse("C1", "peer", {item.key: "good" for item in annual.items()}),
        ScoredResponse("C1", "subordinate", {item.key: "fair" for item in annual.items()}),
    ]
    ballots = [to_ballot(annual, str(n), r) for n, r in enumerate(responses)]
    assert leniency_adjusted(annual, ballots)["C1"].raw == pytest.approx(
        score_cadre(annual, "C1", responses).composite
    )

"""Grading rules: bands, vote rules, vetoes and the Excellent quota, on hand-made scores.

Scores are built directly (composite and vote counts), so each test shows the
few numbers its rule looks at.  The questionnaire is the built-in annual one,
with the ``grading`` section replaced where a test needs other rules.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
import yaml

from surveys.rules.grading import (
    BAND,
    BELOW_BANDS,
    CAPS,
    NO_SCORE,
    QUOTA_OUTSIDE,
    QUOTA_WITHIN,
    REQUIRES,
    VETOES,
    GradingInput,
    count_answers,
    grade_campaign,
    quota_places,
)
from surveys.rules.questionnaire import (
    DEFAULT_BANDS,
    GRADES,
    Grade,
    Questionnaire,
    TemplateError,
    load_questionnaire,
    parse_questionnaire,
)
from surveys.rules.scoring import CadreScore, ScoredResponse, score_cadre

ANNUAL = load_questionnaire("annual")
BANDS = {"excellent": 90, "competent": 75, "basically_competent": 60}


def rules(**grading) -> Questionnaire:
    """The annual questionnaire with only the given grading rules (bands 90/75/60)."""
    return Questionnaire.model_validate(
        ANNUAL.model_dump() | {"grading": {"bands": BANDS} | grading}
    )


def cadre(
    cadre_id: str,
    composite: float | None,
    *,
    unit: str = "局",
    votes: dict[str, int] | None = None,
    answers: dict | None = None,
    roster_id: str | None = None,
) -> GradingInput:
    score = CadreScore(cadre_id=cadre_id, composite=composite, votes=votes or {})
    return GradingInput(
        score=score, roster_id=roster_id or cadre_id, unit=unit, answers=answers or {}
    )


def decide(questionnaire: Questionnaire, *entries: GradingInput):
    return grade_campaign(questionnaire, entries)


# --- configuration --------------------------------------------------------------------------


def test_grade_literal_matches_the_grades():
    assert Grade.__args__ == GRADES


def test_built_in_defaults():
    grading = ANNUAL.grading
    assert grading.bands == {"excellent": 90, "competent": 75, "basically_competent": 60}
    assert [(r.grade, r.effect, r.share, r.comparison) for r in grading.votes] == [
        ("excellent", "requires", Fraction(1, 2), "at_least"),
        ("incompetent", "caps", Fraction(1, 3), "more_than"),
    ]
    assert [(v.item, v.answers, v.share, v.min_answers, v.caps_at) for v in grading.vetoes] == [
        ("lian_rules", ["poor"], Fraction(1, 3), 3, "basically_competent"),
        ("lian_responsibility", ["poor"], Fraction(1, 3), 3, "basically_competent"),
    ]
    assert (grading.quota.share, grading.quota.scope, grading.quota.rounding) == (
        Fraction(1, 5),
        "unit",
        "down",
    )
    public = load_questionnaire("public-service").grading
    assert [(v.item, v.share, v.min_answers) for v in public.vetoes] == [
        ("clean", Fraction(1, 2), 5)
    ]


def test_public_vetoes_follow_their_items_into_the_merged_form():
    merged = ANNUAL.with_public_form(load_questionnaire("public-service"))
    assert [veto.item for veto in merged.grading.vetoes] == [
        "lian_rules",
        "lian_responsibility",
        "pub_clean",
    ]
    # The main form's other rules stand.
    assert merged.grading.votes == ANNUAL.grading.votes
    assert merged.grading.quota == ANNUAL.grading.quota


def test_snapshot_without_grading_still_validates_with_default_bands():
    old = ANNUAL.model_dump()
    del old["grading"]
    questionnaire = Questionnaire.model_validate(old)
    assert questionnaire.grading.bands == DEFAULT_BANDS
    assert questionnaire.grading.votes == [] and questionnaire.grading.quota is None


def test_shares_are_exact_and_read_back_the_same():
    questionnaire = rules(
        votes=[{"grade": "incompetent", "effect": "caps", "share": "1/3"}],
        quota={"share": 0.2},
    )
    dumped = questionnaire.model_dump()
    assert dumped["grading"]["votes"][0]["share"] == "1/3"
    assert dumped["grading"]["quota"]["share"] == "1/5"  # 0.2 read as 1/5, not a binary float
    assert Questionnaire.model_validate(dumped) == questionnaire


@pytest.mark.parametrize(
    ("grading", "field", "words"),
    [
        ({"vetoes": [{"item": "nope", "answers": ["poor"], "share": 0.5, "caps_at": "competent"}]},
         "grading.vetoes[0].item", "unknown item"),
        ({"vetoes": [{"item": "lian_rules", "answers": ["awful"], "share": 0.5,
                      "caps_at": "competent"}]},
         "grading.vetoes[0].answers", "not on the scale"),
        ({"bands": {"excellent": 70, "competent": 80}}, "grading.bands", "at least as high"),
        ({"quota": {"share": 0}}, "grading.quota.share", "above 0"),
        ({"quota": {"share": "a third"}}, "grading.quota.share", "fraction such as 1/3"),
        ({"votes": [{"grade": "great", "effect": "caps", "share": 0.5}]},
         "grading.votes[0].grade", "excellent"),
    ],
)  # fmt: skip
def test_bad_grading_is_refused_naming_the_field(grading, field, words):
    data = ANNUAL.model_dump() | {"grading": grading}
    with pytest.raises(TemplateError) as caught:
        parse_questionnaire(yaml.safe_dump(data, allow_unicode=True), "mine.yaml")
    line = next(line for line in str(caught.value).splitlines() if f": {field}: " in line)
    assert words in line


def test_vote_rules_need_a_vote():
    public = load_questionnaire("public-service").model_dump()
    public["grading"]["votes"] = [{"grade": "excellent", "effect": "requires", "share": 0.5}]
    with pytest.raises(TemplateError, match=r"grading\.votes: vote rules need a vote section"):
        parse_questionnaire(yaml.safe_dump(public, allow_unicode=True), "public.yaml")


# --- bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("composite", "shown", "grade", "minimum"),
    [
        (90.0, 90.0, "excellent", 90),
        (89.995, 90.0, "excellent", 90),  # shown as 90.00, so it is in the band people see
        (89.994, 89.99, "competent", 75),
        (75.0, 75.0, "competent", 75),
        (74.99, 74.99, "basically_competent", 60),
        (60.0, 60.0, "basically_competent", 60),
    ],
)
def test_band_of_the_composite_as_shown(composite, shown, grade, minimum):
    decision = decide(rules(), cadre("C1", composite))["C1"]
    assert decision.grade == grade
    assert decision.message == BAND
    assert decision.values == {"score": shown, "grade": grade, "minimum": minimum}


def test_below_every_band_is_the_worst_grade():
    decision = decide(rules(), cadre("C1", 59.99))["C1"]
    assert decision.grade == "incompetent"
    assert (decision.message, decision.values) == (
        BELOW_BANDS,
        {"score": 59.99, "grade": "incompetent", "minimum": 60},
    )


def test_no_composite_no_grade():
    decision = decide(rules(), cadre("C1", None, votes={"excellent": 3}))["C1"]
    assert decision.grade is None
    assert decision.message == NO_SCORE
    assert [step.message for step in decision.steps] == [NO_SCORE]


# --- vote rules -----------------------------------------------------------------------------

NEEDS_HALF = {"grade": "excellent", "effect": "requires", "share": "1/2"}


def test_excellent_keeps_its_grade_with_half_the_votes():
    # 2 of 4 votes Excellent = 1/2, and "at least" 1/2 is met.
    votes = {"excellent": 2, "competent": 2}
    decision = decide(rules(votes=[NEEDS_HALF]), cadre("C1", 93, votes=votes))["C1"]
    assert decision.grade == "excellent"
    assert decision.message == BAND


def test_excellent_without_enough_votes_goes_one_grade_lower():
    # 2 of 5 votes Excellent = 40% < 50%: Competent, though the score is in the top band.
    votes = {"excellent": 2, "competent": 3}
    decision = decide(rules(votes=[NEEDS_HALF]), cadre("C1", 93, votes=votes))["C1"]
    assert decision.grade == "competent"
    assert decision.message == REQUIRES["at_least"]
    assert decision.values == {
        "grade": "excellent",
        "threshold": 50.0,
        "share": 40.0,
        "result": "competent",
    }
    assert [step.grade for step in decision.steps] == ["excellent", "competent"]


def test_more_than_half_is_stricter_than_at_least_half():
    rule = NEEDS_HALF | {"comparison": "more_than"}
    votes = {"excellent": 2, "competent": 2}  # exactly one half
    decision = decide(rules(votes=[rule]), cadre("C1", 93, votes=votes))["C1"]
    assert (decision.grade, decision.message) == ("competent", REQUIRES["more_than"])


def test_a_requirement_only_touches_its_own_grade():
    # A Competent cadre with no Excellent votes is not demoted by Excellent's rule.
    decision = decide(rules(votes=[NEEDS_HALF]), cadre("C1", 80, votes={"competent": 4}))["C1"]
    assert decision.grade == "competent" and decision.message == BAND


INCOMPETENT_THIRD = {"grade": "incompetent", "effect": "caps", "share": "1/3"}


def test_more_than_a_third_incompetent_votes_makes_incompetent():
    rule = INCOMPETENT_THIRD | {"comparison": "more_than"}
    # 2 of 5 = 40% > 33.3%: Incompetent whatever the score.
    votes = {"incompetent": 2, "competent": 3}
    decision = decide(rules(votes=[rule]), cadre("C1", 82, votes=votes))["C1"]
    assert decision.grade == "incompetent"
    assert decision.message == CAPS["more_than"]
    assert decision.values == {
        "share": 40.0,
        "grade": "incompetent",
        "threshold": 33.3,
        "result": "incompetent",
    }
    # Exactly one third (1 of 3) is not more than a third ...
    votes = {"incompetent": 1, "competent": 2}
    assert decide(rules(votes=[rule]), cadre("C1", 82, votes=votes))["C1"].grade == "competent"
    # ... but it is at least a third.
    at_least = decide(rules(votes=[INCOMPETENT_THIRD]), cadre("C1", 82, votes=votes))["C1"]
    assert (at_least.grade, at_least.message) == ("incompetent", CAPS["at_least"])


def test_a_cap_never_raises_a_grade():
    votes = {"incompetent": 2, "competent": 1}
    decision = decide(rules(votes=[INCOMPETENT_THIRD]), cadre("C1", 40, votes=votes))["C1"]
    assert decision.grade == "incompetent"
    assert decision.message == BELOW_BANDS  # the band decided; the vote changed nothing


def test_no_votes_cast_count_as_no_share():
    # Without votes Excellent's requirement cannot be met, and no cap is reached.
    decision = decide(rules(votes=[NEEDS_HALF, INCOMPETENT_THIRD]), cadre("C1", 95))["C1"]
    assert decision.grade == "competent"
    assert decision.values["share"] == 0.0


# --- vetoes ---------------------------------------------------------------------------------

INTEGRITY = {
    "item": "lian_rules",
    "answers": ["poor"],
    "share": "1/3",
    "min_answers": 3,
    "caps_at": "basically_competent",
}


def test_veto_caps_the_grade_when_enough_raters_fail_the_item():
    # 2 of 6 raters answered "poor": 1/3, at least 1/3 -> at best Basically competent.
    answers = {"lian_rules": {"good": 3, "fair": 1, "poor": 2}}
    decision = decide(rules(vetoes=[INTEGRITY]), cadre("C1", 95, answers=answers))["C1"]
    assert decision.grade == "basically_competent"
    assert decision.message == VETOES["at_least"]
    assert decision.values == {
        "share": 33.3,
        "answered": 6,
        "item": "lian_rules",
        "answers": "poor",
        "threshold": 33.3,
        "result": "basically_competent",
    }


def test_veto_below_its_share_or_with_too_few_answers_does_nothing():
    few = {"lian_rules": {"good": 3, "poor": 1}}  # 1 of 4 = 25%
    assert decide(rules(vetoes=[INTEGRITY]), cadre("C1", 95, answers=few))["C1"].grade == (
        "excellent"
    )
    alone = {"lian_rules": {"poor": 1, "good": 1}}  # 50%, but only 2 answers of the 3 needed
    assert decide(rules(vetoes=[INTEGRITY]), cadre("C1", 95, answers=alone))["C1"].grade == (
        "excellent"
    )
    other_item = {"lian_responsibility": {"poor": 5}}
    assert (
        decide(rules(vetoes=[INTEGRITY]), cadre("C1", 95, answers=other_item))["C1"].grade
        == "excellent"
    )


def test_veto_with_several_failing_answers_and_never_raising():
    veto = INTEGRITY | {"answers": ["fair", "poor"], "caps_at": "competent"}
    answers = {"lian_rules": {"good": 2, "fair": 1, "poor": 0}}  # 1 of 3 fair or poor
    decision = decide(rules(vetoes=[veto]), cadre("C1", 91, answers=answers))["C1"]
    assert (decision.grade, decision.values["answers"]) == ("competent", "fair, poor")
    low = decide(rules(vetoes=[veto]), cadre("C1", 61, answers=answers))["C1"]
    assert (low.grade, low.message) == ("basically_competent", BAND)


def test_count_answers_counts_what_scoring_counts():
    responses = [
        ScoredResponse("C1", "peer", {"lian_rules": "poor", "lian_responsibility": "poor"}),
        ScoredResponse("C1", "subordinate", {"lian_rules": "good", "lian_responsibility": "poor"}),
        ScoredResponse("C1", "subordinate", {"lian_rules": "awful"}),  # not on the scale
    ]
    # Peers do not answer lian_responsibility, so their "poor" there is not counted.
    assert count_answers(ANNUAL, responses) == {
        "lian_rules": {"poor": 1, "good": 1},
        "lian_responsibility": {"poor": 1},
    }


def test_rules_in_order_the_last_one_decides():
    questionnaire = rules(
        votes=[NEEDS_HALF, INCOMPETENT_THIRD | {"comparison": "more_than"}], vetoes=[INTEGRITY]
    )
    # Band Excellent -> 1 of 4 Excellent votes: Competent -> integrity veto: Basically
    # competent -> 2 of 4 Incompetent votes (> 1/3): Incompetent.
    votes = {"excellent": 1, "competent": 1, "incompetent": 2}
    answers = {"lian_rules": {"poor": 3}}
    decision = decide(questionnaire, cadre("C1", 92, votes=votes, answers=answers))["C1"]
    assert [step.grade for step in decision.steps] == [
        "excellent",
        "competent",
        "basically_competent",
        "incompetent",
    ]
    assert [step.message for step in decision.steps] == [
        BAND,
        REQUIRES["at_least"],
        VETOES["at_least"],
        CAPS["more_than"],
    ]
    assert decision.message == CAPS["more_than"]


# --- the Excellent quota --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "graded", "rounding", "places"),
    [
        (Fraction(1, 5), 10, "down", 2),
        (Fraction(1, 5), 8, "down", 1),  # 1.6
        (Fraction(1, 5), 8, "nearest", 2),
        (Fraction(1, 5), 3, "down", 0),  # 0.6
        (Fraction(1, 5), 3, "nearest", 1),
        (Fraction(1, 5), 2, "nearest", 0),  # 0.4
        (Fraction(1, 4), 10, "nearest", 3),  # 2.5, half up
    ],
)
def test_quota_places(share, graded, rounding, places):
    assert quota_places(share, graded, rounding) == places


def unit_of_ten(*candidates: GradingInput) -> list[GradingInput]:
    """The candidates plus Competent colleagues, ten cadres in all: two Excellent places."""
    fillers = [cadre(f"F{n}", 80) for n in range(10 - len(candidates))]
    return [*candidates, *fillers]


QUOTA = {"share": 0.2, "scope": "unit"}


def test_quota_keeps_the_best_ranked_and_moves_the_rest_one_grade_lower():
    entries = unit_of_ten(cadre("A", 96), cadre("B", 93), cadre("C", 91))
    decisions = decide(rules(quota=QUOTA), *entries)
    assert [decisions[c].grade for c in "ABC"] == ["excellent", "excellent", "competent"]
    assert decisions["A"].message == QUOTA_WITHIN["unit"]
    assert decisions["C"].message == QUOTA_OUTSIDE["unit"]
    assert decisions["C"].values == {
        "rank": 3,
        "candidates": 3,
        "unit": "局",
        "places": 2,
        "quota": 20.0,
        "graded": 10,
        "result": "competent",
    }
    assert decisions["F0"].message == BAND  # the quota does not speak to others


def test_quota_tie_on_the_shown_composite_goes_to_more_excellent_votes():
    # B and C both show 92.50; C has 4/5 Excellent votes, B 3/5.  A is first.
    entries = unit_of_ten(
        cadre("A", 95, votes={"excellent": 5}),
        cadre("B", 92.5, votes={"excellent": 3, "competent": 2}),
        cadre("C", 92.5, votes={"excellent": 4, "competent": 1}),
    )
    decisions = decide(rules(quota=QUOTA), *entries)
    assert [decisions[c].values["rank"] for c in "ACB"] == [1, 2, 3]
    assert decisions["B"].grade == "competent"


def test_quota_tie_then_goes_to_the_composite_before_rounding():
    # Both show 91.00 and have the same vote share; 91.004 > 90.996 before rounding.
    entries = unit_of_ten(
        cadre("A", 95),
        cadre("B", 90.996, votes={"excellent": 1}),
        cadre("C", 91.004, votes={"excellent": 1}),
    )
    decisions = decide(rules(quota=QUOTA), *entries)
    assert (decisions["C"].grade, decisions["B"].grade) == ("excellent", "competent")


def test_quota_last_tie_goes_to_the_roster_id():
    entries = unit_of_ten(
        cadre("A", 95),
        cadre("X", 91, roster_id="G10"),
        cadre("Y", 91, roster_id="G02"),
    )
    decisions = decide(rules(quota=QUOTA), *entries)
    assert (decisions["Y"].grade, decisions["X"].grade) == ("excellent", "competent")


def test_quota_counts_only_graded_cadres_and_only_still_excellent_candidates():
    # Five graded (one more has no composite): 20% of 5 = 1 place.  D scores highest but
    # lost Excellent to the vote rule first, so it takes no place.
    entries = [
        cadre("A", 93, votes={"excellent": 1}),
        cadre("B", 92, votes={"excellent": 1}),
        cadre("D", 99, votes={"competent": 1}),
        cadre("E", 70),
        cadre("F", 70),
        cadre("N", None),
    ]
    decisions = decide(rules(votes=[NEEDS_HALF], quota=QUOTA), *entries)
    assert [decisions[c].grade for c in "ABDN"] == ["excellent", "competent", "competent", None]
    assert decisions["B"].values["graded"] == 5
    assert decisions["B"].values["candidates"] == 2
    assert decisions["D"].message == REQUIRES["at_least"]


def test_a_cadre_without_a_shown_composite_neither_counts_nor_competes_for_the_quota():
    # Finding 3 of issue 14: H has a composite by the rules (2 responses) but shows none.
    # Counted, it made 6 graded and took the one place: A read "Ranked 2 of 3 ... outside
    # the quota of 1 (20.0% of 6 graded)" beside five shown cadres, so the unseen first was
    # H.  Left out, the five shown cadres make 1 place, and A's text is the same whatever H
    # scored.
    hidden = GradingInput(
        score=CadreScore(cadre_id="H", composite=99, votes={"excellent": 2}),
        roster_id="H",
        unit="局",
        shown=False,
    )
    entries = [cadre("A", 95), cadre("B", 93), *(cadre(f"F{n}", 70) for n in range(3))]
    decisions = decide(rules(quota=QUOTA), hidden, *entries)
    assert decisions["A"].grade == "excellent"
    assert decisions["B"].values == {
        "rank": 2,
        "candidates": 2,
        "unit": "局",
        "places": 1,
        "quota": 20.0,
        "graded": 5,
        "result": "competent",
    }
    assert decisions["H"].message == BAND  # graded by the rules, never in the quota
    counted = decide(rules(quota=QUOTA), replace(hidden, shown=True), *entries)
    assert counted["B"].values["graded"] == 6 and counted["B"].values["candidates"] == 3


def test_quota_by_unit_or_by_campaign():
    # Two units of five; 20% of 5 = 1 place each, or 2 places across the campaign.
    north = [cadre("N1", 98, unit="北"), cadre("N2", 97, unit="北")]
    south = [cadre("S1", 91, unit="南")]
    fillers = [cadre(f"{u}{n}", 70, unit=u) for u in ("北", "南") for n in range(3, 7)]
    entries = [*north, *south, *fillers[:3], *fillers[4:]]  # 5 in each unit
    by_unit = decide(rules(quota=QUOTA), *entries)
    assert [by_unit[c].grade for c in ("N1", "N2", "S1")] == ["excellent", "competent", "excellent"]
    assert by_unit["N2"].values["unit"] == "北"
    whole = decide(rules(quota=QUOTA | {"scope": "campaign"}), *entries)
    assert [whole[c].grade for c in ("N1", "N2", "S1")] == ["excellent", "excellent", "competent"]
    assert whole["S1"].message == QUOTA_OUTSIDE["campaign"]
    assert whole["S1"].values["graded"] == 10


def test_small_unit_with_no_place_rounded_down():
    entries = [cadre("A", 95), cadre("B", 80), cadre("C", 80)]
    decision = decide(rules(quota=QUOTA), *entries)["A"]
    assert decision.grade == "competent"
    assert decision.values["places"] == 0
    nearest = decide(rules(quota=QUOTA | {"rounding": "nearest"}), *entries)["A"]
    assert nearest.grade == "excellent"


# --- the built-in rules end to end ----------------------------------------------------------


def test_built_in_annual_rules_on_real_scores():
    """Scores from responses through the annual template's own rules."""
    every = {item.key: "good" for item in ANNUAL.items()}
    responses = [
        ScoredResponse("C1", "superior", every, "excellent"),
        ScoredResponse("C1", "subordinate", every, "excellent"),
        ScoredResponse("C1", "subordinate", every | {"lian_rules": "poor"}, "competent"),
        ScoredResponse("C1", "peer", every, "excellent"),
    ]
    score = score_cadre(ANNUAL, "C1", responses)
    # Only one subordinate's lian_rules is below 100: its item mean (30 + 100) / 2 = 65,
    # subordinate lian (65 + 100) / 2 = 82.5, subordinate score (85 * 100 + 15 * 82.5) / 100
    # = 97.375; composite (30 * 100 + 20 * 100 + 30 * 97.375) / 80 = 99.015625.
    assert score.composite == pytest.approx(99.015625)
    entry = GradingInput(
        score=score, roster_id="G01", unit="局", answers=count_answers(ANNUAL, responses)
    )
    decision = grade_campaign(ANNUAL, [entry])["C1"]
    # 1 of 4 answered lian_rules "poor" (25% < 1/3): no veto.  3 of 4 votes Excellent.
    # The unit has one graded cadre: 20% of 1 rounds down to 0 places.
    assert decision.grade == "competent"
    assert decision.message == QUOTA_OUTSIDE["unit"]

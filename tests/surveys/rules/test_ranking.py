"""Ranks, percentiles, weakest dimensions and the recommended uses of each grade."""

from __future__ import annotations

import pytest

from surveys.rules.questionnaire import GRADES
from surveys.rules.ranking import (
    RECOMMENDED,
    USES,
    DimensionGap,
    RankingEntry,
    competition_ranks,
    percentile_rank,
    recommended_uses,
    standings,
    unit_averages,
    weakest_dimensions,
)


def test_competition_ranking_shares_and_skips():
    assert competition_ranks({"a": 90, "b": 85, "c": 85, "d": 70}) == {
        "a": 1,
        "b": 2,
        "c": 2,
        "d": 4,
    }
    assert competition_ranks({"a": 80, "b": 80, "c": 80}) == {"a": 1, "b": 1, "c": 1}


def test_percentile_rank_counts_ties_half():
    values = [90, 85, 85, 70, 60]
    assert percentile_rank(90, values) == 90  # 4 below + half of itself: 4.5 / 5
    assert percentile_rank(85, values) == 60  # 2 below + half of 2 equal: 3 / 5
    assert percentile_rank(60, values) == 10  # 0.5 / 5
    assert percentile_rank(75, [75]) == 50


def test_standings_in_unit_and_campaign():
    entries = [
        RankingEntry("A", "北", 90.0),
        RankingEntry("B", "北", 84.996),  # shown as 85.00: ties with C
        RankingEntry("C", "北", 85.0),
        RankingEntry("D", "南", 88.0),
        RankingEntry("E", "南", None),  # no responses: not ranked, not counted
    ]
    result = standings(entries)
    assert [(result[c].unit_rank, result[c].campaign_rank) for c in "ABCD"] == [
        (1, 1),
        (2, 3),
        (2, 3),
        (1, 2),
    ]
    assert (result["B"].unit_ranked, result["D"].unit_ranked) == (3, 1)
    # Campaign: 4 ranked.  B: 0 below + half of 2 equal -> 1 / 4 = 25.
    assert result["B"].campaign_percentile == 25
    assert result["A"].campaign_percentile == pytest.approx(87.5)  # 3.5 / 4
    assert result["D"].unit_percentile == 50  # alone among the ranked of its unit
    assert result["A"].unit_percentile == pytest.approx(100 * 2.5 / 3)
    e = result["E"]
    assert (e.unit_rank, e.unit_percentile, e.campaign_rank, e.unit_ranked) == (None, None, None, 1)
    assert e.campaign_ranked == 4


def test_unit_averages_and_weakest_dimensions():
    entries = [
        RankingEntry("A", "北", 80, {"de": 90, "neng": 70, "qin": 80, "lian": 60}),
        RankingEntry("B", "北", 80, {"de": 80, "neng": 90, "qin": 80, "lian": 90}),
        RankingEntry("C", "北", 80, {"de": 70, "neng": 80, "qin": 80, "lian": 90}),
        RankingEntry("D", "南", 50, {"de": 10}),
    ]
    averages = unit_averages(entries)
    assert averages == {
        "北": {"de": 80, "neng": 80, "qin": 80, "lian": 80},
        "南": {"de": 10},
    }
    # A: de +10, neng -10, qin 0 (not below), lian -20 -> lian, then neng.
    weakest = weakest_dimensions(entries[0].dimension_scores, averages["北"])
    assert weakest == [DimensionGap("lian", 60, 80, -20), DimensionGap("neng", 70, 80, -10)]
    assert [
        g.dimension for g in weakest_dimensions(entries[0].dimension_scores, averages["北"], 1)
    ] == ["lian"]
    # B is nowhere below its unit's average.
    assert weakest_dimensions(entries[1].dimension_scores, averages["北"]) == []


def test_equal_gaps_keep_questionnaire_order():
    # Gaps -10, -10 and -10.004: all shown as -10.00, so ji does not jump the queue.
    scores = {"de": 70.0, "neng": 75.0, "ji": 64.996}
    average = {"de": 80.0, "neng": 85.0, "ji": 75.0}
    assert [g.dimension for g in weakest_dimensions(scores, average, 3)] == ["de", "neng", "ji"]


def test_recommended_uses_follow_the_source_text():
    assert recommended_uses("excellent") == (
        "Priority for promotion and appointment",
        "Commendation and awards",
        "Rank promotion and better pay for better performance",
    )
    assert recommended_uses("basically_competent") == (
        "A talk and reminder",
        "Targeted training on the weakest dimensions",
    )
    assert recommended_uses("incompetent") == (
        "A talk and reminder",
        "Adjustment of post, demotion or removal",
    )
    assert recommended_uses(None) == ()
    assert set(RECOMMENDED) == set(GRADES)
    assert {use for uses in RECOMMENDED.values() for use in uses} == set(USES)

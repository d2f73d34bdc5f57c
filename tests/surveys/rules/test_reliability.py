"""Cronbach's alpha and the one-way ICC against published examples and hand arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest

from surveys.rules.questionnaire import load_questionnaire
from surveys.rules.reliability import (
    cronbach_alpha,
    dimension_alphas,
    group_icc,
    icc_oneway,
    response_score,
)
from surveys.rules.scoring import ScoredResponse

# pingouin's "cronbach_alpha" data set (pingouin/datasets/cronbach_alpha.csv): 15 subjects
# (rows) answering 10 Likert items Q1..Q10 (columns).
PINGOUIN_ALPHA_DATA = [
    [3, 2, 4, 1, 4, 5, 1, 4, 3, 2],
    [5, 4, 6, 3, 5, 1, 2, 5, 5, 5],
    [7, 3, 5, 5, 6, 4, 3, 3, 6, 5],
    [2, 4, 3, 3, 2, 2, 2, 6, 6, 3],
    [6, 5, 6, 5, 4, 4, 4, 6, 7, 5],
    [1, 2, 3, 4, 2, 5, 2, 3, 5, 2],
    [4, 3, 5, 3, 5, 2, 1, 2, 4, 3],
    [2, 4, 4, 3, 7, 2, 2, 4, 6, 5],
    [6, 5, 5, 5, 1, 6, 5, 2, 3, 2],
    [5, 4, 6, 4, 3, 5, 3, 1, 7, 2],
    [4, 3, 5, 2, 5, 3, 2, 3, 4, 1],
    [4, 2, 3, 2, 5, 3, 4, 2, 3, 4],
    [5, 5, 6, 2, 3, 3, 2, 4, 4, 5],
    [6, 5, 5, 4, 2, 2, 1, 4, 6, 5],
    [4, 3, 5, 5, 3, 1, 3, 2, 3, 4],
]

# Shrout & Fleiss (1979), Table 1: six targets (rows) rated by four judges (columns).
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

# Statology, "How to Calculate Intraclass Correlation Coefficient in Python": six exams
# (rows) rated by four judges A-D (columns).
EXAMS = [
    [1, 2, 0, 1],
    [1, 3, 4, 2],
    [3, 8, 1, 3],
    [6, 4, 5, 3],
    [6, 5, 5, 6],
    [7, 5, 6, 4],
]

# pingouin's "icc" data set (pingouin/datasets/icc.csv): eight wines (rows), judges A-D.
WINES = [
    [1, 2, 0, 1],
    [1, 3, 3, 2],
    [3, 8, 1, 4],
    [6, 4, 3, 3],
    [6, 5, 5, 6],
    [7, 5, 6, 2],
    [8, 7, 7, 9],
    [9, 9, 9, 8],
]


def test_alpha_matches_pingouin_and_r_psych():
    """pingouin.cronbach_alpha docstring example on its "cronbach_alpha" data set prints
    ``(0.591719, array([0.195, 0.84 ]))``; pingouin tests the function against R's
    psych::alpha.  Source: pingouin/reliability.py (raphaelvallat/pingouin), Examples."""
    result = cronbach_alpha(PINGOUIN_ALPHA_DATA)
    assert result.alpha == pytest.approx(0.591719, abs=1e-6)
    assert (result.items, result.responses, result.dropped) == (10, 15, 0)


def test_alpha_by_hand():
    # Items x, x + 1, x + 2 over x = 1..4: item variances 5/3 each, totals 6, 9, 12, 15
    # with variance 15.  alpha = 3/2 * (1 - 5/15) = 1.
    assert cronbach_alpha([[x, x + 1, x + 2] for x in range(1, 5)]).alpha == pytest.approx(1)
    # Two items that disagree: (1, 3), (2, 2), (3, 1).  Item variances 1 + 1, totals all 4:
    # no variance in the totals, so alpha is undefined.
    assert cronbach_alpha([[1, 3], [2, 2], [3, 1]]) is None
    # (1, 2), (2, 1), (3, 3): item variances 1 + 1; totals 3, 3, 6 with variance 3.
    # alpha = 2 * (1 - 2/3) = 2/3.
    assert cronbach_alpha([[1, 2], [2, 1], [3, 3]]).alpha == pytest.approx(2 / 3)


def test_alpha_is_listwise_and_needs_two_items_and_two_rows():
    rows = [[1, 2], [2, 1], [3, 3], [5, None], [None, None]]
    result = cronbach_alpha(rows)
    assert result.alpha == pytest.approx(2 / 3)  # the two incomplete rows are left out
    assert (result.responses, result.dropped) == (3, 2)
    assert cronbach_alpha([[1], [2], [3]]) is None
    assert cronbach_alpha([[1, 2], [None, 3]]) is None


def test_icc1_and_icc1k_match_the_statology_pingouin_example():
    """Statology's pingouin tutorial prints, for these exams, ICC1 "Single raters absolute"
    0.505252 with F = 5.084916 (df 5, 18), and ICC1k "Average raters absolute" 0.803340.
    ICC1k = (BMS - WMS) / BMS = 1 - 1/F, so the printed F checks it too."""
    result = icc_oneway(EXAMS)
    assert result.icc1 == pytest.approx(0.505252, abs=1e-6)
    assert result.msb / result.msw == pytest.approx(5.084916, abs=1e-6)
    assert result.icck == pytest.approx(0.803340, abs=1e-6)
    assert result.icck == pytest.approx(1 - 1 / 5.084916, abs=1e-6)
    assert (result.targets, result.ratings, result.k) == (6, 24, 4)


def test_icc_on_shrout_and_fleiss_table_1():
    """Shrout & Fleiss (1979), Table 2: BMS 11.24, WMS 6.26; Table 4: ICC(1,1) .17 and
    ICC(1,4) .44 (R DescTools::ICC prints 0.166 and 0.443 for the same data).

    By hand: row sums 24, 12, 26, 16, 30, 19 (grand total 127), sum of squares 841.
    BSS = 2913/4 - 127^2/24 = 1349/24, so BMS = 1349/120;  WSS = 841 - 2913/4 = 451/4,
    so WMS = (451/4) / 18 = 451/72.
    """
    bms, wms = Fraction(1349, 120), Fraction(451, 72)
    result = icc_oneway(SHROUT_FLEISS)
    assert result.msb == pytest.approx(float(bms), abs=1e-9)
    assert result.msw == pytest.approx(float(wms), abs=1e-9)
    assert result.icc1 == pytest.approx(float((bms - wms) / (bms + 3 * wms)), abs=1e-9)
    assert result.icck == pytest.approx(float((bms - wms) / bms), abs=1e-9)
    assert round(result.icc1, 2) == 0.17 and round(result.icck, 2) == 0.44
    assert round(result.icc1, 3) == 0.166 and round(result.icck, 3) == 0.443


def test_icc_on_pingouins_wines():
    """pingouin's intraclass_corr docstring table for the "icc" data set: ICC1 0.728 and
    ICC1k 0.914, both with F 11.680 (df 7, 24), rounded to three decimals."""
    result = icc_oneway(WINES)
    assert result.icc1 == pytest.approx(0.728, abs=5e-4)
    assert result.icck == pytest.approx(0.914, abs=5e-4)
    assert result.msb / result.msw == pytest.approx(11.680, abs=5e-4)


def test_icc_with_unequal_counts_uses_k0():
    # Targets (1, 2) and (4, 5, 6): N = 5, grand mean 18/5 = 3.6.
    # SSB = 2 * (1.5 - 3.6)^2 + 3 * (5 - 3.6)^2 = 8.82 + 5.88 = 14.7;  MSB = 14.7 / 1.
    # SSW = 0.25 + 0.25 + 1 + 0 + 1 = 2.5;  MSW = 2.5 / (5 - 2) = 5/6.
    # k0 = (5 - (4 + 9) / 5) / 1 = 2.4.
    # ICC(1) = (14.7 - 5/6) / (14.7 + 1.4 * 5/6);  ICC(1,k) = (14.7 - 5/6) / 14.7.
    result = icc_oneway([[1, 2], [4, 5, 6]])
    assert result.k == pytest.approx(2.4)
    assert result.msw == pytest.approx(5 / 6)
    assert result.icc1 == pytest.approx((14.7 - 5 / 6) / (14.7 + 1.4 * 5 / 6))
    assert result.icck == pytest.approx((14.7 - 5 / 6) / 14.7)


def test_icc_needs_two_targets_and_some_repeat_ratings():
    assert icc_oneway([[1, 2, 3]]) is None
    assert icc_oneway([[1], [2], []]) is None  # no rating shares a target: no within part
    assert icc_oneway([[3, 3], [3, 3]]) is None  # nothing varies


# --- on responses ---------------------------------------------------------------------------

ANNUAL = load_questionnaire("annual")


def peer(cadre: str, *answers: str) -> ScoredResponse:
    """A peer's response giving the answers, in order, to the peer's seven items."""
    keys = [item.key for item in ANNUAL.items_for("peer")]
    return ScoredResponse(cadre, "peer", dict(zip(keys, answers, strict=True)))


def test_response_score_is_the_group_score_of_one_response():
    # Peers answer de (2 items), neng (1), qin (2), ji (1), lian (1); weights 20/20/20/25/15.
    # All "good" but lian "poor": (100 * 85 + 30 * 15) / 100 = 89.5.
    response = peer("C1", *["good"] * 6, "poor")
    assert response_score(ANNUAL, response) == pytest.approx(89.5)


def test_group_icc_over_cadres():
    # C1's peers score 100 and 89.5 (see above); C2's 60 and 66 (fair, but lian good).
    responses = [
        peer("C1", *["good"] * 7),
        peer("C1", *["good"] * 6, "poor"),
        peer("C2", *["fair"] * 7),
        peer("C2", *["fair"] * 6, "good"),  # (60 * 85 + 100 * 15) / 100 = 66
        ScoredResponse("C2", "subordinate", {"de_stance": "poor"}),  # another group
    ]
    result = group_icc(ANNUAL, responses, "peer")
    assert result == icc_oneway([[100, 89.5], [60, 66]])
    assert result.targets == 2 and result.ratings == 4


def test_dimension_alphas_per_group():
    # Peers' de items (de_stance, de_ethics) across three responses: (100, 80), (80, 60),
    # (60, 60): item variances 400 + 133.33, totals 180, 140, 120 with variance 933.33.
    # alpha = 2 * (1 - 533.33 / 933.33) = 0.857142...
    rows = [("good", "fairly_good"), ("fairly_good", "fair"), ("fair", "fair")]
    responses = [peer("C1", a, b, "good", "good", "good", "good", "good") for a, b in rows]
    alphas = dimension_alphas(ANNUAL, responses, "peer")
    assert alphas["de"].alpha == pytest.approx(2 * (1 - (400 + 400 / 3) / (2800 / 3)))
    assert alphas["neng"] is None  # peers answer one neng item only
    assert alphas["lian"] is None  # one item
    # Without a group, de's items are the same two for every group: the same alpha.
    assert dimension_alphas(ANNUAL, responses)["de"].alpha == pytest.approx(6 / 7)
    # Every qin answer is "good": no variance, so no alpha.
    assert dimension_alphas(ANNUAL, responses)["qin"] is None
    # Subordinates answer neng_leadership, peers do not: listwise, no complete peer row.
    assert dimension_alphas(ANNUAL, responses)["neng"] is None

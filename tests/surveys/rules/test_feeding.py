"""Earlier results feeding a composite (surveys/rules/feeding.py), worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from surveys.results.rulebook import rule_lines
from surveys.rules.feeding import FED, NOT_FED, fed_composite, feeding_notes, in_window
from surveys.rules.presets import apply_preset, preset_data
from surveys.rules.questionnaire import Feeds, Questionnaire, load_questionnaire
from tests.presets import under

REGULAR = Feeds(source="regular", share=0.2, years=1)


def test_the_fed_figure_is_the_mean_of_the_shown_composites_mixed_by_the_share():
    # 0.8 x 88 + 0.2 x (100 + 70) / 2 = 70.4 + 17 = 87.4
    mixed, part = fed_composite(REGULAR, 88.0, [100.0, 70.0])
    assert mixed == pytest.approx(87.4)
    assert (part.rating, part.fed, part.count, part.share) == (88.0, 85.0, 2, 0.2)
    [note] = feeding_notes(part, composite_shown=True)
    assert note.message == FED
    assert note.values == {
        "rest": "80", "rating": "88.00", "share": "20", "count": 2,
        "source": "regular", "fed": "85.00", "mixed": "87.40",
    }  # fmt: skip


def test_the_term_mixes_annual_results_by_its_own_share():
    # 0.7 x 80 + 0.3 x (90 + 85 + 80) / 3 = 56 + 25.5 = 81.5
    mixed, _ = fed_composite(Feeds(source="annual", share=0.3, years=5), 80.0, [90, 85, 80])
    assert mixed == pytest.approx(81.5)


def test_without_fed_results_the_composite_is_the_raters_with_a_note():
    mixed, part = fed_composite(REGULAR, 88.0, [])
    assert mixed == 88.0 and part.fed is None and part.count == 0
    [note] = feeding_notes(part, composite_shown=True)
    assert (note.message, note.values) == (NOT_FED, {"source": "regular", "share": "20"})


def test_a_withheld_composite_stays_withheld_and_says_nothing():
    mixed, part = fed_composite(REGULAR, None, [100.0])
    assert mixed is None
    assert feeding_notes(part, composite_shown=False) == []
    _, part = fed_composite(REGULAR, 70.0, [100.0])
    assert feeding_notes(part, composite_shown=False) == []


def test_the_window_is_the_years_before_the_close():
    closes = datetime(2026, 12, 1, tzinfo=UTC)
    assert in_window(datetime(2026, 3, 31, tzinfo=UTC), closes, 1)
    assert in_window(datetime(2025, 12, 2, tzinfo=UTC), closes, 1)
    assert not in_window(datetime(2025, 12, 1, tzinfo=UTC), closes, 1)
    assert not in_window(closes, closes, 1)
    assert in_window(datetime(2022, 12, 2, tzinfo=UTC), closes, 5)
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert in_window(datetime(2027, 3, 1, tzinfo=UTC), leap, 1)


def test_presets_feed_by_default_and_a_template_may_say_otherwise():
    assert preset_data("leading-cadre-annual")["feeds"] == {
        "source": "regular", "share": 0.2, "years": 1,
    }  # fmt: skip
    assert preset_data("leading-cadre-term")["feeds"] == {
        "source": "annual", "share": 0.3, "years": 5,
    }  # fmt: skip
    plain = load_questionnaire("annual").model_dump(mode="json")
    del plain["feeds"]  # as a template file without the setting
    fed = Questionnaire.model_validate({**plain, "preset": "civil-servant-annual"})
    assert fed.feeds == REGULAR
    unfed = Questionnaire.model_validate({**plain, "preset": "civil-servant-annual", "feeds": None})
    assert unfed.feeds is None
    assert apply_preset(fed.model_dump(mode="json"))["feeds"] == REGULAR.model_dump()
    with pytest.raises(ValueError):
        Feeds(source="regular", share=1)


def test_the_rules_list_says_feeding_is_a_product_default():
    lines = rule_lines(under("leading-cadre-term"), "en")
    assert (
        "Composite: 70% ratings + 30% the mean of the person's shown Annual composites of the "
        "5 year(s) before [the product's default, not a cited rule]"
    ) in lines
    assert not any("Composite:" in line for line in rule_lines(load_questionnaire("annual"), "en"))

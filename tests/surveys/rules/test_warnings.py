"""Each early-warning rule fires at its threshold and not just short of it; the template's
``warnings:`` section sets the thresholds and is checked like every other section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
import yaml

from surveys.rules.questionnaire import (
    Questionnaire,
    TemplateError,
    load_questionnaire,
    parse_questionnaire,
)
from surveys.rules.warnings import (
    COMPLETION_LOW,
    COMPOSITE_DROP,
    DIMENSION_DROP,
    INCOMPETENT_SHARE,
    INTEGRITY_LOW,
    WINDOW_BURST,
    Subject,
    WarningSettings,
    completion_low,
    composite_drop,
    dimension_drops,
    incompetent_share,
    integrity_low,
    window_burst,
)

CADRE = Subject("cadre", "C1", "王伟")
DEADLINE = datetime(2026, 12, 10, 10, tzinfo=UTC)


def test_defaults_are_stated_and_overridable():
    settings = WarningSettings()
    assert (settings.composite_drop, settings.dimension_drop) == (5.0, 8.0)
    assert settings.incompetent_share == Fraction(1, 3)
    assert (settings.integrity_dimension, settings.integrity_minimum) == (None, 70.0)
    assert (settings.completion_target, settings.completion_hours) == (Fraction(4, 5), 72)
    assert settings.burst_minimum == 20
    assert load_questionnaire("annual").warnings == settings


def test_composite_drop_fires_at_the_threshold_and_not_below():
    fired = composite_drop(CADRE, 90.0, 95.0, "2025年度考核", 5.0)
    assert [(w.rule, w.figures, w.threshold) for w in fired] == [
        (COMPOSITE_DROP, {"score": 90.0, "before": 95.0, "drop": 5.0}, "5")
    ]
    assert composite_drop(CADRE, 90.01, 95.0, "x", 5.0) == []
    assert composite_drop(CADRE, 99.0, 95.0, "x", 5.0) == []  # a rise
    assert composite_drop(CADRE, None, 95.0, "x", 5.0) == []  # withheld now
    assert composite_drop(CADRE, 80.0, None, "x", 5.0) == []  # withheld then
    assert composite_drop(CADRE, 80.0, 95.0, "x", None) == []  # rule off


def test_dimension_drop_fires_per_dimension_at_the_threshold():
    fired = dimension_drops(
        CADRE, {"de": 82.0, "neng": 82.5, "lian": 70.0}, {"de": 90.0, "neng": 90.0}, "x", 8.0
    )
    assert [(w.rule, w.detail, w.figures["drop"]) for w in fired] == [(DIMENSION_DROP, "de", 8.0)]
    assert fired[0].key == "dimension_drop:cadre:C1:de"
    assert dimension_drops(CADRE, {"de": 82.0}, {"de": 90.0}, "x", None) == []


def test_incompetent_share_fires_only_above_the_share_exactly():
    third = Fraction(1, 3)
    assert incompetent_share(CADRE, 3, 9, third) == []  # exactly a third is not more
    fired = incompetent_share(CADRE, 4, 9, third)
    assert [(w.rule, w.figures, w.threshold) for w in fired] == [
        (INCOMPETENT_SHARE, {"votes": 4, "cast": 9}, "1/3")
    ]
    assert incompetent_share(CADRE, None, None, third) == []  # shares withheld
    assert incompetent_share(CADRE, 4, 9, None) == []


def test_integrity_fires_below_its_minimum_only():
    assert integrity_low(CADRE, {"lian": 70.0}, "lian", 70.0) == []
    fired = integrity_low(CADRE, {"lian": 69.99}, "lian", 70.0)
    assert [(w.rule, w.figures, w.threshold) for w in fired] == [
        (INTEGRITY_LOW, {"score": 69.99}, "70")
    ]
    assert integrity_low(CADRE, {"de": 10.0}, "lian", 70.0) == []  # withheld or absent
    assert integrity_low(CADRE, {"lian": 10.0}, None, 70.0) == []


def test_completion_fires_below_target_inside_the_window_before_the_deadline():
    campaign = Subject("campaign", "campaign", "2026年度考核")
    inside = DEADLINE - timedelta(hours=72)
    target = Fraction(4, 5)
    fired = completion_low(campaign, 79, 100, DEADLINE, inside, target, 72)
    assert [(w.rule, w.figures, w.threshold) for w in fired] == [
        (COMPLETION_LOW, {"completed": 79, "assigned": 100}, "80%")
    ]
    assert completion_low(campaign, 80, 100, DEADLINE, inside, target, 72) == []  # on target
    early = inside - timedelta(seconds=1)
    assert completion_low(campaign, 10, 100, DEADLINE, early, target, 72) == []  # too early
    assert completion_low(campaign, 10, 100, DEADLINE, DEADLINE, target, 72) == []  # closed
    assert completion_low(campaign, 0, 0, DEADLINE, inside, target, 72) == []  # nobody named


def test_burst_fires_at_the_minimum():
    window = Subject("window", "ch1", "1号窗口")
    fired = window_burst(window, 20, "2026-12-01 09:00", "2026-12-01 10:00", "20261201T01", 20)
    assert [(w.rule, w.key) for w in fired] == [
        (WINDOW_BURST, "window_burst:window:ch1:20261201T01")
    ]
    assert window_burst(window, 19, "a", "b", "h", 20) == []
    assert window_burst(window, 500, "a", "b", "h", None) == []


def test_the_same_warning_has_the_same_fingerprint_per_campaign():
    one = composite_drop(CADRE, 80.0, 95.0, "x", 5.0)[0]
    again = composite_drop(CADRE, 70.0, 95.0, "x", 5.0)[0]  # figures moved: the same warning
    assert one.fingerprint("a") == again.fingerprint("a") != one.fingerprint("b")


def _template(warnings: str) -> str:
    data = load_questionnaire("annual").model_dump(mode="json")
    data.pop("warnings")
    return yaml.safe_dump(data, allow_unicode=True) + warnings


def test_a_template_sets_thresholds_and_null_turns_a_rule_off():
    text = _template(
        "warnings:\n  composite_drop: 3\n  incompetent_share: 1/4\n  burst_minimum: null\n"
        "  integrity_dimension: de\n"
    )
    settings = parse_questionnaire(text, "t.yaml").warnings
    assert settings.composite_drop == 3.0 and settings.incompetent_share == Fraction(1, 4)
    assert settings.burst_minimum is None and settings.integrity_dimension == "de"
    again = Questionnaire.model_validate(parse_questionnaire(text, "t.yaml").model_dump())
    assert again.warnings == settings  # a campaign's snapshot reads back the same


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("  composite_drop: -1\n", "warnings.composite_drop"),
        ("  incompetent_share: 3/2\n", "warnings.incompetent_share"),
        ("  completion_hours: 0\n", "warnings.completion_hours"),
        ("  integrity_dimension: honesty\n", "warnings.integrity_dimension"),
        ("  loudness: 3\n", "warnings.loudness"),
    ],
)
def test_a_bad_threshold_names_its_field(section, field):
    with pytest.raises(TemplateError) as error:
        parse_questionnaire(_template("warnings:\n" + section), "t.yaml")
    assert [where for where, _ in error.value.problems] == [field]

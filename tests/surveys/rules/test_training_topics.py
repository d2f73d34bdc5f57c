"""Training topics in questionnaire templates: optional, per known dimension, kept in snapshots."""

from __future__ import annotations

import pytest
import yaml

from surveys.rules.questionnaire import (
    Questionnaire,
    TemplateError,
    load_questionnaire,
    parse_questionnaire,
)


def test_the_built_in_templates_list_topics_for_their_dimensions():
    annual = load_questionnaire("annual")
    assert list(annual.training_topics) == ["de", "neng", "qin", "ji", "lian"]
    assert annual.training_topics["lian"][0].get("zh") == "廉洁自律与警示教育"
    assert annual.training_topics["lian"][0].get("en") == "Clean conduct and integrity education"
    public = load_questionnaire("public-service")
    assert [t.zh for t in public.training_topics["qin"]] == ["窗口服务礼仪与沟通技巧"]


def test_merging_the_public_form_keeps_the_main_forms_topics_and_adds_its_own():
    public = load_questionnaire("public-service")
    merged = load_questionnaire("annual").with_public_form(public)
    assert merged.training_topics["qin"] == load_questionnaire("annual").training_topics["qin"]
    stripped = load_questionnaire("annual").model_copy(update={"training_topics": {}})
    assert stripped.with_public_form(public).training_topics == public.training_topics


def test_a_snapshot_from_before_training_topics_reads_back_without_them():
    data = load_questionnaire("annual").model_dump()
    del data["training_topics"]
    assert Questionnaire.model_validate(data).training_topics == {}


def test_topics_for_an_unknown_dimension_are_a_template_error():
    data = load_questionnaire("annual").model_dump(mode="json")
    data["training_topics"] = {"xue": [{"zh": "学习", "en": "Study"}]}
    with pytest.raises(TemplateError) as error:
        parse_questionnaire(yaml.safe_dump(data, allow_unicode=True), "mine.yaml")
    assert "mine.yaml: training_topics.xue: unknown dimension 'xue'" in str(error.value)

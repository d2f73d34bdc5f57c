"""Questionnaire templates: the built-ins, merging the public form, errors and snapshots."""

from __future__ import annotations

import copy
from importlib import resources

import pytest
import yaml
from sqlmodel import Session

from storage.models import Campaign
from surveys.rules.questionnaire import (
    RATER_GROUPS,
    Questionnaire,
    TemplateError,
    built_in_names,
    load_questionnaire,
)
from surveys.setup.campaigns import KeyFileCustody, create_campaign, snapshot
from surveys.setup.roster import import_roster
from tests.factories import ANNUAL_PEER_ITEMS, BOX_KEYS, CLOSES, OPENS, small_roster_rows


def annual_data() -> dict:
    """The built-in annual template as plain data, to be spoiled by a test."""
    text = (resources.files("surveys") / "templates" / "annual.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def write_yaml(path, data) -> str:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


# --- the built-in templates -------------------------------------------------------------------


def test_both_built_in_templates_load():
    assert built_in_names() == ["annual", "public-service"]
    assert load_questionnaire("annual").key == "annual"
    assert load_questionnaire("public-service").key == "public_service"


def test_annual_has_the_five_dimensions_in_order():
    annual = load_questionnaire("annual")
    assert [d.key for d in annual.dimensions] == ["de", "neng", "qin", "ji", "lian"]
    assert all(d.title.zh and d.title.en for d in annual.dimensions)
    assert annual.groups() == ["superior", "peer", "subordinate"]
    assert annual.vote is not None and annual.vote.groups == ["superior", "peer", "subordinate"]


def test_public_form_is_short_with_an_optional_comment():
    public = load_questionnaire("public-service")
    assert 3 <= len(public.items()) <= 5
    assert all(item.groups == ["public"] for item in public.items())
    assert public.comment is not None and public.comments_for("public")
    # The comment is optional: nothing in the template can make it required.
    assert "required" not in type(public.comment).model_fields
    assert public.vote is None


def test_items_and_dimensions_per_group():
    annual = load_questionnaire("annual")
    assert len(annual.items()) == 10
    assert [i.key for i in annual.items_for("superior")] == [
        "de_stance",
        "de_ethics",
        "neng_expertise",
        "neng_leadership",
        "qin_dedication",
        "ji_targets",
        "ji_quality",
        "lian_rules",
        "lian_responsibility",
    ]
    assert [i.key for i in annual.items_for("peer")] == ANNUAL_PEER_ITEMS
    assert len(annual.items_for("subordinate")) == 10
    assert annual.items_for("public") == []

    peer = annual.dimensions_for("peer")
    assert [d.key for d in peer] == ["de", "neng", "qin", "ji", "lian"]
    assert [i.key for i in peer[1].items] == ["neng_expertise"]  # narrowed to the peer's items
    assert [i.key for i in peer[2].items] == ["qin_dedication", "qin_style"]
    assert annual.dimensions_for("public") == []
    # Narrowing is a copy: the questionnaire itself keeps all items.
    assert [i.key for i in annual.dimensions[1].items] == ["neng_expertise", "neng_leadership"]


def test_with_public_form_merges_items_as_public_group():
    annual = load_questionnaire("annual")
    public = load_questionnaire("public-service")
    merged = annual.with_public_form(public)

    public_items = merged.items_for("public")
    assert [i.key for i in public_items] == [
        "pub_attitude",
        "pub_efficiency",
        "pub_overall",
        "pub_clean",
    ]
    assert all(item.groups == ["public"] for item in public_items)
    # The main form's items are untouched and the public ones never reach named raters.
    assert [i.key for i in merged.items_for("superior")] == [
        i.key for i in annual.items_for("superior")
    ]
    assert len(merged.items()) == len(annual.items()) + len(public.items())
    # Public items sit in the dimension they belong to.
    by_dimension = {d.key: [i.key for i in d.items] for d in merged.dimensions_for("public")}
    assert by_dimension == {
        "qin": ["pub_attitude"],
        "ji": ["pub_efficiency", "pub_overall"],
        "lian": ["pub_clean"],
    }
    assert merged.groups() == list(RATER_GROUPS)
    assert merged.group_weights == annual.group_weights
    assert merged.comments_for("public") and merged.comments_for("peer")
    assert not merged.votes_for("public")
    # Merging changes neither input.
    assert annual.items_for("public") == []
    assert [i.key for i in public.items()] == ["attitude", "efficiency", "overall", "clean"]


def test_with_public_form_refuses_another_scale():
    annual = load_questionnaire("annual")
    data = load_questionnaire("public-service").model_dump()
    data["scale"][0]["points"] = 90
    with pytest.raises(ValueError, match="same answer scale"):
        annual.with_public_form(Questionnaire.model_validate(data))


# --- malformed templates ----------------------------------------------------------------------


def assert_problem(error: TemplateError, path: str, field: str, *words: str) -> None:
    """The message names the file, the field and what is wrong."""
    text = str(error)
    assert error.source == path
    assert text.startswith(f"{path}: ")
    line = next((line for line in text.splitlines() if line.startswith(f"{path}: {field}: ")), None)
    assert line is not None, f"no problem reported for {field!r} in:\n{text}"
    for word in words:
        assert word in line, f"{word!r} not in {line!r}"
    assert (field, line.removeprefix(f"{path}: {field}: ")) in error.problems


def test_invalid_yaml_syntax(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("key: annual\ntitle: {zh: 年度, en: Annual\nscale: []\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    error = caught.value
    assert error.source == str(path)
    [(where, message)] = error.problems
    assert where.startswith("line ")
    assert "not valid YAML" in message
    assert str(error).startswith(f"{path}: line ")


def test_unknown_rater_group_in_an_item(tmp_path):
    data = annual_data()
    data["dimensions"][0]["items"][1]["groups"] = ["superior", "boss"]
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(
        caught.value, path, "dimensions[0].items[1].groups", "unknown rater group", "'boss'"
    )


def test_duplicate_item_keys(tmp_path):
    data = annual_data()
    data["dimensions"][3]["items"][1]["key"] = "de_stance"
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(
        caught.value, path, "dimensions[3].items[1].key", "duplicate item key", "'de_stance'"
    )
    assert len(caught.value.problems) == 1  # the first use of the key is fine


def test_missing_chinese_text(tmp_path):
    data = annual_data()
    del data["dimensions"][2]["items"][0]["text"]["zh"]
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "dimensions[2].items[0].text.zh", "required")


def test_scale_with_one_option(tmp_path):
    data = annual_data()
    data["scale"] = data["scale"][:1]
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "scale", "at least 2")


def test_negative_dimension_weight(tmp_path):
    data = annual_data()
    data["dimensions"][4]["weight"] = -15
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "dimensions[4].weight", "greater than 0")


def test_negative_group_weight(tmp_path):
    data = annual_data()
    data["group_weights"]["peer"] = -20
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "group_weights.peer", "greater than or equal to 0")


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e309"])
@pytest.mark.parametrize("where", ["dimensions[0].weight", "group_weights.peer"])
def test_non_finite_weights_are_refused_with_the_field(tmp_path, where, value):
    """Issue 14, finding 8: ``weight: .inf`` made a campaign whose composites were nan
    and every grade Incompetent; a group weight of ``.inf`` was accepted too."""
    text = yaml.safe_dump(annual_data(), allow_unicode=True, sort_keys=False)
    if where == "group_weights.peer":
        text = text.replace("peer: 20", f"peer: {value}", 1)
    else:
        text = text.replace("weight: 20", f"weight: {value}", 1)
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(str(path))
    assert_problem(caught.value, str(path), where)


def test_a_weight_too_large_to_add_up_is_refused(tmp_path):
    """Two weights of 1e308 add up to infinity: the composite was nan."""
    data = annual_data()
    data["dimensions"][0]["weight"] = 1e308
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "dimensions[0].weight", "less than or equal to 1000000")


def test_zero_dimension_weight_is_refused(tmp_path):
    data = annual_data()
    data["dimensions"][2]["weight"] = 0
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "dimensions[2].weight", "greater than 0")


def test_item_group_without_a_weight(tmp_path):
    data = annual_data()
    del data["group_weights"]["superior"]
    data["dimensions"] = data["dimensions"][:1]  # two items, both answered by superiors
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    error = caught.value
    for index in (0, 1):
        assert_problem(
            error, path, f"dimensions[0].items[{index}].groups", "without a weight", "superior"
        )


def test_several_problems_are_all_reported(tmp_path):
    data = annual_data()
    data["scale"][1]["points"] = 120
    data["dimensions"][1]["items"][0]["groups"] = ["everyone"]
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    fields = [field for field, _ in caught.value.problems]
    assert fields == ["scale[1].points", "dimensions[1].items[0].groups"]


@pytest.mark.parametrize("text", ["- de\n- neng\n", "just words\n", ""])
def test_top_level_not_a_mapping(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, str(path), "(top level)", "expected a mapping")


def test_nonexistent_file(tmp_path):
    path = tmp_path / "nowhere" / "annual-2026.yaml"
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, str(path), "(file)", "no such template file")


def test_file_not_in_utf8(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("key: annual\ntitle: {zh: 年度考核, en: Annual}\n".encode("gbk"))
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, str(path), "(file)", "UTF-8")


def test_unknown_field_is_named(tmp_path):
    data = annual_data()
    data["dimensions"][0]["wieght"] = 20
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "dimensions[0].wieght", "not permitted")


def test_a_copied_template_loads_by_path(tmp_path):
    data = annual_data()
    data["key"] = "annual_2026"
    path = write_yaml(tmp_path / "mine.yaml", data)
    assert load_questionnaire(path).key == "annual_2026"


# --- snapshots --------------------------------------------------------------------------------


def test_campaign_keeps_its_snapshot_when_the_file_changes(engine, now, tmp_path):
    path = tmp_path / "ours.yaml"
    original = annual_data()
    write_yaml(path, original)
    questionnaire = load_questionnaire(path)
    with Session(engine) as session:
        roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
        campaign = create_campaign(
            session=session,
            name="年度考核",
            kind="annual",
            roster_id=roster.id,
            questionnaire=questionnaire,
            opens_at=OPENS,
            closes_at=CLOSES,
            now=now,
            custody=KeyFileCustody(BOX_KEYS),
        )
        campaign_id = campaign.id
        session.commit()

    edited = copy.deepcopy(original)
    edited["title"]["zh"] = "改过的标题"
    edited["dimensions"][0]["items"].pop()
    edited["group_weights"]["peer"] = 50
    write_yaml(path, edited)
    assert load_questionnaire(path).title.zh == "改过的标题"  # the edit is real

    with Session(engine) as session:
        frozen = snapshot(session.get(Campaign, campaign_id))
    assert frozen == questionnaire
    assert frozen.title.zh == original["title"]["zh"]
    assert [i.key for i in frozen.dimensions[0].items] == ["de_stance", "de_ethics"]
    assert frozen.group_weights["peer"] == 20


def test_reminder_waves_must_be_opening_or_a_time_before_the_deadline(tmp_path):
    data = annual_data()
    data["reminders"] = ["opening", "tomorrow"]
    path = write_yaml(tmp_path / "t.yaml", data)
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(path)
    assert_problem(caught.value, path, "reminders[1]", "should match pattern")


def test_the_annual_template_names_its_default_waves():
    assert load_questionnaire("annual").reminders == ["opening", "3d", "1d", "3h"]


def test_a_nul_in_a_text_is_refused_with_the_field(tmp_path):
    """YAML's "\\0" escape is a NUL: the template loaded, and the NUL went into every
    form, page and file that shows the title (PostgreSQL refuses it in text columns)."""
    text = (resources.files("surveys") / "templates" / "annual.yaml").read_text(encoding="utf-8")
    path = tmp_path / "t.yaml"
    line = "en: Annual assessment of leading cadres"
    path.write_text(text.replace(line, 'en: "Annual\\0assessment"', 1), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_questionnaire(str(path))
    assert_problem(caught.value, str(path), "title.en", "control character")

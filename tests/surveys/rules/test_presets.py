"""Rule presets, checked rule by rule against cases worked by hand.

Each case builds the annual questionnaire's questions under one preset and
hand-made scores (composite and vote counts), so the few numbers a rule
looks at are in the test.  The presets' figures (shares, pools, periods)
are read from the preset files only where a test is about the file itself;
elsewhere the expected grade follows from the case's own arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import yaml

from surveys.results.outcomes import describe
from surveys.results.rulebook import explain, rule_lines
from surveys.rules.grading import (
    ADMONITION,
    BAND,
    CAPS,
    FLAG_CAPS,
    PENDING,
    QUOTA_OUTSIDE,
    QUOTA_WITHIN,
    REQUIRES,
    QuotaWarning,
    grade_campaign,
    quota_places,
    quota_warnings,
)
from surveys.rules.presets import (
    PresetError,
    citation_problems,
    preset_citations,
    preset_data,
    preset_names,
    preset_overrides,
    with_preset,
)
from surveys.rules.questionnaire import (
    Questionnaire,
    TemplateError,
    parse_questionnaire,
)
from tests.presets import ANNUAL, PRESETS, cadre, fillers, under

# --- the preset files -----------------------------------------------------------------------


def test_the_four_presets_are_shipped():
    assert preset_names() == sorted(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_every_rule_of_a_preset_carries_a_citation(name):
    questionnaire = under(name)
    grading, windows = questionnaire.grading, questionnaire.windows
    rules = [*grading.votes, *grading.flags, grading.quota, grading.admonition]
    rules += [windows.publicity, windows.review, windows.appeal]
    for rule in rules:
        if rule is not None:
            assert rule.citation is not None, rule
            assert rule.citation.source
    assert grading.bands_citation is not None
    assert preset_overrides(questionnaire) == []  # nothing set by the template


@pytest.mark.parametrize("name", PRESETS)
def test_every_citation_is_checked_with_its_words_or_says_why_not(name):
    """Checked: article, quoted sentence, page read.  Else a product default, or a note."""
    citations = preset_citations(preset_data(name))
    assert citations and all(citation is not None for _, citation in citations)
    for path, citation in citations:
        if citation.get("checked"):
            assert citation["article"].startswith("第") or citation.get("basis") == "local", path
            assert len(citation["quote"]) >= 10, path
            assert citation["url"].startswith(("http://", "https://")), path
        else:
            assert citation.get("basis") == "default" or citation.get("note"), path


@pytest.mark.parametrize("name", PRESETS)
def test_the_rule_listing_shows_every_checked_article(name):
    questionnaire = under(name)
    lines = rule_lines(questionnaire, "en")
    for path, citation in preset_citations(preset_data(name)):
        if citation.get("checked"):
            cited = f"[{citation['source']} {citation['article']}"
            quoted = f": “{citation['quote']}” ({citation['url']})"
            assert any(cited in line and line.endswith(quoted) for line in lines), path


def test_a_preset_file_short_of_its_citations_is_refused():
    data = preset_data("civil-servant-annual")
    data["grading"]["quota"]["citation"] = {"source": "《公务员考核规定》", "checked": True}
    del data["windows"]["publicity"]["citation"]
    data["grading"]["bands_citation"]["checked"] = True
    assert citation_problems(data) == [
        "grading.bands is checked but gives no article, quote, url",
        "grading.bands is a product default and cannot be checked",
        "grading.quota is checked but gives no article, quote, url",
        "windows.publicity cites no source",
    ]


def test_a_checked_citation_in_a_template_must_say_where():
    unsourced = {"source": "《公务员考核规定》", "article": "第十条", "checked": True}
    with pytest.raises(TemplateError, match="a checked citation gives its article, quote and url"):
        under("civil-servant-annual", quota={"citation": unsourced})
    default = {**unsourced, "quote": "某某", "url": "https://example.org", "basis": "default"}
    with pytest.raises(TemplateError, match="a product default has no text to check against"):
        under("civil-servant-annual", quota={"citation": default})


def test_what_the_texts_say_and_the_presets_follow():
    """The facts the presets were corrected to, from the articles they quote."""
    institution = under("institution-staff")
    quota = institution.grading.quota
    assert (quota.share, quota.citation.article, quota.citation.checked) == (
        Fraction(1, 5),
        "第十五条",
        True,
    )
    assert institution.windows.publicity.citation.article == "第十七条第（四）项"
    flags = {flag.key: flag for flag in institution.grading.flags}
    assert flags["serious_political_failure"].citation.article == "第十四条第（一）项"
    assert not flags["sanction_in_effect"].citation.checked  # 第四十三条 refers elsewhere
    civil = {flag.key: flag for flag in under("civil-servant-annual").grading.flags}
    assert civil["sanction_in_effect"].label.zh == "受警告处分的当年"  # 第二十九条（一）
    assert (civil["sanction_in_effect"].effect, civil["sanction_in_effect"].caps_at) == (
        "caps",
        "competent",
    )
    assert civil["graver_sanction"].effect == "no_grade"  # 第二十九条（二）, text cut short
    assert not civil["graver_sanction"].citation.checked


def test_a_graver_sanction_leaves_a_civil_servant_without_a_grade():
    votes = {"excellent": 8, "competent": 2}
    flags = frozenset({"graver_sanction"})
    decisions = grade_campaign(
        under("civil-servant-annual"), [cadre("G", 99.0, votes=votes, flags=flags), *fillers(4)]
    )
    assert (decisions["G"].grade, decisions["G"].message) == (None, PENDING)
    assert decisions["G"].values == {"flag": "graver_sanction"}


@pytest.mark.parametrize("name", PRESETS)
def test_vote_rules_say_more_than_outright(name):
    data = preset_data(name)
    for rule in data["grading"]["votes"]:
        assert rule["comparison"] in ("at_least", "more_than")  # stated, never defaulted
    assert [(r.grade, r.effect, r.share, r.comparison) for r in under(name).grading.votes] == [
        ("excellent", "requires", Fraction(1, 2), "more_than"),
        ("incompetent", "caps", Fraction(1, 3), "more_than"),
    ]


@pytest.mark.parametrize("name", PRESETS)
def test_a_snapshot_reads_back_the_same(name):
    questionnaire = under(name, votes=[{"grade": "excellent", "effect": "requires", "share": 0.6}])
    again = Questionnaire.model_validate(questionnaire.model_dump())
    assert again == questionnaire
    assert preset_overrides(again) == preset_overrides(questionnaire)


def test_grade_names_and_kinds():
    assert {name: preset_data(name)["kind"] for name in PRESETS} == {
        "civil-servant-annual": "annual",
        "leading-cadre-annual": "annual",
        "leading-cadre-term": "term",
        "institution-staff": "annual",
    }
    assert under("institution-staff").grading.labels == "institution"
    assert under("civil-servant-annual").grading.labels == "cadre"


def test_the_periods_of_the_civil_service_law():
    windows = under("civil-servant-annual").windows
    assert (windows.publicity.days, windows.publicity.counting) == (5, "working")
    assert (windows.review.days, windows.review.counting) == (30, "calendar")
    assert (windows.appeal.days, windows.appeal.counting) == (15, "calendar")
    assert windows.review.citation.article == "第九十五条"


def test_an_unknown_preset_is_a_template_error():
    with pytest.raises(TemplateError, match="unknown preset 'nope'"):
        under("nope")
    with pytest.raises(PresetError):
        with_preset(ANNUAL, "nope")


def test_a_flag_that_caps_must_say_at_what():
    flags = [{"key": "odd", "label": {"zh": "某", "en": "Odd"}, "effect": "caps"}]
    with pytest.raises(TemplateError, match="caps_at goes with effect caps"):
        under("civil-servant-annual", flags=flags)


# --- overrides ------------------------------------------------------------------------------


def test_an_override_is_listed_and_loses_the_preset_citation():
    questionnaire = under(
        "civil-servant-annual",
        votes=[{"grade": "excellent", "effect": "requires", "comparison": "at_least"}],
        quota={"scope": "unit"},
    )
    rule = questionnaire.grading.votes[0]
    assert (rule.share, rule.comparison, rule.citation) == (Fraction(1, 2), "at_least", None)
    assert questionnaire.grading.votes[1].citation is not None  # untouched rule keeps it
    found = [(o.path, o.preset, o.template) for o in preset_overrides(questionnaire)]
    assert ("grading.votes[0].comparison", "more_than", "at_least") in found
    assert ("grading.quota.scope", "agency", "unit") in found
    lines = rule_lines(questionnaire, "en")
    assert "The template sets grading.quota.scope to unit (the preset: agency)" in lines
    assert "Excellent needs at least 50% of votes for it [no source cited]" in lines


def test_the_same_number_written_otherwise_is_no_override():
    questionnaire = under("civil-servant-annual", quota={"share": "1/5"})
    assert preset_overrides(questionnaire) == []
    assert questionnaire.grading.quota.citation is not None


def test_with_preset_keeps_only_the_templates_vetoes():
    questionnaire = with_preset(ANNUAL, "civil-servant-annual")
    assert questionnaire.grading.vetoes == ANNUAL.grading.vetoes
    assert questionnaire.grading.quota.scope == "agency"
    assert questionnaire.grading.votes[0].comparison == "more_than"
    assert [o.path for o in preset_overrides(questionnaire)] == ["grading.vetoes"]


# --- vote rules: at least versus more than --------------------------------------------------

HALF = {"excellent": 5, "competent": 5}  # exactly half the votes Excellent


def test_exactly_half_is_not_more_than_half():
    decisions = grade_campaign(
        under("civil-servant-annual"), [cadre("A", 95.0, votes=HALF), *fillers(9)]
    )
    decision = decisions["A"]
    assert decision.grade == "competent"
    assert decision.message == REQUIRES["more_than"]
    assert decision.values == {
        "grade": "excellent",
        "threshold": 50.0,
        "share": 50.0,
        "result": "competent",
    }
    assert "超过半数" in decision.citation.source


def test_exactly_half_is_at_least_half():
    # The built-in annual template says "at least": the same votes keep Excellent.
    decisions = grade_campaign(ANNUAL, [cadre("A", 95.0, votes=HALF), *fillers(4)])
    assert decisions["A"].grade == "excellent"


def test_one_vote_over_half_keeps_excellent_within_the_agency_quota():
    votes = {"excellent": 6, "competent": 4}
    decisions = grade_campaign(
        under("civil-servant-annual"), [cadre("A", 95.0, votes=votes), *fillers(4)]
    )
    decision = decisions["A"]
    assert decision.grade == "excellent"
    assert decision.message == QUOTA_WITHIN["agency"]
    assert decision.values["places"] == 1 and decision.values["graded"] == 5
    assert decision.citation.source == "《公务员考核规定》（2020年）"


# --- one third Incompetent ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incompetent", "cast", "grade"),
    [
        (3, 9, "competent"),  # exactly a third: not more than a third
        (4, 12, "competent"),
        (4, 11, "incompetent"),  # 36.4%
        (1, 2, "incompetent"),
    ],
)
def test_more_than_a_third_incompetent(incompetent, cast, grade):
    votes = {"incompetent": incompetent, "competent": cast - incompetent}
    decision = grade_campaign(under("leading-cadre-annual"), [cadre("A", 80.0, votes=votes)])["A"]
    assert decision.grade == grade
    if grade == "incompetent":
        assert decision.message == CAPS["more_than"]


# --- the admonition talk (诫勉) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("good", "cast", "due", "share"),
    [
        (6, 9, False, None),  # exactly two thirds: not below
        (5, 9, True, 55.6),
        (2, 3, False, None),
        (13, 20, True, 65.0),
    ],
)
def test_admonition_when_excellent_and_competent_fall_below_two_thirds(good, cast, due, share):
    votes = {"excellent": good // 2, "competent": good - good // 2, "incompetent": cast - good}
    decision = grade_campaign(under("civil-servant-annual"), [cadre("A", 80.0, votes=votes)])["A"]
    if not due:
        assert decision.notes == ()
        return
    (note,) = decision.notes
    assert note.message == ADMONITION["below"]
    assert note.values == {"share": share, "grades": "excellent, competent", "threshold": 66.7}
    assert note.grade is None and note.citation is not None
    # The note changes no grade: the band and vote rules decided it.
    assert decision.grade in ("competent", "incompetent")


def test_no_admonition_rule_for_institution_staff():
    votes = {"competent": 1, "incompetent": 2}
    decision = grade_campaign(under("institution-staff"), [cadre("A", 80.0, votes=votes)])["A"]
    assert decision.notes == ()


# --- barring flags --------------------------------------------------------------------------


def test_under_investigation_no_grade_and_no_place_in_the_pool():
    # Five cadres in the agency, 20%: one place.  With one under investigation only
    # four are graded, 4 x 0.2 = 0.8, rounded down: no place for the Excellent one.
    votes = {"excellent": 8, "competent": 2}
    entries = [
        cadre("A", 96.43, votes=votes),
        cadre("X", 99.0, votes=votes, flags=frozenset({"under_investigation"})),
        *fillers(3),
    ]
    decisions = grade_campaign(under("civil-servant-annual"), entries)
    pending = decisions["X"]
    assert (pending.grade, pending.message) == (None, PENDING)
    assert pending.values == {"flag": "under_investigation"}
    assert pending.notes == ()
    assert decisions["A"].grade == "competent"
    assert decisions["A"].message == QUOTA_OUTSIDE["agency"]
    assert decisions["A"].values["graded"] == 4 and decisions["A"].values["places"] == 0


def test_a_sanction_caps_at_competent_and_frees_the_place():
    votes = {"excellent": 8, "competent": 2}
    entries = [
        cadre("A", 96.0, votes=votes),
        cadre("S", 99.0, votes=votes, flags=frozenset({"sanction_in_effect"})),
        *fillers(3),
    ]
    decisions = grade_campaign(under("civil-servant-annual"), entries)
    assert decisions["S"].grade == "competent"
    assert decisions["S"].message == FLAG_CAPS
    assert decisions["S"].values == {"flag": "sanction_in_effect", "result": "competent"}
    # S is graded (one of five) but no longer competes: A, second on points, takes the place.
    assert decisions["A"].grade == "excellent"
    assert decisions["A"].values["graded"] == 5


def test_a_flag_the_rules_do_not_list_changes_nothing():
    flags = frozenset({"team_rated_poor"})  # a leading-cadre situation, not a civil servant's
    votes = {"excellent": 8, "competent": 2}
    decisions = grade_campaign(
        under("civil-servant-annual"), [cadre("A", 96.0, votes=votes, flags=flags), *fillers(4)]
    )
    assert decisions["A"].grade == "excellent"


def test_serious_political_failure_is_unqualified_in_institution_words():
    questionnaire = under("institution-staff")
    flags = frozenset({"serious_political_failure"})
    decision = grade_campaign(questionnaire, [cadre("A", 92.0, flags=flags)])["A"]
    assert decision.grade == "incompetent"
    text = describe(decision.message, decision.values, "zh", questionnaire)
    assert "思想政治素质较差" in text and "不合格" in text  # the words of 第十四条
    assert "Unqualified" in describe(decision.message, decision.values, "en", questionnaire)
    assert "事业单位工作人员考核规定" in explain(decision, "zh", questionnaire)


def test_the_competent_grade_is_qualified_for_institution_staff():
    questionnaire = under("institution-staff")
    decision = grade_campaign(questionnaire, [cadre("A", 80.0)])["A"]
    assert decision.message == BAND
    assert describe(decision.message, decision.values, "zh", questionnaire).count("合格") == 1
    assert "Qualified" in describe(decision.message, decision.values, "en", questionnaire)


# --- the Excellent quota --------------------------------------------------------------------


def test_a_unit_of_four_can_never_award_excellent():
    # The case from the issue: 96.43 points and 80% Excellent votes, in a unit of four.
    questionnaire = under("civil-servant-annual", quota={"scope": "unit"})
    votes = {"excellent": 8, "competent": 2}
    entries = [cadre("A", 96.43, unit="小科", votes=votes), *fillers(3, unit="小科")]
    entries += [cadre("B", 96.0, unit="大处", votes=votes), *fillers(4, unit="大处", start=10)]
    decisions = grade_campaign(questionnaire, entries)
    assert decisions["A"].grade == "competent"
    assert decisions["A"].message == QUOTA_OUTSIDE["unit"]
    assert decisions["B"].grade == "excellent"
    pools = [(entry.unit, entry.tier) for entry in entries]
    assert quota_warnings(questionnaire.grading, pools) == [QuotaWarning("小科", 4, 0)]


@pytest.mark.parametrize(
    ("graded", "down", "nearest", "up"),
    [
        (4, 0, 1, 1),  # 0.8
        (5, 1, 1, 1),  # 1.0
        (7, 1, 1, 2),  # 1.4
        (8, 1, 2, 2),  # 1.6
        (12, 2, 2, 3),  # 2.4
        (15, 3, 3, 3),  # 3.0
        (1, 0, 0, 1),  # 0.2
    ],
)
def test_rounding_the_places(graded, down, nearest, up):
    share = under("civil-servant-annual").grading.quota.share
    assert share == Fraction(1, 5)
    assert [quota_places(share, graded, r) for r in ("down", "nearest", "up")] == [
        down,
        nearest,
        up,
    ]


def test_rounding_up_gives_a_unit_of_four_its_place():
    questionnaire = under("civil-servant-annual", quota={"scope": "unit", "rounding": "up"})
    votes = {"excellent": 8, "competent": 2}
    decisions = grade_campaign(questionnaire, [cadre("A", 96.43, votes=votes), *fillers(3)])
    assert decisions["A"].grade == "excellent"
    assert decisions["A"].values["places"] == 1
    assert quota_warnings(questionnaire.grading, [("局", "")] * 4) == []


def test_tiers_have_quotas_of_their_own():
    # 处级: six cadres, 1.2 -> one place for two candidates; 科级: four, 0.8 -> none.
    votes = {"excellent": 9, "competent": 1}
    entries = [
        cadre("P1", 97.0, tier="处级", votes=votes),
        cadre("P2", 95.0, tier="处级", votes=votes),
        *fillers(4, tier="处级"),
        cadre("K1", 99.0, tier="科级", votes=votes),
        *fillers(3, tier="科级", start=20),
    ]
    questionnaire = under("leading-cadre-annual")
    decisions = grade_campaign(questionnaire, entries)
    assert [decisions[c].grade for c in ("P1", "P2", "K1")] == [
        "excellent",
        "competent",
        "competent",
    ]
    assert decisions["P1"].message == QUOTA_WITHIN["tier"]
    assert decisions["P1"].values["unit"] == "处级" and decisions["P1"].values["graded"] == 6
    assert decisions["K1"].message == QUOTA_OUTSIDE["tier"]
    pools = [(entry.unit, entry.tier) for entry in entries]
    assert quota_warnings(questionnaire.grading, pools) == [QuotaWarning("科级", 4, 0)]


def test_term_assessment_has_no_quota():
    votes = {"excellent": 9, "competent": 1}
    entries = [cadre(f"T{n}", 95.0 + n, votes=votes) for n in range(3)]
    decisions = grade_campaign(under("leading-cadre-term"), entries)
    assert {decision.grade for decision in decisions.values()} == {"excellent"}
    assert quota_warnings(under("leading-cadre-term").grading, [("局", "")] * 3) == []


# --- the grades that may be contested ---------------------------------------------------------


def with_review(preset: str, review: dict) -> Questionnaire:
    """The annual questions under a preset, with the template's own review window."""
    data = ANNUAL.model_dump(mode="json")
    for name in ("grading", "windows", "feeds"):
        data.pop(name, None)
    data.update({"preset": preset, "windows": {"review": review}})
    return parse_questionnaire(yaml.safe_dump(data, allow_unicode=True), f"{preset}.yaml")


def test_only_the_grades_the_texts_name_may_be_contested():
    for name in ("civil-servant-annual", "leading-cadre-annual", "leading-cadre-term"):
        review = under(name).windows.review
        assert review.grades == ["incompetent"]  # 公务员法 第九十五条（四）
        assert review.citation.article == "第九十五条" and review.citation.checked
    review = under("institution-staff").windows.review
    assert review.grades == ["basically_competent", "incompetent"]  # 申诉规定 第十一条
    assert not review.citation.checked  # read on a local government's page only
    assert ANNUAL.windows.review is None or ANNUAL.windows.review.grades is None


def test_a_template_that_widens_the_list_loses_the_citation_and_says_so():
    questionnaire = with_review("civil-servant-annual", {"grades": ["competent", "incompetent"]})
    review = questionnaire.windows.review
    assert (review.grades, review.days, review.citation) == (["competent", "incompetent"], 30, None)
    found = [(o.path, o.preset, o.template) for o in preset_overrides(questionnaire)]
    widened = ("windows.review.grades", ["incompetent"], ["competent", "incompetent"])
    assert widened in found
    assert (
        "Only results graded Competent, Incompetent may be contested (复核, 申诉) [no source cited]"
        in (rule_lines(questionnaire, "en"))
    )


@pytest.mark.parametrize(
    ("grades", "message"),
    [(["passable"], "grades"), (["incompetent", "incompetent"], "duplicate"), ([], "grades")],
)
def test_contestable_grades_must_be_known_and_once_each(grades, message):
    with pytest.raises(TemplateError, match=message):
        with_review("civil-servant-annual", {"grades": grades})

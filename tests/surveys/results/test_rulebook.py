"""The rules in words with their citations, and the 诫勉 note under the anonymity rule."""

from __future__ import annotations

import pytest

from surveys.results.outcomes import (
    ADMONITION_WITHHELD,
    VOTE,
    shown_decision,
)
from surveys.results.rulebook import citation_text, explain, rule_lines
from surveys.rules.disclosure import Disclosure
from surveys.rules.grading import (
    ADMONITION,
    grade_campaign,
)
from surveys.rules.questionnaire import Questionnaire
from surveys.rules.scoring import CadreScore
from tests.presets import cadre, under

# --- citations in words ---------------------------------------------------------------------


def test_citation_text_says_when_it_is_unchecked():
    review = under("civil-servant-annual").windows.review
    law = "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    assert citation_text(review.citation, "en") == law  # checked: source and article only
    unchecked = review.citation.model_copy(update={"checked": False})
    assert citation_text(unchecked, "en") == f"{law} (not yet checked against the gazetted text)"
    assert citation_text(None, "en") == "no source cited"


def test_citation_text_says_local_rules_and_defaults():
    questionnaire = under("leading-cadre-annual")
    admonition = citation_text(questionnaire.grading.admonition.citation, "en")
    assert admonition.startswith("地方实施方案：")
    assert admonition.endswith(" 七（三） (a local rule, not a national one)")  # checked
    excellent = citation_text(questionnaire.grading.votes[0].citation, "en")
    assert excellent.endswith(
        "(a local rule, not a national one) (not yet checked against the gazetted text)"
    )
    bands = citation_text(questionnaire.grading.bands_citation, "zh")
    assert bands.startswith("本产品默认分数线") and "not yet checked" not in bands
    assert "(the product's default, not a regulation)" in citation_text(
        questionnaire.grading.bands_citation, "en"
    )


def test_rule_lines_name_every_rule_with_its_source():
    lines = rule_lines(under("leading-cadre-annual"), "en")
    assert lines[0] == (
        "Rules preset: Annual assessment of Party and government leading cadres "
        "(leading-cadre-annual)"
    )
    text = "\n".join(lines)
    assert "Excellent needs more than 50% of votes for it [地方实施细则" in text
    assert "More than 33.3% of votes for Incompetent: at best Incompetent" in text
    assert "graded in each tier of post, places rounded down" in text
    assert "Publicity of proposed Excellent cadres: 5 working days" in text
    law = "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    assert f"within 30 days of the result [{law}]" in text
    assert all("[" in line for line in lines[1:])  # every rule shows a source, or says none


def test_the_rule_listing_quotes_the_article_it_cites():
    questionnaire = under("institution-staff")
    quota = questionnaire.grading.quota.citation
    (line,) = [line for line in rule_lines(questionnaire, "en") if "第十五条" in line]
    source = "《事业单位工作人员考核规定》（2023年） 第十五条"
    assert line.endswith(f"[{source}]: “{quota.quote}” ({quota.url})")
    assert "一般不超过本单位应参加年度考核的工作人员总人数的20%" in line
    # Without quotes (a report's reasons) the line stops at the citation.
    bare = rule_lines(questionnaire, "en", quotes=False)
    (short,) = [line for line in bare if "第十五条" in line]
    assert short.endswith("第十五条]")
    # A rule nobody quoted has no quote to show.
    review = [line for line in rule_lines(questionnaire, "en") if line.startswith("Review")]
    assert review[0].endswith("(not yet checked against the gazetted text)]")


# --- the 诫勉 note under the anonymity rule ------------------------------------------------


def shown_disclosure(composite: float) -> Disclosure:
    """A disclosure with its composite shown (the note's fate rests on the votes alone)."""
    return Disclosure({}, {}, [], [], composite, {}, {}, [])


@pytest.mark.parametrize(
    ("votes", "split", "withheld"),
    [
        ({"competent": 1, "incompetent": 1}, frozenset(), True),  # 2 votes, fewer than k = 3
        ({"competent": 2, "incompetent": 2}, frozenset({VOTE}), True),  # a split vote
        ({"competent": 2, "incompetent": 2}, frozenset(), False),
    ],
)
def test_the_admonition_figures_follow_the_vote_rules_disclosure(votes, split, withheld):
    questionnaire = under("civil-servant-annual")
    graded = grade_campaign(questionnaire, [cadre("A", 80.0, votes=votes)])["A"]
    assert [note.message for note in graded.notes] == [ADMONITION["below"]]
    score = CadreScore(cadre_id="A", composite=80.0, votes=votes)
    shown = shown_decision(graded, shown_disclosure(80.0), score, 3, split)
    (note,) = shown.notes
    if withheld:
        assert (note.message, note.values) == (ADMONITION_WITHHELD, {"k": 3})
    else:
        assert note == graded.notes[0]
    assert note.citation == graded.notes[0].citation
    assert "诫勉" in explain(note, "zh", questionnaire)


def test_the_rule_listing_names_the_grades_that_may_be_contested():
    law = "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    lines = rule_lines(under("civil-servant-annual"), "en")
    assert f"Only results graded Incompetent may be contested (复核, 申诉) [{law}]" in lines
    zh = rule_lines(under("institution-staff"), "zh")
    assert any(
        line.startswith("只有评为基本合格、不合格的结果可以申请复核、提出申诉［") for line in zh
    )
    # A template without the list (every grade may be contested) has no such line.
    bare = under("civil-servant-annual").model_dump(mode="json")
    bare["windows"]["review"]["grades"] = None
    assert not any(
        "contested" in line for line in rule_lines(Questionnaire.model_validate(bare), "en")
    )

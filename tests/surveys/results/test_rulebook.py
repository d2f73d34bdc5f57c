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
from surveys.rules.scoring import CadreScore
from tests.presets import cadre, under

# --- citations in words ---------------------------------------------------------------------


def test_citation_text_says_when_it_is_unchecked():
    review = under("civil-servant-annual").windows.review
    assert citation_text(review.citation, "en") == (
        "《中华人民共和国公务员法》（2018年修订） 第九十五条 "
        "(not yet checked against the gazetted text)"
    )
    checked = review.citation.model_copy(update={"checked": True})
    assert citation_text(checked, "en") == "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    assert citation_text(None, "en") == "no source cited"


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
    assert f"within 30 days of the result [{law}" in text
    assert all("[" in line for line in lines[1:])  # every rule shows a source, or says none


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

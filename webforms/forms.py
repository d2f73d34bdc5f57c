"""What the rater form and the public form share: field names, answers, problems.

A field's name is its answer key with a prefix: ``{cadre id}:`` on the rater
form, where one page covers several cadres, and nothing on the public form,
which rates one cadre at a time.  Anchors and the problem summary are built
from the same names, so a summary link always lands on its question.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask_babel import gettext

from surveys.collection.ballots import CadreAnswers, CadreSection
from surveys.rules.questionnaire import GRADE_LABELS, Questionnaire


@dataclass(frozen=True)
class Field:
    """One answer on a page, in the order shown: its form name and what a person calls it."""

    name: str
    cadre: str
    label: str


@dataclass(frozen=True)
class ProblemLine:
    """One line of the summary at the top of a form sent back with problems."""

    anchor: str
    cadre: str
    label: str
    message: str


@dataclass
class FormState:
    """What the person sent and what is wrong with it, so the form can be shown again."""

    values: Mapping[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    expired: bool = False


@dataclass(frozen=True)
class Summary:
    """The problems in page order, split into unanswered and wrongly answered."""

    lines: list[ProblemLine]
    missing: int
    wrong: int


def anchor(name: str) -> str:
    """The HTML id of a field's block, safe in a URL fragment."""
    return "q-" + name.replace(":", "-")


def option_lists(questionnaire: Questionnaire, locale: str) -> dict[str, list[tuple[str, str]]]:
    """The scale and the grades as (value, label) pairs in the page's language.

    Points are never shown, so raters judge the words and not the numbers.
    """
    return {
        "scale_options": [(option.key, option.label.get(locale)) for option in questionnaire.scale],
        "grade_options": [(key, gettext(label)) for key, label in GRADE_LABELS.items()],
    }


def question_count(section: CadreSection) -> int:
    """How many scale questions a section asks, for the progress hint."""
    return sum(len(dimension.items) for dimension in section.dimensions)


def section_fields(section: CadreSection, prefix: str, locale: str) -> list[Field]:
    """The fields of one cadre's section, in the order they appear."""
    who = section.cadre.name
    fields = [
        Field(prefix + item.key, who, item.text.get(locale))
        for dimension in section.dimensions
        for item in dimension.items
    ]
    if section.votes:
        fields.append(Field(prefix + "vote", who, gettext("Overall grade")))
    if section.comments:
        fields.append(Field(prefix + "comment", who, gettext("Comments")))
    return fields


def read_answers(section: CadreSection, data: Mapping[str, str], prefix: str) -> CadreAnswers:
    """One cadre's answers from a posted form; fields the section does not show are ignored."""
    items = {
        item.key: (data.get(prefix + item.key) or "").strip()
        for dimension in section.dimensions
        for item in dimension.items
    }
    vote = (data.get(prefix + "vote") or "").strip() or None
    return CadreAnswers(
        items={key: value for key, value in items.items() if value},
        vote=vote if section.votes else None,
        comment=clean_comment(data.get(prefix + "comment")) if section.comments else None,
    )


def clean_comment(text: str | None) -> str | None:
    """A comment with browser line ends (CRLF) made single, so the length limit counts as shown.

    Browsers count a line break as one character against ``maxlength`` but
    send two, which would otherwise reject a comment the page accepted.
    """
    if text is None:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n") or None


def problem_names(
    problems: Mapping[tuple[str, str], str], prefix_of: Callable[[str], str]
) -> dict[str, str]:
    """BallotInvalid's (cadre id, field) keys turned into this page's field names."""
    return {prefix_of(cadre_id) + name: message for (cadre_id, name), message in problems.items()}


def summarise(fields: list[Field], state: FormState) -> Summary:
    """The summary of a form's problems, counting questions left blank apart from wrong ones."""
    lines = [
        ProblemLine(anchor(f.name), f.cadre, f.label, state.problems[f.name])
        for f in fields
        if f.name in state.problems
    ]
    missing = sum(
        1
        for f in fields
        if f.name in state.problems and not (state.values.get(f.name) or "").strip()
    )
    return Summary(lines=lines, missing=missing, wrong=len(lines) - missing)

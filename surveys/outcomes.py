"""Results as they may be shown: scores, grades and the anonymity rule, together.

Every output (the bot, reports, exports, the shared database) takes its
figures from here, so the threshold and the grading rules are applied the
same way everywhere.  ``describe`` turns the rules' message ids and values
into a sentence in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Response
from surveys.campaigns import campaign_cadres, snapshot
from surveys.disclosure import OTHER, Disclosure, disclose
from surveys.grading import GradeDecision, GradingInput, count_answers, grade_campaign
from surveys.messages import N_, translate
from surveys.questionnaire import GRADE_LABELS, GROUP_LABELS, Questionnaire
from surveys.scoring import CadreScore, ScoredResponse, score_campaign

OTHER_LABEL = N_("Other raters")


@dataclass(frozen=True)
class ShownResult:
    """One cadre's result: the raw score (for rules only), what may be shown, the grade."""

    cadre: Cadre
    score: CadreScore
    shown: Disclosure
    decision: GradeDecision


def campaign_responses(*, session: Session, campaign: Campaign) -> list[ScoredResponse]:
    """Every mixed response of the campaign, as scoring reads it."""
    rows = session.exec(
        select(Response.cadre_id, Response.group, Response.answers, Response.vote).where(
            Response.campaign_id == campaign.id
        )
    ).all()
    return [ScoredResponse(cadre_id=c, group=g, answers=a, vote=v) for c, g, a, v in rows]


def shown_results(*, session: Session, campaign: Campaign) -> list[ShownResult]:
    """Score, grade and disclose every cadre of the campaign (roster order)."""
    questionnaire = snapshot(campaign)
    cadres = campaign_cadres(session=session, campaign=campaign)
    responses = campaign_responses(session=session, campaign=campaign)
    scores = score_campaign(questionnaire, [cadre.id for cadre in cadres], responses)
    inputs = [
        GradingInput(
            score=score,
            roster_id=cadre.external_id,
            unit=cadre.unit,
            answers=count_answers(questionnaire, [r for r in responses if r.cadre_id == cadre.id]),
        )
        for cadre, score in zip(cadres, scores, strict=True)
    ]
    decisions = grade_campaign(questionnaire, inputs)
    return [
        ShownResult(
            cadre=cadre,
            score=score,
            shown=disclose(score, questionnaire.group_weights, campaign.anonymity_k),
            decision=decisions[cadre.id],
        )
        for cadre, score in zip(cadres, scores, strict=True)
    ]


def group_label(group: str, locale: str) -> str:
    """A rater group's name, or "Other raters" for the folded line."""
    if group == OTHER:
        return translate(OTHER_LABEL, locale=locale)
    return translate(GROUP_LABELS.get(group, group), locale=locale)


def grade_label(grade: str | None, locale: str) -> str:
    """A grade's name in a language ("—" when there is no grade)."""
    return translate(GRADE_LABELS[grade], locale=locale) if grade in GRADE_LABELS else "—"


def describe(
    message: str, values: dict, locale: str, questionnaire: Questionnaire | None = None
) -> str:
    """A rule's message with grade, group, item and dimension keys put into words."""
    readable = dict(values)
    for key in ("grade", "result"):
        if key in readable:
            readable[key] = grade_label(readable[key], locale)
    if "group" in readable:
        readable["group"] = group_label(readable["group"], locale)
    if questionnaire is not None:
        texts = {item.key: item.text.get(locale) for item in questionnaire.items()}
        titles = {d.key: d.title.get(locale) for d in questionnaire.dimensions}
        labels = {option.key: option.label.get(locale) for option in questionnaire.scale}
        if "item" in readable:
            readable["item"] = texts.get(readable["item"], readable["item"])
        if "dimension" in readable:
            readable["dimension"] = titles.get(readable["dimension"], readable["dimension"])
        if "answers" in readable:
            keys = str(readable["answers"]).split(", ")
            joiner = "、" if locale == "zh" else ", "
            readable["answers"] = joiner.join(labels.get(key, key) for key in keys)
    return translate(message, readable, locale=locale)

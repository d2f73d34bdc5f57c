"""Results as they may be shown: scores, grades and the anonymity rule, together.

Every output (the bot, reports, exports, the shared database) takes its
figures from here, so the threshold and the grading rules are applied the
same way everywhere.  ``describe`` turns the rules' message ids and values
into a sentence in the reader's language.

What ``shown_results`` adds to the raw scores and grades:

- **ranks and percentiles** (``surveys.rules.ranking``) on the composites as shown,
  so a cadre whose composite is withheld is neither ranked nor counted;
- the **unit average** of each dimension and the **weakest dimensions**,
  from the dimension scores as shown, so neither rests on a hidden figure;
- the **grade as shown**: the rules' grade (``graded``), replaced by a grade
  revised on appeal when HR made one (the latest decided ``Appeal`` with
  status ``revised``); withheld when the composite is (fewer than k
  responses in all: a grade would be a figure of fewer than k people); and
  its deciding rule withheld, grade kept, when the rule's own figures rest
  on fewer than k votes or answers, or when taking the answers on the
  shown ballots (the groups shown on their own) away from the rule's count
  would leave the answers of 1 to k - 1 raters: "40% of 5 raters answered
  Poor" beside three shown ballots answering Good tells what the other two
  answered;
- the **split answers** (``ShownResult.split``): the veto items, and ``VOTE``
  for the vote and ``COMMENT`` for the comment, on which the raters outside
  the groups shown on their own number 1 to k - 1.  The cadre's totals
  (vote shares, votes cast, comments) count them, so no output may show that
  cadre's ballots, whose answers would be taken away from the totals
  (``surveys.results.reports`` withholds them); a split vote also withholds the vote
  shares, the votes cast and the vote rules' figures: the votes cast less
  the shown groups' voters would count a hidden group.  The rules leave
  split answers out (``rule_input``): a veto on a split item and, for a
  split vote, the vote rules and the quota's vote share count the groups
  shown on their own only, or the grade itself would move with the hidden
  raters' answers;
- the **Excellent quota** among cadres with a shown composite only: a cadre
  showing nothing neither takes a place nor counts toward the places;
- the **recommended uses** of the grade as shown;
- a **note on renormalisation** when groups with a weight had no usable
  responses: the composite then weighs the other groups only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlmodel import Session, select

from storage.models import Appeal, Cadre, CadreMark, Campaign, Response
from surveys.documents.charts import radar_png
from surveys.rules.disclosure import DEFAULT_K, OTHER, Disclosure, Note, disclose
from surveys.rules.grading import (
    CAPS,
    REQUIRES,
    VETOES,
    GradeDecision,
    GradeStep,
    GradingInput,
    count_answers,
    grade_campaign,
)
from surveys.rules.messages import N_, translate
from surveys.rules.questionnaire import GRADE_LABELS, GRADES, Questionnaire, grade_labels
from surveys.rules.ranking import (
    DimensionGap,
    RankingEntry,
    Standing,
    recommended_uses,
    standings,
    unit_averages,
    weakest_dimensions,
)
from surveys.rules.rater_groups import label_id
from surveys.rules.scoring import CadreScore, ScoredResponse, by_cadre, lookup, score_campaign
from surveys.sealing.ballot_box import BoxSealed
from surveys.setup.barring import campaign_marks
from surveys.setup.campaigns import campaign_cadres, local_time, snapshot
from surveys.setup.indicators import campaign_indicators

OTHER_LABEL = N_("Other raters")
REVISED_ON_APPEAL = N_("Revised on appeal: %(reason)s")
GRADE_WITHHELD = N_("Fewer than %(k)s responses in all, so no grade is shown")
RULE_WITHHELD = N_(
    "%(grade)s, by a rule whose figures rest on fewer than %(k)s raters, so they are not shown"
)
RULE_SPLIT = N_(
    "%(grade)s, by a rule whose figures, beside the ballots shown, would tell the answers "
    "of fewer than %(k)s raters, so they are not shown"
)
SPLIT_LEFT_OUT = N_(
    "The vetoes and vote rules count only the groups shown on their own for this cadre: "
    "the other raters who answered them are fewer than %(k)s, and counting them would "
    "tell their answers"
)
RENORMALISED = N_(
    "No usable responses from %(groups)s: the composite weighs the other groups only, "
    "their weights scaled up to make the whole"
)
ADMONITION_WITHHELD = N_(
    "An admonition talk (诫勉) is due, by a rule whose figures rest on fewer than %(k)s "
    "raters, so they are not shown"
)
BOX_SEALED = N_(
    "The ballot box is sealed until the deadline (%(deadline)s): no figures before then."
)
BOX_AWAITS_SCRUTINEERS = N_(
    "The ballot box is sealed: after the deadline (%(deadline)s) it opens once, when "
    "%(quorum)s of the scrutineers type their shares; no figures before then."
)


def sealed_refusal(campaign: Campaign) -> BoxSealed:
    """The refusal every output gives before opening; it names who opens the box.

    A box the scrutineers hold stays sealed after the deadline until they
    come, so its message must not promise figures at the deadline.
    """
    deadline = local_time(campaign, campaign.closes_at)
    if campaign.box_custody == "scrutineers":
        return BoxSealed(
            BOX_AWAITS_SCRUTINEERS, {"deadline": deadline, "quorum": campaign.box_quorum}
        )
    return BoxSealed(BOX_SEALED, {"deadline": deadline})


VOTE_RULES = frozenset([*REQUIRES.values(), *CAPS.values()])
VOTE = "vote"  # in ``ShownResult.split``: the vote, beside item keys
COMMENT = "comment"  # and the comment: the report lists every shown comment
VETO_RULES = frozenset(VETOES.values())


@dataclass(frozen=True)
class ShownResult:
    """One cadre's result: the raw score (for rules only), what may be shown, the grade.

    ``decision`` is the grade as it may be shown (after an appeal, under the
    anonymity rule); ``graded`` is what the rules decided, for rules only.
    ``standing`` ranks the shown composite; ``unit_average`` and ``weakest``
    compare the shown dimension scores with the unit's; ``notes`` explain
    renormalised weights.  ``split`` names the answers (veto items, ``VOTE``,
    ``COMMENT``) that 1 to k - 1 raters outside the groups shown on their own
    gave: their part would follow from the totals less the shown ballots, so
    the cadre's ballots are not shown (nor, for ``VOTE``, the vote figures).
    """

    cadre: Cadre
    score: CadreScore
    shown: Disclosure
    decision: GradeDecision
    graded: GradeDecision | None = None
    standing: Standing | None = None
    unit_average: Mapping[str, float] = field(default_factory=dict)
    weakest: tuple[DimensionGap, ...] = ()
    uses: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()
    k: int = DEFAULT_K
    split: frozenset[str] = frozenset()

    @property
    def votes_cast(self) -> int | None:
        """How many votes were cast for this cadre, all groups together.

        None when the vote is split: the total less the voters of the groups
        shown alone (their counts are shown) would count the votes of 1 to
        k - 1 other raters, and with the groups' vote lists known, how many
        of a hidden group responded.
        """
        return None if VOTE in self.split else sum(self.score.votes.values())

    @property
    def vote_shares(self) -> dict[str, float]:
        """Each grade's share of the votes, only when at least k votes stand behind them and
        the vote is not split (shares give their total away: 1/8 is a share of 8 votes)."""
        cast = self.votes_cast
        return dict(self.score.vote_shares) if cast is not None and cast >= self.k else {}

    @property
    def revised(self) -> bool:
        """Whether an appeal changed the grade the rules gave."""
        return self.decision.message == REVISED_ON_APPEAL


def campaign_responses(*, session: Session, campaign: Campaign) -> list[ScoredResponse]:
    """Every response of the campaign (there are none before its box is opened), as scoring
    reads it."""
    rows = session.exec(
        select(Response.cadre_id, Response.group, Response.answers, Response.vote).where(
            Response.campaign_id == campaign.id
        )
    ).all()
    return [ScoredResponse(cadre_id=c, group=g, answers=a, vote=v) for c, g, a, v in rows]


def revised_appeals(*, session: Session, campaign: Campaign) -> dict[str, Appeal]:
    """Per cadre, the latest decided appeal that revised the grade to a known grade."""
    appeals = session.exec(
        select(Appeal).where(Appeal.campaign_id == campaign.id, Appeal.status == "revised")
    ).all()
    latest: dict[str, Appeal] = {}
    for appeal in sorted(appeals, key=lambda a: (a.decided_at or a.filed_at, a.filed_at)):
        if appeal.revised_grade in GRADES:
            latest[appeal.cadre_id] = appeal
    return latest


def shown_results(
    *, session: Session, campaign: Campaign, responses: list[ScoredResponse] | None = None
) -> list[ShownResult]:
    """Score, grade and disclose every cadre of the campaign (roster order).

    Every output reads its figures here, so this one check keeps them all
    (terminal, web, workbook, PDF, bot, shared database) from showing
    anything before the ballot box is opened: no interim figure exists to
    subtract from a final one.  ``responses`` are the campaign's stored
    responses when the caller has read them already (the overview reads
    them with their comments), so 300,000 answer sets are not fetched and
    decoded twice.
    """
    if campaign.box_opened_at is None:
        raise sealed_refusal(campaign)
    questionnaire = snapshot(campaign)
    cadres = campaign_cadres(session=session, campaign=campaign)
    if responses is None:
        responses = campaign_responses(session=session, campaign=campaign)
    grouped = by_cadre(responses)
    indicators = campaign_indicators(session=session, campaign=campaign)
    scores = score_campaign(questionnaire, [cadre.id for cadre in cadres], grouped, indicators)
    answers = {
        cadre.id: count_answers(questionnaire, grouped.get(cadre.id, [])) for cadre in cadres
    }
    k = campaign.anonymity_k
    shown = [disclose(score, questionnaire.group_weights, k) for score in scores]
    marks = campaign_marks(session=session, campaign=campaign)
    splits = {
        cadre.id: split_answers(
            questionnaire, grouped.get(cadre.id, []), answers[cadre.id], disclosure, k
        )
        for cadre, disclosure in zip(cadres, shown, strict=True)
    }
    inputs = [
        with_mark(
            rule_input(
                questionnaire,
                cadre,
                score,
                answers[cadre.id],
                grouped.get(cadre.id, []),
                disclosure,
                splits[cadre.id],
            ),
            marks.get(cadre.id),
        )
        for cadre, score, disclosure in zip(cadres, scores, shown, strict=True)
    ]
    decisions = grade_campaign(questionnaire, inputs)
    entries = [
        RankingEntry(cadre.id, cadre.unit, disclosure.composite, disclosure.dimension_scores)
        for cadre, disclosure in zip(cadres, shown, strict=True)
    ]
    ranks, averages = standings(entries), unit_averages(entries)
    appeals = revised_appeals(session=session, campaign=campaign)
    results = []
    for cadre, score, disclosure in zip(cadres, scores, shown, strict=True):
        split = splits[cadre.id]
        decision = shown_decision(decisions[cadre.id], disclosure, score, k, split)
        if cadre.id in appeals:
            decision = revised_decision(decision, appeals[cadre.id])
        average = averages.get(cadre.unit, {})
        results.append(
            ShownResult(
                cadre=cadre,
                score=score,
                shown=disclosure,
                decision=decision,
                graded=decisions[cadre.id],
                standing=ranks[cadre.id],
                unit_average=average,
                weakest=tuple(weakest_dimensions(disclosure.dimension_scores, average)),
                uses=recommended_uses(decision.grade),
                notes=tuple(renormalisation_notes(score, disclosure) + split_notes(split, k)),
                k=k,
                split=split,
            )
        )
    return results


def split_answers(
    questionnaire: Questionnaire,
    responses: list[ScoredResponse],
    answers: Mapping[str, Mapping[str, int]],
    shown: Disclosure,
    k: int,
) -> frozenset[str]:
    """The veto items (and ``VOTE``, ``COMMENT``) that 1 to k - 1 raters outside the groups
    shown alone answered (or, for the comment, could have written).

    The votes, the veto items and the comments are the answers whose totals
    are published (vote shares, votes cast, the vetoes' texts and the grades
    they cap, the report's list of comments); other items count only inside
    dimension figures, which ``disclose`` guards.  ``answers`` counts every
    rater's answers (as the vetoes read them).  The groups shown on their own
    have their ballots shown; the rest of a total is what a reader gets by
    subtracting those ballots: it must be nobody's or at least k raters'.
    """
    alone = set(shown.groups) - {OTHER}
    seen = [response for response in responses if response.group in alone]
    if not seen or len(seen) == len(responses):  # nothing to take away, or nothing left
        return frozenset()
    table = lookup(questionnaire)
    vetoed = {veto.item for veto in questionnaire.grading.vetoes}
    seen_answers = Counter(  # as count_answers counts, for the veto items only
        item
        for response in seen
        for item in vetoed.intersection(table.items_for(response.group))
        if response.answers.get(item) in table.points
    )
    split = {
        item
        for item in vetoed
        if _splits(sum(answers.get(item, {}).values()), seen_answers[item], k)
    }
    votes = sum(1 for response in responses if response.vote)
    if _splits(votes, sum(1 for response in seen if response.vote), k):
        split.add(VOTE)
    # Who may comment, whether or not they did: the comments the report lists, less
    # those on the shown ballots, are the rest's, whose authors must be k or more.
    may = [response for response in responses if questionnaire.comments_for(response.group)]
    if _splits(len(may), sum(1 for response in may if response.group in alone), k):
        split.add(COMMENT)
    return frozenset(split)


def rule_input(
    questionnaire: Questionnaire,
    cadre: Cadre,
    score: CadreScore,
    answers: Mapping[str, Mapping[str, int]],
    responses: list[ScoredResponse],
    shown: Disclosure,
    split: frozenset[str],
) -> GradingInput:
    """What the grading rules count of one cadre: every answer, but the split ones.

    A split answer (see ``split_answers``) is one that 1 to k - 1 raters
    outside the groups shown on their own gave.  Hiding a rule's figures is
    not enough: the grade itself would move with their answers, and beside
    shown ballots that all answered Good a capped grade says the hidden two
    answered Poor.  So the vetoes on a split item and, for a split vote, the
    vote rules and the quota's vote share count the groups shown on their own
    only; the result's notes say so (``split_notes``).  Dimension items are
    untouched: they reach the grade only through the composite, which
    ``disclose`` guards.
    """
    if split - {COMMENT}:
        alone = set(shown.groups) - {OTHER}
        seen = [response for response in responses if response.group in alone]
        counted = count_answers(questionnaire, seen)
        answers = {
            item: (counted.get(item, {}) if item in split else given)
            for item, given in answers.items()
        }
        if VOTE in split:
            votes = Counter(response.vote for response in seen if response.vote)
            score = replace(score, votes=dict(votes), vote_shares={})
    return GradingInput(
        score=score,
        roster_id=cadre.external_id,
        unit=cadre.unit,
        answers=answers,
        shown=shown.composite is not None,
    )


def with_mark(entry: GradingInput, mark: CadreMark | None) -> GradingInput:
    """The tier and barring situations HR set for the cadre (``surveys.setup.barring``)."""
    if mark is None:
        return entry
    return replace(entry, tier=mark.tier, flags=frozenset(mark.flags))


def split_notes(split: frozenset[str], k: int) -> list[Note]:
    """The note that the vetoes or vote rules left some answers out (see ``rule_input``)."""
    return [Note(SPLIT_LEFT_OUT, {"k": k})] if split - {COMMENT} else []


def _splits(total: int, seen: int, k: int) -> bool:
    """Whether taking ``seen`` shown answers from ``total`` leaves those of 1 to k - 1 raters
    (with nothing shown there is nothing to take away: the total's own rules apply)."""
    return seen > 0 and 0 < total - seen < k


def _thin_step(step: GradeStep, score: CadreScore, k: int) -> bool:
    """Whether a rule's figures rest on fewer than k raters: vote shares of fewer than k
    votes, or a veto's share of fewer than k answers."""
    if step.message in VOTE_RULES:
        return sum(score.votes.values()) < k
    if step.message in VETO_RULES:
        return step.values.get("answered", 0) < k
    return False


def _split_step(step: GradeStep, split: frozenset[str]) -> bool:
    """Whether a rule's answers are split: a veto's count less the shown ballots' answers
    would tell what 1 to k - 1 other raters answered ("40% of 5 raters answered Poor"
    beside three shown ballots answering Good), or a vote rule's share rests on a split
    vote (whose shares are withheld).  Dimension means of the groups shown alone can
    stand in for their ballots, so the figures go even where the ballots are withheld."""
    if step.message in VOTE_RULES:
        return VOTE in split
    return step.message in VETO_RULES and step.values.get("item") in split


def _shown_step(step: GradeStep, score: CadreScore, k: int, split: frozenset[str]) -> GradeStep:
    """A rule as it may be shown: its grade always, its figures only when they cannot
    be narrowed down to fewer than k raters."""
    if _thin_step(step, score, k):
        return GradeStep(step.grade, RULE_WITHHELD, {"grade": step.grade, "k": k}, step.citation)
    if _split_step(step, split):
        return GradeStep(step.grade, RULE_SPLIT, {"grade": step.grade, "k": k}, step.citation)
    return step


def _shown_note(note: GradeStep, score: CadreScore, k: int, split: frozenset[str]) -> GradeStep:
    """The 诫勉 note as it may be shown: its vote figures only under the vote rules' terms."""
    if sum(score.votes.values()) < k or VOTE in split:
        return GradeStep(None, ADMONITION_WITHHELD, {"k": k}, note.citation)
    return note


def shown_decision(
    decision: GradeDecision,
    shown: Disclosure,
    score: CadreScore,
    k: int,
    split: frozenset[str] = frozenset(),
) -> GradeDecision:
    """The grade and rule that may be shown.

    Without a shown composite (fewer than k responses in all) the grade is
    withheld too: it would tell a figure of fewer than k people.  Otherwise
    the grade stands, and each rule whose figures rest on fewer than k raters
    (or on items in ``split``, see ``split_answers``) keeps its grade but
    loses its figures.
    """
    if shown.composite is None and decision.grade is not None:
        step = GradeStep(None, GRADE_WITHHELD, {"k": k})
        return GradeDecision(decision.cadre_id, None, step.message, step.values, (step,))
    steps = tuple(_shown_step(step, score, k, split) for step in decision.steps)
    notes = tuple(_shown_note(note, score, k, split) for note in decision.notes)
    last = steps[-1]
    return GradeDecision(decision.cadre_id, last.grade, last.message, last.values, steps, notes)


def revised_decision(decision: GradeDecision, appeal: Appeal) -> GradeDecision:
    """The grade revised on appeal replaces the rules' grade; HR's written decision (else
    the appeal's reason) says why, and ``previous`` keeps the grade it replaced."""
    values = {
        "reason": (appeal.decision or appeal.reason or "").strip(),
        "grade": appeal.revised_grade,
        "previous": decision.grade,
    }
    step = GradeStep(appeal.revised_grade, REVISED_ON_APPEAL, values)
    return GradeDecision(
        decision.cadre_id,
        step.grade,
        step.message,
        step.values,
        (*decision.steps, step),
        decision.notes,
    )


def renormalisation_notes(score: CadreScore, shown: Disclosure) -> list[Note]:
    """A note naming the weighted groups without usable responses, when a composite is shown:
    the reader must know that the composite leaves them out."""
    if shown.composite is None or not score.missing_groups:
        return []
    return [Note(RENORMALISED, {"groups": ", ".join(score.missing_groups)})]


def group_label(group: str, locale: str) -> str:
    """A rater group's name, or "Other raters" for the folded line."""
    if group == OTHER:
        return translate(OTHER_LABEL, locale=locale)
    return translate(label_id(group), locale=locale)


def grade_label(grade: str | None, locale: str, labels: Mapping[str, str] = GRADE_LABELS) -> str:
    """A grade's name in a language ("—" when there is no grade), by the rules' grade names."""
    return translate(labels[grade], locale=locale) if grade in labels else "—"


def _joined(keys: str, names: Mapping[str, str], locale: str) -> str:
    """Comma-separated keys as names, joined the way the language lists things."""
    joiner = "、" if locale == "zh" else ", "
    return joiner.join(names.get(key, key) for key in str(keys).split(", "))


def describe(
    message: str, values: dict, locale: str, questionnaire: Questionnaire | None = None
) -> str:
    """A rule's message with grade, group, item and dimension keys put into words."""
    readable = dict(values)
    names = grade_labels(questionnaire.grading) if questionnaire is not None else GRADE_LABELS
    for key in ("grade", "result", "previous"):
        if key in readable:
            readable[key] = grade_label(readable[key], locale, names)
    if "grades" in readable:
        grades = {g: grade_label(g, locale, names) for g in str(readable["grades"]).split(", ")}
        readable["grades"] = _joined(readable["grades"], grades, locale)
    if "group" in readable:
        readable["group"] = group_label(readable["group"], locale)
    if "groups" in readable:
        groups = {g: group_label(g, locale) for g in str(readable["groups"]).split(", ")}
        readable["groups"] = _joined(readable["groups"], groups, locale)
    if questionnaire is not None:
        texts = {item.key: item.text.get(locale) for item in questionnaire.items()}
        titles = {d.key: d.title.get(locale) for d in questionnaire.dimensions}
        labels = {option.key: option.label.get(locale) for option in questionnaire.scale}
        if "item" in readable:
            readable["item"] = texts.get(readable["item"], readable["item"])
        flags = {flag.key: flag.label.get(locale) for flag in questionnaire.grading.flags}
        if "flag" in readable:
            readable["flag"] = flags.get(readable["flag"], readable["flag"])
        if "dimension" in readable:
            readable["dimension"] = titles.get(readable["dimension"], readable["dimension"])
        if "answers" in readable:
            readable["answers"] = _joined(readable["answers"], labels, locale)
    return translate(message, readable, locale=locale)


RADAR_MINIMUM = 3  # fewer axes make no readable radar


def radar_dimensions(questionnaire: Questionnaire, result: ShownResult) -> list:
    """The dimensions a radar chart of this result shows (none when fewer than three)."""
    scores = result.shown.dimension_scores
    shown = [d for d in questionnaire.dimensions if d.key in scores]
    return shown if len(shown) >= RADAR_MINIMUM else []


def radar_chart(questionnaire: Questionnaire, result: ShownResult, locale: str) -> bytes | None:
    """The shown dimensions over the unit average, as PNG; the bot, web and PDF share it."""
    dimensions = radar_dimensions(questionnaire, result)
    if not dimensions:
        return None
    scores, average = result.shown.dimension_scores, result.unit_average
    return radar_png(
        [d.title.get(locale) for d in dimensions],
        [scores[d.key] for d in dimensions],
        title=result.cadre.name,
        average=[average.get(d.key, 0.0) for d in dimensions],
        value_label=result.cadre.name,
        average_label=translate(N_("Unit average"), locale=locale),
    )

"""Grades from scores and votes, by the rules in the questionnaire's ``grading`` section.

A cadre HR flagged with a situation whose effect is ``no_grade`` (under
investigation, the case not closed) gets no grade and takes no part in the
quota.  For each other cadre with a composite, in this order:

1. **band**: the best grade whose minimum the composite reaches, the composite
   taken as shown (rounded half up to two decimals), so a cadre shown with
   90.00 is never refused a band of 90; below every band: the worst grade;
2. **vote rules that require** (in the order of GRADES): a cadre at that
   grade without enough votes for it goes one grade lower;
3. **vetoes**: an item failed by enough of the raters who answered it caps
   the grade;
4. **vote rules that cap**: enough votes for a grade make it the best the
   cadre can have;
5. **barring flags**: each situation HR set for the cadre that caps the
   grade (a sanction in effect bars Excellent);
6. **the Excellent quota**: of the cadres still Excellent in a pool (a unit,
   the whole agency, or a tier of post), only the best ranked keep it; the
   rest go one grade lower.  The places are the quota's share of the cadres
   graded in the pool, rounded down (or to the nearest, half up, or up, as
   the rules say): rounded down, a pool of fewer than 1/share cadres (fewer
   than 5 at 20%) has no place at all, which ``quota_warnings`` says before
   launch.
   Only cadres whose composite is shown (``GradingInput.shown``) count toward
   the places or compete for them: a cadre with fewer than k responses in all
   shows no figure, so taking a place (or swelling the count) would let the
   other cadres' quota texts reveal that cadre's rank and a composite at or
   above theirs.

Ranking for the quota, best first: the higher composite as shown (two
decimals); on a tie, the higher share of Excellent votes; then the higher
composite before rounding; then the roster id, in plain string order.

Each step that changes the grade is recorded as a message id with its values
and the rule's citation (regulation and article), and so is the quota's
verdict for every cadre who reached it; the last step is the rule that
decided.  The 诫勉 rule changes no grade: when too few votes are for the
listed grades the decision carries a note (``GradeDecision.notes``).  Values
named ``grade`` or ``result`` hold keys of GRADES, ``item`` an item key and
``flag`` a flag key: the edge shows them through the grade labels, the item
text and the flag label.  Percentages are rounded half up to one decimal.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from surveys.rules.messages import N_
from surveys.rules.questionnaire import GRADES, Citation, Grading, Questionnaire
from surveys.rules.scoring import CadreScore, ScoredResponse, lookup, rounded

EXCELLENT = GRADES[0]

NO_SCORE = N_("No scored responses, so no grade")
BAND = N_("Score %(score)s is in the band for %(grade)s (from %(minimum)s)")
BELOW_BANDS = N_("Score %(score)s is below %(minimum)s, the lowest band, so %(grade)s")
REQUIRES = {
    "at_least": N_(
        "%(grade)s needs at least %(threshold)s%% of votes for it; it had %(share)s%%, "
        "so one grade lower: %(result)s"
    ),
    "more_than": N_(
        "%(grade)s needs more than %(threshold)s%% of votes for it; it had %(share)s%%, "
        "so one grade lower: %(result)s"
    ),
}
CAPS = {
    "at_least": N_(
        "%(share)s%% of votes are for %(grade)s, at least %(threshold)s%%, so at best %(result)s"
    ),
    "more_than": N_(
        "%(share)s%% of votes are for %(grade)s, more than %(threshold)s%%, so at best %(result)s"
    ),
}
VETOES = {
    "at_least": N_(
        "%(share)s%% of %(answered)s raters answered item %(item)s with %(answers)s, "
        "at least %(threshold)s%%, so at best %(result)s"
    ),
    "more_than": N_(
        "%(share)s%% of %(answered)s raters answered item %(item)s with %(answers)s, "
        "more than %(threshold)s%%, so at best %(result)s"
    ),
}
PENDING = N_("%(flag)s: no grade is given (the situation the rule names)")
FLAG_CAPS = N_("%(flag)s, so at best %(result)s")
ADMONITION = {
    "below": N_(
        "%(share)s%% of votes are for %(grades)s, below %(threshold)s%%: an admonition "
        "talk (诫勉) is due"
    ),
    "at_most": N_(
        "%(share)s%% of votes are for %(grades)s, at most %(threshold)s%%: an admonition "
        "talk (诫勉) is due"
    ),
}
QUOTA_WITHIN = {
    "unit": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in %(unit)s, within the quota of "
        "%(places)s (%(quota)s%% of %(graded)s graded)"
    ),
    "agency": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in the agency, within the quota "
        "of %(places)s (%(quota)s%% of %(graded)s graded)"
    ),
    "tier": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in tier %(unit)s, within the quota "
        "of %(places)s (%(quota)s%% of %(graded)s graded)"
    ),
    "campaign": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in the campaign, within the quota "
        "of %(places)s (%(quota)s%% of %(graded)s graded)"
    ),
}
QUOTA_OUTSIDE = {
    "unit": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in %(unit)s, outside the quota of "
        "%(places)s (%(quota)s%% of %(graded)s graded), so %(result)s"
    ),
    "agency": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in the agency, outside the quota "
        "of %(places)s (%(quota)s%% of %(graded)s graded), so %(result)s"
    ),
    "tier": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in tier %(unit)s, outside the quota "
        "of %(places)s (%(quota)s%% of %(graded)s graded), so %(result)s"
    ),
    "campaign": N_(
        "Ranked %(rank)s of %(candidates)s for Excellent in the campaign, outside the quota "
        "of %(places)s (%(quota)s%% of %(graded)s graded), so %(result)s"
    ),
}


@dataclass(frozen=True)
class GradingInput:
    """What grading needs of one cadre: the scores, where they sit, how items were answered.

    ``answers`` counts, per item, how many raters gave each scale answer (see
    ``count_answers``); vetoes read it.  ``roster_id`` breaks the last tie.
    ``shown`` says whether the anonymity rule lets the composite be shown: a
    cadre without a shown composite neither counts toward the Excellent quota
    nor competes for it, or the quota's texts would give it away.  ``tier``
    is the tier of post HR set (the pool of a quota by tier); ``flags`` are
    the barring situations HR set for the cadre (keys of the rules' flags).
    """

    score: CadreScore
    roster_id: str
    unit: str = ""
    answers: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    shown: bool = True
    tier: str = ""
    flags: frozenset[str] = frozenset()

    @property
    def cadre_id(self) -> str:
        """The cadre the score is about (the key of the decisions)."""
        return self.score.cadre_id


@dataclass(frozen=True)
class GradeStep:
    """One rule that applied: the grade after it, why (a message id and values), and the
    rule's citation when the rules give one."""

    grade: str | None
    message: str
    values: dict = field(default_factory=dict)
    citation: Citation | None = None


@dataclass(frozen=True)
class GradeDecision:
    """A cadre's grade and the rule that decided it (``message``, ``values``); ``steps``
    holds every rule that applied, in order, the deciding one last; ``notes`` what
    the rules ask beside the grade (the 诫勉 talk)."""

    cadre_id: str
    grade: str | None
    message: str
    values: dict
    steps: tuple[GradeStep, ...]
    notes: tuple[GradeStep, ...] = ()

    @property
    def citation(self) -> Citation | None:
        """The citation of the rule that decided."""
        return self.steps[-1].citation if self.steps else None


def count_answers(
    questionnaire: Questionnaire, responses: Iterable[ScoredResponse]
) -> dict[str, dict[str, int]]:
    """Per item, how many raters gave each answer: only the groups' own items, only scale keys.

    The same answers that scoring counts, so a veto never rests on an answer
    the scores ignored.
    """
    table = lookup(questionnaire)
    scale = table.points
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for response in responses:
        answers = response.answers
        for item in table.items_for(response.group):
            answer = answers.get(item)
            if answer in scale:
                given = counts[item]
                given[answer] = given.get(answer, 0) + 1
    return dict(counts)


def percent(share: Fraction) -> float:
    """A share as a percentage for messages: one decimal, half up."""
    return rounded(float(share * 100), 1)


def _meets(share: Fraction, threshold: Fraction, comparison: str) -> bool:
    """Whether a share passes a threshold, exactly (no float between votes and the rule)."""
    return share > threshold if comparison == "more_than" else share >= threshold


def _lower(grade: str) -> str:
    """One grade lower; the worst grade stays."""
    return GRADES[min(GRADES.index(grade) + 1, len(GRADES) - 1)]


def _worse(grade: str, cap: str) -> bool:
    """Whether ``cap`` is a worse grade than ``grade``."""
    return GRADES.index(cap) > GRADES.index(grade)


def vote_share(score: CadreScore, grade: str) -> Fraction:
    """The exact share of the votes cast for a grade (0 when none were cast)."""
    cast = sum(score.votes.values())
    return Fraction(score.votes.get(grade, 0), cast) if cast else Fraction(0)


def band_step(grading: Grading, composite: float) -> GradeStep:
    """The best grade whose band minimum the composite, as shown, reaches."""
    score = rounded(composite)
    for grade in GRADES:
        minimum = grading.bands.get(grade)
        if minimum is not None and score >= minimum:
            values = {"score": score, "grade": grade, "minimum": minimum}
            return GradeStep(grade, BAND, values, grading.bands_citation)
    worst = GRADES[-1]
    lowest = min(grading.bands.values())
    values = {"score": score, "grade": worst, "minimum": lowest}
    return GradeStep(worst, BELOW_BANDS, values, grading.bands_citation)


def required_votes_steps(grading: Grading, score: CadreScore, grade: str) -> list[GradeStep]:
    """Vote rules that require: each one not met sends the cadre one grade lower."""
    steps = []
    for rule in sorted(
        (rule for rule in grading.votes if rule.effect == "requires"),
        key=lambda rule: GRADES.index(rule.grade),
    ):
        share = vote_share(score, rule.grade)
        if grade == rule.grade and not _meets(share, rule.share, rule.comparison):
            grade = _lower(grade)
            values = {
                "grade": rule.grade,
                "threshold": percent(rule.share),
                "share": percent(share),
                "result": grade,
            }
            steps.append(GradeStep(grade, REQUIRES[rule.comparison], values, rule.citation))
    return steps


def veto_steps(
    grading: Grading, answers: Mapping[str, Mapping[str, int]], grade: str
) -> list[GradeStep]:
    """Vetoes: an item failed by enough of those who answered it caps the grade."""
    steps = []
    for veto in grading.vetoes:
        given = answers.get(veto.item, {})
        answered = sum(given.values())
        if answered < veto.min_answers:
            continue
        failed = Fraction(sum(given.get(answer, 0) for answer in veto.answers), answered)
        if _meets(failed, veto.share, veto.comparison) and _worse(grade, veto.caps_at):
            grade = veto.caps_at
            values = {
                "share": percent(failed),
                "answered": answered,
                "item": veto.item,
                "answers": ", ".join(veto.answers),
                "threshold": percent(veto.share),
                "result": grade,
            }
            steps.append(GradeStep(grade, VETOES[veto.comparison], values, veto.citation))
    return steps


def capping_votes_steps(grading: Grading, score: CadreScore, grade: str) -> list[GradeStep]:
    """Vote rules that cap: enough votes for a grade make it the best the cadre can have."""
    steps = []
    for rule in grading.votes:
        if rule.effect != "caps":
            continue
        share = vote_share(score, rule.grade)
        if _meets(share, rule.share, rule.comparison) and _worse(grade, rule.grade):
            grade = rule.grade
            values = {
                "share": percent(share),
                "grade": rule.grade,
                "threshold": percent(rule.share),
                "result": grade,
            }
            steps.append(GradeStep(grade, CAPS[rule.comparison], values, rule.citation))
    return steps


def flag_steps(grading: Grading, flags: frozenset[str], grade: str) -> list[GradeStep]:
    """Barring situations HR set for the cadre: each caps the grade, in the rules' order."""
    steps = []
    for flag in grading.flags:
        if flag.key in flags and flag.effect == "caps" and _worse(grade, flag.caps_at):
            grade = flag.caps_at
            values = {"flag": flag.key, "result": grade}
            steps.append(GradeStep(grade, FLAG_CAPS, values, flag.citation))
    return steps


def pending_step(grading: Grading, flags: frozenset[str]) -> GradeStep | None:
    """No grade while a case is open: the first ``no_grade`` situation HR set, if any."""
    for flag in grading.flags:
        if flag.key in flags and flag.effect == "no_grade":
            return GradeStep(None, PENDING, {"flag": flag.key}, flag.citation)
    return None


def cadre_steps(grading: Grading, entry: GradingInput) -> list[GradeStep]:
    """Every rule but the quota, for one cadre (empty when there is no composite)."""
    pending = pending_step(grading, entry.flags)
    if pending is not None:
        return [pending]
    if entry.score.composite is None:
        return []
    steps = [band_step(grading, entry.score.composite)]
    steps += required_votes_steps(grading, entry.score, steps[-1].grade)
    steps += veto_steps(grading, entry.answers, steps[-1].grade)
    steps += capping_votes_steps(grading, entry.score, steps[-1].grade)
    steps += flag_steps(grading, entry.flags, steps[-1].grade)
    return steps


def admonition_notes(grading: Grading, score: CadreScore) -> tuple[GradeStep, ...]:
    """The 诫勉 note when the votes for the listed grades fall short (none without votes)."""
    rule = grading.admonition
    if rule is None or not sum(score.votes.values()) or score.composite is None:
        return ()
    share = sum((vote_share(score, grade) for grade in rule.grades), Fraction(0))
    due = share < rule.share if rule.comparison == "below" else share <= rule.share
    if not due:
        return ()
    values = {
        "share": percent(share),
        "grades": ", ".join(rule.grades),
        "threshold": percent(rule.share),
    }
    return (GradeStep(None, ADMONITION[rule.comparison], values, rule.citation),)


def quota_rank_key(entry: GradingInput) -> tuple:
    """Best first: composite as shown, Excellent vote share, composite unrounded, roster id."""
    composite = entry.score.composite
    return (
        -rounded(composite),
        -vote_share(entry.score, EXCELLENT),
        -composite,
        entry.roster_id,
    )


def quota_places(share: Fraction, graded: int, rounding: str) -> int:
    """How many Excellent grades a pool allows: down by default, to the nearest, or up."""
    exact = share * graded
    if rounding == "nearest":
        return math.floor(exact + Fraction(1, 2))
    return math.ceil(exact) if rounding == "up" else math.floor(exact)


def quota_pool(scope: str, unit: str, tier: str) -> str:
    """The pool a cadre's Excellent grade is counted in: the unit, the tier, or the agency ("")."""
    if scope == "unit":
        return unit
    return tier if scope == "tier" else ""


@dataclass(frozen=True)
class QuotaWarning:
    """A pool that can never award Excellent: even with every cadre graded, no place."""

    pool: str
    cadres: int
    places: int


def quota_warnings(grading: Grading, cadres: Iterable[tuple[str, str]]) -> list[QuotaWarning]:
    """Before launch: the pools (from each cadre's unit and tier) whose quota has no place.

    The places only shrink as cadres go ungraded, so a pool with none when
    every cadre is graded can never award Excellent; HR should hear that
    before the campaign starts, not from a cadre with 96 points and 80%
    Excellent votes graded Competent.
    """
    quota = grading.quota
    if quota is None:
        return []
    sizes: dict[str, int] = defaultdict(int)
    for unit, tier in cadres:
        sizes[quota_pool(quota.scope, unit, tier)] += 1
    warnings = []
    for pool, size in sorted(sizes.items()):
        places = quota_places(quota.share, size, quota.rounding)
        if places == 0:
            warnings.append(QuotaWarning(pool, size, places))
    return warnings


def quota_steps(
    grading: Grading, entries: list[GradingInput], grades: dict[str, str | None]
) -> dict[str, GradeStep]:
    """The quota's verdict for every cadre still Excellent with a shown composite, by scope.

    Cadres whose composite is not shown are left out of both the count and the
    race: nothing about them may be read off their colleagues' quota texts.
    """
    quota = grading.quota
    if quota is None:
        return {}
    scopes: dict[str, list[GradingInput]] = defaultdict(list)
    for entry in entries:
        if grades[entry.cadre_id] is not None and entry.shown:
            scopes[quota_pool(quota.scope, entry.unit, entry.tier)].append(entry)
    verdicts = {}
    for unit, members in scopes.items():
        places = quota_places(quota.share, len(members), quota.rounding)
        candidates = sorted(
            (entry for entry in members if grades[entry.cadre_id] == EXCELLENT),
            key=quota_rank_key,
        )
        for rank, entry in enumerate(candidates, start=1):
            values = {
                "rank": rank,
                "candidates": len(candidates),
                "unit": unit,
                "places": places,
                "quota": percent(quota.share),
                "graded": len(members),
            }
            if rank <= places:
                verdicts[entry.cadre_id] = GradeStep(
                    EXCELLENT, QUOTA_WITHIN[quota.scope], values, quota.citation
                )
            else:
                lower = _lower(EXCELLENT)
                verdicts[entry.cadre_id] = GradeStep(
                    lower, QUOTA_OUTSIDE[quota.scope], values | {"result": lower}, quota.citation
                )
    return verdicts


def grade_campaign(
    questionnaire: Questionnaire, inputs: Iterable[GradingInput]
) -> dict[str, GradeDecision]:
    """Every cadre's grade and the rule that decided it, keyed by cadre id."""
    grading = questionnaire.grading
    entries = list(inputs)
    steps = {entry.cadre_id: cadre_steps(grading, entry) for entry in entries}
    grades = {cadre: (trail[-1].grade if trail else None) for cadre, trail in steps.items()}
    for cadre, verdict in quota_steps(grading, entries, grades).items():
        steps[cadre].append(verdict)
    decisions = {}
    for entry in entries:
        trail = tuple(steps[entry.cadre_id]) or (GradeStep(None, NO_SCORE),)
        last = trail[-1]
        decisions[entry.cadre_id] = GradeDecision(
            cadre_id=entry.cadre_id,
            grade=last.grade,
            message=last.message,
            values=last.values,
            steps=trail,
            notes=admonition_notes(grading, entry.score) if last.grade is not None else (),
        )
    return decisions

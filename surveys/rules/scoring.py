"""Scoring rules as pure functions: from responses to per-cadre figures.

For one cadre:
- an item's mean, per rater group, is the mean of the points given to it;
- a dimension's mean, per group, is the mean of its item means;
- a group's score is the dimension-weighted mean of its dimension means;
- the composite is the group-weighted mean of the group scores, over the
  groups that have responses (the weights of absent groups are
  renormalised away, and ``missing_groups`` says which were absent);
- a dimension's overall score is the group-weighted mean of its per-group
  means, on the same rule;
- vote shares are each grade's share of the votes cast;
- with a ``performance`` section in the template, the performance
  dimension's per-group means are mixed with the cadre's indicator score
  before any of the figures above is made from them
  (``surveys.rules.performance``); ``CadreScore.performance`` keeps both parts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from statistics import fmean

from surveys.rules.performance import Indicator, PerformancePart, mixed_means, with_overall
from surveys.rules.questionnaire import GRADES, Questionnaire
from surveys.rules.rater_groups import group_keys


@dataclass(frozen=True)
class ScoredResponse:
    """The part of a stored response that scoring needs."""

    cadre_id: str
    group: str
    answers: dict[str, str]
    vote: str | None = None


@dataclass
class CadreScore:
    """Every figure of one cadre in one campaign."""

    cadre_id: str
    responses: dict[str, int] = field(default_factory=dict)
    item_means: dict[str, dict[str, float]] = field(default_factory=dict)
    dimension_means: dict[str, dict[str, float]] = field(default_factory=dict)
    group_scores: dict[str, float] = field(default_factory=dict)
    dimension_scores: dict[str, float] = field(default_factory=dict)
    composite: float | None = None
    missing_groups: list[str] = field(default_factory=list)
    votes: dict[str, int] = field(default_factory=dict)
    vote_shares: dict[str, float] = field(default_factory=dict)
    performance: PerformancePart | None = None

    @property
    def responses_total(self) -> int:
        """All responses about this cadre, every group together."""
        return sum(self.responses.values())


def weighted_mean(values: dict[str, float], weights: dict[str, float]) -> float | None:
    """Mean of ``values`` weighted by ``weights``, renormalised over the keys present."""
    total = sum(weights.get(key, 0.0) for key in values)
    if not values or total <= 0:
        return None
    return sum(value * weights.get(key, 0.0) for key, value in values.items()) / total


def rounded(value: float | None, places: int = 2) -> float | None:
    """Round half up (as people do by hand), not to even.

    Scores come from float arithmetic, so a figure that is 50.875 by hand may
    arrive as 50.87499999999999; it is first cleaned to nine decimals, far
    below what any score shows yet far above the float's noise.
    """
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    cleaned = Decimal(repr(value)).quantize(Decimal(1).scaleb(-9))
    return float(cleaned.quantize(quantum, rounding=ROUND_HALF_UP))


# Per group, per item: the points of every answer given (skips are absent, never zero).
GroupPoints = dict[str, dict[str, list[float]]]


class Lookup:
    """A questionnaire's answers to "which items does this group answer" and "how many
    points is this answer", as dictionaries.

    ``Questionnaire.items_for`` and ``points`` walk the template on every call;
    scoring asks them for every answer of every response, which at 300,000
    responses is most of the time spent.  Built once per questionnaire
    (``lookup``), read-only.
    """

    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.points: dict[str, float] = {}
        for option in questionnaire.scale:
            self.points.setdefault(option.key, option.points)
        self._items: dict[str, tuple[str, ...]] = {}

    def items_for(self, group: str) -> tuple[str, ...]:
        """The keys of the items a rater group answers, in order."""
        items = self._items.get(group)
        if items is None:
            items = tuple(item.key for item in self.questionnaire.items_for(group))
            self._items[group] = items
        return items


_LOOKUPS: dict[int, Lookup] = {}
_LOOKUPS_KEPT = 16


def lookup(questionnaire: Questionnaire) -> Lookup:
    """The lookup of a questionnaire, made on first use.

    Keyed by identity: the lookup holds its questionnaire, so the id cannot
    be reused while the entry lives.  A few are kept (a process reads one or
    two campaigns at a time); questionnaires are not changed once loaded.
    """
    found = _LOOKUPS.get(id(questionnaire))
    if found is not None and found.questionnaire is questionnaire:
        return found
    if len(_LOOKUPS) >= _LOOKUPS_KEPT:
        _LOOKUPS.clear()
    made = Lookup(questionnaire)
    _LOOKUPS[id(questionnaire)] = made
    return made


def response_points(table: Lookup, response: ScoredResponse) -> dict[str, float]:
    """The points of one response's answers to its group's items (skips left out)."""
    answers, points, own = response.answers, table.points, {}
    for item in table.items_for(response.group):
        value = points.get(answers.get(item, ""))
        if value is not None:
            own[item] = value
    return own


def answer_points(questionnaire: Questionnaire, responses: Iterable[ScoredResponse]) -> GroupPoints:
    """The points of each answer, by group and item: only the group's own items count."""
    table = lookup(questionnaire)
    points: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for response in responses:
        own = response_points(table, response)
        if own:  # a group enters with its first answer, as it always has (order matters)
            group = points[response.group]
            for item, value in own.items():
                group[item].append(value)
    return {group: dict(items) for group, items in points.items()}


def _dimension_means(questionnaire: Questionnaire, item_means: dict) -> dict:
    """Per group, per dimension: the mean of the item means."""
    result: dict[str, dict[str, float]] = {}
    for group, means in item_means.items():
        for dimension in questionnaire.dimensions:
            answered = [means[item.key] for item in dimension.items if item.key in means]
            if answered:
                result.setdefault(group, {})[dimension.key] = fmean(answered)
    return result


def score_points(
    questionnaire: Questionnaire,
    cadre_id: str,
    points: GroupPoints,
    indicators: Iterable[Indicator] | None = None,
) -> CadreScore:
    """Every figure but counts and votes, from answer points (and indicators, if any).

    Split from ``score_cadre`` so that figures built from adjusted points (the
    leniency-adjusted composite) follow exactly the same rules as the raw ones.
    ``indicators`` count only when the template has a ``performance`` section.
    """
    score = CadreScore(cadre_id=cadre_id)
    for group, items in points.items():
        means = {item: fmean(values) for item, values in items.items() if values}
        if means:
            score.item_means[group] = means
    score.dimension_means = _dimension_means(questionnaire, score.item_means)
    settings, rating_means = questionnaire.performance, score.dimension_means
    if settings is not None:
        score.dimension_means, score.performance = mixed_means(
            settings, rating_means, indicators or ()
        )
    dimension_weights = {dimension.key: dimension.weight for dimension in questionnaire.dimensions}
    group_weights = questionnaire.group_weights
    for group, means in score.dimension_means.items():
        score.group_scores[group] = weighted_mean(means, dimension_weights)
    score.composite = weighted_mean(score.group_scores, group_weights)
    for dimension in questionnaire.dimensions:
        by_group = {
            group: means[dimension.key]
            for group, means in score.dimension_means.items()
            if dimension.key in means
        }
        overall = weighted_mean(by_group, group_weights)
        if overall is not None:
            score.dimension_scores[dimension.key] = overall
    expected = [
        group
        for group in group_keys()
        if group_weights.get(group, 0) > 0 and questionnaire.items_for(group)
    ]
    score.missing_groups = [group for group in expected if group not in score.group_scores]
    if score.performance is not None:
        key = score.performance.dimension
        rating = weighted_mean(score.performance.rating_means, group_weights)
        score.performance = with_overall(score.performance, rating, score.dimension_scores.get(key))
    return score


def score_cadre(
    questionnaire: Questionnaire,
    cadre_id: str,
    responses: list[ScoredResponse],
    indicators: Iterable[Indicator] | None = None,
) -> CadreScore:
    """All figures for one cadre from that cadre's responses (and performance indicators)."""
    points = answer_points(questionnaire, responses)
    score = score_points(questionnaire, cadre_id, points, indicators)
    score.responses = dict(Counter(response.group for response in responses))
    score.votes = dict(Counter(response.vote for response in responses if response.vote))
    cast = sum(score.votes.values())
    score.vote_shares = (
        {grade: score.votes.get(grade, 0) / cast for grade in GRADES} if cast else {}
    )
    return score


def by_cadre(responses: Iterable[ScoredResponse]) -> dict[str, list[ScoredResponse]]:
    """Responses grouped by cadre, in one pass and in their order.

    Every per-cadre figure of a campaign reads its cadre's group from here:
    filtering the whole list once per cadre costs cadres x responses, which
    at 10,000 cadres is hours instead of seconds.
    """
    grouped: dict[str, list[ScoredResponse]] = defaultdict(list)
    for response in responses:
        grouped[response.cadre_id].append(response)
    return dict(grouped)


def score_campaign(
    questionnaire: Questionnaire,
    cadre_ids: Iterable[str],
    responses: Iterable[ScoredResponse] | Mapping[str, list[ScoredResponse]],
    indicators: Mapping[str, list[Indicator]] | None = None,
) -> list[CadreScore]:
    """Scores for every listed cadre, in the order given (cadres without responses too).

    ``responses`` may come already grouped by cadre (``by_cadre``), so that a
    caller who needs the groups too builds them once; ``indicators`` are the
    performance indicators by cadre id (HR's data, see ``surveys.rules.performance``).
    """
    grouped = responses if isinstance(responses, Mapping) else by_cadre(responses)
    indicators = indicators or {}
    return [
        score_cadre(questionnaire, cadre_id, grouped.get(cadre_id, []), indicators.get(cadre_id))
        for cadre_id in cadre_ids
    ]

"""Where a cadre stands: rank and percentile, weakest dimensions, and what the grade is for.

- **Rank** is competition ranking ("1, 2, 2, 4") on the composite as shown
  (rounded half up to two decimals), so cadres shown with the same figure
  share a rank; within the unit and within the campaign.  Cadres without a
  composite are not ranked and not counted.
- **Percentile** is the percentile rank of the composite in the same scope:
  the share of ranked cadres with a lower composite, the cadre's ties
  (itself included) counting half, times 100 (as scipy's
  ``percentileofscore(kind="mean")``).  The best of five gets 90, the worst
  10; a cadre alone in its unit gets 50.
- **Weakest dimensions**: the dimensions where the cadre's overall score is
  furthest below the unit average (the plain mean of the unit's cadres'
  scores for that dimension, the cadre included); only dimensions below the
  average as shown (two decimals) count, and gaps equal as shown are in the
  order the scores list the dimensions (questionnaire order).
- **Recommended uses** of each grade follow the source text on applying
  results: promotion priority, commendation and pay for Excellent; normal
  use for Competent; talks, reminders and targeted training for Basically
  competent; talks and adjustment of post for Incompetent.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import fmean

from surveys.rules.messages import N_
from surveys.rules.scoring import rounded

USES = {
    "promotion": N_("Priority for promotion and appointment"),
    "commendation": N_("Commendation and awards"),
    "pay": N_("Rank promotion and better pay for better performance"),
    "normal": N_("Normal use, pay and rank progression"),
    "training": N_("Targeted training on the weakest dimensions"),
    "talk": N_("A talk and reminder"),
    "adjustment": N_("Adjustment of post, demotion or removal"),
}
RECOMMENDED = {
    "excellent": ("promotion", "commendation", "pay"),
    "competent": ("normal", "training"),
    "basically_competent": ("talk", "training"),
    "incompetent": ("talk", "adjustment"),
}


@dataclass(frozen=True)
class RankingEntry:
    """A cadre as ranking sees it: unit, composite and overall dimension scores."""

    cadre_id: str
    unit: str
    composite: float | None
    dimension_scores: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Standing:
    """Rank and percentile in the unit and in the campaign (None when not ranked), and how
    many cadres were ranked in each."""

    cadre_id: str
    unit_rank: int | None
    unit_ranked: int
    unit_percentile: float | None
    campaign_rank: int | None
    campaign_ranked: int
    campaign_percentile: float | None


@dataclass(frozen=True)
class DimensionGap:
    """A dimension where the cadre is below the unit average, and by how much (negative)."""

    dimension: str
    score: float
    unit_average: float
    gap: float


def competition_ranks(composites: Mapping[str, float]) -> dict[str, int]:
    """Rank 1 for the highest figure; equal figures share a rank and the next ones skip."""
    ordered = sorted(composites.values(), reverse=True)
    first = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {cadre: first[value] for cadre, value in composites.items()}


def percentile_rank(value: float, values: list[float]) -> float:
    """The share of values below, ties counting half, in percent."""
    below = sum(1 for other in values if other < value)
    equal = sum(1 for other in values if other == value)
    return 100 * (below + 0.5 * equal) / len(values)


def _scope_standing(composites: Mapping[str, float]) -> dict[str, tuple[int, float]]:
    """Rank and percentile of each cadre within one scope.

    The counts below and equal come from one sorted list by bisection, the
    same figures ``percentile_rank`` counts, so a campaign of 10,000 cadres
    costs a sort rather than 10,000 passes over 10,000 composites.
    """
    ranks = competition_ranks(composites)
    ordered = sorted(composites.values())
    total = len(ordered)
    standing = {}
    for cadre, value in composites.items():
        below = bisect_left(ordered, value)
        equal = bisect_right(ordered, value, lo=below) - below
        standing[cadre] = (ranks[cadre], 100 * (below + 0.5 * equal) / total)
    return standing


def standings(entries: Iterable[RankingEntry]) -> dict[str, Standing]:
    """Every cadre's rank and percentile in the unit and in the campaign."""
    entries = list(entries)
    shown = {e.cadre_id: rounded(e.composite) for e in entries if e.composite is not None}
    by_unit: dict[str, dict[str, float]] = defaultdict(dict)
    for entry in entries:
        if entry.cadre_id in shown:
            by_unit[entry.unit][entry.cadre_id] = shown[entry.cadre_id]
    campaign = _scope_standing(shown)
    units = {unit: _scope_standing(members) for unit, members in by_unit.items()}
    result = {}
    for entry in entries:
        unit = units.get(entry.unit, {}).get(entry.cadre_id, (None, None))
        overall = campaign.get(entry.cadre_id, (None, None))
        result[entry.cadre_id] = Standing(
            cadre_id=entry.cadre_id,
            unit_rank=unit[0],
            unit_ranked=len(by_unit.get(entry.unit, {})),
            unit_percentile=unit[1],
            campaign_rank=overall[0],
            campaign_ranked=len(shown),
            campaign_percentile=overall[1],
        )
    return result


def unit_averages(entries: Iterable[RankingEntry]) -> dict[str, dict[str, float]]:
    """Per unit, per dimension: the mean of the cadres' overall dimension scores."""
    collected: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        for dimension, value in entry.dimension_scores.items():
            collected[entry.unit][dimension].append(value)
    return {
        unit: {dimension: fmean(values) for dimension, values in dimensions.items()}
        for unit, dimensions in collected.items()
    }


def weakest_dimensions(
    scores: Mapping[str, float], unit_average: Mapping[str, float], count: int = 2
) -> list[DimensionGap]:
    """Up to ``count`` dimensions furthest below the unit average, weakest first."""
    gaps = [
        DimensionGap(dimension, value, unit_average[dimension], value - unit_average[dimension])
        for dimension, value in scores.items()
        if dimension in unit_average and rounded(value) < rounded(unit_average[dimension])
    ]
    order = {dimension: position for position, dimension in enumerate(scores)}
    gaps.sort(key=lambda gap: (rounded(gap.gap), order[gap.dimension]))
    return gaps[:count]


def recommended_uses(grade: str | None) -> tuple[str, ...]:
    """What a grade is for, as message ids (none without a grade)."""
    return tuple(USES[use] for use in RECOMMENDED.get(grade, ()))

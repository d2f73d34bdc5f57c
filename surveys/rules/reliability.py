"""How far the figures can be trusted: Cronbach's alpha and the one-way ICC.

- **Cronbach's alpha** per dimension: the dimension's items are the columns,
  responses the rows; only responses that answered every one of those items
  count (listwise), as in R's ``psych::alpha(use = "complete.obs")``.
  alpha = k / (k - 1) * (1 - sum of item variances / variance of row totals),
  variances with n - 1.  It says whether the items of a dimension measure one
  thing.
- **ICC(1) and ICC(1,k)**, Shrout & Fleiss (1979) case 1: targets are the
  cadres, and each cadre is rated by different raters (the responses of one
  rater group), so the one-way random-effects model fits.  From the one-way
  ANOVA of response scores by cadre, MSB between cadres and MSW within:
  ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW), the reliability of one rater;
  ICC(1,k) = (MSB - MSW) / MSB, the reliability of the mean of k raters.
  Cadres rarely have the same number of raters, so k is the standard
  unequal-groups size of the one-way ANOVA (Snedecor & Cochran; Donner 1986),
  k0 = (N - sum(n_i^2) / N) / (a - 1) for a cadres and N ratings; with equal
  counts k0 = k and the formulas are exactly Shrout & Fleiss's.  ICC(1,k) is
  then the reliability of a mean of k0 ratings.

Each returns None where the statistic is undefined (too few items, rows,
cadres or ratings, or no variance at all) rather than a misleading number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean

import numpy as np

from surveys.rules.questionnaire import Questionnaire
from surveys.rules.scoring import ScoredResponse, lookup, response_points, weighted_mean


@dataclass(frozen=True)
class Alpha:
    """Cronbach's alpha and what it rests on: items, complete responses, responses left out."""

    alpha: float
    items: int
    responses: int
    dropped: int


@dataclass(frozen=True)
class ICC:
    """One-way ICCs of a rater group, and the ANOVA behind them.

    ``k`` is the ratings per cadre (k0 when counts differ); ``msb`` and ``msw``
    the mean squares between and within cadres.
    """

    icc1: float
    icck: float
    targets: int
    ratings: int
    k: float
    msb: float
    msw: float


def cronbach_alpha(rows: Sequence[Sequence[float | None]]) -> Alpha | None:
    """Alpha of a table with items as columns and responses as rows (None = not answered)."""
    table = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    if table.ndim != 2 or table.shape[1] < 2:
        return None
    complete = table[~np.isnan(table).any(axis=1)]
    items, responses = table.shape[1], complete.shape[0]
    if responses < 2:
        return None
    total_variance = complete.sum(axis=1).var(ddof=1)
    if total_variance == 0:
        return None
    item_variances = complete.var(axis=0, ddof=1).sum()
    alpha = items / (items - 1) * (1 - item_variances / total_variance)
    return Alpha(float(alpha), items, responses, table.shape[0] - responses)


def _item_points(questionnaire: Questionnaire, response: ScoredResponse) -> dict[str, float]:
    """The points of one response's answers to its group's items."""
    return response_points(lookup(questionnaire), response)


def dimension_alphas(
    questionnaire: Questionnaire, responses: Iterable[ScoredResponse], group: str | None = None
) -> dict[str, Alpha | None]:
    """Alpha per dimension, over one rater group's responses or all of them.

    With a group, the columns are the dimension's items that group answers;
    without one, all the dimension's items, so only responses from groups that
    answer every one of them count.
    """
    chosen = [r for r in responses if group is None or r.group == group]
    answered = [_item_points(questionnaire, response) for response in chosen]
    alphas = {}
    for dimension in questionnaire.dimensions:
        items = [item.key for item in dimension.items if group is None or group in item.groups]
        alphas[dimension.key] = cronbach_alpha(
            [[points.get(item) for item in items] for points in answered]
        )
    return alphas


def icc_oneway(ratings: Sequence[Sequence[float]]) -> ICC | None:
    """ICC(1) and ICC(1,k) of ratings grouped by target (one inner sequence per target)."""
    groups = [np.asarray(target, dtype=float) for target in ratings if len(target)]
    targets = len(groups)
    counts = np.array([len(group) for group in groups], dtype=float)
    total = counts.sum()
    if targets < 2 or total <= targets:
        return None
    grand = np.concatenate(groups).mean()
    between = sum(n * (group.mean() - grand) ** 2 for n, group in zip(counts, groups, strict=True))
    within = sum(((group - group.mean()) ** 2).sum() for group in groups)
    msb = between / (targets - 1)
    msw = within / (total - targets)
    k0 = (total - (counts**2).sum() / total) / (targets - 1)
    if msb == 0:
        return None
    icc1 = (msb - msw) / (msb + (k0 - 1) * msw)
    icck = (msb - msw) / msb
    return ICC(float(icc1), float(icck), targets, int(total), float(k0), float(msb), float(msw))


def response_score(questionnaire: Questionnaire, response: ScoredResponse) -> float | None:
    """One response's own group score (dimension-weighted, as the cadre's group score).

    The scoring rules on one response, by hand: each item mean is the one
    answer, each dimension the mean of its answered items, the group score
    their weighted mean; ``score_points`` gives the same figure, at several
    times the cost, which 300,000 responses feel.
    """
    points = response_points(lookup(questionnaire), response)
    if not points:
        return None
    means = {}
    for dimension in questionnaire.dimensions:
        answered = [points[item.key] for item in dimension.items if item.key in points]
        if answered:
            means[dimension.key] = fmean(answered)
    weights = {dimension.key: dimension.weight for dimension in questionnaire.dimensions}
    return weighted_mean(means, weights)


def group_icc(
    questionnaire: Questionnaire, responses: Iterable[ScoredResponse], group: str
) -> ICC | None:
    """How much one rater group agrees about the cadres: ICC over each response's score."""
    by_cadre: dict[str, list[float]] = defaultdict(list)
    for response in responses:
        if response.group == group:
            value = response_score(questionnaire, response)
            if value is not None:
                by_cadre[response.cadre_id].append(value)
    return icc_oneway(list(by_cadre.values()))

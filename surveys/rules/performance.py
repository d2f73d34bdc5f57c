"""Performance indicators (实绩) as pure rules: attainment, the indicator score, the mix.

HR gives each cadre a few indicators with a target and an actual figure.

- An indicator's **attainment** is actual / target when higher is better, and
  target / actual when lower is better (costs, complaints, accidents); it
  counts up to the template's ``cap``, so one target beaten far makes up for
  another missed only so much.  An actual of 0 on a lower-is-better
  indicator is the best there is: it counts as the cap.
- The **indicator score** is the weight-weighted mean attainment x 100, at
  most 100: over-attainment on one indicator may offset a shortfall on
  another, but the score stays on the 0-100 scale of the ratings, so the
  grade bands keep their meaning.
- The template's performance dimension (绩) becomes
  ``share x indicator score + (1 - share) x rating``.  Scoring applies the mix
  to each rater group's mean of that dimension: every later figure (the
  group scores, the overall dimension score, the composite, the grades) then
  follows the existing rules unchanged, and because each is a weighted mean
  with weights summing to one, the overall dimension score is exactly
  ``share x indicator score + (1 - share) x the raters' overall figure``.
- A cadre without indicators keeps the raters' figure alone, with a note.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from surveys.rules.messages import N_
from surveys.rules.questionnaire import Performance

HIGHER, LOWER = "higher", "lower"
DIRECTIONS = (HIGHER, LOWER)
NO_INDICATORS = N_(
    "No performance indicators for this cadre: %(dimension)s is the raters' figure alone"
)
MIXED = N_(
    "%(dimension)s = %(share)s%% indicators (%(indicator)s) + %(rest)s%% ratings (%(rating)s) "
    "= %(mixed)s"
)
RATING_WITHHELD = N_(
    "%(dimension)s: the indicator score is shown; the raters' part and the mixed figure are "
    "not, as the raters' part rests on too few responses"
)


@dataclass(frozen=True)
class Indicator:
    """One indicator of one cadre, as HR gave it (target above 0, actual at least 0)."""

    name: str
    target: float
    actual: float
    weight: float = 1.0
    direction: str = HIGHER
    unit: str = ""


@dataclass(frozen=True)
class Attainment:
    """How far one indicator reached its target: ``ratio`` uncapped, ``counted`` capped."""

    indicator: Indicator
    ratio: float
    counted: float


@dataclass(frozen=True)
class PerformancePart:
    """How one cadre's performance dimension was made, for reports to show.

    ``indicator`` is the indicator score (None without indicators); ``rating``
    the raters' overall figure for the dimension and ``rating_means`` per
    rater group (before the mix); ``mixed`` the dimension's overall score.
    ``note`` (a message id) says why the dimension is ratings only.
    """

    dimension: str
    share: float
    cap: float
    indicator: float | None = None
    rating: float | None = None
    rating_means: Mapping[str, float] = field(default_factory=dict)
    mixed: float | None = None
    attainments: tuple[Attainment, ...] = ()
    note: str | None = None

    def shown(self, rating_shown: bool) -> PerformancePart:
        """The part as it may be shown, given whether the overall dimension score may be.

        The indicators are HR's own figures and tell nothing about any rater,
        so they are always shown.  When the anonymity rule withholds the
        dimension's overall score, the raters' part is withheld and so is the
        mixed figure: (mixed - share x indicator) / (1 - share) would give
        the raters' part back.  With a share of 1 the raters do not count, so
        the mixed figure is the indicator score and is shown.
        """
        if rating_shown:
            return self
        mixed = self.mixed if self.share >= 1 and self.indicator is not None else None
        note = self.note or (RATING_WITHHELD if self.indicator is not None else None)
        return replace(self, rating=None, rating_means={}, mixed=mixed, note=note)


def attainment(indicator: Indicator, cap: float) -> Attainment:
    """The attainment of one indicator, uncapped and as counted (at most ``cap``)."""
    if indicator.direction == LOWER:
        ratio = indicator.target / indicator.actual if indicator.actual > 0 else math.inf
    else:
        ratio = indicator.actual / indicator.target
    return Attainment(indicator=indicator, ratio=ratio, counted=min(ratio, cap))


def indicator_score(
    indicators: Iterable[Indicator], cap: float
) -> tuple[float | None, tuple[Attainment, ...]]:
    """The 0-100 indicator score (None without indicators) and each indicator's attainment."""
    attained = tuple(attainment(indicator, cap) for indicator in indicators)
    total = sum(a.indicator.weight for a in attained)
    if not attained or total <= 0:
        return None, attained
    mean = sum(a.counted * a.indicator.weight for a in attained) / total
    return min(100.0, 100.0 * mean), attained


def mix(share: float, indicator: float, rating: float) -> float:
    """The performance dimension from its two parts."""
    return share * indicator + (1 - share) * rating


def mixed_means(
    settings: Performance,
    dimension_means: Mapping[str, Mapping[str, float]],
    indicators: Iterable[Indicator],
) -> tuple[dict[str, dict[str, float]], PerformancePart]:
    """Per group dimension means with the performance dimension mixed, and the part.

    ``dimension_means`` are the raters' (per group, per dimension); groups
    that did not answer the dimension are left as they are, so the
    indicators enter a group's score only where the group rated the dimension.
    """
    key = settings.dimension
    score, attained = indicator_score(indicators, settings.cap)
    rating_means = {group: means[key] for group, means in dimension_means.items() if key in means}
    part = PerformancePart(
        dimension=key,
        share=settings.share,
        cap=settings.cap,
        indicator=score,
        rating_means=rating_means,
        attainments=attained,
        note=NO_INDICATORS if score is None else None,
    )
    means = {group: dict(values) for group, values in dimension_means.items()}
    if score is not None:
        for group, rating in rating_means.items():
            means[group][key] = mix(settings.share, score, rating)
    return means, part


def with_overall(
    part: PerformancePart, rating: float | None, mixed: float | None
) -> PerformancePart:
    """The part completed with the overall figures scoring found."""
    return replace(part, rating=rating, mixed=mixed if part.indicator is not None else rating)

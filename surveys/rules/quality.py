"""Bias and quality checks for HR: they flag ballots, they never drop or change data.

A **ballot** here is one response about one cadre, as points per item, with
the caller's reference to it and, where the caller can link them, the id of
the form it came on (``link``: one rater's ballots on several cadres, e.g. one
paper sheet of a democratic evaluation).  Stored responses carry no rater,
so checks that need links apply only where the caller has them.

- **straight-lined**: every item answer on a ballot is the same (at least
  ``min_items`` answers, so a short public form is not flagged for nothing);
- **outlier**: a ballot whose mean is far from the other ballots of the same
  rater group on the same cadre, by the modified z-score of Iglewicz and
  Hoaglin (1993): z = 0.6745 * (x - median) / MAD, flagged when |z| > 3.5,
  with at least ``min_ballots`` ballots to compare.  When the MAD is 0 (more
  than half the ballots agree exactly) the mean absolute deviation stands in:
  z = (x - median) / (1.253314 * MeanAD), 1.253314 being sqrt(pi / 2); when
  that is 0 too, every ballot is the same and none is an outlier;
- **lenient or severe**: for linked ballots, how far each ballot's mean lies
  from the mean of the other ballots of its group on the same cadre,
  averaged over the form's cadres; flagged at ``threshold`` points (default
  15 on the 0-100 scale) over at least ``min_cadres`` cadres;
- **bursts** on a public channel: at least ``minimum`` submissions within
  ``window`` (the caller gives (channel, day or time) pairs; with days, a
  window of one day means one calendar day);
- a **leniency-adjusted composite** beside the raw one: on each linked form
  that rates at least ``min_cadres`` cadres, every answer is standardized
  within the form (z = (x - form mean) / form SD, population SD; a form with
  no spread gives z = 0) and put back on the points scale with the mean and
  SD of all answers in the input, M + S * z.  Other ballots keep their
  points, as nothing shows how lenient their rater is.  Figures then follow
  the scoring rules exactly (``scoring.score_points``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from statistics import fmean, median, pstdev

from surveys.rules.messages import N_
from surveys.rules.questionnaire import Questionnaire
from surveys.rules.scoring import ScoredResponse, lookup, response_points, rounded, score_points

Z_FACTOR = 0.6745
MEAN_AD_FACTOR = math.sqrt(math.pi / 2)  # 1.253314
OUTLIER_Z = 3.5

STRAIGHT_LINE = N_("All %(items)s answers on this ballot are the same: %(points)s points")
OUTLIER = N_(
    "This ballot's mean %(mean)s is far from the other %(group)s ballots on this cadre "
    "(median %(median)s, robust z %(z)s, beyond %(threshold)s)"
)
LENIENT = N_(
    "Ballots on form %(link)s rate %(cadres)s cadres %(difference)s points above the other "
    "raters on average"
)
SEVERE = N_(
    "Ballots on form %(link)s rate %(cadres)s cadres %(difference)s points below the other "
    "raters on average"
)
BURST = N_(
    "%(count)s submissions on channel %(channel)s from %(start)s to %(end)s "
    "(at least %(minimum)s within %(hours)s hours)"
)


@dataclass(frozen=True)
class Ballot:
    """One response about one cadre: the caller's reference, points per item, form link."""

    ref: str
    cadre_id: str
    group: str
    points: Mapping[str, float]
    link: str | None = None

    @cached_property
    def mean(self) -> float | None:
        """The mean points of the ballot's answers (kept: the checks ask for it again and
        again)."""
        return fmean(self.points.values()) if self.points else None


@dataclass(frozen=True)
class QualityFlag:
    """One finding for HR: which check, which ballots, which cadre, and what was seen."""

    check: str
    refs: tuple[str, ...]
    cadre_id: str | None
    message: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Burst:
    """Submissions bunched on one public channel: how many, from when to when."""

    channel: str
    start: datetime
    end: datetime
    count: int
    message: str
    values: dict


@dataclass(frozen=True)
class AdjustedComposite:
    """A cadre's raw composite and the leniency-adjusted one, and how many ballots moved."""

    cadre_id: str
    raw: float | None
    adjusted: float | None
    adjusted_ballots: int
    unchanged_ballots: int


def to_ballot(
    questionnaire: Questionnaire, ref: str, response: ScoredResponse, link: str | None = None
) -> Ballot:
    """A response as a ballot: the points of its answers to its group's items."""
    return Ballot(
        ref=ref,
        cadre_id=response.cadre_id,
        group=response.group,
        points=response_points(lookup(questionnaire), response),
        link=link,
    )


def straight_lined(ballots: Iterable[Ballot], min_items: int = 3) -> list[QualityFlag]:
    """Ballots whose answers are all the same, with at least ``min_items`` answers."""
    flags = []
    for ballot in ballots:
        values = set(ballot.points.values())
        if len(ballot.points) >= min_items and len(values) == 1:
            seen = {"items": len(ballot.points), "points": rounded(values.pop())}
            flag = QualityFlag("straight_line", (ballot.ref,), ballot.cadre_id, STRAIGHT_LINE, seen)
            flags.append(flag)
    return flags


def robust_z(values: list[float]) -> list[float]:
    """Modified z-scores (median and MAD, 0.6745); MeanAD when MAD is 0; zeros when all agree."""
    middle = median(values)
    deviations = [abs(value - middle) for value in values]
    mad = median(deviations)
    if mad > 0:
        return [Z_FACTOR * (value - middle) / mad for value in values]
    mean_ad = fmean(deviations)
    if mean_ad > 0:
        return [(value - middle) / (MEAN_AD_FACTOR * mean_ad) for value in values]
    return [0.0 for _ in values]


def _by_cadre_and_group(ballots: Iterable[Ballot]) -> dict[tuple[str, str], list[Ballot]]:
    """Ballots with answers, by cadre and rater group (the same items, so comparable means)."""
    grouped: dict[tuple[str, str], list[Ballot]] = defaultdict(list)
    for ballot in ballots:
        if ballot.points:
            grouped[(ballot.cadre_id, ballot.group)].append(ballot)
    return grouped


def outliers(
    ballots: Iterable[Ballot], threshold: float = OUTLIER_Z, min_ballots: int = 5
) -> list[QualityFlag]:
    """Ballots far from their group's other ballots on the same cadre, by robust z-score."""
    flags = []
    for (cadre_id, group), members in _by_cadre_and_group(ballots).items():
        if len(members) < min_ballots:
            continue
        means = [ballot.mean for ballot in members]
        for ballot, mean, z in zip(members, means, robust_z(means), strict=True):
            if abs(z) > threshold:
                values = {
                    "mean": rounded(mean),
                    "group": group,
                    "median": rounded(median(means)),
                    "z": rounded(z),
                    "threshold": threshold,
                }
                flags.append(QualityFlag("outlier", (ballot.ref,), cadre_id, OUTLIER, values))
    return flags


def lenient_or_severe(
    ballots: Iterable[Ballot], threshold: float = 15.0, min_cadres: int = 2
) -> list[QualityFlag]:
    """Linked forms whose ballots sit well above (lenient) or below (severe) the others'."""
    grouped = _by_cadre_and_group(ballots)
    differences: dict[str, list[tuple[Ballot, float]]] = defaultdict(list)
    for members in grouped.values():
        for ballot in members:
            others = [other.mean for other in members if other is not ballot]
            if ballot.link is not None and others:
                differences[ballot.link].append((ballot, ballot.mean - fmean(others)))
    flags = []
    for link, found in differences.items():
        cadres = {ballot.cadre_id for ballot, _ in found}
        average = fmean(difference for _, difference in found)
        if len(cadres) >= min_cadres and abs(average) >= threshold:
            check, message = ("lenient", LENIENT) if average > 0 else ("severe", SEVERE)
            values = {"link": link, "cadres": len(cadres), "difference": rounded(abs(average))}
            refs = tuple(ballot.ref for ballot, _ in found)
            flags.append(QualityFlag(check, refs, None, message, values))
    return flags


def check_ballots(ballots: Iterable[Ballot]) -> list[QualityFlag]:
    """Every ballot check with its default settings, in one list for HR."""
    ballots = list(ballots)
    return [*straight_lined(ballots), *outliers(ballots), *lenient_or_severe(ballots)]


def _moment(value: date | datetime) -> datetime:
    """A day as the start of that day, so days and times sort and subtract alike."""
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def bursts(
    submissions: Iterable[tuple[str, date | datetime]],
    *,
    minimum: int,
    window: timedelta = timedelta(days=1),
) -> list[Burst]:
    """Runs of at least ``minimum`` submissions on one channel within ``window``.

    Overlapping runs merge into one burst, so HR sees each episode once.
    """
    by_channel: dict[str, list[datetime]] = defaultdict(list)
    for channel, when in submissions:
        by_channel[channel].append(_moment(when))
    found = []
    for channel in sorted(by_channel):
        moments = sorted(by_channel[channel])
        marked = [False] * len(moments)
        start = 0
        for end, moment in enumerate(moments):
            while moment - moments[start] >= window:
                start += 1
            if end - start + 1 >= minimum:
                marked[start : end + 1] = [True] * (end - start + 1)
        found += _runs(channel, moments, marked, minimum, window)
    return found


def _runs(
    channel: str, moments: list[datetime], marked: list[bool], minimum: int, window: timedelta
) -> list[Burst]:
    """Consecutive marked submissions as bursts."""
    runs, current = [], []
    for moment, flagged in zip([*moments, None], [*marked, False], strict=True):
        if flagged:
            current.append(moment)
        elif current:
            values = {
                "count": len(current),
                "channel": channel,
                "start": current[0].isoformat(),
                "end": current[-1].isoformat(),
                "minimum": minimum,
                "hours": rounded(window / timedelta(hours=1)),
            }
            runs.append(Burst(channel, current[0], current[-1], len(current), BURST, values))
            current = []
    return runs


def _adjusted_points(ballots: list[Ballot], min_cadres: int) -> tuple[list[Ballot], set[int]]:
    """Ballots with answers standardized within each linked form, back on the points scale;
    and the positions of the ballots that moved."""
    every = [value for ballot in ballots for value in ballot.points.values()]
    if len(every) < 2 or pstdev(every) == 0:
        return ballots, set()
    pooled_mean, pooled_sd = fmean(every), pstdev(every)
    forms: dict[str, list[int]] = defaultdict(list)
    for index, ballot in enumerate(ballots):
        if ballot.link is not None:
            forms[ballot.link].append(index)
    adjusted, moved = list(ballots), set()
    for members in forms.values():
        if len({ballots[i].cadre_id for i in members}) < min_cadres:
            continue
        values = [value for i in members for value in ballots[i].points.values()]
        mean, sd = fmean(values), pstdev(values)
        for i in members:
            ballot = ballots[i]
            points = {
                item: pooled_mean + pooled_sd * ((value - mean) / sd if sd else 0.0)
                for item, value in ballot.points.items()
            }
            adjusted[i] = Ballot(ballot.ref, ballot.cadre_id, ballot.group, points, ballot.link)
            moved.add(i)
    return adjusted, moved


def _composite(questionnaire: Questionnaire, cadre_id: str, ballots: list[Ballot]) -> float | None:
    """The composite of a cadre's ballots by the scoring rules."""
    points: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for ballot in ballots:
        for item, value in ballot.points.items():
            points[ballot.group][item].append(value)
    return score_points(questionnaire, cadre_id, points).composite


def leniency_adjusted(
    questionnaire: Questionnaire, ballots: Iterable[Ballot], min_cadres: int = 2
) -> dict[str, AdjustedComposite]:
    """Raw and leniency-adjusted composite per cadre, in order of first appearance."""
    ballots = list(ballots)
    adjusted, moved = _adjusted_points(ballots, min_cadres)
    by_cadre: dict[str, list[int]] = defaultdict(list)
    for index, ballot in enumerate(ballots):
        by_cadre[ballot.cadre_id].append(index)
    results = {}
    for cadre_id, indexes in by_cadre.items():
        changed = sum(1 for i in indexes if i in moved)
        results[cadre_id] = AdjustedComposite(
            cadre_id=cadre_id,
            raw=_composite(questionnaire, cadre_id, [ballots[i] for i in indexes]),
            adjusted=_composite(questionnaire, cadre_id, [adjusted[i] for i in indexes]),
            adjusted_ballots=changed,
            unchanged_ballots=len(indexes) - changed,
        )
    return results

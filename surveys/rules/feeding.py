"""Earlier results feeding a campaign's composite, as pure rules.

平时考核 (regular check-ins, several a year) feed the annual assessment, and
annual results feed the term assessment, as a template's ``feeds`` setting
(or its preset's) says: ``{source: regular, share: 0.2, years: 1}``.

- The **fed campaigns** are the campaigns of kind ``source`` whose box was
  opened no later than this campaign's and which closed before it, within
  ``years`` years of its close (``in_window``; the query is
  ``surveys.results.outcomes.fed_campaigns``).
- The **fed figure** of a person is the plain mean of that person's *shown*
  composites in the fed campaigns (same roster id, any roster).  A withheld
  composite feeds nothing: only figures some output already shows may move
  another, so no hidden group can be worked out from the difference.
- The composite becomes
  ``(1 - share) x the raters' composite + share x the fed figure``.
  Dimension, group and rank figures other than the composite stay the
  raters' own.  When the raters' composite is withheld (fewer than k
  responses) the mixed one is withheld too: with the fed figure shown
  elsewhere, the mixed one would give the raters' back.
- A person without fed figures keeps the raters' composite, with a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean

from surveys.rules.disclosure import Note
from surveys.rules.messages import N_
from surveys.rules.questionnaire import Feeds
from surveys.rules.scoring import rounded

FED = N_(
    "Composite = %(rest)s%% ratings (%(rating)s) + %(share)s%% of the mean of %(count)s "
    "earlier %(source)s results (%(fed)s) = %(mixed)s"
)
NOT_FED = N_(
    "No earlier %(source)s results to feed this composite (%(share)s%% by the rules): "
    "it is the raters' figure alone"
)


@dataclass(frozen=True)
class FeedingPart:
    """How one cadre's composite was fed: the raters' part, the fed figure, the result.

    ``fed`` is None when no shown composite of the source kind was found;
    ``count`` is how many fed it.
    """

    source: str
    share: float
    rating: float | None
    fed: float | None
    count: int
    mixed: float | None


def in_window(fed_closes: datetime, closes: datetime, years: int) -> bool:
    """Whether a campaign that closed at ``fed_closes`` feeds one closing at ``closes``:
    before it, and no more than ``years`` years before (29 February counts as 28)."""
    try:
        start = closes.replace(year=closes.year - years)
    except ValueError:  # 29 February in a year without one
        start = closes.replace(year=closes.year - years, day=28)
    return start < fed_closes < closes


def fed_figure(composites: Sequence[float]) -> float | None:
    """The mean of the fed composites, None without any."""
    return fmean(composites) if composites else None


def fed_composite(
    settings: Feeds, rating: float | None, composites: Sequence[float]
) -> tuple[float | None, FeedingPart]:
    """The composite with the fed figure mixed in, and how it was made.

    ``rating`` is the raters' composite (None without responses: nothing is
    fed into nothing); ``composites`` the person's shown composites in the
    fed campaigns.
    """
    fed = fed_figure(composites)
    if rating is None or fed is None:
        mixed = rating
    else:
        mixed = (1 - settings.share) * rating + settings.share * fed
    part = FeedingPart(
        source=settings.source,
        share=settings.share,
        rating=rating,
        fed=fed,
        count=len(composites),
        mixed=mixed,
    )
    return mixed, part


def feeding_notes(part: FeedingPart | None, composite_shown: bool) -> list[Note]:
    """The note saying how the composite was fed, or that nothing fed it; none when the
    composite is withheld (its parts would be figures of fewer than k raters)."""
    if part is None or not composite_shown or part.rating is None:
        return []
    share = _percent(part.share)
    if part.fed is None:
        return [Note(NOT_FED, {"source": part.source, "share": share})]
    return [
        Note(
            FED,
            {
                "rest": _percent(1 - part.share),
                "rating": f"{rounded(part.rating):.2f}",
                "share": share,
                "count": part.count,
                "source": part.source,
                "fed": f"{rounded(part.fed):.2f}",
                "mixed": f"{rounded(part.mixed):.2f}",
            },
        )
    ]


def _percent(share: float) -> str:
    """A share as a percentage without trailing zeros (0.2 -> 20, 0.125 -> 12.5)."""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".")

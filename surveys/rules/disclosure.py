"""What of a cadre's figures may be shown: the anonymity threshold k, and comments.

Every output (report, bot, export, shared database) calls ``disclose`` and
shows only what it returns, so the rule lives in one place:

- a rater group with fewer than k responses is never shown on its own;
- such groups are shown together as one "other raters" line (key ``other``,
  its score the group-weighted mean of the groups in it) when that line has at
  least k responses;
- nothing hidden may be worked out from what is shown.  The composite is the
  group-weighted mean of the group scores and the weights are public, so
  ``composite * total weight - shown groups`` gives the weighted sum of the
  groups not shown.  If those groups have between 1 and k - 1 responses in
  all (one group of 1 or 2 responses, or two groups of 1 each when k is 3: a
  figure of fewer than k people either way), one more group is taken off: the
  shown group with the fewest responses (on a tie, the one later in the order
  of ``surveys.rules.rater_groups``: public, subordinate, peer, superior) joins them, and together
  they make the "other raters" line, which then has at least k responses and
  reveals nothing the composite did not.  So small groups never count only
  inside a shown composite: they are folded, or nothing is shown;
- with fewer than k responses in all (of the groups with a weight), nothing is
  shown, not even the composite;
- per-line dimension figures and the overall dimension scores obey the same
  rule dimension by dimension (a group may answer some dimensions only).

Counts are the responses of a group, as in ``CadreScore.responses``.  Item
means and per-group dimension means may be shown only for the lines in
``Disclosure.groups``, from ``Disclosure.dimensions``.

Comments are shown only when the cadre has at least ``comment_k`` of them, in
an order drawn by ``random.SystemRandom`` so that order never hints at who
wrote what or when.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from surveys.rules.messages import N_
from surveys.rules.rater_groups import group_order
from surveys.rules.scoring import CadreScore, weighted_mean

OTHER = "other"
DEFAULT_K = 3
DEFAULT_COMMENT_K = 5

FEWER_THAN_K = N_("%(group)s has %(count)s responses, fewer than %(k)s: not shown on its own")
FOLDED = N_("%(group)s is shown within other raters")
TAKEN_OFF = N_(
    "%(group)s is shown within other raters too, so that smaller groups cannot be worked "
    "out from the composite"
)
TOO_FEW = N_("Fewer than %(k)s responses in all, so no figure is shown")
DIMENSION_WITHHELD = N_(
    "No overall figure for %(dimension)s: it would reveal fewer than %(k)s responses"
)
# No count: "2 comments" under two hidden raters would tell how many of them wrote one.
COMMENTS_WITHHELD = N_("Fewer than %(k)s comments, so none is shown")


@dataclass(frozen=True)
class Note:
    """Why something is not shown: a message id and its values (``group`` holds a group key)."""

    message: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Disclosure:
    """The figures of one cadre that may be shown.

    ``groups`` and ``counts`` are the lines to show (group keys, maybe
    ``other``); ``hidden`` the groups with responses not shown on their own;
    ``folded`` those of them inside the ``other`` line.  ``composite`` is None
    when it may not be shown.
    """

    groups: dict[str, float]
    counts: dict[str, int]
    hidden: list[str]
    folded: list[str]
    composite: float | None
    dimensions: dict[str, dict[str, float]]
    dimension_scores: dict[str, float]
    notes: list[Note]


@dataclass(frozen=True)
class CommentDisclosure:
    """The comments that may be shown (shuffled), how many there were, and why not, if not."""

    comments: list[str]
    count: int
    note: Note | None = None


def _order(group: str) -> int:
    """Position in the display order (unknown groups last), for stable, stated tie rules."""
    return group_order(group)


def _take_off(shown: list[str], counts: Mapping[str, int]) -> str:
    """The shown group to hide as well: fewest responses, then the later in display order."""
    return min(shown, key=lambda group: (counts[group], -_order(group)))


def _derivable_but_thin(rest: list[str], counts: Mapping[str, int], k: int) -> bool:
    """Whether the groups not shown add up to a figure of 1 to k - 1 responses."""
    return 0 < sum(counts[group] for group in rest) < k


def _other_dimensions(
    score: CadreScore, members: list[str], weights: Mapping[str, float], k: int
) -> dict[str, float]:
    """Dimension figures of the other raters, each only where k responses stand behind it.

    Groups may answer some dimensions only, so a dimension of the line may rest
    on fewer responses than the line itself.
    """
    figures = {}
    for dimension in _dimension_keys(score):
        having = [g for g in members if dimension in score.dimension_means.get(g, {})]
        if sum(score.responses.get(g, 0) for g in having) < k:
            continue
        value = weighted_mean({g: score.dimension_means[g][dimension] for g in having}, weights)
        if value is not None:
            figures[dimension] = value
    return figures


def _dimension_keys(score: CadreScore) -> list[str]:
    """Every dimension with a figure, in the order the score lists them."""
    keys = list(score.dimension_scores)
    for means in score.dimension_means.values():
        keys += [key for key in means if key not in keys]
    return keys


def _dimension_scores(
    score: CadreScore, alone: list[str], weights: Mapping[str, float], k: int
) -> tuple[dict[str, float], list[Note]]:
    """Overall dimension scores, unless subtracting the groups shown alone would leave a
    figure of 1 to k - 1 responses."""
    shown, notes = {}, []
    for dimension, value in score.dimension_scores.items():
        behind = [
            group
            for group, means in score.dimension_means.items()
            if dimension in means and group not in alone and weights.get(group, 0) > 0
        ]
        if 0 < sum(score.responses.get(group, 0) for group in behind) < k:
            notes.append(Note(DIMENSION_WITHHELD, {"dimension": dimension, "k": k}))
        else:
            shown[dimension] = value
    return shown, notes


def disclose(score: CadreScore, weights: Mapping[str, float], k: int = DEFAULT_K) -> Disclosure:
    """The figures of one cadre that may be shown under the anonymity threshold ``k``.

    ``weights`` are the questionnaire's group weights, the same that made the
    composite.
    """
    scored = sorted(score.group_scores, key=_order)
    counts = {group: score.responses.get(group, 0) for group in scored}
    inside = [group for group in scored if weights.get(group, 0) > 0]  # make the composite
    if sum(counts[group] for group in inside) < k:
        return Disclosure({}, {}, scored, [], None, {}, {}, [Note(TOO_FEW, {"k": k})])
    alone = [group for group in scored if counts[group] >= k]
    hidden = [group for group in scored if counts[group] < k]
    notes = [Note(FEWER_THAN_K, {"group": g, "count": counts[g], "k": k}) for g in hidden]
    rest = [group for group in hidden if group in inside]
    if _derivable_but_thin(rest, counts, k):
        taken = _take_off([group for group in alone if group in inside], counts)
        alone.remove(taken)
        hidden = sorted([*hidden, taken], key=_order)
        rest = sorted([*rest, taken], key=_order)
        notes.append(Note(TAKEN_OFF, {"group": taken}))
    groups = {group: score.group_scores[group] for group in alone}
    shown_counts = {group: counts[group] for group in alone}
    dimensions = {group: dict(score.dimension_means.get(group, {})) for group in alone}
    folded = rest if sum(counts[group] for group in rest) >= k else []
    if folded:
        groups[OTHER] = weighted_mean({group: score.group_scores[group] for group in rest}, weights)
        shown_counts[OTHER] = sum(counts[group] for group in rest)
        dimensions[OTHER] = _other_dimensions(score, rest, weights, k)
    notes += [Note(FOLDED, {"group": group}) for group in folded]
    dimension_scores, withheld = _dimension_scores(score, alone, weights, k)
    return Disclosure(
        groups=groups,
        counts=shown_counts,
        hidden=hidden,
        folded=folded,
        composite=score.composite,
        dimensions=dimensions,
        dimension_scores=dimension_scores,
        notes=notes + withheld,
    )


def disclose_comments(
    comments: Iterable[str | None],
    comment_k: int = DEFAULT_COMMENT_K,
    *,
    shuffler: random.Random | None = None,
) -> CommentDisclosure:
    """Comments to show: all of them, shuffled, or none when fewer than ``comment_k``.

    Blank comments are not comments.  ``shuffler`` is for tests; by default the
    order comes from the operating system's randomness, which nobody can replay.
    """
    written = [comment.strip() for comment in comments if comment and comment.strip()]
    if len(written) < comment_k:
        note = Note(COMMENTS_WITHHELD, {"k": comment_k})
        return CommentDisclosure([], len(written), note)
    (shuffler or random.SystemRandom()).shuffle(written)
    return CommentDisclosure(written, len(written))

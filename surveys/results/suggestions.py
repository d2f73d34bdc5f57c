"""Development suggestions and comment themes, as data for the reports and the terminal.

- **Development suggestions**: a cadre's weakest dimensions against the
  unit (``ShownResult.weakest``: the shown scores furthest below the unit
  average) and against the cadre's own history (the shown scores furthest
  below the cadre's shown scores in the latest earlier comparable campaign:
  same questionnaire key, box opened, the same roster id), each mapped to
  the training topics the questionnaire lists for the dimension.  Both rest
  on shown figures only, so a suggestion tells nothing a report hides.
- **Comment themes** (``surveys.rules.themes``) per cadre and per unit, over
  the comments the reports show only: a cadre's comments count only when
  the report lists them (at least ``DEFAULT_COMMENT_K`` of them), a unit's
  themes only over such cadres, and a theme needs the campaign's anonymity
  k comments.  Nothing exists before the box is opened.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Response
from surveys.results.outcomes import (
    ShownResult,
    listed_comment_groups,
    sealed_refusal,
    shown_results,
)
from surveys.rules.disclosure import DEFAULT_COMMENT_K, disclose_comments
from surveys.rules.questionnaire import Questionnaire, Text
from surveys.rules.ranking import DimensionGap, weakest_dimensions
from surveys.rules.themes import CommentThemes, comment_themes
from surveys.setup.campaigns import campaign_cadres, snapshot


@dataclass(frozen=True)
class WeakSpot:
    """A dimension below its reference (the unit average or the cadre's previous score),
    by how much (negative), and the training topics the questionnaire lists for it."""

    dimension: str
    score: float
    reference: float
    gap: float
    topics: tuple[Text, ...] = ()


@dataclass(frozen=True)
class DevelopmentSuggestion:
    """One cadre's suggestions: weak spots against the unit and against the cadre's own
    previous comparable campaign (``previous``: None when there is none)."""

    cadre: Cadre
    against_unit: tuple[WeakSpot, ...]
    against_history: tuple[WeakSpot, ...]
    previous: Campaign | None = None

    @property
    def topics(self) -> tuple[Text, ...]:
        """Every suggested training topic once, the unit's weak spots' first."""
        seen: dict[str, Text] = {}
        for spot in (*self.against_unit, *self.against_history):
            for topic in spot.topics:
                seen.setdefault(topic.zh, topic)
        return tuple(seen.values())


@dataclass(frozen=True)
class CampaignThemes:
    """Comment themes per cadre (by cadre id) and per unit, with the threshold applied."""

    k: int
    cadres: dict[str, CommentThemes]
    units: dict[str, CommentThemes]


def _opened(campaign: Campaign) -> None:
    """Nothing of the results before the box is opened: not even the comments' themes."""
    if campaign.box_opened_at is None:
        raise sealed_refusal(campaign)


def shown_comment_pools(*, session: Session, campaign: Campaign) -> dict[str, list[str]]:
    """Per cadre id, the comments the reports list: all of them when there are at least
    ``DEFAULT_COMMENT_K``, else none (the same rule, ``disclose_comments``); where the
    comment is split, those of the groups shown on their own only (``listed_comment_groups``).
    """
    _opened(campaign)
    listed = {
        result.cadre.id: listed_comment_groups(result)
        for result in shown_results(session=session, campaign=campaign)
    }
    rows = session.exec(
        select(Response.cadre_id, Response.group, Response.comment).where(
            Response.campaign_id == campaign.id
        )
    ).all()
    written: dict[str, list[str | None]] = defaultdict(list)
    for cadre_id, group, comment in rows:
        groups = listed.get(cadre_id)
        if groups is None or group in groups:
            written[cadre_id].append(comment)
    return {
        cadre_id: disclose_comments(comments, DEFAULT_COMMENT_K, shuffler=random.Random(0)).comments
        for cadre_id, comments in written.items()
    }


def campaign_themes(
    *, session: Session, campaign: Campaign, pools: dict[str, list[str]] | None = None
) -> CampaignThemes:
    """Themes of each cadre's shown comments and of each unit's, at the campaign's k.

    A unit's themes pool the comments of its cadres whose comments the
    reports show; a cadre with too few comments adds none, so the unit's
    themes never carry comments that no report lists.  ``pools`` are those
    comments by cadre id when the caller has them already (the reports do).
    """
    if pools is None:
        pools = shown_comment_pools(session=session, campaign=campaign)
    _opened(campaign)
    cadres = campaign_cadres(session=session, campaign=campaign)
    k = campaign.anonymity_k
    by_unit: dict[str, list[str]] = defaultdict(list)
    for cadre in cadres:
        by_unit[cadre.unit] += pools.get(cadre.id, [])
    return CampaignThemes(
        k=k,
        cadres={cadre.id: comment_themes(pools.get(cadre.id, []), k) for cadre in cadres},
        units={unit: comment_themes(comments, k) for unit, comments in by_unit.items()},
    )


def weak_spots(gaps: list[DimensionGap], questionnaire: Questionnaire) -> tuple[WeakSpot, ...]:
    """Gaps as weak spots, each with its dimension's training topics."""
    topics = questionnaire.training_topics
    return tuple(
        WeakSpot(
            gap.dimension,
            gap.score,
            gap.unit_average,
            gap.gap,
            tuple(topics.get(gap.dimension, ())),
        )
        for gap in gaps
    )


def comparable_campaigns(*, session: Session, campaign: Campaign) -> list[Campaign]:
    """Earlier campaigns on the same questionnaire with an opened box, latest first.

    "Same questionnaire" is the template's key, so scores on the same
    dimensions compare; "earlier" is a deadline before this campaign's.
    """
    key = snapshot(campaign).key
    earlier = session.exec(
        select(Campaign).where(
            Campaign.id != campaign.id,
            Campaign.box_opened_at.is_not(None),
            Campaign.closes_at < campaign.closes_at,
        )
    ).all()
    same = [other for other in earlier if snapshot(other).key == key]
    return sorted(same, key=lambda other: (other.closes_at, other.id), reverse=True)


class EarlierResults:
    """A person's shown result in the latest earlier comparable campaign that has one.

    A person is the roster id (``Cadre.external_id``) across rosters; an
    earlier campaign is scored (``shown_results``) only when someone still
    needs it, and once.  Suggestions and early warnings both look back here.
    """

    def __init__(self, *, session: Session, campaign: Campaign) -> None:
        self.session = session
        self.earlier = comparable_campaigns(session=session, campaign=campaign)
        self.scored: dict[str, dict[str, ShownResult]] = {}

    def latest(
        self, external_id: str, has: Callable[[ShownResult], bool]
    ) -> tuple[Campaign, ShownResult] | None:
        """The latest earlier campaign where the person's result ``has`` what is needed."""
        for other in self.earlier:
            if other.id not in self.scored:
                found = shown_results(session=self.session, campaign=other)
                self.scored[other.id] = {result.cadre.external_id: result for result in found}
            result = self.scored[other.id].get(external_id)
            if result is not None and has(result):
                return other, result
        return None


def development_suggestions(
    *, session: Session, campaign: Campaign, results: list[ShownResult] | None = None
) -> list[DevelopmentSuggestion]:
    """Every cadre's weak spots against the unit and the cadre's own history (roster order).

    The history is the latest earlier comparable campaign in which the
    cadre (same roster id) has shown dimension scores; a campaign is scored
    only when some cadre still needs it.
    """
    _opened(campaign)
    if results is None:
        results = shown_results(session=session, campaign=campaign)
    questionnaire = snapshot(campaign)
    earlier = EarlierResults(session=session, campaign=campaign)

    def previous_of(cadre: Cadre) -> tuple[Campaign, ShownResult] | None:
        return earlier.latest(cadre.external_id, lambda result: bool(result.shown.dimension_scores))

    suggestions = []
    for result in results:
        history: tuple[WeakSpot, ...] = ()
        found = previous_of(result.cadre) if result.shown.dimension_scores else None
        if found is not None:
            before = found[1].shown.dimension_scores
            gaps = weakest_dimensions(result.shown.dimension_scores, before)
            history = weak_spots(gaps, questionnaire)
        suggestions.append(
            DevelopmentSuggestion(
                cadre=result.cadre,
                against_unit=weak_spots(list(result.weakest), questionnaire),
                against_history=history,
                previous=found[0] if found else None,
            )
        )
    return suggestions

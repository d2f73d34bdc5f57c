"""A person's results over the years: one row per opened campaign, oldest first.

A person is the roster's cadre id (``Cadre.external_id``): HR keeps it for
the same person in every roster (``surveys.setup.roster`` refuses an id that
an earlier roster gave to someone of another name, unless HR confirms the
rename), so a profile gathers every campaign, on any roster, where that id
was assessed.

Every figure comes from ``shown_results`` of its campaign: the composite,
the grade (by the campaign's grade names), the dimension scores and the
campaign-wide rank percentile exactly as that campaign's reports show them,
withheld where they withhold them.  A profile therefore shows nothing the
campaigns' own outputs do not, and comparing it with them tells nothing
more.  Nothing of a campaign appears before its box is opened; the cadre's
own view (``published_only``) lists only published campaigns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.models import Cadre, Campaign, Roster
from surveys.documents.trend_chart import trend_png
from surveys.results.outcomes import ShownResult, grade_label, shown_results
from surveys.rules.messages import N_, translate
from surveys.rules.questionnaire import Text, grade_labels
from surveys.rules.scoring import rounded
from surveys.setup.campaigns import KIND_LABELS, snapshot

UNKNOWN_PERSON = N_("No cadre has the id %(id)s in any roster")


class ProfileError(LookupError):
    """A profile that cannot be made (message id and values)."""

    def __init__(self, message: str, values: dict | None = None):
        self.message = message
        self.values = values or {}
        super().__init__(message % self.values if self.values else message)


@dataclass(frozen=True)
class ProfileEntry:
    """One campaign of a person's profile, with the figures as shown (None: withheld)."""

    campaign: Campaign
    cadre: Cadre
    composite: float | None
    grade: str | None
    grade_labels: Mapping[str, str]
    dimensions: Mapping[str, float]
    percentile: float | None
    rank: int | None
    ranked: int
    published: bool
    result: ShownResult = field(repr=False, compare=False)

    def grade_name(self, locale: str) -> str:
        """The grade in the campaign's own grade names ("—" when withheld or none)."""
        return grade_label(self.grade, locale, self.grade_labels)


@dataclass(frozen=True)
class Profile:
    """A person (roster id, latest name and post) and every opened campaign, oldest first.

    ``dimensions`` are the dimension keys and titles met in the entries, in
    the order first met, so a trend lists each dimension once.
    """

    external_id: str
    name: str
    unit: str
    post: str
    entries: tuple[ProfileEntry, ...]
    dimensions: Mapping[str, Text]


def person_cadres(*, session: Session, external_id: str) -> list[Cadre]:
    """The cadre rows of a person in every roster (raise ProfileError when none)."""
    cadres = list(session.exec(select(Cadre).where(Cadre.external_id == external_id)).all())
    if not cadres:
        raise ProfileError(UNKNOWN_PERSON, {"id": external_id})
    return cadres


def profile(*, session: Session, external_id: str, published_only: bool = False) -> Profile:
    """Every opened campaign where the person was assessed, oldest first, figures as shown.

    ``published_only`` is the cadre's own view: campaigns whose results HR
    has published.  Raise ``ProfileError`` for an id no roster has.
    """
    cadres = person_cadres(session=session, external_id=external_id)
    by_roster = {cadre.roster_id: cadre for cadre in cadres}
    query = select(Campaign).where(
        col(Campaign.roster_id).in_(list(by_roster)), Campaign.box_opened_at.is_not(None)
    )
    if published_only:
        query = query.where(Campaign.published_at.is_not(None))
    campaigns = sorted(session.exec(query).all(), key=lambda c: (c.closes_at, c.id))
    entries = []
    titles: dict[str, Text] = {}
    for campaign in campaigns:
        cadre = by_roster[campaign.roster_id]
        result = next(
            (
                r
                for r in shown_results(session=session, campaign=campaign)
                if r.cadre.id == cadre.id
            ),
            None,
        )
        if result is None:
            continue
        questionnaire = snapshot(campaign)
        for dimension in questionnaire.dimensions:
            if dimension.key in result.shown.dimension_scores:
                titles.setdefault(dimension.key, dimension.title)
        standing = result.standing
        entries.append(
            ProfileEntry(
                campaign=campaign,
                cadre=cadre,
                composite=result.shown.composite,
                grade=result.decision.grade,
                grade_labels=grade_labels(questionnaire.grading),
                dimensions=dict(result.shown.dimension_scores),
                percentile=standing.campaign_percentile if standing else None,
                rank=standing.campaign_rank if standing else None,
                ranked=standing.campaign_ranked if standing else 0,
                published=campaign.published_at is not None,
                result=result,
            )
        )
    latest = max(cadres, key=lambda c: _imported(session, c))
    return Profile(
        external_id=external_id,
        name=latest.name,
        unit=latest.unit,
        post=latest.post,
        entries=tuple(entries),
        dimensions=titles,
    )


def _imported(session: Session, cadre: Cadre):
    """When the cadre's roster was imported (the latest roster names the person)."""

    roster = session.get(Roster, cadre.roster_id)
    return (roster.imported_at, roster.id) if roster else (None, cadre.roster_id)


COMPOSITE = N_("Composite")
PERIOD = N_("%(kind)s, closed %(day)s")


def entry_period(entry: ProfileEntry, locale: str) -> str:
    """The campaign's kind and the day it closed (its own time zone), in a language."""
    day = entry.campaign.closes_at.astimezone(ZoneInfo(entry.campaign.timezone)).date()
    kind = KIND_LABELS.get(entry.campaign.kind)
    name = translate(kind, locale=locale) if kind else entry.campaign.kind
    return translate(PERIOD, {"kind": name, "day": day.isoformat()}, locale=locale)


def figure(value: float | None) -> str:
    """A shown figure with two decimals, or a dash where it is withheld."""
    return "—" if value is None else f"{rounded(value):.2f}"


def profile_table(found: Profile, locale: str) -> tuple[list[str], list[list[str]]]:
    """The profile as a table (header, rows) for the terminal, the bot and the web:
    campaign, period, composite, grade, campaign percentile, then each dimension."""
    header = [
        translate(N_("Campaign"), locale=locale),
        translate(N_("Period"), locale=locale),
        translate(COMPOSITE, locale=locale),
        translate(N_("Grade"), locale=locale),
        translate(N_("Percentile"), locale=locale),
        *(title.get(locale) for title in found.dimensions.values()),
    ]
    rows = [
        [
            entry.campaign.name,
            entry_period(entry, locale),
            figure(entry.composite),
            entry.grade_name(locale),
            figure(entry.percentile),
            *(figure(entry.dimensions.get(key)) for key in found.dimensions),
        ]
        for entry in found.entries
    ]
    return header, rows


def profile_chart(found: Profile, locale: str) -> bytes | None:
    """The trend chart of the profile (None without any campaign): the composite and the
    dimensions over the campaigns, withheld figures left as gaps."""
    if not found.entries:
        return None
    return trend_png(
        [entry.campaign.name for entry in found.entries],
        [entry.composite for entry in found.entries],
        {
            title.get(locale): [entry.dimensions.get(key) for entry in found.entries]
            for key, title in found.dimensions.items()
        },
        title=f"{found.name} · {found.external_id}",
        composite_label=translate(COMPOSITE, locale=locale),
    )

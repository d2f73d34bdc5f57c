"""Reports for HR: a campaign overview and a per-cadre report, as tables in the user's language.

Each report is described once here, as a list of titled tables
(``Table``): ``overview_tables`` for the campaign, ``cadre_tables`` for one
cadre.  The terminal (``surveys.documents.report_text``), the ``.xlsx`` workbook
(``surveys.documents.report_xlsx``), the PDFs (``surveys.results.report_pdf``) and the HR
pages (``webforms.admin.reports``) only render those tables, so they always
show the same numbers, and every figure comes from ``surveys.results.outcomes``:
what the disclosure rule lets through, never a hidden group's figure.

The raw ballots, the quality checks and the reliability statistics rest on
the **visible ballots** only: the stored responses of the groups shown on
their own for their cadre (at least k responses, not folded into "other
raters").  A ballot of a smaller group would show one of fewer than k
people; its answers count in the scores, but no ballot-level view shows it.
Nor are a cadre's ballots shown when the cadre's totals, less those
ballots, would leave the votes, veto answers or comments of 1 to k - 1
other raters (``ShownResult.split``): the vote shares of all 8 votes beside
the 6 votes on the shown ballots tell how the other two voted.
Visible ballots are listed sorted by their content (cadre, group, answers),
never in the order the table stores them, and get references ``B1``, ``B2``,
... by that order; a form link is shown only where the mixer kept one
(``Response.ballot_id``) and every record of that form is a visible ballot
(a whole ballot, whose pattern at least k raters share: a link into a
hidden record would carry its answers into the leniency checks), and a
comment only where its cadre has at least ``DEFAULT_COMMENT_K`` of them.  Where
the comment is split (1 to k - 1 raters outside the groups shown on their own
could comment), only the comments of the groups shown alone are listed,
counted and themed (``listed_comment_groups``).

Both reports also carry, where the template has them, the performance
indicators (实绩) and both parts of the mixed dimension as
``surveys.results.performance_parts.shown_performance`` lets them through;
the cadre report the development suggestions (shown figures only) and the
themes of its listed comments, the overview each unit's themes over the
comments the reports list (``surveys.results.suggestions``).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Response
from surveys.collection.progress import CadreProgress, campaign_progress
from surveys.documents.report_tables import LIST, PAIRS, Table
from surveys.documents.report_text import format_table as format_table  # the commands' tables
from surveys.documents.report_text import tables_text
from surveys.documents.report_xlsx import table_sheets, write_tables
from surveys.results.outcomes import (
    ShownResult,
    campaign_grade_label,
    describe,
    group_label,
    listed_comment_groups,
    shown_results,
)
from surveys.results.performance_parts import shown_performance
from surveys.results.rulebook import explain
from surveys.results.suggestions import (
    CampaignThemes,
    DevelopmentSuggestion,
    WeakSpot,
    campaign_themes,
    development_suggestions,
)
from surveys.rules.disclosure import (
    DEFAULT_COMMENT_K,
    DIMENSION_WITHHELD,
    OTHER,
    CommentDisclosure,
    disclose_comments,
)
from surveys.rules.messages import N_, translate
from surveys.rules.performance import LOWER, MIXED, Attainment, PerformancePart
from surveys.rules.quality import (
    AdjustedComposite,
    QualityFlag,
    check_ballots,
    form_numbers,
    leniency_adjusted,
    to_ballot,
)
from surveys.rules.questionnaire import GRADES, Questionnaire
from surveys.rules.rater_groups import group_order
from surveys.rules.reliability import ICC, Alpha, dimension_alpha_gaps, dimension_alphas, group_icc
from surveys.rules.scoring import ScoredResponse, rounded
from surveys.rules.themes import KEYWORD, CommentThemes, Theme, comment_themes
from surveys.setup.campaigns import CampaignError, snapshot
from surveys.setup.channels import ChannelFlag, channel_flags

CHECK_LABELS = {
    "straight_line": N_("Straight-lined"),
    "outlier": N_("Outlier"),
    "lenient": N_("Lenient"),
    "severe": N_("Severe"),
}
GROUPS_HIDDEN = N_("Groups with too few responses are not shown, to keep raters anonymous.")
VOTES_WITHHELD = N_(
    "No vote count or share is shown: beside the groups shown, it would tell the votes of "
    "fewer than %(k)s other raters."
)
BALLOTS_WITHHELD = N_(
    "This cadre's ballots are not listed: taken from the totals, they would tell the votes "
    "or answers of fewer than %(k)s other raters."
)
NO_CADRE = N_("no cadre with id %(cadre)s in this campaign")
PERFORMANCE_RULE = N_(
    "%(dimension)s = %(share)s%% x the indicator score + %(rest)s%% x the raters' figure. "
    "The indicator score is the weighted mean attainment x 100, at most 100: each "
    "indicator's actual / target (target / actual where lower is better), counted up to "
    "%(cap)s%%."
)
THEMES_RULE = N_(
    "Themes group only the comments the reports list, and a theme needs at least %(k)s comments."
)
COMMENTS_SPLIT = N_(
    "Only the comments of the groups shown on their own are listed: the other raters who "
    "could comment are fewer than %(k)s."
)
NO_THEMES_FEW = N_("No comment themes: too few comments may be shown.")
NO_THEMES_SHARED = N_("No comment themes: %(count)s comments, no theme shared by %(k)s of them.")


@dataclass(frozen=True)
class StoredBallot:
    """One stored response as reports read it: no row id, so nothing of the table's order."""

    cadre_id: str
    group: str
    answers: dict
    vote: str | None
    comment: str | None
    link: str | None

    def scored(self) -> ScoredResponse:
        """The response as scoring and the statistics read it."""
        return ScoredResponse(self.cadre_id, self.group, self.answers, self.vote)


@dataclass(frozen=True)
class VisibleBallot:
    """A ballot of a group shown on its own, with its reference in the ballots sheet."""

    ref: str
    cadre: Cadre
    ballot: StoredBallot
    comment: str | None


@dataclass(frozen=True)
class CampaignOverview:
    """Everything HR's overview shows of one campaign, already through the disclosure rule."""

    campaign: Campaign
    questionnaire: Questionnaire
    results: list[ShownResult]
    progress: list[CadreProgress]
    comments: dict[str, CommentDisclosure]
    ballots: list[VisibleBallot]
    flags: list[QualityFlag]
    adjusted: dict[str, AdjustedComposite]
    bursts: list[ChannelFlag]
    alphas: dict[str, Alpha | None]
    iccs: dict[str, ICC | None]
    themes: CampaignThemes | None = None

    def grade_counts(self) -> dict[str | None, int]:
        """How many cadres have each grade as shown (None: no grade shown)."""
        counts = Counter(result.decision.grade for result in self.results)
        return {grade: counts.get(grade, 0) for grade in (*GRADES, None)}


@dataclass(frozen=True)
class CadreReport:
    """One cadre's report: the shown result, the comments that may be shown, the campaign."""

    campaign: Campaign
    questionnaire: Questionnaire
    result: ShownResult
    comments: CommentDisclosure
    adjusted: AdjustedComposite | None
    suggestion: DevelopmentSuggestion | None = None
    themes: CommentThemes | None = None


# --- data ---------------------------------------------------------------------------------------


def stored_ballots(*, session: Session, campaign: Campaign) -> list[StoredBallot]:
    """Every mixed response of the campaign with its comment and form link."""
    rows = session.exec(
        select(
            Response.cadre_id,
            Response.group,
            Response.answers,
            Response.vote,
            Response.comment,
            Response.ballot_id,
        ).where(Response.campaign_id == campaign.id)
    ).all()
    return [StoredBallot(*row) for row in rows]


def shown_comments(
    ballots: Iterable[StoredBallot], results: Iterable[ShownResult], shuffler: random.Random | None
) -> dict[str, CommentDisclosure]:
    """Per cadre, the comments that may be shown (shuffled), by the comment threshold.

    Where the comment is split (``listed_comment_groups``), only the comments of
    the groups shown on their own count: the others' are neither listed nor counted.
    The shuffler alone orders them (``shuffler`` is for tests; by default the
    operating system's randomness).
    """
    listed = {result.cadre.id: listed_comment_groups(result) for result in results}
    written: dict[str, list[str | None]] = {cadre_id: [] for cadre_id in listed}
    for ballot in ballots:
        groups = listed.get(ballot.cadre_id)
        if groups is None or ballot.group in groups:
            written.setdefault(ballot.cadre_id, []).append(ballot.comment)
    return {
        # sorted first, so only the shuffler orders them, never the table's physical order
        cadre_id: disclose_comments(
            sorted(comments, key=lambda c: c or ""), DEFAULT_COMMENT_K, shuffler=shuffler
        )
        for cadre_id, comments in written.items()
    }


def visible_ballots(
    questionnaire: Questionnaire,
    results: list[ShownResult],
    ballots: Iterable[StoredBallot],
    comments: dict[str, CommentDisclosure],
) -> list[VisibleBallot]:
    """Ballots of the groups shown on their own, sorted by content and numbered B1, B2, ...

    Every column is in the sort key, so rows that tie are identical and the
    table's physical order never shows through.  ``ballots`` come through
    ``linked_as_shown`` first, so a link ties visible ballots only.
    """
    shown = {result.cadre.id: result.cadre for result in results}
    items = [item.key for item in questionnaire.items()]
    groups = _ballot_groups(results)
    chosen = [ballot for ballot in ballots if _is_shown(ballot, groups)]

    def content(ballot: StoredBallot) -> tuple:
        cadre = shown[ballot.cadre_id]
        answers = tuple(str(ballot.answers.get(item, "")) for item in items)
        rest = (ballot.vote or "", ballot.comment or "", ballot.link or "")
        return (cadre.external_id, group_order(ballot.group), answers, *rest)

    chosen.sort(key=content)
    visible = []
    for number, ballot in enumerate(chosen, start=1):
        reached = comments.get(ballot.cadre_id)
        comment = ballot.comment if reached is not None and reached.comments else None
        cadre = shown[ballot.cadre_id]
        visible.append(VisibleBallot(f"B{number}", cadre, ballot, comment))
    return visible


def _ballot_groups(results: list[ShownResult]) -> dict[str, set[str]]:
    """Per cadre, the groups whose ballots may be shown: those shown on their own, unless
    the cadre's totals less those ballots would single out 1 to k - 1 other raters."""
    return {
        result.cadre.id: set() if result.split else set(result.shown.groups) - {OTHER}
        for result in results
    }


def _is_shown(ballot: StoredBallot, groups: dict[str, set[str]]) -> bool:
    """Whether a stored ballot is one of the visible ballots (``groups``: ``_ballot_groups``)."""
    return ballot.group in groups.get(ballot.cadre_id, set())


def linked_as_shown(results: list[ShownResult], ballots: list[StoredBallot]) -> list[StoredBallot]:
    """The ballots with a form link kept only where every record of the form is visible.

    The mixer keeps a link where at least k raters share the form's pattern
    (whole ballots only); a link that also reached a hidden record would tie
    a visible ballot to answers nobody may see, and the leniency checks and
    the adjusted composite would carry those answers into shown figures.
    """
    groups = _ballot_groups(results)
    partial = {b.link for b in ballots if b.link is not None and not _is_shown(b, groups)}
    return [replace(b, link=None) if b.link in partial else b for b in ballots]


def adjusted_composites(
    questionnaire: Questionnaire, results: list[ShownResult], ballots: list[StoredBallot]
) -> dict[str, AdjustedComposite]:
    """Leniency-adjusted composites, only for cadres whose composite is shown.

    All ballots count, as in the composite itself: only linked forms move,
    and the mixer links forms only where at least k raters share a pattern.
    """
    found = leniency_adjusted(
        questionnaire,
        [to_ballot(questionnaire, str(i), b.scored(), b.link) for i, b in enumerate(ballots)],
    )
    return {
        result.cadre.id: found[result.cadre.id]
        for result in results
        if result.shown.composite is not None and result.cadre.id in found
    }


def campaign_overview(
    *, session: Session, campaign: Campaign, shuffler: random.Random | None = None
) -> CampaignOverview:
    """Results, completion, quality checks and reliability of a campaign, as HR may see them."""
    questionnaire = snapshot(campaign)
    ballots = stored_ballots(session=session, campaign=campaign)
    responses = [ballot.scored() for ballot in ballots]
    results = shown_results(session=session, campaign=campaign, responses=responses)
    ballots = linked_as_shown(results, ballots)
    comments = shown_comments(ballots, results, shuffler)
    visible = visible_ballots(questionnaire, results, ballots, comments)
    checked = [to_ballot(questionnaire, v.ref, v.ballot.scored(), v.ballot.link) for v in visible]
    scored = [v.ballot.scored() for v in visible]
    groups = sorted({v.ballot.group for v in visible}, key=group_order)
    return CampaignOverview(
        campaign=campaign,
        questionnaire=questionnaire,
        results=results,
        progress=campaign_progress(session=session, campaign=campaign),
        comments=comments,
        ballots=visible,
        flags=check_ballots(checked),
        adjusted=adjusted_composites(questionnaire, results, ballots),
        bursts=channel_flags(session=session, campaign=campaign, now=campaign.closes_at),
        alphas=dimension_alphas(questionnaire, scored),
        iccs={group: group_icc(questionnaire, scored, group) for group in groups},
        themes=campaign_themes(
            session=session,
            campaign=campaign,
            pools={cadre_id: shown.comments for cadre_id, shown in comments.items()},
        ),
    )


def cadre_report(
    *,
    session: Session,
    campaign: Campaign,
    cadre_id: str,
    shuffler: random.Random | None = None,
) -> CadreReport:
    """One cadre's report, by the cadre's roster id (ranks need the whole campaign)."""
    ballots = stored_ballots(session=session, campaign=campaign)
    responses = [ballot.scored() for ballot in ballots]
    results = shown_results(session=session, campaign=campaign, responses=responses)
    result = next((r for r in results if r.cadre.external_id == cadre_id), None)
    if result is None:
        raise CampaignError(NO_CADRE, {"cadre": cadre_id})
    ballots = linked_as_shown(results, ballots)
    questionnaire = snapshot(campaign)
    comments = shown_comments(
        [b for b in ballots if b.cadre_id == result.cadre.id], [result], shuffler
    )[result.cadre.id]
    adjusted = adjusted_composites(questionnaire, [result], ballots)
    suggestions = development_suggestions(session=session, campaign=campaign, results=[result])
    return CadreReport(
        campaign=campaign,
        questionnaire=questionnaire,
        result=result,
        comments=comments,
        adjusted=adjusted.get(result.cadre.id),
        suggestion=suggestions[0],
        themes=comment_themes(comments.comments, campaign.anonymity_k),
    )


# --- shared wording -----------------------------------------------------------------------------


def _translator(locale: str):
    """``_`` for one locale, so table code reads like the rest of the product."""
    return lambda message, **values: translate(message, values or None, locale=locale)


def figure(value: float | None) -> float | None:
    """A score as shown: two decimals, half up (None stays empty)."""
    return rounded(value)


def percent(share: float | None) -> float | None:
    """A share as a percentage with one decimal, for tables."""
    return None if share is None else rounded(share * 100, 1)


def rank_text(rank: int | None, ranked: int, percentile: float | None, locale: str) -> str:
    """ "2 of 5 (percentile 70)", or a dash when not ranked."""
    if rank is None:
        return "—"
    _ = _translator(locale)
    return _(
        N_("%(rank)s of %(ranked)s (percentile %(percentile)s)"),
        rank=rank,
        ranked=ranked,
        percentile=rounded(percentile, 1),
    )


def dimension_titles(questionnaire: Questionnaire, locale: str) -> dict[str, str]:
    """Dimension titles in a language, by key."""
    return {d.key: d.title.get(locale) for d in questionnaire.dimensions}


def result_notes(result: ShownResult, questionnaire: Questionnaire, locale: str) -> list[str]:
    """Why figures are missing or renormalised, without naming any hidden group."""
    _ = _translator(locale)
    notes = [describe(n.message, n.values, locale, questionnaire) for n in result.notes]
    if result.shown.hidden:
        notes.append(_(GROUPS_HIDDEN))
    if result.split and result.shown.composite is not None:
        notes.append(_(BALLOTS_WITHHELD, k=result.k))
    notes += [
        describe(note.message, note.values, locale, questionnaire)
        for note in result.shown.notes
        if note.message == DIMENSION_WITHHELD
    ]
    if result.votes_cast is None:
        notes.append(_(VOTES_WITHHELD, k=result.k))
    elif result.score.votes and not result.vote_shares:
        notes.append(
            _(
                N_("%(count)s votes, fewer than %(k)s, so no vote share is shown"),
                count=result.votes_cast,
                k=result.k,
            )
        )
    return notes


# --- tables ----------------------------------------------------------------------------------


def _titled(key: str, title: str, grid: list[list], **fields) -> Table:
    """A table from a grid whose first row is the header."""
    return Table(key, title, grid[0], grid[1:], **fields)


def printed(tables: Iterable[Table]) -> list[Table]:
    """The tables a screen or a page shows: the workbook-only ones left out."""
    return [table for table in tables if table.printed]


# --- campaign tables ----------------------------------------------------------------------------


def overview_table(overview: CampaignOverview, locale: str) -> Table:
    """Key figures of the campaign: what, how many, how complete, the threshold."""
    _ = _translator(locale)
    assigned = sum(entry.assigned for entry in overview.progress)
    completed = sum(entry.completed for entry in overview.progress)
    responses = sum(g.responses for e in overview.progress for g in e.groups.values())
    ranked = sum(1 for result in overview.results if result.shown.composite is not None)
    rows = [
        [_(N_("Key figure")), _(N_("Value"))],
        [_(N_("Campaign")), overview.campaign.name],
        [_(N_("Campaign id")), overview.campaign.id],
        [_(N_("Cadres")), len(overview.results)],
        [_(N_("Cadres with a shown composite")), ranked],
        [_(N_("Named raters assigned")), assigned],
        [_(N_("Named raters done")), completed],
        [_(N_("Completion (%)")), percent(completed / assigned) if assigned else None],
        [_(N_("Responses stored")), responses],
        [_(N_("Smallest group shown (k)")), overview.campaign.anonymity_k],
        [_(N_("Quality flags")), len(overview.flags)],
    ]
    return _titled("figures", _(N_("Key figures")), rows, form=PAIRS, sheet=_(N_("Overview")))


def grade_table(overview: CampaignOverview, locale: str) -> Table:
    """How many cadres have each grade, and their share of all cadres."""
    _ = _translator(locale)
    counts = overview.grade_counts()
    total = sum(counts.values())
    rows = [[_(N_("Grade")), _(N_("Cadres")), _(N_("Share (%)"))]]
    for grade, count in counts.items():
        label = (
            campaign_grade_label(grade, locale, overview.questionnaire)
            if grade
            else _(N_("No grade shown"))
        )
        rows.append([label, count, percent(count / total) if total else None])
    return _titled("grades", _(N_("Grades")), rows, sheet=_(N_("Overview")))


def _ranking_order(result: ShownResult) -> tuple:
    """Best first; cadres without a rank after them, in roster order (stable sort)."""
    rank = result.standing.campaign_rank if result.standing else None
    return (rank is None, rank or 0)


def ranking_table(overview: CampaignOverview, locale: str) -> Table:
    """One row per cadre, best first: composite beside the leniency-adjusted one, grade, ranks."""
    _ = _translator(locale)
    rows = [
        [
            _(N_("Rank")),
            _(N_("Cadre id")),
            _(N_("Name")),
            _(N_("Unit")),
            _(N_("Post")),
            _(N_("Responses")),
            _(N_("Composite")),
            _(N_("Leniency-adjusted composite")),
            _(N_("Grade")),
            _(N_("Unit rank")),
            _(N_("Unit percentile")),
            _(N_("Campaign percentile")),
            _(N_("Deciding rule")),
        ]
    ]
    for result in sorted(overview.results, key=_ranking_order):
        standing, adjusted = result.standing, overview.adjusted.get(result.cadre.id)
        decision = result.decision
        rows.append(
            [
                standing.campaign_rank,
                result.cadre.external_id,
                result.cadre.name,
                result.cadre.unit,
                result.cadre.post,
                result.score.responses_total,
                figure(result.shown.composite),
                figure(adjusted.adjusted) if adjusted else None,
                campaign_grade_label(decision.grade, locale, overview.questionnaire),
                standing.unit_rank,
                rounded(standing.unit_percentile, 1),
                rounded(standing.campaign_percentile, 1),
                explain(decision, locale, overview.questionnaire),
            ]
        )
    return _titled("ranking", _(N_("Ranking")), rows, cadre_column=1, prose=True)


def completion_table(overview: CampaignOverview, locale: str) -> Table:
    """Per cadre: named raters assigned and done, and all responses stored (slips, public)."""
    _ = _translator(locale)
    rows = [
        [
            _(N_("Cadre id")),
            _(N_("Name")),
            _(N_("Named raters assigned")),
            _(N_("Named raters done")),
            _(N_("Completion (%)")),
            _(N_("Responses stored")),
        ]
    ]
    for entry in overview.progress:
        responses = sum(group.responses for group in entry.groups.values())
        done = percent(entry.completed / entry.assigned) if entry.assigned else None
        rows.append(
            [
                entry.cadre.external_id,
                entry.cadre.name,
                entry.assigned,
                entry.completed,
                done,
                responses,
            ]
        )
    return _titled("completion", _(N_("Completion")), rows, cadre_column=0)


def dimension_table(overview: CampaignOverview, locale: str) -> Table:
    """Per cadre and shown dimension: score, unit average, gap, and the weakest ones marked."""
    _ = _translator(locale)
    titles = dimension_titles(overview.questionnaire, locale)
    rows = [
        [
            _(N_("Cadre id")),
            _(N_("Name")),
            _(N_("Unit")),
            _(N_("Dimension")),
            _(N_("Score")),
            _(N_("Unit average")),
            _(N_("Difference")),
            _(N_("Weakest")),
        ]
    ]
    for result in overview.results:
        rows += [
            [result.cadre.external_id, result.cadre.name, result.cadre.unit, *row]
            for row in cadre_dimension_rows(result, titles)
        ]
    return _titled("dimensions", _(N_("Dimensions")), rows, printed=False)


def cadre_dimension_rows(result: ShownResult, titles: dict[str, str]) -> list[list]:
    """Shown dimension scores with the unit average, the gap, and the weakness rank (1, 2)."""
    weakest = {gap.dimension: place for place, gap in enumerate(result.weakest, start=1)}
    rows = []
    for key, value in result.shown.dimension_scores.items():
        average = result.unit_average.get(key)
        gap = None if average is None else rounded(value) - rounded(average)
        rows.append(
            [
                titles.get(key, key),
                figure(value),
                figure(average),
                rounded(gap),
                weakest.get(key),
            ]
        )
    return rows


def group_table(overview: CampaignOverview, locale: str) -> Table:
    """Per cadre, the rater-group lines shown (others folded or left out), with dimension means."""
    _ = _translator(locale)
    dimensions = overview.questionnaire.dimensions
    header = [_(N_("Cadre id")), _(N_("Name")), _(N_("Group")), _(N_("Responses"))]
    header += [_(N_("Score"))] + [d.title.get(locale) for d in dimensions]
    rows = [header]
    for result in overview.results:
        for line in cadre_group_rows(result, overview.questionnaire, locale):
            rows.append([result.cadre.external_id, result.cadre.name, *line])
    return _titled("groups", _(N_("Groups")), rows, printed=False)


def cadre_group_rows(result: ShownResult, questionnaire: Questionnaire, locale: str) -> list[list]:
    """The lines ``disclose`` lets through: group, responses, score, dimension means."""
    shown = result.shown
    return [
        [
            group_label(group, locale),
            shown.counts[group],
            figure(score),
            *[figure(shown.dimensions.get(group, {}).get(d.key)) for d in questionnaire.dimensions],
        ]
        for group, score in shown.groups.items()
    ]


def vote_table(overview: CampaignOverview, locale: str) -> Table:
    """Per cadre: votes cast and each grade's share (only on at least k votes)."""
    _ = _translator(locale)
    header = [_(N_("Cadre id")), _(N_("Name")), _(N_("Votes cast"))]
    header += [
        _(N_("%(grade)s (%%)"), grade=campaign_grade_label(g, locale, overview.questionnaire))
        for g in GRADES
    ]
    rows = [header]
    for result in overview.results:
        shares = result.vote_shares
        rows.append(
            [result.cadre.external_id, result.cadre.name, result.votes_cast]
            + [percent(shares.get(grade)) if shares else None for grade in GRADES]
        )
    return _titled("votes", _(N_("Votes")), rows, printed=False)


def quality_table(overview: CampaignOverview, locale: str) -> Table:
    """Each quality flag: the check, the cadre, the ballots (refs of the ballots sheet), why."""
    _ = _translator(locale)
    cadres = {result.cadre.id: result.cadre for result in overview.results}
    rows = [[_(N_("Check")), _(N_("Cadre id")), _(N_("Name")), _(N_("Ballots")), _(N_("Finding"))]]
    for flag in overview.flags:
        cadre = cadres.get(flag.cadre_id)
        rows.append(
            [
                _(CHECK_LABELS.get(flag.check, flag.check)),
                cadre.external_id if cadre else "",
                cadre.name if cadre else "",
                ", ".join(flag.refs),
                describe(flag.message, flag.values, locale, overview.questionnaire),
            ]
        )
    for burst in overview.bursts:  # public channels: counted per hour, never per person
        finding = translate(burst.message, burst.values, locale=locale)
        rows.append([_(N_("Burst on a public channel")), "", burst.channel.name, "", finding])
    return _titled(
        "quality",
        _(N_("Quality checks")),
        rows,
        empty=_(N_("No ballot was flagged.")),
        cadre_column=1,
        prose=True,
    )


def reliability_table(overview: CampaignOverview, locale: str) -> Table:
    """Cronbach's alpha per dimension and the one-way ICCs per rater group."""
    _ = _translator(locale)
    titles = dimension_titles(overview.questionnaire, locale)
    rows = [
        [
            _(N_("Statistic")),
            _(N_("Of")),
            _(N_("Value")),
            _(N_("Items")),
            _(N_("Responses")),
            _(N_("Cadres")),
            _(N_("Ratings per cadre")),
        ]
    ]
    gaps = {}
    if any(alpha is None for alpha in overview.alphas.values()):  # why, beside the blank
        scored = [visible.ballot.scored() for visible in overview.ballots]
        gaps = dimension_alpha_gaps(overview.questionnaire, scored)
    for key, alpha in overview.alphas.items():
        if alpha is None:
            gap = gaps.get(key)
            why = translate(gap.message, gap.values, locale=locale) if gap else None
            rows.append([_(N_("Cronbach's alpha")), titles[key], why, None, None, None, None])
        else:
            rows.append(
                [
                    _(N_("Cronbach's alpha")),
                    titles[key],
                    rounded(alpha.alpha, 3),
                    alpha.items,
                    alpha.responses,
                    None,
                    None,
                ]
            )
    for group, icc in overview.iccs.items():
        label = group_label(group, locale)
        if icc is None:
            rows.append(["ICC(1)", label, None, None, None, None, None])
            continue
        for name, value in (("ICC(1)", icc.icc1), ("ICC(1,k)", icc.icck)):
            rows.append(
                [name, label, rounded(value, 3), None, icc.ratings, icc.targets, rounded(icc.k, 2)]
            )
    return _titled("reliability", _(N_("Reliability")), rows)


def ballot_table(overview: CampaignOverview, locale: str) -> Table:
    """The visible ballots, one row each: answers as the scale's words, vote, comment, link."""
    _ = _translator(locale)
    questionnaire = overview.questionnaire
    labels = {option.key: option.label.get(locale) for option in questionnaire.scale}
    answered = {key for v in overview.ballots for key in v.ballot.answers}
    items = [item for item in questionnaire.items() if item.key in answered]
    forms = form_numbers(v.ballot.link for v in overview.ballots)  # as the quality checks say
    links = bool(forms)
    header = [_(N_("Ballot")), _(N_("Cadre id")), _(N_("Group"))]
    header += [item.text.get(locale) for item in items] + [_(N_("Vote")), _(N_("Comment"))]
    header += [_(N_("Form link"))] if links else []
    rows = [header]
    for visible in overview.ballots:
        ballot = visible.ballot
        row = [visible.ref, visible.cadre.external_id, group_label(ballot.group, locale)]
        row += [labels.get(ballot.answers.get(item.key)) for item in items]
        row += [
            campaign_grade_label(ballot.vote, locale, overview.questionnaire)
            if ballot.vote
            else None,
            visible.comment,
        ]
        row += [forms.get(ballot.link)] if links else []
        rows.append(row)
    return _titled("ballots", _(N_("Ballots")), rows, printed=False)


# --- performance indicators (实绩) ---------------------------------------------------------------


def performance_title(questionnaire: Questionnaire, locale: str) -> str:
    """The performance dimension's title (usually 绩) in a language."""
    key = questionnaire.performance.dimension
    return dimension_titles(questionnaire, locale).get(key, key)


def performance_rule(questionnaire: Questionnaire, locale: str) -> str:
    """How the performance dimension is made, as one sentence with the template's numbers."""
    settings = questionnaire.performance
    return translate(
        PERFORMANCE_RULE,
        {
            "dimension": performance_title(questionnaire, locale),
            "share": f"{rounded(settings.share * 100):g}",
            "rest": f"{rounded(100 - settings.share * 100):g}",
            "cap": f"{rounded(settings.cap * 100):g}",
        },
        locale=locale,
    )


def performance_sentence(part: PerformancePart, title: str, locale: str) -> str:
    """This cadre's mix with its figures ("绩 = 40% indicators (85.00) + ..."), or why
    there is none (no indicators, or the raters' part withheld)."""
    if part.note and (part.indicator is None or part.mixed is None):
        return translate(part.note, {"dimension": title}, locale=locale)
    line = translate(
        MIXED,
        {
            "dimension": title,
            "share": f"{rounded(part.share * 100):g}",
            "indicator": _shown_figure(part.indicator),
            "rest": f"{rounded(100 - part.share * 100):g}",
            "rating": _shown_figure(part.rating),
            "mixed": _shown_figure(part.mixed),
        },
        locale=locale,
    )
    if part.note:
        line += " " + translate(part.note, {"dimension": title}, locale=locale)
    return line


def direction_label(direction: str, locale: str) -> str:
    """Which way an indicator is better, in words."""
    if direction == LOWER:
        return translate(N_("lower is better"), locale=locale)
    return translate(N_("higher is better"), locale=locale)


def attainment_percent(ratio: float) -> float | str:
    """An attainment as a percentage with two decimals (∞: nothing where lower is better)."""
    return "∞" if ratio == float("inf") else figure(ratio * 100)


def indicator_header(locale: str) -> list[str]:
    """The columns of one indicator: what, target, actual, unit, weight, direction, attainment."""
    _ = _translator(locale)
    return [
        _(N_("Indicator")),
        _(N_("Target")),
        _(N_("Actual")),
        _(N_("Unit of measure")),
        _(N_("Weight")),
        _(N_("Direction")),
        _(N_("Attainment (%)")),
        _(N_("Counted (%)")),
    ]


def as_given(value: float) -> float | int:
    """A figure HR gave, as HR wrote it: 1500 rather than 1500.0."""
    return int(value) if float(value).is_integer() else value


def indicator_row(reached: Attainment, locale: str) -> list:
    """One indicator as HR gave it, with its attainment uncapped and as counted (capped)."""
    indicator = reached.indicator
    return [
        indicator.name,
        as_given(indicator.target),
        as_given(indicator.actual),
        indicator.unit,
        as_given(indicator.weight),
        direction_label(indicator.direction, locale),
        attainment_percent(reached.ratio),
        figure(reached.counted * 100),
    ]


def performance_parts_row(part: PerformancePart) -> list:
    """Indicator score, the raters' figure, the indicators' share (%) and the combined score:
    each only as ``shown_performance`` lets it through."""
    return [
        figure(part.indicator),
        figure(part.rating),
        percent(part.share),
        figure(part.mixed),
    ]


def performance_parts_header(questionnaire: Questionnaire, locale: str) -> list[str]:
    """The names of the four parts, the combined one named after the dimension."""
    _ = _translator(locale)
    return [
        _(N_("Indicator score")),
        _(N_("Raters' figure")),
        _(N_("Indicator share (%)")),
        _(N_("%(dimension)s (combined)"), dimension=performance_title(questionnaire, locale)),
    ]


def performance_table(overview: CampaignOverview, locale: str) -> Table:
    """Per cadre, the performance dimension's parts and the combined score, the rule below."""
    _ = _translator(locale)
    questionnaire = overview.questionnaire
    rows = [
        [_(N_("Cadre id")), _(N_("Name")), _(N_("Indicators"))]
        + performance_parts_header(questionnaire, locale)
    ]
    for result in overview.results:
        part = shown_performance(result)
        if part is not None:
            rows.append(
                [
                    result.cadre.external_id,
                    result.cadre.name,
                    len(part.attainments),
                    *performance_parts_row(part),
                ]
            )
    return _titled(
        "performance",
        _(N_("Performance indicators")),
        rows,
        notes=[performance_rule(questionnaire, locale)],
        cadre_column=0,
    )


def indicator_table(overview: CampaignOverview, locale: str) -> Table:
    """Every cadre's indicators, one row each, with the attainment counted (workbook only)."""
    _ = _translator(locale)
    rows = [[_(N_("Cadre id")), _(N_("Name")), *indicator_header(locale)]]
    for result in overview.results:
        part = shown_performance(result)
        for reached in part.attainments if part is not None else ():
            rows.append(
                [result.cadre.external_id, result.cadre.name, *indicator_row(reached, locale)]
            )
    return _titled("indicators", _(N_("Indicators")), rows, printed=False, cadre_column=0)


def performance_tables(overview: CampaignOverview, locale: str) -> list[Table]:
    """The performance tables of the overview, only when the template mixes indicators in."""
    if overview.questionnaire.performance is None:
        return []
    return [performance_table(overview, locale), indicator_table(overview, locale)]


# --- comment themes -----------------------------------------------------------------------------


def theme_name(theme: Theme, locale: str) -> str:
    """A lexicon theme's name in a language, or a keyword theme's word in quotes."""
    if theme.key == KEYWORD:
        return translate(N_("“%(word)s”"), {"word": theme.label}, locale=locale)
    return translate(theme.label, locale=locale)


def theme_examples(theme: Theme, locale: str) -> str:
    """A theme's example comments on one line."""
    return ("；" if locale == "zh" else " / ").join(theme.examples)


def theme_rows(themes: CommentThemes, locale: str) -> list[list]:
    """Each theme: its name, how many comments it holds, examples."""
    return [
        [theme_name(theme, locale), theme.count, theme_examples(theme, locale)]
        for theme in themes.themes
    ]


def no_themes(themes: CommentThemes, k: int, locale: str) -> str:
    """Why there are no themes: too few comments may be shown, or none shares k."""
    if themes.comments < k:
        return translate(NO_THEMES_FEW, locale=locale)
    return translate(NO_THEMES_SHARED, {"count": themes.comments, "k": k}, locale=locale)


def theme_header(locale: str) -> list[str]:
    """Theme, comments, examples."""
    _ = _translator(locale)
    return [_(N_("Theme")), _(N_("Comments")), _(N_("Examples"))]


def unit_theme_table(overview: CampaignOverview, locale: str) -> Table:
    """Per unit, the themes of the comments its cadres' reports list (at least k each)."""
    _ = _translator(locale)
    rows = [[_(N_("Unit")), *theme_header(locale)]]
    themes = overview.themes
    k = overview.campaign.anonymity_k
    for unit in sorted(themes.units) if themes else ():
        rows += [[unit, *row] for row in theme_rows(themes.units[unit], locale)]
    return _titled(
        "unit_themes",
        _(N_("Comment themes per unit")),
        rows,
        notes=[_(THEMES_RULE, k=k)],
        empty=_(N_("No unit has a comment theme.")) if not rows[1:] else None,
        prose=True,
    )


def cadre_theme_table(overview: CampaignOverview, locale: str) -> Table:
    """Per cadre, the themes of the comments the cadre's report lists (workbook only)."""
    _ = _translator(locale)
    rows = [[_(N_("Cadre id")), _(N_("Name")), _(N_("Unit")), *theme_header(locale)]]
    themes = overview.themes
    for result in overview.results:
        found = themes.cadres.get(result.cadre.id) if themes else None
        for row in theme_rows(found, locale) if found else ():
            rows.append([result.cadre.external_id, result.cadre.name, result.cadre.unit, *row])
    return _titled(
        "cadre_themes",
        _(N_("Comment themes per cadre")),
        rows,
        printed=False,
        cadre_column=0,
        prose=True,
    )


def unit_theme_tables(overview: CampaignOverview, locale: str) -> list[Table]:
    """Per unit (by name), its themes, then its cadres with the comments their reports list
    and the themes of those: what HR's themes page shows."""
    _ = _translator(locale)
    themes, k = overview.themes, overview.campaign.anonymity_k
    if themes is None:
        return []
    joiner = "、" if locale == "zh" else "; "
    header = [_(N_("Cadre id")), _(N_("Name")), _(N_("Comments")), _(N_("Comment themes"))]
    tables = []
    for number, unit in enumerate(sorted(themes.units), start=1):
        found = themes.units[unit]
        tables.append(
            Table(
                f"unit-{number}",
                _(N_("Unit %(unit)s"), unit=unit),
                theme_header(locale),
                theme_rows(found, locale),
                empty=no_themes(found, k, locale),
                prose=True,
            )
        )
        rows = []
        for result in overview.results:
            if result.cadre.unit != unit:
                continue
            own = themes.cadres.get(result.cadre.id)
            named = [
                _(N_("%(theme)s: %(count)s"), theme=theme_name(t, locale), count=t.count)
                for t in (own.themes if own else ())
            ]
            listed = overview.comments.get(result.cadre.id)
            count = len(listed.comments) if listed else 0
            rows.append([result.cadre.external_id, result.cadre.name, count, joiner.join(named)])
        tables.append(Table(f"unit-{number}-cadres", "", header, rows, cadre_column=0))
    return tables


def overview_tables(overview: CampaignOverview, locale: str) -> list[Table]:
    """The campaign overview, described once: every table, in the order every output uses."""
    return [
        overview_table(overview, locale),
        grade_table(overview, locale),
        ranking_table(overview, locale),
        completion_table(overview, locale),
        dimension_table(overview, locale),
        *performance_tables(overview, locale),
        group_table(overview, locale),
        vote_table(overview, locale),
        unit_theme_table(overview, locale),
        cadre_theme_table(overview, locale),
        quality_table(overview, locale),
        reliability_table(overview, locale),
        ballot_table(overview, locale),
    ]


def overview_heading(overview: CampaignOverview) -> str:
    """The line above the overview in the terminal: the campaign's name and id."""
    return f"{overview.campaign.name} ({overview.campaign.id})"


def overview_text(overview: CampaignOverview, locale: str) -> str:
    """The overview for the terminal: key figures, grades, ranking, completion, checks."""
    tables = printed(overview_tables(overview, locale))
    return overview_heading(overview) + "\n\n" + tables_text(tables, locale)


def workbook_sheets(overview: CampaignOverview, locale: str) -> list[tuple[str, list[list]]]:
    """(sheet title, rows) for each sheet of the results workbook, in order."""
    return table_sheets(overview_tables(overview, locale))


def write_results_workbook(path: Path | IO[bytes], overview: CampaignOverview, locale: str) -> None:
    """Write the overview's tables as a workbook: one sheet each (key figures and grades
    share the first), header rows in bold, the first frozen.

    ``surveys.documents.report_xlsx`` streams the rows into the file: openpyxl's cell
    objects cost minutes and gigabytes on a campaign of 10,000 cadres.
    """
    write_tables(path, overview_tables(overview, locale))


# --- the per-cadre report -----------------------------------------------------------------------


def cadre_facts(report: CadreReport, locale: str) -> Table:
    """The report's headline, label and value: composite, grade and why, ranks, counts."""
    _ = _translator(locale)
    result, standing = report.result, report.result.standing
    decision = result.decision
    facts = [
        [_(N_("Unit")), result.cadre.unit],
        [_(N_("Post")), result.cadre.post],
        [_(N_("Responses")), str(result.score.responses_total)],
        [_(N_("Composite")), _shown_figure(result.shown.composite)],
    ]
    if report.adjusted is not None:
        facts.append(
            [_(N_("Leniency-adjusted composite")), _shown_figure(report.adjusted.adjusted)]
        )
    facts += [
        [_(N_("Grade")), campaign_grade_label(decision.grade, locale, report.questionnaire)],
        [_(N_("Deciding rule")), explain(decision, locale, report.questionnaire)],
        *([_(N_("Note")), explain(note, locale, report.questionnaire)] for note in decision.notes),
        [
            _(N_("Rank in the unit")),
            rank_text(standing.unit_rank, standing.unit_ranked, standing.unit_percentile, locale),
        ],
        [
            _(N_("Rank in the campaign")),
            rank_text(
                standing.campaign_rank,
                standing.campaign_ranked,
                standing.campaign_percentile,
                locale,
            ),
        ],
    ]
    return Table("facts", "", [], facts, form=PAIRS)


def _shown_figure(value: float | None) -> str:
    """A figure with two decimals, or a dash."""
    return "—" if value is None else f"{rounded(value):.2f}"


def cadre_dimension_table(report: CadreReport, locale: str) -> Table:
    """The cadre's shown dimensions with the unit average, the gap and the weakest marked,
    the radar chart above and the weakest dimensions in a sentence below."""
    _ = _translator(locale)
    header = [
        _(N_("Dimension")),
        _(N_("Score")),
        _(N_("Unit average")),
        _(N_("Difference")),
        _(N_("Weakest")),
    ]
    rows = cadre_dimension_rows(report.result, dimension_titles(report.questionnaire, locale))
    weakest = weakest_text(report, locale)
    return Table(
        "dimensions",
        _(N_("Dimensions")),
        header,
        rows,
        notes=[weakest] if weakest else [],
        empty="",
        chart="radar",
    )


def cadre_group_table(report: CadreReport, locale: str) -> Table:
    """The cadre's group lines as disclosed, with their dimension means, under their bars."""
    _ = _translator(locale)
    header = [_(N_("Group")), _(N_("Responses")), _(N_("Score"))]
    header += [d.title.get(locale) for d in report.questionnaire.dimensions]
    rows = cadre_group_rows(report.result, report.questionnaire, locale)
    return Table("groups", _(N_("Rater groups")), header, rows, empty="", chart="groups")


def cadre_vote_table(report: CadreReport, locale: str) -> Table:
    """Each grade's share of the votes; left out below k votes."""
    _ = _translator(locale)
    shares = report.result.vote_shares
    rows = (
        [
            [campaign_grade_label(grade, locale, report.questionnaire), percent(shares.get(grade))]
            for grade in GRADES
        ]
        if shares
        else []
    )
    return Table("votes", _(N_("Votes")), [_(N_("Grade")), _(N_("Share (%)"))], rows)


def weakest_text(report: CadreReport, locale: str) -> str | None:
    """The weakest dimensions against the unit average, as one sentence, if any."""
    if not report.result.weakest:
        return None
    titles = dimension_titles(report.questionnaire, locale)
    joiner = "、" if locale == "zh" else ", "
    parts = [
        translate(
            N_("%(dimension)s (%(gap)s below the unit average)"),
            {"dimension": titles.get(gap.dimension, gap.dimension), "gap": rounded(-gap.gap)},
            locale=locale,
        )
        for gap in report.result.weakest
    ]
    return translate(
        N_("Weakest dimensions: %(list)s"), {"list": joiner.join(parts)}, locale=locale
    )


def uses_table(report: CadreReport, locale: str) -> Table:
    """What the grade is for, in the reader's language; left out when nothing is."""
    uses = [[translate(use, locale=locale)] for use in report.result.uses]
    return Table("uses", translate(N_("Recommended uses"), locale=locale), [], uses, form=LIST)


def comment_table(report: CadreReport, locale: str) -> Table:
    """The comments in their shuffled order, or why none is shown."""
    shown = report.comments
    title = translate(N_("Comments"), locale=locale)
    if shown.note is not None:
        why = translate(shown.note.message, shown.note.values, locale=locale)
        return Table("comments", title, [], [], form=LIST, empty=why)
    rows = [[comment] for comment in shown.comments]
    notes = []
    if listed_comment_groups(report.result) is not None:
        notes.append(translate(COMMENTS_SPLIT, {"k": report.result.k}, locale=locale))
    return Table("comments", title, [], rows, notes=notes, form=LIST, empty="")


def cadre_performance_tables(report: CadreReport, locale: str) -> list[Table]:
    """The cadre's indicators (capped attainment) and how the dimension was combined, with
    the rule and this cadre's figures in sentences; none when the template mixes none in."""
    part = shown_performance(report.result)
    if part is None:
        return []
    _ = _translator(locale)
    questionnaire = report.questionnaire
    title = performance_title(questionnaire, locale)
    indicators = Table(
        "performance",
        _(N_("Performance indicators")),
        indicator_header(locale),
        [indicator_row(reached, locale) for reached in part.attainments],
        empty=performance_sentence(part, title, locale) if not part.attainments else None,
    )
    parts = [
        [label, value]
        for label, value in zip(
            performance_parts_header(questionnaire, locale),
            performance_parts_row(part),
            strict=True,
        )
    ]
    notes = [performance_rule(questionnaire, locale)]
    if part.attainments:
        notes.append(performance_sentence(part, title, locale))
    combined = Table(
        "performance_parts",
        _(N_("%(dimension)s: indicators and ratings combined"), dimension=title),
        [],
        parts,
        notes=notes,
        form=PAIRS,
    )
    return [indicators, combined]


def spot_row(spot: WeakSpot, against: str, titles: dict[str, str], locale: str) -> list:
    """One weak spot: compared with what, the dimension, both figures, the gap, the topics."""
    joiner = "、" if locale == "zh" else "; "
    return [
        against,
        titles.get(spot.dimension, spot.dimension),
        figure(spot.score),
        figure(spot.reference),
        rounded(rounded(spot.score) - rounded(spot.reference)),
        joiner.join(topic.get(locale) for topic in spot.topics),
    ]


def suggestion_table(report: CadreReport, locale: str) -> Table:
    """The weakest dimensions against the unit and against the cadre's previous comparable
    campaign, each with its training topics; the topics in one sentence below."""
    _ = _translator(locale)
    suggestion = report.suggestion
    header = [
        _(N_("Compared with")),
        _(N_("Dimension")),
        _(N_("Score")),
        _(N_("Reference")),
        _(N_("Difference")),
        _(N_("Training topics")),
    ]
    title = _(N_("Development suggestions"))
    if suggestion is None or not report.result.shown.dimension_scores:
        return Table("suggestions", title, header, [])
    titles = dimension_titles(report.questionnaire, locale)
    unit = _(N_("Unit average"))
    rows = [spot_row(spot, unit, titles, locale) for spot in suggestion.against_unit]
    notes = []
    if suggestion.previous is None:
        notes.append(_(N_("No earlier comparable campaign to compare with.")))
    else:
        before = suggestion.previous.name
        rows += [spot_row(spot, before, titles, locale) for spot in suggestion.against_history]
    if suggestion.topics:
        joiner = "、" if locale == "zh" else "; "
        topics = joiner.join(topic.get(locale) for topic in suggestion.topics)
        notes.append(_(N_("Suggested training: %(topics)s"), topics=topics))
    return Table(
        "suggestions",
        title,
        header,
        rows,
        notes=notes,
        empty=_(N_("No dimension is below the unit average or the previous campaign.")),
        prose=True,
    )


def cadre_themes_table(report: CadreReport, locale: str) -> Table:
    """The themes of the comments this report lists, or why there are none."""
    _ = _translator(locale)
    themes, k = report.themes, report.campaign.anonymity_k
    title = _(N_("Comment themes"))
    if themes is None:
        return Table("themes", title, theme_header(locale), [])
    notes = [_(THEMES_RULE, k=k)] if themes.themes else []
    if themes.themes and themes.unthemed:
        notes.insert(0, _(N_("In no theme: %(count)s"), count=themes.unthemed))
    return Table(
        "themes",
        title,
        theme_header(locale),
        theme_rows(themes, locale),
        notes=notes,
        empty=no_themes(themes, k, locale),
        prose=True,
    )


def notes_table(report: CadreReport, locale: str) -> Table:
    """Why figures are missing or renormalised; left out when nothing is."""
    notes = [[note] for note in result_notes(report.result, report.questionnaire, locale)]
    return Table("notes", translate(N_("Notes"), locale=locale), [], notes, form=LIST)


def cadre_tables(report: CadreReport, locale: str) -> list[Table]:
    """One cadre's report, described once: every table, in the order every output uses."""
    return [
        cadre_facts(report, locale),
        cadre_dimension_table(report, locale),
        *cadre_performance_tables(report, locale),
        cadre_group_table(report, locale),
        cadre_vote_table(report, locale),
        uses_table(report, locale),
        suggestion_table(report, locale),
        comment_table(report, locale),
        cadre_themes_table(report, locale),
        notes_table(report, locale),
    ]


def report_heading(report: CadreReport) -> str:
    """The line above a cadre's report in the terminal: campaign, cadre, roster id."""
    cadre = report.result.cadre
    return f"{report.campaign.name} · {cadre.name} ({cadre.external_id})"


def report_text(report: CadreReport, locale: str) -> str:
    """The per-cadre report for the terminal."""
    return report_heading(report) + "\n\n" + tables_text(cadre_tables(report, locale), locale)

"""Reports for HR: a campaign overview and a per-cadre report, as tables in the user's language.

The terminal, the ``.xlsx`` workbook and the PDFs are all built from the
same data (``campaign_overview``, ``cadre_report``) and the same tables, so
they always show the same numbers, and every figure comes from
``surveys.results.outcomes``: what the disclosure rule lets through, never a hidden
group's figure.

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
comment only where its cadre has at least ``DEFAULT_COMMENT_K`` of them.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Response
from surveys.collection.progress import CadreProgress, campaign_progress
from surveys.documents.workbook import write_workbook
from surveys.results.outcomes import ShownResult, describe, grade_label, group_label, shown_results
from surveys.results.rulebook import explain
from surveys.rules.disclosure import (
    DEFAULT_COMMENT_K,
    DIMENSION_WITHHELD,
    OTHER,
    CommentDisclosure,
    disclose_comments,
)
from surveys.rules.messages import N_, translate
from surveys.rules.quality import (
    AdjustedComposite,
    QualityFlag,
    check_ballots,
    leniency_adjusted,
    to_ballot,
)
from surveys.rules.questionnaire import GRADES, RATER_GROUPS, Questionnaire
from surveys.rules.reliability import ICC, Alpha, dimension_alphas, group_icc
from surveys.rules.scoring import ScoredResponse, rounded
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
    ballots: Iterable[StoredBallot], cadres: Iterable[Cadre], shuffler: random.Random | None
) -> dict[str, CommentDisclosure]:
    """Per cadre, the comments that may be shown (shuffled), by the comment threshold."""
    written: dict[str, list[str | None]] = {cadre.id: [] for cadre in cadres}
    for ballot in ballots:
        written.setdefault(ballot.cadre_id, []).append(ballot.comment)
    return {
        cadre_id: disclose_comments(comments, DEFAULT_COMMENT_K, shuffler=shuffler)
        for cadre_id, comments in written.items()
    }


def _group_order(group: str) -> int:
    """Position in RATER_GROUPS, so groups sort as everywhere else."""
    return RATER_GROUPS.index(group) if group in RATER_GROUPS else len(RATER_GROUPS)


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
        return (cadre.external_id, _group_order(ballot.group), answers, *rest)

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
    comments = shown_comments(ballots, [result.cadre for result in results], shuffler)
    visible = visible_ballots(questionnaire, results, ballots, comments)
    checked = [to_ballot(questionnaire, v.ref, v.ballot.scored(), v.ballot.link) for v in visible]
    scored = [v.ballot.scored() for v in visible]
    groups = sorted({v.ballot.group for v in visible}, key=_group_order)
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
        [b for b in ballots if b.cadre_id == result.cadre.id], [result.cadre], shuffler
    )
    adjusted = adjusted_composites(questionnaire, [result], ballots)
    return CadreReport(
        campaign=campaign,
        questionnaire=questionnaire,
        result=result,
        comments=comments[result.cadre.id],
        adjusted=adjusted.get(result.cadre.id),
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


# --- campaign tables ----------------------------------------------------------------------------


def overview_table(overview: CampaignOverview, locale: str) -> list[list]:
    """Key figures of the campaign: what, how many, how complete, the threshold."""
    _ = _translator(locale)
    assigned = sum(entry.assigned for entry in overview.progress)
    completed = sum(entry.completed for entry in overview.progress)
    responses = sum(g.responses for e in overview.progress for g in e.groups.values())
    ranked = sum(1 for result in overview.results if result.shown.composite is not None)
    return [
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


def grade_table(overview: CampaignOverview, locale: str) -> list[list]:
    """How many cadres have each grade, and their share of all cadres."""
    _ = _translator(locale)
    counts = overview.grade_counts()
    total = sum(counts.values())
    rows = [[_(N_("Grade")), _(N_("Cadres")), _(N_("Share (%)"))]]
    for grade, count in counts.items():
        label = grade_label(grade, locale) if grade else _(N_("No grade shown"))
        rows.append([label, count, percent(count / total) if total else None])
    return rows


def _ranking_order(result: ShownResult) -> tuple:
    """Best first; cadres without a rank after them, in roster order (stable sort)."""
    rank = result.standing.campaign_rank if result.standing else None
    return (rank is None, rank or 0)


def ranking_table(overview: CampaignOverview, locale: str) -> list[list]:
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
                grade_label(decision.grade, locale),
                standing.unit_rank,
                rounded(standing.unit_percentile, 1),
                rounded(standing.campaign_percentile, 1),
                explain(decision, locale, overview.questionnaire),
            ]
        )
    return rows


def completion_table(overview: CampaignOverview, locale: str) -> list[list]:
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
    return rows


def dimension_table(overview: CampaignOverview, locale: str) -> list[list]:
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
    return rows


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


def group_table(overview: CampaignOverview, locale: str) -> list[list]:
    """Per cadre, the rater-group lines shown (others folded or left out), with dimension means."""
    _ = _translator(locale)
    dimensions = overview.questionnaire.dimensions
    header = [_(N_("Cadre id")), _(N_("Name")), _(N_("Group")), _(N_("Responses"))]
    header += [_(N_("Score"))] + [d.title.get(locale) for d in dimensions]
    rows = [header]
    for result in overview.results:
        for line in cadre_group_rows(result, overview.questionnaire, locale):
            rows.append([result.cadre.external_id, result.cadre.name, *line])
    return rows


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


def vote_table(overview: CampaignOverview, locale: str) -> list[list]:
    """Per cadre: votes cast and each grade's share (only on at least k votes)."""
    _ = _translator(locale)
    header = [_(N_("Cadre id")), _(N_("Name")), _(N_("Votes cast"))]
    header += [_(N_("%(grade)s (%%)"), grade=grade_label(g, locale)) for g in GRADES]
    rows = [header]
    for result in overview.results:
        shares = result.vote_shares
        rows.append(
            [result.cadre.external_id, result.cadre.name, result.votes_cast]
            + [percent(shares.get(grade)) if shares else None for grade in GRADES]
        )
    return rows


def quality_table(overview: CampaignOverview, locale: str) -> list[list]:
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
    return rows


def reliability_table(overview: CampaignOverview, locale: str) -> list[list]:
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
    for key, alpha in overview.alphas.items():
        if alpha is None:
            rows.append([_(N_("Cronbach's alpha")), titles[key], None, None, None, None, None])
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
    return rows


def ballot_table(overview: CampaignOverview, locale: str) -> list[list]:
    """The visible ballots, one row each: answers as the scale's words, vote, comment, link."""
    _ = _translator(locale)
    questionnaire = overview.questionnaire
    labels = {option.key: option.label.get(locale) for option in questionnaire.scale}
    answered = {key for v in overview.ballots for key in v.ballot.answers}
    items = [item for item in questionnaire.items() if item.key in answered]
    links = any(v.ballot.link for v in overview.ballots)
    header = [_(N_("Ballot")), _(N_("Cadre id")), _(N_("Group"))]
    header += [item.text.get(locale) for item in items] + [_(N_("Vote")), _(N_("Comment"))]
    header += [_(N_("Form link"))] if links else []
    rows = [header]
    for visible in overview.ballots:
        ballot = visible.ballot
        row = [visible.ref, visible.cadre.external_id, group_label(ballot.group, locale)]
        row += [labels.get(ballot.answers.get(item.key)) for item in items]
        row += [grade_label(ballot.vote, locale) if ballot.vote else None, visible.comment]
        row += [ballot.link] if links else []
        rows.append(row)
    return rows


def workbook_sheets(overview: CampaignOverview, locale: str) -> list[tuple[str, list[list]]]:
    """(sheet title, table) for each view of the workbook, in order."""
    _ = _translator(locale)
    return [
        (
            _(N_("Overview")),
            overview_table(overview, locale) + [[]] + grade_table(overview, locale),
        ),
        (_(N_("Ranking")), ranking_table(overview, locale)),
        (_(N_("Completion")), completion_table(overview, locale)),
        (_(N_("Dimensions")), dimension_table(overview, locale)),
        (_(N_("Groups")), group_table(overview, locale)),
        (_(N_("Votes")), vote_table(overview, locale)),
        (_(N_("Quality checks")), quality_table(overview, locale)),
        (_(N_("Reliability")), reliability_table(overview, locale)),
        (_(N_("Ballots")), ballot_table(overview, locale)),
    ]


def write_results_workbook(path: Path | IO[bytes], overview: CampaignOverview, locale: str) -> None:
    """Write one sheet per view, header rows in bold (a table after an empty row has one
    too), the first frozen.

    ``surveys.documents.workbook`` streams the rows into the file: openpyxl's cell
    objects cost minutes and gigabytes on a campaign of 10,000 cadres.
    """
    write_workbook(path, workbook_sheets(overview, locale))


def overview_text(overview: CampaignOverview, locale: str) -> str:
    """The overview for the terminal: key figures, grades, ranking, completion, checks."""
    _ = _translator(locale)
    campaign = overview.campaign
    parts = [
        f"{campaign.name} ({campaign.id})",
        format_table(overview_table(overview, locale)[1:]),
        _(N_("Grades")) + "\n" + format_table(grade_table(overview, locale)),
        _(N_("Ranking")) + "\n" + format_table(ranking_table(overview, locale)),
        _(N_("Completion")) + "\n" + format_table(completion_table(overview, locale)),
        _(N_("Quality checks")) + "\n" + _quality_text(overview, locale),
        _(N_("Reliability")) + "\n" + format_table(reliability_table(overview, locale)),
    ]
    return "\n\n".join(parts)


def _quality_text(overview: CampaignOverview, locale: str) -> str:
    """The quality flags as a table, or a line saying there are none."""
    if not overview.flags and not overview.bursts:
        return translate(N_("No ballot was flagged."), locale=locale)
    return format_table(quality_table(overview, locale))


# --- the per-cadre report -----------------------------------------------------------------------


def cadre_facts(report: CadreReport, locale: str) -> list[tuple[str, str]]:
    """The report's headline, label and value: composite, grade and why, ranks, counts."""
    _ = _translator(locale)
    result, standing = report.result, report.result.standing
    decision = result.decision
    facts = [
        (_(N_("Unit")), result.cadre.unit),
        (_(N_("Post")), result.cadre.post),
        (_(N_("Responses")), str(result.score.responses_total)),
        (_(N_("Composite")), _shown_figure(result.shown.composite)),
    ]
    if report.adjusted is not None:
        facts.append(
            (_(N_("Leniency-adjusted composite")), _shown_figure(report.adjusted.adjusted))
        )
    facts += [
        (_(N_("Grade")), grade_label(decision.grade, locale)),
        (_(N_("Deciding rule")), explain(decision, locale, report.questionnaire)),
        *((_(N_("Note")), explain(note, locale, report.questionnaire)) for note in decision.notes),
        (
            _(N_("Rank in the unit")),
            rank_text(standing.unit_rank, standing.unit_ranked, standing.unit_percentile, locale),
        ),
        (
            _(N_("Rank in the campaign")),
            rank_text(
                standing.campaign_rank,
                standing.campaign_ranked,
                standing.campaign_percentile,
                locale,
            ),
        ),
    ]
    return facts


def _shown_figure(value: float | None) -> str:
    """A figure with two decimals, or a dash."""
    return "—" if value is None else f"{rounded(value):.2f}"


def cadre_dimension_table(report: CadreReport, locale: str) -> list[list]:
    """The cadre's shown dimensions with the unit average, the gap and the weakest marked."""
    _ = _translator(locale)
    header = [
        _(N_("Dimension")),
        _(N_("Score")),
        _(N_("Unit average")),
        _(N_("Difference")),
        _(N_("Weakest")),
    ]
    return [header] + cadre_dimension_rows(
        report.result, dimension_titles(report.questionnaire, locale)
    )


def cadre_group_table(report: CadreReport, locale: str) -> list[list]:
    """The cadre's group lines as disclosed, with their dimension means."""
    _ = _translator(locale)
    header = [_(N_("Group")), _(N_("Responses")), _(N_("Score"))]
    header += [d.title.get(locale) for d in report.questionnaire.dimensions]
    return [header] + cadre_group_rows(report.result, report.questionnaire, locale)


def cadre_vote_table(report: CadreReport, locale: str) -> list[list]:
    """Each grade's share of the votes (empty below k votes)."""
    _ = _translator(locale)
    shares = report.result.vote_shares
    rows = [[_(N_("Grade")), _(N_("Share (%)"))]]
    rows += (
        [[grade_label(grade, locale), percent(shares.get(grade))] for grade in GRADES]
        if shares
        else []
    )
    return rows


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


def uses_text(report: CadreReport, locale: str) -> list[str]:
    """What the grade is for, in the reader's language."""
    return [translate(use, locale=locale) for use in report.result.uses]


def comment_lines(report: CadreReport, locale: str) -> list[str]:
    """The comments in their shuffled order, or why none is shown."""
    shown = report.comments
    if shown.note is not None:
        return [translate(shown.note.message, shown.note.values, locale=locale)]
    return list(shown.comments)


def report_text(report: CadreReport, locale: str) -> str:
    """The per-cadre report for the terminal."""
    _ = _translator(locale)
    result = report.result
    colon = "：" if locale == "zh" else ": "
    lines = [f"{report.campaign.name} · {result.cadre.name} ({result.cadre.external_id})", ""]
    lines += [f"{label}{colon}{value}" for label, value in cadre_facts(report, locale)]
    lines += ["", _(N_("Dimensions:")), format_table(cadre_dimension_table(report, locale))]
    weakest = weakest_text(report, locale)
    lines += [weakest] if weakest else []
    lines += ["", _(N_("Rater groups:")), format_table(cadre_group_table(report, locale))]
    votes = cadre_vote_table(report, locale)
    if len(votes) > 1:
        lines += ["", _(N_("Votes")), format_table(votes)]
    uses = uses_text(report, locale)
    if uses:
        lines += ["", _(N_("Recommended uses:"))] + [f"  - {use}" for use in uses]
    lines += ["", _(N_("Comments:"))] + [f"  - {line}" for line in comment_lines(report, locale)]
    notes = result_notes(result, report.questionnaire, locale)
    if notes:
        lines += ["", _(N_("Notes:"))] + [f"  - {note}" for note in notes]
    return "\n".join(lines)


# --- terminal -----------------------------------------------------------------------------------


def format_table(rows: list[list]) -> str:
    """Align a table for the terminal (CJK characters count as two columns)."""
    texts = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if not texts:
        return ""
    columns = max(len(row) for row in texts)
    texts = [row + [""] * (columns - len(row)) for row in texts]
    widths = [max(_width(row[index]) for row in texts) for index in range(columns)]
    lines = [
        "  ".join(
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        )
        for row in texts
    ]
    return "\n".join(line.rstrip() for line in lines)


def _width(text: str) -> int:
    """Terminal columns a text takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)

"""Results of a campaign: scoring the stored responses and pushing summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Response
from storage.shared import (
    SCHEMA_VERSION,
    ensure_shared_schema,
    read_summaries,
    upsert_summaries,
)
from surveys.results.outcomes import ShownResult, describe, shown_results
from surveys.rules.questionnaire import Questionnaire
from surveys.rules.ranking import RECOMMENDED, Standing
from surveys.rules.scoring import CadreScore, ScoredResponse, rounded, score_campaign
from surveys.sealing.ballot_ledger import latest_checkpoint
from surveys.setup.campaigns import campaign_cadres, snapshot
from surveys.setup.indicators import campaign_indicators


@dataclass(frozen=True)
class CadreResult:
    """A cadre and their scores in one campaign."""

    cadre: Cadre
    score: CadreScore


def campaign_results(*, session: Session, campaign: Campaign) -> list[CadreResult]:
    """Score every cadre of the campaign's roster, ordered by unit and roster id."""
    cadres = campaign_cadres(session=session, campaign=campaign)
    rows = session.exec(
        select(Response.cadre_id, Response.group, Response.answers, Response.vote).where(
            Response.campaign_id == campaign.id
        )
    ).all()
    responses = [
        ScoredResponse(cadre_id=cadre_id, group=group, answers=answers, vote=vote)
        for cadre_id, group, answers, vote in rows
    ]
    indicators = campaign_indicators(session=session, campaign=campaign)
    scores = score_campaign(
        snapshot(campaign), [cadre.id for cadre in cadres], responses, indicators
    )
    return [
        CadreResult(cadre=cadre, score=score) for cadre, score in zip(cadres, scores, strict=True)
    ]


def _rounded_map(values: dict[str, float], places: int = 2) -> dict[str, float]:
    return {key: rounded(value, places) for key, value in values.items()}


def summary_row(
    campaign: Campaign,
    result: ShownResult,
    now: datetime,
    questionnaire: Questionnaire | None = None,
) -> dict:
    """One row of the shared ``cadre_summary`` table (see the README for its columns).

    Every figure is the disclosed one: groups and dimensions above the
    threshold only, no composite, rank or grade where fewer than k responses
    stand behind it, vote shares only on at least k votes.
    """
    questionnaire = questionnaire or snapshot(campaign)
    shown, decision, standing = result.shown, result.decision, result.standing
    graded = result.graded.grade if result.graded and shown.composite is not None else None
    return {
        "campaign_id": campaign.id,
        "cadre_id": result.cadre.external_id,
        "campaign_name": campaign.name,
        "campaign_kind": campaign.kind,
        "cadre_name": result.cadre.name,
        "unit": result.cadre.unit,
        "post": result.cadre.post,
        "responses_total": result.score.responses_total,
        "responses_by_group": dict(shown.counts),
        "group_scores": _rounded_map(shown.groups),
        "dimension_scores": _rounded_map(shown.dimension_scores),
        "composite": rounded(shown.composite),
        "vote_shares": _rounded_map(result.vote_shares, 4),
        "pushed_at": now,
        "schema_version": SCHEMA_VERSION,
        "anonymity_k": result.k,
        "votes_cast": result.votes_cast,
        "missing_groups": list(result.score.missing_groups),
        "grade": decision.grade,
        "grade_by_rules": graded,
        "revised_on_appeal": result.revised,
        "grade_rule": decision.message,
        "grade_rule_values": dict(decision.values),
        "grade_rule_en": describe(decision.message, decision.values, "en", questionnaire),
        "grade_rule_zh": describe(decision.message, decision.values, "zh", questionnaire),
        **_standing_columns(standing),
        "weakest_dimensions": [gap.dimension for gap in result.weakest],
        "recommended_uses": list(RECOMMENDED.get(decision.grade, ())),
        "computed_at": now,
    }


STANDING_COLUMNS = (
    "unit_rank",
    "unit_ranked",
    "unit_percentile",
    "campaign_rank",
    "campaign_ranked",
    "campaign_percentile",
)


def _standing_columns(standing: Standing | None) -> dict:
    """Ranks, counts ranked and percentiles (two decimals) in the unit and the campaign."""
    if standing is None:
        return dict.fromkeys(STANDING_COLUMNS)
    return {
        "unit_rank": standing.unit_rank,
        "unit_ranked": standing.unit_ranked,
        "unit_percentile": rounded(standing.unit_percentile),
        "campaign_rank": standing.campaign_rank,
        "campaign_ranked": standing.campaign_ranked,
        "campaign_percentile": rounded(standing.campaign_percentile),
    }


def push_results(
    *, session: Session, campaign: Campaign, shared_engine: sa.Engine, now: datetime
) -> int:
    """Upsert one summary row per cadre into the shared database; return the count.

    The table is created, or upgraded from an older version, once the rows
    are computed: a sealed box (``shown_results`` refuses) leaves the shared
    database untouched.
    """
    questionnaire = snapshot(campaign)
    checkpoint = latest_checkpoint(session=session, campaign_id=campaign.id)
    ledger = {
        "ledger_size": checkpoint.size if checkpoint else None,
        "ledger_root": checkpoint.root if checkpoint else None,
    }
    rows = [
        summary_row(campaign, result, now, questionnaire) | ledger
        for result in shown_results(session=session, campaign=campaign)
    ]
    ensure_shared_schema(shared_engine)
    return upsert_summaries(shared_engine, rows)


AUDITED = ("composite", "grade", "ledger_root", "ledger_size")


def audit_shared(
    *, session: Session, campaign: Campaign, shared_engine: sa.Engine
) -> list[tuple[str, str, object, object]]:
    """Recompute the published summary from the ballots stored now and compare.

    Returns (cadre id, field, shared value, recomputed value) for every
    difference in the composite, the grade or the ledger root and size: an
    auditor who has verified the ballots against the ledger thereby checks
    that the published results come from exactly those ballots.
    """
    questionnaire = snapshot(campaign)
    checkpoint = latest_checkpoint(session=session, campaign_id=campaign.id)
    expected = {
        result.cadre.external_id: summary_row(campaign, result, campaign.closes_at, questionnaire)
        | {
            "ledger_size": checkpoint.size if checkpoint else None,
            "ledger_root": checkpoint.root if checkpoint else None,
        }
        for result in shown_results(session=session, campaign=campaign)
    }
    shared = {row["cadre_id"]: row for row in read_summaries(shared_engine, campaign.id)}
    differences = []
    for cadre_id in sorted(set(expected) | set(shared)):
        mine, theirs = expected.get(cadre_id, {}), shared.get(cadre_id, {})
        for name in AUDITED:
            stored, recomputed = theirs.get(name), mine.get(name)
            if _comparable(stored) != _comparable(recomputed):
                differences.append((cadre_id, name, stored, recomputed))
    return differences


def _comparable(value: object) -> object:
    """Numbers compared as rounded floats (the shared table may store decimals)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return round(float(value), 2)
    return value

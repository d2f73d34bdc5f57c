"""Results of a campaign: scoring the stored responses and pushing summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Response
from storage.shared import ensure_shared_schema, upsert_summaries
from surveys.campaigns import campaign_cadres, snapshot
from surveys.scoring import CadreScore, ScoredResponse, rounded, score_campaign


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
    scores = score_campaign(snapshot(campaign), [cadre.id for cadre in cadres], responses)
    return [
        CadreResult(cadre=cadre, score=score) for cadre, score in zip(cadres, scores, strict=True)
    ]


def _rounded_map(values: dict[str, float], places: int = 2) -> dict[str, float]:
    return {key: rounded(value, places) for key, value in values.items()}


def summary_row(campaign: Campaign, result: CadreResult, now: datetime) -> dict:
    """One row of the shared ``cadre_summary`` table (see the README for its columns)."""
    score = result.score
    return {
        "campaign_id": campaign.id,
        "cadre_id": result.cadre.external_id,
        "campaign_name": campaign.name,
        "campaign_kind": campaign.kind,
        "cadre_name": result.cadre.name,
        "unit": result.cadre.unit,
        "post": result.cadre.post,
        "responses_total": score.responses_total,
        "responses_by_group": dict(score.responses),
        "group_scores": _rounded_map(score.group_scores),
        "dimension_scores": _rounded_map(score.dimension_scores),
        "composite": rounded(score.composite),
        "vote_shares": _rounded_map(score.vote_shares, 4),
        "pushed_at": now,
    }


def push_results(
    *, session: Session, campaign: Campaign, shared_engine: sa.Engine, now: datetime
) -> int:
    """Upsert one summary row per cadre into the shared database; return the count."""
    ensure_shared_schema(shared_engine)
    rows = [
        summary_row(campaign, result, now)
        for result in campaign_results(session=session, campaign=campaign)
    ]
    return upsert_summaries(shared_engine, rows)

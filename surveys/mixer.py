"""The mixer: moves submitted ballots from the inbox to the responses, shuffled.

A ballot is written to the inbox in the transaction that consumes its
token, so it is never lost and never counted twice.  Stored straight into
``response``, its row would sit next to the token's update: the same
transaction id (PostgreSQL ``xmin``), neighbouring row ids (SQLite
``rowid``), an order that matches the invitations' completion order.  The
mixer breaks all of that: once at least k ballots of a campaign are waiting
(or the campaign has closed), it moves them in one later transaction, in a
random order, under fresh random ids, deletes them from the inbox and
appends them, in that same random order, to the campaign's ledger.

Ballots keep a link between their per-cadre rows (useful for leniency
checks) only when at least k raters share the same set of cadres and
groups; a rarer pattern would name the rater, so its rows are stored apart.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from storage.models import Assignment, Campaign, InboxBallot, Invitation, Response, new_id
from surveys.ballot_ledger import append_responses
from surveys.campaigns import campaign_cadres, campaign_state

Pattern = frozenset[tuple[str, str]]
SHUFFLE = random.SystemRandom()


def waiting_ballots(*, session: Session, campaign: Campaign) -> int:
    """How many submitted ballots wait in the inbox."""
    return session.exec(
        select(func.count(func.distinct(InboxBallot.ballot_id))).where(
            InboxBallot.campaign_id == campaign.id
        )
    ).one()


def mix_waiting(*, session: Session, campaign: Campaign, now: datetime, force: bool = False) -> int:
    """Move the inbox to ``response`` if k ballots wait or the campaign closed; return rows moved.

    Call it in a transaction of its own, never in the one that consumed a token.
    """
    rows = session.exec(select(InboxBallot).where(InboxBallot.campaign_id == campaign.id)).all()
    ballots = {row.ballot_id for row in rows}
    ready = force or campaign_state(campaign, now) == "closed"
    if not rows or not (ready or len(ballots) >= campaign.anonymity_k):
        return 0
    responses = shuffled_responses(rows, linkable_patterns(session=session, campaign=campaign))
    session.execute(sa.delete(InboxBallot).where(col(InboxBallot.id).in_([row.id for row in rows])))
    session.add_all(responses)
    session.flush()
    append_responses(session=session, campaign_id=campaign.id, responses=responses)
    return len(responses)


def shuffled_responses(rows: list[InboxBallot], linkable: set[Pattern]) -> list[Response]:
    """Response rows in a random order, ballots linked by a fresh id only where allowed."""
    by_ballot: dict[str, list[InboxBallot]] = defaultdict(list)
    for row in rows:
        by_ballot[row.ballot_id].append(row)
    links = {
        ballot_id: new_id() if len(parts) > 1 and pattern_of(parts) in linkable else None
        for ballot_id, parts in by_ballot.items()
    }
    responses = [
        Response(
            campaign_id=row.campaign_id,
            cadre_id=row.cadre_id,
            group=row.group,
            answers=row.answers,
            vote=row.vote,
            comment=row.comment,
            ballot_id=links[row.ballot_id],
        )
        for row in rows
    ]
    SHUFFLE.shuffle(responses)
    return responses


def pattern_of(parts: list[InboxBallot]) -> Pattern:
    """The cadres and groups a ballot covers: what a link between its rows reveals."""
    return frozenset((part.cadre_id, part.group) for part in parts)


def linkable_patterns(*, session: Session, campaign: Campaign) -> set[Pattern]:
    """Patterns at least k possible raters share, so a linked ballot names nobody.

    Named raters' patterns come from the roster's assignments; a slip covers
    every cadre in its group's name, shared by every slip of that group.
    """
    counts: Counter[Pattern] = Counter()
    assignments = session.exec(
        select(Assignment.rater_id, Assignment.cadre_id, Assignment.group).where(
            Assignment.roster_id == campaign.roster_id
        )
    ).all()
    per_rater: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for rater_id, cadre_id, group in assignments:
        per_rater[rater_id].add((cadre_id, group))
    counts.update(frozenset(pattern) for pattern in per_rater.values())
    slips = session.exec(
        select(Invitation.group, func.count())
        .where(Invitation.campaign_id == campaign.id, col(Invitation.rater_id).is_(None))
        .group_by(Invitation.group)
    ).all()
    cadre_ids = [cadre.id for cadre in campaign_cadres(session=session, campaign=campaign)]
    for group, number in slips:
        counts[frozenset((cadre_id, group) for cadre_id in cadre_ids)] += number
    return {pattern for pattern, number in counts.items() if number >= campaign.anonymity_k}

"""The mixer: moves submitted ballots from the inbox to the responses, shuffled.

A ballot is written to the inbox in the transaction that consumes its
token, so it is never lost and never counted twice.  Stored straight into
``response``, its row would sit next to the token's update: the same
transaction id (PostgreSQL ``xmin``), neighbouring row ids (SQLite
``rowid``), an order that matches the invitations' completion order.

The mixer breaks that, in a later transaction of its own.  What matters
is whom a response could belong to: the raters of the same cadre in the
same group.  So rows move in *slots* of at least k:

- a ballot whose cadres-and-groups pattern at least k raters share keeps
  the link between its rows (useful for leniency checks); such ballots
  move together, k or more of the same pattern at a time;
- every other row moves on its own, unlinked, once k or more rows wait
  for the same cadre and group.

Each slot is shuffled and given fresh random ids, appended to the ledger
in that order, and deleted from the inbox.  Even an observer who knows
exactly when each rater submitted can then only say that a response is
one of the k or more of its slot.  At close everything left moves.
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
    """Move every slot of at least k waiting rows (all of them once closed); return rows moved.

    Call it in a transaction of its own, never in the one that consumed a token.
    Rows are claimed by deleting them from the inbox first: when another
    mixer got some of them in the meantime, this one rolls back and moves
    nothing, so no ballot is ever stored twice.
    """
    rows = session.exec(select(InboxBallot).where(InboxBallot.campaign_id == campaign.id)).all()
    if not rows:
        return 0
    closing = force or campaign_state(campaign, now) == "closed"
    if not closing and len({row.ballot_id for row in rows}) < campaign.anonymity_k:
        return 0  # a slot never holds more rows than there are ballots: nothing can move yet
    linkable = linkable_patterns(session=session, campaign=campaign)
    moving: list[tuple[Response, str]] = []
    for slot in slots(rows, linkable):
        if closing or slot.size >= campaign.anonymity_k:
            moving += slot.responses()
    if not moving:
        return 0
    moved_ids = [inbox_id for _, inbox_id in moving]
    claimed = session.execute(sa.delete(InboxBallot).where(col(InboxBallot.id).in_(moved_ids)))
    if claimed.rowcount != len(moved_ids):
        # Another mixer moved some of these rows first (two requests finished at once):
        # write nothing, or those ballots would be stored twice.
        session.rollback()
        return 0
    SHUFFLE.shuffle(moving)
    moving = [response for response, _ in moving]
    session.add_all(moving)
    session.flush()
    append_responses(session=session, campaign_id=campaign.id, responses=moving)
    return len(moving)


class Slot:
    """Rows that hide among each other: one pattern of linked ballots, or one cadre and group."""

    def __init__(self, linked: bool):
        self.linked = linked
        self.ballots: dict[str, list[InboxBallot]] = defaultdict(list)

    @property
    def size(self) -> int:
        """How many raters' answers the slot holds (ballots, or rows for a cadre and group)."""
        return len(self.ballots)

    def responses(self) -> list[tuple[Response, str]]:
        """The slot's rows as new responses, each with the inbox row it replaces."""
        made = []
        for parts in self.ballots.values():
            link = new_id() if self.linked else None
            for row in parts:
                response = Response(
                    campaign_id=row.campaign_id,
                    cadre_id=row.cadre_id,
                    group=row.group,
                    answers=row.answers,
                    vote=row.vote,
                    comment=row.comment,
                    ballot_id=link,
                )
                made.append((response, row.id))
        return made


def slots(rows: list[InboxBallot], linkable: set[Pattern]) -> list[Slot]:
    """Group waiting rows into slots: shared patterns whole, everything else by cadre and group."""
    by_ballot: dict[str, list[InboxBallot]] = defaultdict(list)
    for row in rows:
        by_ballot[row.ballot_id].append(row)
    found: dict[tuple, Slot] = {}
    for ballot_id, parts in by_ballot.items():
        pattern = pattern_of(parts)
        if len(parts) > 1 and pattern in linkable:
            found.setdefault(("pattern", pattern), Slot(linked=True)).ballots[ballot_id] = parts
            continue
        for row in parts:
            key = ("row", row.cadre_id, row.group)
            found.setdefault(key, Slot(linked=False)).ballots[row.id] = [row]
    return list(found.values())


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

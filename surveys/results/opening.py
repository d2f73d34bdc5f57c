"""Opening a campaign's sealed ballot box: once, after the deadline, in one transaction.

Until the box is opened there is nothing readable to link: every ballot
is a padded ciphertext written beside the invitation it consumed.  Opening
decrypts them all, shuffles them with the operating system's random
generator and writes the responses and their ledger leaves together, in
that shuffled order, with fresh random ids, in the same transaction that
signs the ledger's close checkpoint and deletes the sealed rows.  Every
response therefore shares one transaction (one ``xmin``, one WAL commit)
and its position says nothing about when it was submitted.

A ballot keeps the link between its rows (``ballot_id``) only where at
least k raters could have cast the same pattern of cadres and groups, so a
link never singles anybody out; otherwise each row stands alone.

After the commit, ``scrub_storage`` rewrites what the database engine keeps
of the sealed rows (SQLite: the WAL is checkpointed and truncated, the file
vacuumed; PostgreSQL: the sealed table is vacuumed), and a key-file box has
its secret destroyed: old logs and backups then hold ciphertext nobody can
open.
"""

from __future__ import annotations

import os
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from storage.models import Assignment, Campaign, Invitation, Response, SealedBallot
from storage.models import new_id as fresh_id
from surveys.rules.messages import N_
from surveys.sealing.audit import record_event
from surveys.sealing.ballot_box import BoxError, BoxKeys, key_file, read_key_file, unseal_many
from surveys.sealing.ballot_ledger import append_responses, write_checkpoint
from surveys.setup.campaigns import campaign_cadres, campaign_state

Pattern = frozenset[tuple[str, str]]
SHUFFLE = random.SystemRandom()
PARALLEL_FROM = 20_000  # ballots: below this, worker processes cost more than they save
BATCH = 5_000


@dataclass(frozen=True)
class Opening:
    """What an opening did: ballots decrypted and response rows written."""

    ballots: int
    responses: int


def is_open(campaign: Campaign) -> bool:
    """Whether the box has been opened (and its figures may be computed)."""
    return campaign.box_opened_at is not None


def sealed_count(*, session: Session, campaign: Campaign) -> int:
    """How many sealed ballots wait in the box."""
    return session.exec(
        select(func.count())
        .select_from(SealedBallot)
        .where(SealedBallot.campaign_id == campaign.id)
    ).one()


def open_box(
    *,
    session: Session,
    campaign: Campaign,
    keys: BoxKeys,
    ledger_key: Path,
    now: datetime,
    actor: str = "scheduler",
    scrutineers: Sequence[str] = (),
) -> Opening:
    """Decrypt, shuffle and store every ballot; sign the close checkpoint; once.

    The caller commits, then runs ``scrub_storage``.  The first statement
    claims the opening (a conditional UPDATE), so of two openers racing only
    one proceeds; the other gets BoxError.  If a ballot is sealed while the
    box is read (a request that began before the deadline), the count of
    deleted rows differs from the count read and the opening is refused,
    to be run again: never half a box.
    """
    if campaign_state(campaign, now) != "closed":
        raise BoxError(N_("The ballot box opens only after the deadline."))
    claimed = session.execute(
        sa.update(Campaign)
        .where(col(Campaign.id) == campaign.id, col(Campaign.box_opened_at).is_(None))
        .values(box_opened_at=now)
    ).rowcount
    if claimed != 1:
        raise BoxError(N_("This ballot box has already been opened."))
    rows = session.execute(
        sa.select(SealedBallot.ciphertext).where(SealedBallot.campaign_id == campaign.id)
    ).all()
    ballots = decrypt_all(keys, campaign.id, [row[0] for row in rows])
    responses = shuffled_responses(
        ballots, linkable_patterns(session=session, campaign=campaign), campaign.id
    )
    if responses:
        # Core inserts (executemany): the ORM's bulk path costs several times more per row.
        connection = session.connection()
        connection.execute(sa.insert(Response.__table__), responses)
        append_responses(
            session=session, campaign_id=campaign.id,
            responses=[SimpleNamespace(**row) for row in responses],
        )  # fmt: skip
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # the VACUUM in scrub_storage clears the freed pages; zeroing them now is waste
        session.connection().exec_driver_sql("PRAGMA secure_delete=OFF")
    deleted = session.execute(
        sa.delete(SealedBallot).where(col(SealedBallot.campaign_id) == campaign.id)
    ).rowcount
    if sqlite:
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    if deleted != len(ballots):
        raise BoxError(N_("A ballot arrived while the box was opened; open it again."))
    write_checkpoint(session=session, campaign=campaign, kind="close", key_path=ledger_key, now=now)
    record_event(
        session=session, actor=actor, action="open_box", now=now, campaign_id=campaign.id,
        detail={"ballots": len(ballots), "responses": len(responses),
                "scrutineers": list(scrutineers)},
    )  # fmt: skip
    session.flush()
    session.refresh(campaign)
    return Opening(ballots=len(ballots), responses=len(responses))


def decrypt_all(keys: BoxKeys, campaign_id: str, ciphertexts: list[bytes]) -> list[list[dict]]:
    """Every ballot's sections; large boxes are decrypted on every core."""
    if len(ciphertexts) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return unseal_many(keys.secret, campaign_id, ciphertexts)
    batches = [ciphertexts[i : i + BATCH] for i in range(0, len(ciphertexts), BATCH)]
    # spawn: the scheduler and the web server run threads, which fork would copy half-held.
    with ProcessPoolExecutor(mp_context=get_context("spawn")) as pool:
        parts = pool.map(unseal_many, [keys.secret] * len(batches), [campaign_id] * len(batches),
                         batches)  # fmt: skip
        return [ballot for part in parts for ballot in part]


def shuffled_responses(
    ballots: list[list[dict]], linkable: set[Pattern], campaign_id: str
) -> list[dict]:
    """Response rows in a random order, linked per ballot only where its pattern is shared."""
    rows = []
    for sections in ballots:
        pattern = frozenset((section["c"], section["g"]) for section in sections)
        link = fresh_id() if len(sections) > 1 and pattern in linkable else None
        for section in sections:
            rows.append(
                {
                    "id": fresh_id(),
                    "campaign_id": campaign_id,
                    "cadre_id": section["c"],
                    "group": section["g"],
                    "answers": section["a"],
                    "vote": section.get("v"),
                    "comment": section.get("m"),
                    "ballot_id": link,
                }
            )
    SHUFFLE.shuffle(rows)
    return rows


def linkable_patterns(*, session: Session, campaign: Campaign) -> set[Pattern]:
    """Patterns at least k possible raters share, so a linked ballot names nobody.

    Named raters' patterns come from the roster's assignments; a slip covers
    every cadre in its group's name, shared by every slip of that group.
    Read once, at opening: never on the submission path.
    """
    counts: Counter[Pattern] = Counter()
    per_rater: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for rater_id, cadre_id, group in session.exec(
        select(Assignment.rater_id, Assignment.cadre_id, Assignment.group).where(
            Assignment.roster_id == campaign.roster_id
        )
    ).all():
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


def scrub_storage(engine: sa.Engine) -> None:
    """After an opening's commit, make the engine forget the sealed rows it wrote.

    SQLite keeps every committed page in the WAL until a checkpoint and
    freed cells in the file until a vacuum; PostgreSQL keeps dead tuples
    until a vacuum.  Both commands must run outside a transaction.
    """
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.exec_driver_sql("VACUUM sealedballot")
            connection.exec_driver_sql("VACUUM chatdraft")


def after_opening(*, engine: sa.Engine, campaign_id: str, key_folder: Path | None) -> None:
    """Once the opening has committed: scrub the engine's copies, destroy a key file.

    (A box held by scrutineers has no key file; their printed shares are
    theirs to destroy.)
    """
    scrub_storage(engine)
    if key_folder is not None:
        destroy_key_file(key_folder, campaign_id)


def destroy_key_file(folder: Path, campaign_id: str) -> bool:
    """Overwrite and remove a key-file box's secret once its box is open: it is never needed
    again, and without it the ciphertexts left in old logs and backups stay closed."""
    path = key_file(folder, campaign_id)
    if not path.exists():
        return False
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.write(os.urandom(size))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    return True


def open_with_key_file(
    *, session: Session, campaign: Campaign, key_folder: Path, ledger_key: Path, now: datetime,
    actor: str = "scheduler",
) -> Opening:  # fmt: skip
    """Open a key-file box with its key file (the scheduler's way at the deadline)."""
    if campaign.box_custody != "keyfile":
        raise BoxError(N_("This box is held by scrutineers: it opens with their shares."))
    keys = read_key_file(key_folder, campaign.id, campaign.box_public_key or "")
    return open_box(session=session, campaign=campaign, keys=keys, ledger_key=ledger_key,
                    now=now, actor=actor)  # fmt: skip

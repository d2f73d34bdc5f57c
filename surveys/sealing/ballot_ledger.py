"""The campaign ledger in the database: leaves appended at the opening, signed checkpoints.

Each response becomes one leaf (``surveys.sealing.ledger`` hashing, RFC 6962),
appended in the opening's shuffled order, with no time in it.  At
close and at publication a checkpoint (tree size and root) is signed with
an Ed25519 key kept in a file outside the database.  ``verify_campaign``
recomputes every leaf from the responses stored now and names each edited,
deleted, inserted or reordered ballot; the signed checkpoint (or a copy of
the leaves published with the results) also exposes edits made to the
ledger table itself.  A checkpoint only protects what it covers and only
when it was signed by the right key, so verification also fails when
leaves lie beyond the last checkpoint, when an opened campaign has no close
checkpoint (deleting the checkpoints must not be a way out), and when a
checkpoint was signed by a key other than the one the auditor pinned.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, col, func, select

from storage.models import Campaign, LedgerCheckpoint, LedgerLeaf, Response, new_id
from surveys.rules.messages import N_
from surveys.sealing.ledger import (
    Checkpoint,
    LedgerProblem,
    checkpoint_key_id,
    diagnose,
    generate_signing_key,
    key_fingerprint,
    leaf_bytes,
    leaf_hash,
    merkle_root,
    sign_checkpoint,
    verify_checkpoint,
)

ROOT_ALTERED = N_(
    "The ledger table no longer matches the signed checkpoint: it was altered after signing."
)
BAD_SIGNATURE = N_("The checkpoint's signature does not verify with this public key.")
BEYOND_CHECKPOINT = N_(
    "The ledger holds %(count)s leaves beyond the last signed checkpoint of %(size)s ballots "
    "(positions %(first)s to %(last)s): they were added after it was signed."
)
NO_CLOSE_CHECKPOINT = N_(
    "The campaign's ballot box was opened but its ledger has no signed close checkpoint: "
    "it may have been deleted to hide a change."
)
WRONG_KEY = N_("A checkpoint was signed by the key %(signer)s, not by the pinned key %(pinned)s.")
UNKNOWN_KEY = N_(
    "A checkpoint was signed by an unknown key (key id %(signer_id)s), not by the pinned key "
    "%(pinned)s (key id %(pinned_id)s)."
)
NO_KEY = N_("No public key was given, so no checkpoint signature was checked.")
# The words for each kind of change a check finds, and for the key's verdict: one list
# for the command (``cadre ledger verify``) and the console's ledger page.
PROBLEM_KINDS = {
    "edited": N_("edited"),
    "deleted": N_("deleted"),
    "inserted": N_("inserted"),
    "reordered": N_("reordered"),
}
KEY_VERDICTS = {
    True: N_("Every checkpoint was signed by this key."),
    False: N_("Not every checkpoint was signed by this key."),
    None: N_("There is no checkpoint to check this key against."),
}


class Note(str):
    """A finding about the ledger as a whole: a message id, with the values it needs.

    A ``str`` equal to its message id, so callers compare notes with the
    constants above and translate them as they are, and ``values`` fills in
    the placeholders (empty for messages without any).
    """

    values: dict[str, object]

    def __new__(cls, message: str, **values: object) -> Note:
        note = super().__new__(cls, message)
        note.values = values
        return note


def response_leaf(response: Response) -> bytes:
    """The leaf hash of one stored response: every field that counts, no time."""
    return leaf_hash(
        leaf_bytes(
            {
                "id": response.id,
                "campaign_id": response.campaign_id,
                "cadre_id": response.cadre_id,
                "group": response.group,
                "answers": response.answers,
                "vote": response.vote,
                "comment": response.comment,
                "ballot_id": response.ballot_id,
            }
        )
    )


def ledger_size(*, session: Session, campaign_id: str) -> int:
    """How many leaves the campaign's ledger holds."""
    return session.exec(
        select(func.count()).select_from(LedgerLeaf).where(LedgerLeaf.campaign_id == campaign_id)
    ).one()


def append_responses(*, session: Session, campaign_id: str, responses: Sequence) -> None:
    """Append responses as leaves, in the order given (the opening's shuffled order).

    ``responses`` are stored responses, or anything with their fields as
    attributes (the opening passes its rows before the ORM knows them).
    One Core insert: an opening appends hundreds of thousands of leaves.
    """
    start = ledger_size(session=session, campaign_id=campaign_id)
    leaves = [
        {
            "id": new_id(),
            "campaign_id": campaign_id,
            "position": start + offset,
            "response_id": response.id,
            "leaf_hash": response_leaf(response).hex(),
        }
        for offset, response in enumerate(responses)
    ]
    if leaves:
        session.execute(sa.insert(LedgerLeaf.__table__), leaves)


def _leaves(session: Session, campaign_id: str) -> list[LedgerLeaf]:
    return list(
        session.exec(
            select(LedgerLeaf)
            .where(LedgerLeaf.campaign_id == campaign_id)
            .order_by(col(LedgerLeaf.position))
        ).all()
    )


def recorded_hashes(*, session: Session, campaign_id: str) -> list[bytes]:
    """The leaf hashes as written when each ballot was appended, in ledger order.

    Only the one column is read: a large campaign's ledger has hundreds of
    thousands of leaves, and this runs when the box is opened.
    """
    return [
        bytes.fromhex(value)
        for value in session.exec(
            select(LedgerLeaf.leaf_hash)
            .where(LedgerLeaf.campaign_id == campaign_id)
            .order_by(col(LedgerLeaf.position))
        ).all()
    ]


def current_hashes(*, session: Session, campaign_id: str) -> list[bytes]:
    """The leaf hashes recomputed from the responses stored now, in ledger order.

    Responses the ledger does not know are put after the recorded ones, so
    they show up as insertions; leaves whose response is gone are skipped,
    so they show up as deletions.
    """
    responses = {
        response.id: response
        for response in session.exec(
            select(Response).where(Response.campaign_id == campaign_id)
        ).all()
    }
    leaves = _leaves(session, campaign_id)
    known = {leaf.response_id for leaf in leaves}
    ordered = [responses[leaf.response_id] for leaf in leaves if leaf.response_id in responses]
    extra = sorted((r for rid, r in responses.items() if rid not in known), key=lambda r: r.id)
    return [response_leaf(response) for response in ordered + extra]


def server_public_key(path: Path) -> bytes | None:
    """The public key PEM of the signing key at ``path``, or None when there is none.

    Unlike :func:`signing_key` it never creates a key: verifying with a key
    made on the spot would only say that nothing was signed by it.
    Unreadable or malformed files raise (OSError, ValueError).
    """
    return _public_pem(path) if path.exists() else None


def _public_pem(path: Path) -> bytes:
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signing_key(path: Path) -> bytes:
    """The public key PEM of the signing key at ``path``, creating the key on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return generate_signing_key(path)
    return _public_pem(path)


def write_checkpoint(
    *, session: Session, campaign: Campaign, kind: str, key_path: Path, now: datetime
) -> LedgerCheckpoint:
    """Sign the ledger's current size and root and store the checkpoint."""
    signing_key(key_path)
    hashes = recorded_hashes(session=session, campaign_id=campaign.id)
    signed = sign_checkpoint(key_path, campaign.id, len(hashes), merkle_root(hashes))
    row = LedgerCheckpoint(
        campaign_id=campaign.id,
        kind=kind,
        size=signed.size,
        root=signed.root,
        signature=signed.signature,
        key_id=signed.key_id,
        written_at=now,
    )
    session.add(row)
    session.flush()
    return row


def latest_checkpoint(*, session: Session, campaign_id: str) -> LedgerCheckpoint | None:
    """The most recent checkpoint of a campaign."""
    return session.exec(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.campaign_id == campaign_id)
        .order_by(col(LedgerCheckpoint.written_at).desc(), col(LedgerCheckpoint.size).desc())
    ).first()


def checkpoints(*, session: Session, campaign_id: str) -> list[LedgerCheckpoint]:
    """Every checkpoint of a campaign, oldest first."""
    return list(
        session.exec(
            select(LedgerCheckpoint)
            .where(LedgerCheckpoint.campaign_id == campaign_id)
            .order_by(col(LedgerCheckpoint.written_at), col(LedgerCheckpoint.size))
        ).all()
    )


def ledger_expected(*, session: Session, campaign: Campaign) -> bool:
    """Whether the campaign's ballot box was opened, so it must have a close checkpoint.

    Opened means: the box records its opening, or there is any ledger leaf
    or stored response (which only an opening writes).  Without this rule,
    deleting the checkpoints would turn a rewritten ledger into one that
    merely was never signed.
    """
    if campaign.box_opened_at is not None:
        return True
    for model in (LedgerLeaf, Response):
        found = session.exec(
            select(model.id).where(model.campaign_id == campaign.id).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def as_checkpoint(row: LedgerCheckpoint) -> Checkpoint:
    """The stored row as the signed statement it is."""
    return Checkpoint(row.campaign_id, row.size, row.root, row.signature, row.key_id)


@dataclass
class LedgerReport:
    """The outcome of verifying a campaign's ballots against its ledger.

    ``key_fingerprint`` is the fingerprint of the key verified against (None
    without a key); ``key_matches`` says whether every checkpoint names that
    key (None when there is no checkpoint to compare).
    """

    size: int
    root: str
    checkpoint: LedgerCheckpoint | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[LedgerProblem] = field(default_factory=list)
    key_fingerprint: str | None = None
    key_matches: bool | None = None

    @property
    def intact(self) -> bool:
        """No problem found and nothing wrong with the checkpoint."""
        return not self.problems and not self.notes


def _key_notes(
    campaign_id: str,
    rows: Sequence[LedgerCheckpoint],
    public_key_pem: bytes,
    known_keys: Sequence[bytes],
) -> list[Note]:
    """Whom each checkpoint names as signer, and whether its signature holds.

    A checkpoint naming another key is reported as such, with that key's
    fingerprint when it is one of ``known_keys`` (such as this server's own
    key): "signed by the wrong key" and "altered after signing" call for
    different inquiries.
    """
    pinned_id = checkpoint_key_id(campaign_id, public_key_pem)
    pinned = key_fingerprint(public_key_pem)
    known = {checkpoint_key_id(campaign_id, pem): key_fingerprint(pem) for pem in known_keys}
    notes: list[Note] = []
    for signer_id in dict.fromkeys(row.key_id for row in rows if row.key_id != pinned_id):
        if signer_id in known:
            notes.append(Note(WRONG_KEY, signer=known[signer_id], pinned=pinned))
        else:
            notes.append(Note(UNKNOWN_KEY, signer_id=signer_id, pinned=pinned, pinned_id=pinned_id))
    if any(
        row.key_id == pinned_id and not verify_checkpoint(as_checkpoint(row), public_key_pem)
        for row in rows
    ):
        notes.append(Note(BAD_SIGNATURE))
    return notes


def verify_campaign(
    *,
    session: Session,
    campaign: Campaign,
    public_key_pem: bytes | None,
    published: list[bytes] | None = None,
    known_keys: Sequence[bytes] = (),
) -> LedgerReport:
    """Compare the ballots stored now with the ledger and its signed checkpoints.

    ``public_key_pem`` is the key the checkpoints must be signed with (the
    auditor's pinned copy, or this server's key); without one no signature
    is checked and the report says so.  ``known_keys`` only serve to name
    the key behind a checkpoint signed by another one.  ``published`` is a
    copy of the leaf hashes published with the results, if the auditor has
    one; it pinpoints changes even where someone also rewrote the ledger
    table.
    """
    recorded = recorded_hashes(session=session, campaign_id=campaign.id)
    current = current_hashes(session=session, campaign_id=campaign.id)
    report = LedgerReport(size=len(recorded), root=merkle_root(recorded).hex())
    rows = checkpoints(session=session, campaign_id=campaign.id)
    report.checkpoint = latest_checkpoint(session=session, campaign_id=campaign.id)
    if public_key_pem is None:
        report.notes.append(Note(NO_KEY))
    else:
        report.key_fingerprint = key_fingerprint(public_key_pem)
        pinned_id = checkpoint_key_id(campaign.id, public_key_pem)
        report.key_matches = all(row.key_id == pinned_id for row in rows) if rows else None
        report.notes.extend(_key_notes(campaign.id, rows, public_key_pem, known_keys))
    if not any(row.kind == "close" for row in rows) and ledger_expected(
        session=session, campaign=campaign
    ):
        report.notes.append(Note(NO_CLOSE_CHECKPOINT))
    if any(
        row.size > len(recorded) or merkle_root(recorded[: row.size]).hex() != row.root
        for row in rows
    ):
        report.notes.append(Note(ROOT_ALTERED))
    signed = max((row.size for row in rows), default=None)
    if signed is not None and len(recorded) > signed:
        report.notes.append(
            Note(
                BEYOND_CHECKPOINT,
                count=len(recorded) - signed,
                size=signed,
                first=signed,
                last=len(recorded) - 1,
            )
        )
    baseline = published if published is not None else recorded
    report.problems = diagnose(baseline, current)
    return report


def export_ledger(*, session: Session, campaign: Campaign) -> dict:
    """The leaf hashes and the latest checkpoint, as JSON to publish with the results."""
    row = latest_checkpoint(session=session, campaign_id=campaign.id)
    hashes = recorded_hashes(session=session, campaign_id=campaign.id)
    return {
        "campaign_id": campaign.id,
        "size": len(hashes),
        "root": merkle_root(hashes).hex(),
        "leaves": [value.hex() for value in hashes],
        "checkpoint": as_checkpoint(row).signed_note() if row else None,
    }


def read_export(text: str) -> list[bytes]:
    """The leaf hashes from an exported ledger file."""
    return [bytes.fromhex(value) for value in json.loads(text)["leaves"]]

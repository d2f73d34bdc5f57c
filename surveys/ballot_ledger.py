"""The campaign ledger in the database: leaves appended by the mixer, signed checkpoints.

Each mixed response row becomes one leaf (``surveys.ledger`` hashing, RFC
6962), appended in the mixer's shuffled order, with no time in it.  At
close and at publication a checkpoint (tree size and root) is signed with
an Ed25519 key kept in a file outside the database.  ``verify_campaign``
recomputes every leaf from the responses stored now and names each edited,
deleted, inserted or reordered ballot; the signed checkpoint (or a copy of
the leaves published with the results) also exposes edits made to the
ledger table itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, col, func, select

from storage.models import Campaign, LedgerCheckpoint, LedgerLeaf, Response
from surveys.ledger import (
    Checkpoint,
    LedgerProblem,
    diagnose,
    generate_signing_key,
    leaf_bytes,
    leaf_hash,
    merkle_root,
    sign_checkpoint,
    verify_checkpoint,
)
from surveys.messages import N_

ROOT_ALTERED = N_(
    "The ledger table no longer matches the signed checkpoint: it was altered after signing."
)
BAD_SIGNATURE = N_("The checkpoint's signature does not verify with this public key.")


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


def append_responses(*, session: Session, campaign_id: str, responses: list[Response]) -> None:
    """Append responses as leaves, in the order given (the mixer's shuffled order)."""
    start = ledger_size(session=session, campaign_id=campaign_id)
    session.add_all(
        LedgerLeaf(
            campaign_id=campaign_id,
            position=start + offset,
            response_id=response.id,
            leaf_hash=response_leaf(response).hex(),
        )
        for offset, response in enumerate(responses)
    )
    session.flush()


def _leaves(session: Session, campaign_id: str) -> list[LedgerLeaf]:
    return list(
        session.exec(
            select(LedgerLeaf)
            .where(LedgerLeaf.campaign_id == campaign_id)
            .order_by(col(LedgerLeaf.position))
        ).all()
    )


def recorded_hashes(*, session: Session, campaign_id: str) -> list[bytes]:
    """The leaf hashes as written when each ballot was appended, in ledger order."""
    return [bytes.fromhex(leaf.leaf_hash) for leaf in _leaves(session, campaign_id)]


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


def signing_key(path: Path) -> bytes:
    """The public key PEM of the signing key at ``path``, creating the key on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return generate_signing_key(path)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


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


def as_checkpoint(row: LedgerCheckpoint) -> Checkpoint:
    """The stored row as the signed statement it is."""
    return Checkpoint(row.campaign_id, row.size, row.root, row.signature, row.key_id)


@dataclass
class LedgerReport:
    """The outcome of verifying a campaign's ballots against its ledger."""

    size: int
    root: str
    checkpoint: LedgerCheckpoint | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[LedgerProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """No problem found and nothing wrong with the checkpoint."""
        return not self.problems and not self.notes


def verify_campaign(
    *,
    session: Session,
    campaign: Campaign,
    public_key_pem: bytes | None,
    published: list[bytes] | None = None,
) -> LedgerReport:
    """Compare the ballots stored now with the ledger and its signed checkpoint.

    ``published`` is a copy of the leaf hashes published with the results,
    if the auditor has one; it pinpoints changes even where someone also
    rewrote the ledger table.
    """
    recorded = recorded_hashes(session=session, campaign_id=campaign.id)
    current = current_hashes(session=session, campaign_id=campaign.id)
    report = LedgerReport(size=len(recorded), root=merkle_root(recorded).hex())
    row = latest_checkpoint(session=session, campaign_id=campaign.id)
    report.checkpoint = row
    if row is not None and public_key_pem is not None:
        checkpoint = as_checkpoint(row)
        if not verify_checkpoint(checkpoint, public_key_pem):
            report.notes.append(BAD_SIGNATURE)
        elif merkle_root(recorded[: row.size]).hex() != row.root:
            report.notes.append(ROOT_ALTERED)
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

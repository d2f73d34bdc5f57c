"""Files an auditor brings to check a campaign's ledger: a published export and a public key.

The HR console's ledger check reads uploads here, so a file that is not
what it claims to be is refused with one clear reason (an empty file,
binary junk, another campaign's export, a key that is not an Ed25519 public
key) before anything is compared.  A well-formed export whose own root no
longer matches its leaves was changed after it was written: that is a
finding of the check, not a refusal, and the comparison still runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from surveys.rules.messages import N_
from surveys.sealing.ledger import key_fingerprint, merkle_root

LEAF = re.compile(r"[0-9a-fA-F]{64}")

NOT_AN_EXPORT = N_(
    "The ledger file is not a ledger export (the JSON file written by `cadre ledger export` "
    "or downloaded from this page)."
)
EMPTY_EXPORT = N_("The ledger file is empty.")
EMPTY_KEY = N_("The key file is empty.")
OTHER_CAMPAIGN = N_(
    "The ledger file belongs to another campaign (%(other)s), not to this one (%(campaign)s)."
)
BAD_LEAF = N_("Leaf %(position)s of the ledger file is not a SHA-256 hash in hex.")
NOT_A_KEY = N_(
    "The key file does not hold an Ed25519 public key in PEM form (as printed by "
    "`cadre ledger key`)."
)
FILE_ALTERED = N_(
    "The ledger file says %(size)s ballots with root %(root)s, but its %(count)s leaves give "
    "root %(computed)s: the file was changed after it was exported."
)


class LedgerFileError(ValueError):
    """A file that cannot be used for the check: a message id and its values."""

    def __init__(self, message: str, values: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.values = values or {}


@dataclass(frozen=True)
class PublishedLedger:
    """A ledger export as read: its leaves, and whether they still give its own root."""

    leaves: list[bytes]
    size: object
    root: object
    computed_root: str

    @property
    def consistent(self) -> bool:
        """Whether the file's stated size and root are those of its leaves."""
        return self.size == len(self.leaves) and self.root == self.computed_root

    def finding(self) -> tuple[str, dict] | None:
        """The message (id and values) saying the file was altered, or None."""
        if self.consistent:
            return None
        return FILE_ALTERED, {
            "size": self.size,
            "root": self.root,
            "count": len(self.leaves),
            "computed": self.computed_root,
        }


def read_published(data: bytes, *, campaign_id: str) -> PublishedLedger:
    """Read an exported ledger (``export_ledger``'s JSON) of this campaign.

    Raises ``LedgerFileError`` for an empty file, anything that is not such
    a JSON object, another campaign's export, or a leaf that is not a hash.
    """
    if not data.strip():
        raise LedgerFileError(EMPTY_EXPORT)
    try:
        text = data.decode("utf-8")
        exported = json.loads(text) if "\x00" not in text else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        exported = None
    if not isinstance(exported, dict) or not isinstance(exported.get("leaves"), list):
        raise LedgerFileError(NOT_AN_EXPORT)
    other = exported.get("campaign_id")
    if other != campaign_id:
        raise LedgerFileError(OTHER_CAMPAIGN, {"other": str(other)[:40], "campaign": campaign_id})
    leaves = []
    for position, value in enumerate(exported["leaves"]):
        if not isinstance(value, str) or not LEAF.fullmatch(value):
            raise LedgerFileError(BAD_LEAF, {"position": position})
        leaves.append(bytes.fromhex(value))
    size, root = exported.get("size"), exported.get("root")
    return PublishedLedger(
        leaves=leaves,
        size=size if isinstance(size, int) and not isinstance(size, bool) else str(size)[:20],
        root=str(root)[:64],
        computed_root=merkle_root(leaves).hex(),
    )


def read_public_key(data: bytes) -> bytes:
    """An auditor's public key PEM, checked to be an Ed25519 public key; ``LedgerFileError``."""
    if not data.strip():
        raise LedgerFileError(EMPTY_KEY)
    try:
        key_fingerprint(data)
    except ValueError:
        raise LedgerFileError(NOT_A_KEY) from None
    return data

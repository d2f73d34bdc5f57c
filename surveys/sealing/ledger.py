"""Tamper-evidence ledger of accepted ballots (issue 6).

Every accepted ballot becomes a leaf of an append-only Merkle tree hashed as
in Certificate Transparency (RFC 6962, RFC 9162 section 2.1), so that:

* a signed checkpoint (tree size and root hash) published at close and at
  publication commits to every ballot and to their order; anyone holding the
  public key can check later that nothing was changed;
* an inclusion proof shows that one ballot is in a checkpointed tree without
  revealing the others, and a consistency proof shows that a later tree only
  appended to an earlier one;
* comparing the leaf hashes recorded on append with those recomputed from the
  ballots stored now says which ballot was edited, deleted, inserted or moved.

The module is pure: no database, no clock.  Leaves hold no times, so the
ledger cannot re-identify raters by submission order and time.  The signing
key is read from a file the caller names and never enters the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from surveys.rules.messages import N_

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
ORIGIN_PREFIX = "cadre-assessment/"
# Signed-note signature type of Ed25519 (C2SP signed-note), used in the key id.
ED25519_SIGNATURE_TYPE = b"\x01"

ProblemKind = Literal["edited", "deleted", "inserted", "reordered"]

# Positions in these messages are 0-based leaf indexes, the same numbers as
# in inclusion proofs, so an auditor can ask for the proof of that leaf.
EDITED = N_("The ballot at ledger position %(position)s is not the one recorded there.")
DELETED = N_("The ballot recorded at ledger position %(position)s is missing.")
INSERTED = N_("The ballot at ledger position %(position)s was never recorded in the ledger.")
REORDERED = N_(
    "The ballot at ledger position %(position)s was recorded at position %(recorded_position)s."
)
DETAILS: dict[str, str] = {
    "edited": EDITED,
    "deleted": DELETED,
    "inserted": INSERTED,
    "reordered": REORDERED,
}


# --- leaves and hashes ------------------------------------------------------


def _refuse_times(value: Any) -> Any:
    """json ``default`` hook: times are refused, anything else unknown too.

    A leaf must not carry when a ballot arrived (that would let the ledger
    order plus a time re-identify raters), so a date or datetime passed by
    mistake is an error rather than silently stringified.
    """
    if isinstance(value, datetime | date | time):
        raise ValueError("ledger leaves hold no times; leave dates out of the ballot")
    raise TypeError(f"cannot put a {type(value).__name__} into a ledger leaf")


def leaf_bytes(ballot: dict[str, Any]) -> bytes:
    """The canonical bytes of a ballot row: sorted-key compact JSON in UTF-8.

    Canonical so that the same ballot always hashes the same, whichever
    database or driver returned it (key order, spacing, escaping).  The caller
    chooses the fields (campaign id, cadre id, group, answers, vote, comment,
    ballot id); ``ensure_ascii=False`` keeps Chinese comments readable when
    an auditor prints a leaf.  NaN and infinities are refused as they have no
    JSON form.
    """
    text = json.dumps(
        ballot,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_refuse_times,
    )
    return text.encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash, SHA-256(0x00 || data).

    The 0x00 prefix keeps a leaf from ever equalling an interior node, so no
    one can pass off two child hashes as a ballot (second pre-image attack).
    """
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash, SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): RFC 6962's k."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of hashes[lo:hi] (non-empty), by index range to avoid list copies."""
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_subtree_root(hashes, lo, lo + k), _subtree_root(hashes, lo + k, hi))


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash of a list of leaf hashes.

    The empty tree's hash is SHA-256 of the empty string, so a campaign with
    no ballot still has a well-defined checkpoint.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


# --- inclusion proofs -------------------------------------------------------


def _path(hashes: Sequence[bytes], index: int, lo: int, hi: int) -> list[bytes]:
    """RFC 6962 PATH(m, D[lo:hi]), leaf-to-root order."""
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*_path(hashes, index, lo, lo + k), _subtree_root(hashes, lo + k, hi)]
    return [*_path(hashes, index - k, lo + k, hi), _subtree_root(hashes, lo, lo + k)]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path proving that leaf ``index`` is in the tree of all leaf_hashes.

    Lets a rater or auditor check one ballot against a published checkpoint
    without seeing the other ballots.
    """
    if not 0 <= index < len(leaf_hashes):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaf_hashes)} leaves")
    return _path(leaf_hashes, index, 0, len(leaf_hashes))


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof (RFC 9162 section 2.1.3.2).

    Returns False, never raises, for any malformed input: the proof comes
    from outside and a bad proof is simply not a proof.
    """
    if not 0 <= index < size or not _well_formed(leaf_hash, root, *proof):
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- consistency proofs -----------------------------------------------------


def _subproof(hashes: Sequence[bytes], m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    """RFC 6962 SUBPROOF(m, D[lo:hi], b)."""
    n = hi - lo
    if m == n:
        return [] if whole else [_subtree_root(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(hashes, m, lo, lo + k, whole), _subtree_root(hashes, lo + k, hi)]
    return [*_subproof(hashes, m - k, lo + k, hi, False), _subtree_root(hashes, lo, lo + k)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the tree of the first old_size leaves is a prefix of this one.

    This is what shows that between two checkpoints (close, publication)
    ballots were only appended, never rewritten.  Empty for old_size 0 or
    old_size equal to the current size, as the RFC defines.
    """
    if not 0 <= old_size <= len(leaf_hashes):
        raise ValueError(f"old size {old_size} is not within 0..{len(leaf_hashes)}")
    if old_size == 0:
        return []
    return _subproof(leaf_hashes, old_size, 0, len(leaf_hashes), True)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof (RFC 9162 section 2.1.4.2).

    Stricter than the RFC in one place: an old size of 0 also requires the
    old root to be the empty tree's hash, since that root is known.
    """
    if not 0 <= old_size <= new_size or not _well_formed(old_root, new_root, *proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# --- signed checkpoints -----------------------------------------------------


def _origin(campaign_id: str) -> str:
    """The checkpoint origin line; also the signed-note key name."""
    return ORIGIN_PREFIX + campaign_id


def _key_id(name: str, public_key: Ed25519PublicKey) -> str:
    """The signed-note key id: first 4 bytes of SHA-256(name || 0x0A || 0x01 || key), in hex.

    Following C2SP signed-note lets an external verifier (for example Go's
    golang.org/x/mod/sumdb/note) check our checkpoints with its own code.
    """
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_SIGNATURE_TYPE + raw)
    return digest.digest()[:4].hex()


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement "campaign X's ledger had `size` ballots with root R".

    Stored and published as plain fields; ``root`` is hex, ``signature`` is
    the base64 Ed25519 signature of :meth:`checkpoint_text`, and ``key_id``
    the signed-note key id (8 hex digits) naming the key that signed it.
    """

    campaign_id: str
    size: int
    root: str
    signature: str
    key_id: str

    @property
    def origin(self) -> str:
        return _origin(self.campaign_id)

    def checkpoint_text(self) -> str:
        """The signed body, in the C2SP tlog-checkpoint form.

        Three lines, each ending in a newline: origin, decimal tree size,
        base64 root hash.  Stable byte for byte, since the signature covers it.
        """
        root = base64.b64encode(bytes.fromhex(self.root)).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n"

    def signed_note(self) -> str:
        """The checkpoint as a complete C2SP signed note, ready to publish.

        The signature line carries base64(key id || signature), as the
        signed-note format prescribes, after an em dash and the key name.
        """
        blob = bytes.fromhex(self.key_id) + base64.b64decode(self.signature)
        line = f"\u2014 {self.origin} {base64.b64encode(blob).decode('ascii')}\n"
        return f"{self.checkpoint_text()}\n{line}"


def _check_origin(campaign_id: str) -> None:
    """An origin must be one non-empty line without spaces, or the text is ambiguous."""
    if not campaign_id or any(ch.isspace() for ch in campaign_id):
        raise ValueError("a campaign id in a checkpoint must be non-empty and without spaces")


def _load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def sign_checkpoint(
    private_key_pem_path: str | os.PathLike[str], campaign_id: str, size: int, root: bytes
) -> Checkpoint:
    """Sign the ledger's size and root with the Ed25519 key in the given PEM file.

    The key is read from a file for each signature, never kept in the
    database: someone who can rewrite the ballots should not also be able to
    re-sign the checkpoints.
    """
    _check_origin(campaign_id)
    if size < 0:
        raise ValueError("a tree size cannot be negative")
    if len(root) != HASH_SIZE:
        raise ValueError(f"a root hash has {HASH_SIZE} bytes, not {len(root)}")
    key = _load_private_key(private_key_pem_path)
    unsigned = Checkpoint(campaign_id, size, root.hex(), signature="", key_id="")
    signature = key.sign(unsigned.checkpoint_text().encode("utf-8"))
    return Checkpoint(
        campaign_id=campaign_id,
        size=size,
        root=root.hex(),
        signature=base64.b64encode(signature).decode("ascii"),
        key_id=_key_id(unsigned.origin, key.public_key()),
    )


def load_public_key(public_key_pem: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM text; ValueError for anything else.

    An auditor's key file comes from outside: garbage, a private key or a
    key of another algorithm must be one clear refusal, not a traceback.
    """
    try:
        public_key = serialization.load_pem_public_key(public_key_pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ValueError("not a PEM public key") from error
    if not isinstance(public_key, Ed25519PublicKey):
        raise ValueError("the checkpoint public key must be an Ed25519 key")
    return public_key


def key_fingerprint(public_key_pem: bytes) -> str:
    """SHA-256 of the raw 32-byte Ed25519 public key, in hex groups of four.

    What a person compares to pin a key: the checkpoint's key id is only 4
    bytes (another key with the same id can be searched for) and depends on
    the campaign, while the fingerprint names the key itself and is the
    same for every campaign.  Raw bytes rather than the PEM, so the
    fingerprint does not change with line endings or the file's wrapping.
    """
    raw = load_public_key(public_key_pem).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def checkpoint_key_id(campaign_id: str, public_key_pem: bytes) -> str:
    """The key id this public key gives a checkpoint of this campaign.

    Lets a verifier tell "signed by another key" apart from "altered after
    signing" before checking the signature.
    """
    return _key_id(_origin(campaign_id), load_public_key(public_key_pem))


def verify_checkpoint(checkpoint: Checkpoint, public_key_pem: bytes) -> bool:
    """True when the checkpoint was signed, unchanged, by this public key.

    A checkpoint comes from storage or from a third party, so any malformed
    field means "not verified" (False) rather than an exception.  A public
    key that is not Ed25519 is the caller's mistake and raises ValueError.
    """
    public_key = load_public_key(public_key_pem)
    try:
        _check_origin(checkpoint.campaign_id)
        if checkpoint.size < 0 or len(bytes.fromhex(checkpoint.root)) != HASH_SIZE:
            return False
        signature = base64.b64decode(checkpoint.signature, validate=True)
        text = checkpoint.checkpoint_text().encode("utf-8")
    except (ValueError, TypeError, binascii.Error):
        return False
    if checkpoint.key_id != _key_id(checkpoint.origin, public_key):
        return False
    try:
        public_key.verify(signature, text)
    except InvalidSignature:
        return False
    return True


def generate_signing_key(path: str | os.PathLike[str]) -> bytes:
    """Create an Ed25519 key, write its private PEM to path (mode 0600), return the public PEM.

    Refuses to overwrite an existing file (FileExistsError): replacing the
    key would orphan every checkpoint already signed with it.  The file is
    created with O_EXCL so two runs cannot race, and chmod-ed to 0600 so
    the umask cannot leave it readable by others.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def verify_against_checkpoint(current_leaf_hashes: Sequence[bytes], checkpoint: Checkpoint) -> bool:
    """True when the ballots stored now rebuild exactly the checkpointed tree.

    Same size and same root: a checkpoint at close commits to every ballot,
    so a ballot added after it fails too.  This checks the tree, not the
    signature; call :func:`verify_checkpoint` first.
    """
    try:
        root = bytes.fromhex(checkpoint.root)
    except ValueError:
        return False
    return len(current_leaf_hashes) == checkpoint.size and merkle_root(current_leaf_hashes) == root


# --- diagnosis --------------------------------------------------------------


@dataclass(frozen=True)
class LedgerProblem:
    """One difference between the recorded ledger and the ballots stored now.

    ``position`` is a 0-based leaf index: the current position for edited,
    inserted and reordered ballots, the recorded position for a deleted one
    (it has no current position).  ``recorded_position`` is where the leaf
    was recorded, for edited (the leaf it replaced) and reordered ballots.
    ``detail`` is an English message id (see ``surveys.rules.messages``), filled
    in with :attr:`values`.
    """

    kind: ProblemKind
    position: int
    detail: str
    recorded_position: int | None = field(default=None)

    @property
    def values(self) -> dict[str, int | None]:
        return {"position": self.position, "recorded_position": self.recorded_position}


def _problem(kind: ProblemKind, position: int, recorded: int | None = None) -> LedgerProblem:
    return LedgerProblem(kind, position, DETAILS[kind], recorded)


def diagnose(
    recorded_leaf_hashes: Sequence[bytes], current_leaf_hashes: Sequence[bytes]
) -> list[LedgerProblem]:
    """Say exactly what changed between the ledger as recorded and the ballots now.

    The recorded hashes come from an append-only table written when each
    ballot was accepted; the current ones are recomputed from the ballots
    stored now, in ledger order.  Method:

    1. Match leaves by hash: each current leaf takes the earliest unmatched
       recorded leaf with the same hash (so exact duplicates match in order).
    2. Unmatched leaves are then placed in the "gaps" between matched ones
       (gap g = g matched leaves before it, counted on each side).  In the
       same gap, a vanished recorded leaf and an unknown current leaf pair
       up as "edited" (the ballot was rewritten in place); leftover unknown
       current leaves are "inserted", leftover recorded leaves "deleted".
    3. Matched leaves that no longer appear in their recorded relative order
       are "reordered": position by position, where the matched sequence
       differs from the recorded one.

    A single edit, deletion, insertion or swap is therefore named at exactly
    its position, and unchanged ballots around it are not reported.
    """
    waiting: dict[bytes, list[int]] = defaultdict(list)
    for i, h in enumerate(recorded_leaf_hashes):
        waiting[h].append(i)
    taken: Counter[bytes] = Counter()
    match: dict[int, int] = {}  # current position -> recorded position
    for j, h in enumerate(current_leaf_hashes):
        if taken[h] < len(waiting.get(h, ())):
            match[j] = waiting[h][taken[h]]
            taken[h] += 1
    matched_recorded = set(match.values())

    unknown: dict[int, list[int]] = defaultdict(list)  # gap -> current positions
    gap = 0
    for j in range(len(current_leaf_hashes)):
        if j in match:
            gap += 1
        else:
            unknown[gap].append(j)
    vanished: dict[int, list[int]] = defaultdict(list)  # gap -> recorded positions
    gap = 0
    for i in range(len(recorded_leaf_hashes)):
        if i in matched_recorded:
            gap += 1
        else:
            vanished[gap].append(i)

    problems: list[LedgerProblem] = []
    for g in sorted(set(unknown) | set(vanished)):
        new, old = unknown.get(g, []), vanished.get(g, [])
        for j, i in zip(new, old, strict=False):
            problems.append(_problem("edited", j, i))
        problems.extend(_problem("inserted", j) for j in new[len(old) :])
        problems.extend(_problem("deleted", i) for i in old[len(new) :])

    in_order = sorted(matched_recorded)
    for k, j in enumerate(sorted(match)):
        if match[j] != in_order[k]:
            problems.append(_problem("reordered", j, match[j]))

    order = {"edited": 0, "inserted": 1, "reordered": 2, "deleted": 3}
    problems.sort(key=lambda p: (p.position, order[p.kind]))
    return problems

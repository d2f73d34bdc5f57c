"""The sealed ballot box: ballots encrypted to the campaign's key, opened once at close.

Every ballot is sealed with HPKE (RFC 9180) to a key pair made when the
campaign is created.  The suite is ML-KEM-768 + X25519 (hybrid KEM),
HKDF-SHA256 and ChaCha20-Poly1305: ballots may be kept for years, so they
stay secret against an adversary who records them now and gets a quantum
computer later (ML-KEM), and no weaker than X25519 if ML-KEM were broken.
ChaCha20-Poly1305 is fast without AES instructions on small servers.

The public key is stored with the campaign; the private key is derived
from a 32-byte *box secret* that never enters the database:

- key-file custody: the secret sits in ``<box key folder>/<campaign>.key``
  (mode 0600), so the scheduler opens the box at the deadline by itself;
- scrutineer custody (监票人): the secret is split into N shares with
  Shamir's scheme (pycryptodome), T of which open the box; the shares are
  printed once and kept nowhere else.  The database keeps only a SHA-256
  of each share, so a wrong share is named as wrong.

A ballot's plaintext is padded to a length fixed by its form, so the size
of a sealed row says nothing about its answers or its comment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from surveys.rules.messages import N_

SUITE_NAME = "HPKE ML-KEM-768+X25519 / HKDF-SHA256 / ChaCha20-Poly1305"
SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
SECRET_BYTES = 32
MLKEM_PUBLIC_BYTES = 1184
SHARE_PREFIX = "CB1"
CUSTODIES = ("keyfile", "scrutineers")


class BoxError(Exception):
    """Something the person opening or configuring a box must fix: a message id and values."""

    def __init__(self, message: str, values: dict | None = None):
        self.message = message
        self.values = values or {}
        super().__init__(message % self.values if self.values else message)


class BoxSealed(BoxError):
    """Figures were asked for before the box was opened: there are none yet."""


@dataclass(frozen=True)
class BoxKeys:
    """A box's key pair, made from its secret (kept only in memory)."""

    secret: bytes
    private: hpke.MLKEM768X25519PrivateKey
    public_bytes: bytes

    @property
    def public_text(self) -> str:
        """The public key as stored with the campaign."""
        return base64.b64encode(self.public_bytes).decode("ascii")


def derive_keys(secret: bytes) -> BoxKeys:
    """The key pair of a box secret: the same secret always gives the same keys."""
    if len(secret) != SECRET_BYTES:
        raise BoxError(N_("A box secret must be %(n)s bytes."), {"n": SECRET_BYTES})
    seeds = HKDF(algorithm=SHA256(), length=96, salt=None, info=b"cadre ballot box v1").derive(
        secret
    )
    ml = mlkem.MLKEM768PrivateKey.from_seed_bytes(seeds[:64])
    x = x25519.X25519PrivateKey.from_private_bytes(seeds[64:])
    public = ml.public_key().public_bytes_raw() + x.public_key().public_bytes_raw()
    return BoxKeys(secret=secret, private=hpke.MLKEM768X25519PrivateKey(ml, x), public_bytes=public)


def new_box() -> BoxKeys:
    """A fresh box: a random secret and its key pair."""
    return derive_keys(secrets.token_bytes(SECRET_BYTES))


def key_id(public_text: str) -> str:
    """A short fingerprint of a box's public key, for the audit trail and the cards."""
    return hashlib.sha256(base64.b64decode(public_text)).hexdigest()[:16]


def _public_key(public_text: str) -> hpke.MLKEM768X25519PublicKey:
    raw = base64.b64decode(public_text)
    ml = mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM_PUBLIC_BYTES])
    x = x25519.X25519PublicKey.from_public_bytes(raw[MLKEM_PUBLIC_BYTES:])
    return hpke.MLKEM768X25519PublicKey(ml, x)


def _info(campaign_id: str) -> bytes:
    """HPKE context: a ballot sealed for one campaign never opens as another's."""
    return f"cadre ballot {campaign_id}".encode()


# --- Sealing and opening one ballot ---------------------------------------------------------


def seal(*, public_text: str, campaign_id: str, sections: list[dict], padded_to: int) -> bytes:
    """Encrypt a ballot (its per-cadre sections) to the box, padded to ``padded_to`` bytes."""
    plain = json.dumps({"s": sections}, ensure_ascii=False, separators=(",", ":")).encode()
    if len(plain) > padded_to:
        raise ValueError("ballot longer than its form's bound")
    plain += b" " * (padded_to - len(plain))
    return SUITE.encrypt(plain, _public_key(public_text), info=_info(campaign_id))


def unseal(*, keys: BoxKeys, campaign_id: str, ciphertext: bytes) -> list[dict]:
    """Decrypt one sealed ballot into its sections (raises ValueError if it is not ours)."""
    try:
        plain = SUITE.decrypt(ciphertext, keys.private, info=_info(campaign_id))
    except (InvalidTag, ValueError) as error:
        raise ValueError("a sealed ballot does not open with this box's key") from error
    return json.loads(plain)["s"]


def unseal_many(secret: bytes, campaign_id: str, ciphertexts: Sequence[bytes]) -> list[list[dict]]:
    """Decrypt a batch (a worker process's share of the box at opening)."""
    keys = derive_keys(secret)
    return [unseal(keys=keys, campaign_id=campaign_id, ciphertext=c) for c in ciphertexts]


def padded_size(section_bounds: Iterable[int]) -> int:
    """The plaintext length of a ballot: the JSON frame plus each section's bound."""
    return 16 + sum(bound + 1 for bound in section_bounds)


def section_bound(*, cadre_id: str, group: str, item_keys: list[str], longest_answer: int,
                  longest_vote: int, comment_chars: int) -> int:  # fmt: skip
    """The longest JSON one section of this shape can take, whatever is answered.

    A comment character takes at most 4 bytes (UTF-8, or a two-byte JSON
    escape); control characters never reach a ballot (``check_answers``
    removes them), so no six-byte escapes.
    """
    worst = {
        "c": cadre_id,
        "g": group,
        "a": {key: "x" * longest_answer for key in item_keys},
        "v": "x" * longest_vote,
        "m": "",
    }
    return len(json.dumps(worst, separators=(",", ":")).encode()) + 4 * comment_chars


# --- Custody ---------------------------------------------------------------------------------


def key_file(folder: Path, campaign_id: str) -> Path:
    """Where a key-file box keeps its secret."""
    return folder / f"{campaign_id}.key"


def write_key_file(folder: Path, campaign_id: str, keys: BoxKeys) -> Path:
    """Keep the box secret in a file only its owner reads (never overwriting one)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = key_file(folder, campaign_id)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(keys.secret).decode("ascii") + "\n")
    return path


def read_key_file(folder: Path, campaign_id: str, public_text: str) -> BoxKeys:
    """The box's keys from its key file, checked against the campaign's public key."""
    path = key_file(folder, campaign_id)
    try:
        secret = base64.b64decode(path.read_text().strip(), validate=True)
    except FileNotFoundError:
        raise BoxError(N_("The box key file %(path)s is missing."), {"path": str(path)}) from None
    except ValueError:
        raise BoxError(N_("The box key file %(path)s is damaged."), {"path": str(path)}) from None
    keys = derive_keys(secret) if len(secret) == SECRET_BYTES else None
    if keys is None or keys.public_text != public_text:
        raise BoxError(N_("The box key file %(path)s is not this campaign's."), {"path": str(path)})
    return keys


@dataclass(frozen=True)
class Share:
    """One scrutineer's share: its number and the text printed on the card."""

    number: int
    text: str


def _share_text(campaign_id: str, number: int, body: bytes) -> str:
    code = base64.b32encode(body).decode("ascii").rstrip("=")
    groups = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    return f"{SHARE_PREFIX}-{campaign_id[:8]}-{number}-{groups}"


def share_digest(text: str) -> str:
    """What the database keeps of a share: enough to tell a wrong one, useless to open."""
    return hashlib.sha256(normalise_share(text).encode()).hexdigest()


def normalise_share(text: str) -> str:
    """A share as typed (any case, spaces or none) in its one canonical form."""
    parts = text.strip().upper().replace(" ", "").split("-")
    if len(parts) != 4 or parts[0] != SHARE_PREFIX:
        return text.strip().upper()
    body = parts[3]
    return f"{parts[0]}-{parts[1].lower()}-{parts[2]}-" + " ".join(
        body[i : i + 4] for i in range(0, len(body), 4)
    )


def split_secret(keys: BoxKeys, campaign_id: str, *, shares: int, quorum: int) -> list[Share]:
    """Split the box secret into ``shares`` shares, any ``quorum`` of which rebuild it.

    Shamir's scheme over GF(2^128) (pycryptodome) works on 16-byte blocks:
    each half of the secret is split with the same share numbers, and a
    share carries both halves.
    """
    from Crypto.Protocol.SecretSharing import Shamir

    if not 2 <= quorum <= shares <= 255:
        raise BoxError(N_("Use at least 2 scrutineers and a quorum between 2 and their number."))
    halves = [Shamir.split(quorum, shares, keys.secret[i : i + 16]) for i in (0, 16)]
    made = []
    for (number, first), (_same, second) in zip(*halves, strict=True):
        made.append(Share(number=number, text=_share_text(campaign_id, number, first + second)))
    return made


def parse_share(text: str, campaign_id: str) -> tuple[int, bytes]:
    """A share's number and 32 bytes, or BoxError saying what is wrong with the text."""
    canonical = normalise_share(text)
    parts = canonical.split("-")
    if len(parts) != 4 or parts[0] != SHARE_PREFIX or not parts[2].isdigit():
        raise BoxError(N_("This is not a scrutineer's share."))
    if not campaign_id.startswith(parts[1]):
        raise BoxError(N_("This share belongs to another campaign."))
    code = parts[3].replace(" ", "")
    try:
        body = base64.b32decode(code + "=" * (-len(code) % 8))
    except ValueError:
        raise BoxError(N_("This share is mistyped.")) from None
    if len(body) != SECRET_BYTES:
        raise BoxError(N_("This share is mistyped."))
    return int(parts[2]), body


def combine_shares(bodies: dict[int, bytes]) -> bytes:
    """Rebuild the box secret from shares (number -> 32 bytes)."""
    from Crypto.Protocol.SecretSharing import Shamir

    first = [(number, body[:16]) for number, body in sorted(bodies.items())]
    second = [(number, body[16:]) for number, body in sorted(bodies.items())]
    return Shamir.combine(first) + Shamir.combine(second)


@dataclass
class ShareBasket:
    """Shares entered one by one at an opening, each checked against its stored digest."""

    campaign_id: str
    public_text: str
    digests: list[str]
    quorum: int
    accepted: dict[int, bytes] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def for_campaign(cls, campaign) -> ShareBasket:
        """An empty basket for a scrutineers' box, checking against what its campaign keeps."""
        return cls(
            campaign_id=campaign.id,
            public_text=campaign.box_public_key or "",
            digests=list(campaign.box_share_digests),
            quorum=campaign.box_quorum or 0,
        )

    def add(self, text: str, scrutineer: str) -> int:
        """Accept a share, or BoxError naming why it is wrong; return its number."""
        number, body = parse_share(text, self.campaign_id)
        if not 1 <= number <= len(self.digests) or share_digest(text) != self.digests[number - 1]:
            raise BoxError(N_("Share %(number)s is wrong: it is not one of the issued shares."),
                           {"number": number})  # fmt: skip
        if number in self.accepted:
            raise BoxError(N_("Share %(number)s was already entered."), {"number": number})
        self.accepted[number] = body
        self.names[number] = scrutineer
        return number

    @property
    def missing(self) -> int:
        """How many more shares the quorum needs."""
        return max(0, self.quorum - len(self.accepted))

    def keys(self) -> BoxKeys:
        """The box's keys once the quorum is in (BoxError before)."""
        if self.missing:
            raise BoxError(N_("%(missing)s more shares are needed to open the box."),
                           {"missing": self.missing})  # fmt: skip
        keys = derive_keys(combine_shares(self.accepted))
        if keys.public_text != self.public_text:
            raise BoxError(N_("The shares do not rebuild this campaign's key."))
        return keys


def write_share_cards(path: Path, campaign, shares: list[Share], locale: str) -> None:
    """Print each scrutineer's share on a card: a QR code and the text to type."""
    from surveys.documents.qrcodes import Card, write_cards_pdf
    from surveys.rules.messages import translate

    def _(message: str, **values) -> str:
        return translate(message, values or None, locale=locale)

    cards = [
        Card(
            title=_(
                "Scrutineer share %(number)s of %(count)s", number=share.number, count=len(shares)
            ),  # fmt: skip
            subtitle=_(
                "%(campaign)s: %(quorum)s shares open the ballot box",
                campaign=campaign.name,
                quorum=campaign.box_quorum,
            ),  # fmt: skip
            url=share.text,
            footer=_("Keep it secret. Type it when the box is opened; then destroy this card."),
        )
        for share in shares
    ]
    write_cards_pdf(path, cards)

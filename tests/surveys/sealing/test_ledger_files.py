"""Reading the files an auditor brings: a ledger export and a public key (no database)."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from surveys.sealing.ledger import merkle_root
from surveys.sealing.ledger_files import (
    BAD_LEAF,
    EMPTY_EXPORT,
    EMPTY_KEY,
    FILE_ALTERED,
    NOT_A_KEY,
    NOT_AN_EXPORT,
    OTHER_CAMPAIGN,
    LedgerFileError,
    read_public_key,
    read_published,
)

CAMPAIGN = "c" * 32
LEAVES = [hashlib.sha256(bytes([n])).digest() for n in range(5)]


def export(**changes) -> bytes:
    """An export as ``export_ledger`` writes it, with some fields changed."""
    data = {
        "campaign_id": CAMPAIGN,
        "size": len(LEAVES),
        "root": merkle_root(LEAVES).hex(),
        "leaves": [leaf.hex() for leaf in LEAVES],
        "checkpoint": None,
    }
    return json.dumps(data | changes, indent=1).encode()


def test_a_good_export_is_read_and_consistent():
    published = read_published(export(), campaign_id=CAMPAIGN)
    assert published.leaves == LEAVES and published.consistent
    assert published.finding() is None


def test_an_export_changed_after_writing_says_so():
    leaves = [leaf.hex() for leaf in LEAVES]
    del leaves[2]
    published = read_published(export(leaves=leaves), campaign_id=CAMPAIGN)
    assert not published.consistent
    message, values = published.finding()
    assert message == FILE_ALTERED and values["size"] == 5 and values["count"] == 4
    assert values["computed"] == merkle_root(LEAVES[:2] + LEAVES[3:]).hex()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", EMPTY_EXPORT),
        (b" \n\t", EMPTY_EXPORT),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), NOT_AN_EXPORT),
        (b'{"campaign_id": "\x00", "leaves": []}', NOT_AN_EXPORT),
        (b"\xff\xfe", NOT_AN_EXPORT),
        (b"[" * 100_000, NOT_AN_EXPORT),
        (b'{"leaves": "abc"}', NOT_AN_EXPORT),
        (b"null", NOT_AN_EXPORT),
        (export(campaign_id="d" * 32), OTHER_CAMPAIGN),
        (export(leaves=["00" * 32, 7]), BAD_LEAF),
        (export(leaves=["0" * 63]), BAD_LEAF),
    ],
)
def test_files_that_are_not_this_campaigns_export_are_refused(data, message):
    with pytest.raises(LedgerFileError) as refused:
        read_published(data, campaign_id=CAMPAIGN)
    assert refused.value.message == message


def test_only_an_ed25519_public_key_is_taken():
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert read_public_key(public) == public
    secret = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for data, message in [(b"", EMPTY_KEY), (b"\x00junk", NOT_A_KEY), (secret, NOT_A_KEY)]:
        with pytest.raises(LedgerFileError) as refused:
            read_public_key(data)
        assert refused.value.message == message

"""The ballot ledger: RFC 6962 hashing and proofs, signed checkpoints, tamper diagnosis.

The Merkle vectors are the published Certificate Transparency test data, as
kept in transparency-dev/merkle (proof/verify_test.go: leaves, roots for
sizes 1..8, inclusion and consistency proofs; rfc6962/rfc6962_test.go: the
empty tree, empty leaf, leaf and node hashes).  They originate in
google/certificate-transparency's merkle_tree_test.cc.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import stat
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from surveys.sealing import ledger
from surveys.sealing.ledger import (
    Checkpoint,
    LedgerProblem,
    checkpoint_key_id,
    consistency_proof,
    diagnose,
    generate_signing_key,
    inclusion_proof,
    key_fingerprint,
    leaf_bytes,
    leaf_hash,
    load_public_key,
    merkle_root,
    node_hash,
    sign_checkpoint,
    verify_against_checkpoint,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
LEAF_HASHES = [leaf_hash(leaf) for leaf in LEAVES]

# ROOTS[n - 1] is the root of the tree of the first n leaves.
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (0-based leaf index, tree size, audit path); the Go source counts leaves from 1.
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def flipped(proof: list[bytes], i: int) -> list[bytes]:
    """The proof with one bit of element i flipped."""
    wrong = list(proof)
    wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
    return wrong


# --- hashing ----------------------------------------------------------------


def test_rfc6962_hasher_vectors():
    assert merkle_root([]) == EMPTY
    assert leaf_hash(b"") == h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert leaf_hash(b"L123456") == h(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456") == h(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_root_of_every_size_matches_the_published_vector(size):
    assert merkle_root(LEAF_HASHES[:size]) == ROOTS[size - 1]


def test_node_order_and_domain_separation_matter():
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(a, b) != node_hash(b, a)
    assert node_hash(a, b) != leaf_hash(a + b)


# --- inclusion --------------------------------------------------------------


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index, size, proof):
    assert inclusion_proof(LEAF_HASHES[:size], index) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size - 1])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_are_refused(index, size, proof):
    root, leaf = ROOTS[size - 1], LEAF_HASHES[index]
    probes = [
        (index - 1, size, root, leaf, proof),
        (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY, leaf, proof),
        (index, size, SOME_HASH, leaf, proof),
        (index, size, root, leaf, [*proof, b""]),
        (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]),
        (index, size, root, leaf, [root, *proof]),
        (index, size, root, leaf, proof[:-1]),
        *[(index, size, root, leaf, flipped(proof, i)) for i in range(len(proof))],
    ]
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]))
    accepted = [p for p in probes if verify_inclusion(p[3], p[0], p[1], p[4], p[2])]
    assert accepted == []


def test_inclusion_out_of_range():
    with pytest.raises(IndexError):
        inclusion_proof(LEAF_HASHES, 8)
    with pytest.raises(IndexError):
        inclusion_proof([], 0)
    assert not verify_inclusion(SOME_HASH, 0, 0, [], EMPTY)
    assert not verify_inclusion(SOME_HASH, 2, 1, [], SOME_HASH)


# --- consistency ------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(old, new, proof):
    assert consistency_proof(LEAF_HASHES[:new], old) == proof
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_are_refused(old, new, proof):
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, SOME_HASH, r2, proof),
        (old, new, r1, SOME_HASH, proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
        *[(old, new, r1, r2, flipped(proof, i)) for i in range(len(proof))],
    ]
    assert [p for p in probes if verify_consistency(*p)] == []


def test_consistency_edge_sizes():
    assert consistency_proof(LEAF_HASHES, 0) == []
    assert consistency_proof(LEAF_HASHES, 8) == []
    with pytest.raises(ValueError):
        consistency_proof(LEAF_HASHES, 9)
    assert verify_consistency(0, 8, EMPTY, ROOTS[7], [])
    assert not verify_consistency(0, 8, SOME_HASH, ROOTS[7], [])
    assert not verify_consistency(0, 0, EMPTY, EMPTY, [EMPTY])
    assert not verify_consistency(3, 3, ROOTS[2], ROOTS[3], [])
    assert not verify_consistency(2, 1, ROOTS[1], ROOTS[0], [])


@given(data=st.data(), size=st.integers(min_value=1, max_value=64))
def test_proofs_round_trip_for_random_sizes(data, size):
    hashes = [leaf_hash(b"ballot %d" % i) for i in range(size)]
    root = merkle_root(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = inclusion_proof(hashes, index)
    assert verify_inclusion(hashes[index], index, size, proof, root)
    assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
    if size > 1:
        other = (index + 1) % size
        assert not verify_inclusion(hashes[other], index, size, proof, root)

    old = data.draw(st.integers(min_value=0, max_value=size), label="old size")
    old_root = merkle_root(hashes[:old])
    consistency = consistency_proof(hashes, old)
    assert verify_consistency(old, size, old_root, root, consistency)
    if 0 < old < size:
        rewritten = merkle_root([leaf_hash(b"rewritten"), *hashes[1:old]])
        assert not verify_consistency(old, size, rewritten, root, consistency)


# --- leaves -----------------------------------------------------------------

BALLOT = {
    "ballot_id": "b1",
    "campaign_id": "c1",
    "cadre_id": "k1",
    "group": "peer",
    "answers": {"de_1": 5, "neng_1": 4},
    "vote": "优秀",
    "comment": "作风扎实",
}


def test_leaf_bytes_are_canonical_sorted_compact_utf8():
    data = leaf_bytes(BALLOT)
    assert data == json.dumps(
        BALLOT, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert "作风扎实".encode() in data and b" " not in data
    assert leaf_bytes(dict(reversed(list(BALLOT.items())))) == data
    assert leaf_bytes({**BALLOT, "comment": "作风扎实。"}) != data


def test_leaf_bytes_refuse_times():
    with pytest.raises(ValueError, match="no times"):
        leaf_bytes({**BALLOT, "submitted_on": date(2026, 12, 1)})


# --- diagnosis --------------------------------------------------------------


def ballots(n: int) -> list[bytes]:
    return [leaf_hash(leaf_bytes({**BALLOT, "ballot_id": f"b{i}"})) for i in range(n)]


RECORDED = ballots(10)


def kinds(problems: list[LedgerProblem]) -> list[tuple[str, int]]:
    return [(p.kind, p.position) for p in problems]


def test_untouched_ledger_has_no_problem():
    assert diagnose(RECORDED, list(RECORDED)) == []
    assert diagnose([], []) == []


@pytest.mark.parametrize("position", [0, 4, 9])
def test_an_edited_ballot_is_named(position):
    current = list(RECORDED)
    current[position] = leaf_hash(
        leaf_bytes({**BALLOT, "ballot_id": f"b{position}", "vote": "不称职"})
    )
    problems = diagnose(RECORDED, current)
    assert kinds(problems) == [("edited", position)]
    assert problems[0].recorded_position == position
    assert problems[0].detail == ledger.EDITED


@pytest.mark.parametrize("position", [0, 4, 9])
def test_a_deleted_ballot_is_named(position):
    current = RECORDED[:position] + RECORDED[position + 1 :]
    assert kinds(diagnose(RECORDED, current)) == [("deleted", position)]


@pytest.mark.parametrize("position", [0, 4, 10])
def test_an_inserted_ballot_is_named(position):
    stuffed = leaf_hash(leaf_bytes({**BALLOT, "ballot_id": "stuffed"}))
    current = [*RECORDED[:position], stuffed, *RECORDED[position:]]
    problems = diagnose(RECORDED, current)
    assert kinds(problems) == [("inserted", position)]
    assert problems[0].detail == ledger.INSERTED


def test_swapped_ballots_are_named_as_reordered():
    current = list(RECORDED)
    current[2], current[7] = current[7], current[2]
    problems = diagnose(RECORDED, current)
    assert kinds(problems) == [("reordered", 2), ("reordered", 7)]
    assert [p.recorded_position for p in problems] == [7, 2]
    assert problems[0].values == {"position": 2, "recorded_position": 7}


def test_a_deletion_does_not_make_later_ballots_look_moved():
    current = RECORDED[:3] + RECORDED[4:]
    current[6], current[7] = current[7], current[6]
    assert kinds(diagnose(RECORDED, current)) == [
        ("deleted", 3),
        ("reordered", 6),
        ("reordered", 7),
    ]


def test_an_edit_and_an_extra_ballot_are_told_apart():
    current = list(RECORDED)
    current[1] = leaf_hash(b"rewritten")
    current.append(leaf_hash(b"late"))
    assert kinds(diagnose(RECORDED, current)) == [("edited", 1), ("inserted", 10)]


def test_a_ballot_deleted_and_another_added_elsewhere_are_not_an_edit():
    current = RECORDED[:2] + RECORDED[3:] + [leaf_hash(b"late")]
    assert kinds(diagnose(RECORDED, current)) == [("deleted", 2), ("inserted", 9)]


def test_problem_messages_are_message_ids_with_their_values():
    for text in (ledger.EDITED, ledger.DELETED, ledger.INSERTED):
        assert text % {"position": 3, "recorded_position": None}
    assert "7" in ledger.REORDERED % {"position": 2, "recorded_position": 7}


# --- checkpoints ------------------------------------------------------------


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "ledger.pem"
    return path, generate_signing_key(path)


def test_a_signed_checkpoint_verifies(key):
    path, public = key
    checkpoint = sign_checkpoint(path, "c1", 8, ROOTS[7])
    assert checkpoint.size == 8 and checkpoint.root == ROOTS[7].hex()
    assert verify_checkpoint(checkpoint, public)
    assert verify_against_checkpoint(LEAF_HASHES, checkpoint)


def test_checkpoint_text_is_a_tlog_checkpoint_body(key):
    path, public = key
    checkpoint = sign_checkpoint(path, "c1", 8, ROOTS[7])
    root64 = base64.b64encode(ROOTS[7]).decode()
    assert checkpoint.checkpoint_text() == f"cadre-assessment/c1\n8\n{root64}\n"
    # The signature is an Ed25519 signature of exactly that text.
    loaded = serialization.load_pem_public_key(public)
    assert isinstance(loaded, Ed25519PublicKey)
    loaded.verify(base64.b64decode(checkpoint.signature), checkpoint.checkpoint_text().encode())
    # Signed-note key id and signature line.
    raw = loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_hash = hashlib.sha256(b"cadre-assessment/c1\n\x01" + raw).digest()[:4]
    assert checkpoint.key_id == key_hash.hex()
    body, signature_line = checkpoint.signed_note().split("\n\n")
    assert body + "\n" == checkpoint.checkpoint_text()
    name, blob = signature_line.removeprefix("\u2014 ").split()
    assert name == "cadre-assessment/c1"
    assert base64.b64decode(blob) == key_hash + base64.b64decode(checkpoint.signature)


@pytest.mark.parametrize(
    "change",
    [
        {"size": 7},
        {"size": 9},
        {"root": ROOTS[6].hex()},
        {"campaign_id": "c2"},
        {"key_id": "00000000"},
        {"signature": base64.b64encode(bytes(64)).decode()},
        {"signature": "not base64!"},
        {"root": "zz"},
    ],
)
def test_a_modified_checkpoint_is_refused(key, change):
    path, public = key
    checkpoint = dataclasses.replace(sign_checkpoint(path, "c1", 8, ROOTS[7]), **change)
    assert not verify_checkpoint(checkpoint, public)


def test_a_checkpoint_under_another_key_is_refused(key, tmp_path):
    path, _public = key
    other = generate_signing_key(tmp_path / "other.pem")
    assert not verify_checkpoint(sign_checkpoint(path, "c1", 8, ROOTS[7]), other)


def test_the_tree_must_match_the_checkpoint(key):
    path, _public = key
    checkpoint = sign_checkpoint(path, "c1", 8, ROOTS[7])
    assert not verify_against_checkpoint(LEAF_HASHES[:7], checkpoint)
    assert not verify_against_checkpoint([*LEAF_HASHES, SOME_HASH], checkpoint)
    edited = [*LEAF_HASHES[:3], SOME_HASH, *LEAF_HASHES[4:]]
    assert not verify_against_checkpoint(edited, checkpoint)
    swapped = [LEAF_HASHES[1], LEAF_HASHES[0], *LEAF_HASHES[2:]]
    assert not verify_against_checkpoint(swapped, checkpoint)
    assert verify_against_checkpoint([], sign_checkpoint(path, "c1", 0, merkle_root([])))


def test_the_key_file_is_private_and_never_overwritten(key):
    path, public = key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = path.read_bytes()
    assert b"PRIVATE KEY" in before and b"PUBLIC KEY" in public
    with pytest.raises(FileExistsError):
        generate_signing_key(path)
    assert path.read_bytes() == before


def test_signing_refuses_bad_input(key, tmp_path):
    path, _public = key
    with pytest.raises(ValueError):
        sign_checkpoint(path, "c 1", 8, ROOTS[7])
    with pytest.raises(ValueError):
        sign_checkpoint(path, "c1\nfake", 8, ROOTS[7])
    with pytest.raises(ValueError):
        sign_checkpoint(path, "c1", 8, ROOTS[7][:16])
    with pytest.raises(FileNotFoundError):
        sign_checkpoint(tmp_path / "missing.pem", "c1", 8, ROOTS[7])


def test_checkpoint_is_a_plain_dataclass():
    checkpoint = Checkpoint("c1", 1, ROOTS[0].hex(), "", "")
    assert dataclasses.asdict(checkpoint)["root"] == ROOTS[0].hex()


def test_the_fingerprint_is_the_sha256_of_the_raw_key_in_groups(key):
    path, public = key
    raw = load_public_key(public).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    digest = hashlib.sha256(raw).hexdigest()
    fingerprint = key_fingerprint(public)
    assert fingerprint.replace(" ", "") == digest and len(fingerprint.split()) == 16
    assert key_fingerprint(public.replace(b"\n", b"\r\n")) == fingerprint
    assert checkpoint_key_id("c1", public) == sign_checkpoint(path, "c1", 0, EMPTY).key_id
    assert checkpoint_key_id("c2", public) != checkpoint_key_id("c1", public)


def test_only_an_ed25519_public_key_is_accepted(key):
    path, _public = key
    for wrong in (path.read_bytes(), b"not a key", b""):
        with pytest.raises(ValueError):
            key_fingerprint(wrong)

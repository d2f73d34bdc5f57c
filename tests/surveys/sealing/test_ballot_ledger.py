"""The ledger in use: every tampering with stored ballots is detected and named."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Campaign, LedgerCheckpoint, LedgerLeaf, Response
from surveys.collection.ballots import submit_ballot
from surveys.notification.publication import publish_results
from surveys.results.opening import open_with_key_file
from surveys.sealing.ballot_ledger import (
    BEYOND_CHECKPOINT,
    NO_CLOSE_CHECKPOINT,
    NO_KEY,
    ROOT_ALTERED,
    UNKNOWN_KEY,
    WRONG_KEY,
    append_responses,
    export_ledger,
    latest_checkpoint,
    ledger_expected,
    ledger_size,
    read_export,
    response_leaf,
    signing_key,
    verify_campaign,
    write_checkpoint,
)
from surveys.sealing.ledger import key_fingerprint
from tests.cli import CLOSED_DURING, CadreCli
from tests.factories import (
    BOX_KEYS,
    CLOSES,
    complete_answers,
    later,
    make_campaign,
    open_boxes,
    tokens,
)

CHOICES = {"R1": "good", "R2": "fairly_good", "R4": "fair", "R5": "poor"}


@pytest.fixture
def published(any_engine, now, tmp_path):
    """Four raters with different answers, the box opened, published with signed checkpoints."""
    key = tmp_path / "ledger.pem"
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        for rater, value in CHOICES.items():
            token = tokens(session, campaign)[rater]
            answers = complete_answers(session, token, now, value=value)
            submit_ballot(session=session, token=token, answers=answers, now=now)
            session.commit()
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=key,
            now=later(CLOSES, hours=1),
        )  # fmt: skip
        publish_results(
            session=session, campaign=campaign, now=later(CLOSES, hours=1), key_path=key
        )
        session.commit()
    return any_engine, campaign, signing_key(key)


def verify(engine, campaign, key, published=None):
    with Session(engine) as session:
        return verify_campaign(
            session=session, campaign=campaign, public_key_pem=key, published=published
        )


def leaf_response(engine, campaign, position: int) -> str:
    with Session(engine) as session:
        return session.exec(
            select(LedgerLeaf.response_id).where(
                LedgerLeaf.campaign_id == campaign.id, LedgerLeaf.position == position
            )
        ).one()


def test_untouched_ballots_verify(published):
    engine, campaign, key = published
    report = verify(engine, campaign, key)
    assert report.intact and report.size == 6  # R1 and R4 rate two cadres each
    with Session(engine) as session:
        kinds = [row.kind for row in session.exec(select(LedgerCheckpoint)).all()]
        assert sorted(kinds) == ["close", "publication"]


def test_an_edited_ballot_is_named(published):
    engine, campaign, key = published
    target = leaf_response(engine, campaign, 3)
    with Session(engine) as session:
        row = session.get(Response, target)
        row.vote = "incompetent"
        session.add(row)
        session.commit()
    problems = verify(engine, campaign, key).problems
    assert [(p.kind, p.position) for p in problems] == [("edited", 3)]


def test_a_deleted_ballot_is_named(published):
    engine, campaign, key = published
    target = leaf_response(engine, campaign, 5)
    with engine.begin() as connection:
        connection.execute(sa.delete(Response).where(Response.id == target))
    problems = verify(engine, campaign, key).problems
    assert [(p.kind, p.position) for p in problems] == [("deleted", 5)]


def test_an_inserted_ballot_is_named(published):
    engine, campaign, key = published
    with Session(engine) as session:
        model = session.get(Response, leaf_response(engine, campaign, 0))
        session.add(
            Response(
                campaign_id=model.campaign_id,
                cadre_id=model.cadre_id,
                group=model.group,
                answers=model.answers,
                vote="excellent",
            )
        )
        session.commit()
    problems = verify(engine, campaign, key).problems
    assert [(p.kind, p.position) for p in problems] == [("inserted", 6)]


def test_reordered_ballots_are_named(published):
    engine, campaign, key = published
    first, second = (leaf_response(engine, campaign, n) for n in (1, 4))
    leaf = LedgerLeaf.__table__
    with engine.begin() as connection:  # swap which ballot sits at positions 1 and 4
        connection.execute(
            sa.update(leaf).where(leaf.c.response_id == first).values(response_id="x")
        )
        connection.execute(
            sa.update(leaf).where(leaf.c.response_id == second).values(response_id=first)
        )
        connection.execute(
            sa.update(leaf).where(leaf.c.response_id == "x").values(response_id=second)
        )
    problems = verify(engine, campaign, key).problems
    assert {(p.kind, p.position) for p in problems} == {("reordered", 1), ("reordered", 4)}


def test_rewriting_the_ledger_table_too_breaks_the_signed_root(published):
    engine, campaign, key = published
    with Session(engine) as session:
        exported = read_export(json.dumps(export_ledger(session=session, campaign=campaign)))
    target = leaf_response(engine, campaign, 2)
    with Session(engine) as session:
        row = session.get(Response, target)
        row.vote = "incompetent"
        session.add(row)
        session.commit()
        from surveys.sealing.ballot_ledger import response_leaf

        leaf = session.exec(select(LedgerLeaf).where(LedgerLeaf.response_id == target)).one()
        leaf.leaf_hash = response_leaf(session.get(Response, target)).hex()
        session.add(leaf)
        session.commit()
    report = verify(engine, campaign, key)
    assert report.problems == [] and report.notes == [ROOT_ALTERED]
    pinpointed = verify(engine, campaign, key, published=exported).problems
    assert [(p.kind, p.position) for p in pinpointed] == [("edited", 2)]


def test_another_key_does_not_verify_the_checkpoint(published, tmp_path):
    engine, campaign, _key = published
    other = signing_key(tmp_path / "other.pem")
    report = verify(engine, campaign, other)
    assert not report.intact and report.notes


def answer_and_open(cadre: CadreCli, campaign_id: str) -> None:
    """R1, R2 and R4 answer the closed campaign (five rows), then HR opens its box."""
    with cadre.session() as session:
        campaign = session.get(Campaign, campaign_id)
        for rater in ("R1", "R2", "R4"):
            token = tokens(session, campaign)[rater]
            answers = complete_answers(session, token, CLOSED_DURING)
            submit_ballot(session=session, token=token, answers=answers, now=CLOSED_DURING)
            session.commit()
    cadre("box", "open", campaign_id)


def test_cadre_ledger_commands(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id = cadre.create_closed_campaign()
    answer_and_open(cadre, campaign_id)
    signed = cadre("ledger", "checkpoint", campaign_id).output
    assert "Checkpoint: 5 ballots" in signed
    assert "Every ballot matches the ledger." in cadre("ledger", "verify", campaign_id).output
    cadre("ledger", "export", campaign_id, "--out", str(tmp_path / "ledger.json"))
    assert "BEGIN PUBLIC KEY" in cadre("ledger", "key").output
    with cadre.session() as session:
        row = session.exec(select(Response)).first()
        row.answers = {**row.answers, "de_stance": "poor"}
        session.add(row)
        session.commit()
    tampered = cadre(
        "ledger", "verify", campaign_id, "--published", str(tmp_path / "ledger.json"), code=1
    ).output
    assert re.search(r"edited: The ballot at ledger position \d+ is not the one recorded", tampered)


def test_cadre_ledger_verify_reads_the_published_file_as_the_console_does(tmp_path):
    """Old behaviour: the command took another campaign's export, and one whose leaves were
    changed after export, without a word (only the console's check refused them)."""
    cadre = CadreCli(tmp_path)
    campaign_id = cadre.create_closed_campaign()
    answer_and_open(cadre, campaign_id)
    cadre("ledger", "checkpoint", campaign_id)
    exported = tmp_path / "ledger.json"
    cadre("ledger", "export", campaign_id, "--out", str(exported))
    data = json.loads(exported.read_text(encoding="utf-8"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**data, "campaign_id": "f" * 32}), encoding="utf-8")
    refused = cadre("ledger", "verify", campaign_id, "--published", str(other), code=2).output
    assert "f" * 32 in refused
    altered = tmp_path / "altered.json"
    leaves = data["leaves"][:-1] + ["0" * 64]
    altered.write_text(json.dumps({**data, "leaves": leaves}), encoding="utf-8")
    changed = cadre("ledger", "verify", campaign_id, "--published", str(altered), code=1).output
    assert data["root"] in changed
    good = cadre("ledger", "verify", campaign_id, "--published", str(exported)).output
    assert "Every ballot matches the ledger." in good


# --- gaps an attacker could slip through: uncovered leaves, missing or foreign checkpoints ---


def copy_of_a_ballot(session: Session, campaign_id: str, vote: str) -> Response:
    """A new response like one already stored, as a ballot stuffed in after close would be."""
    model = session.exec(select(Response).where(Response.campaign_id == campaign_id)).first()
    return Response(
        campaign_id=model.campaign_id,
        cadre_id=model.cadre_id,
        group=model.group,
        answers=model.answers,
        vote=vote,
    )


def stuff_a_ballot_with_its_leaf(session: Session, campaign_id: str) -> None:
    """Insert a response and append its matching leaf: recorded and current hashes agree."""
    stuffed = copy_of_a_ballot(session, campaign_id, "excellent")
    session.add(stuffed)
    session.flush()
    append_responses(session=session, campaign_id=campaign_id, responses=[stuffed])
    session.commit()


def rewrite_a_vote_and_its_leaf(session: Session, campaign_id: str) -> None:
    """Edit a vote and rewrite its leaf hash so the ledger table agrees with the ballot."""
    leaf = session.exec(
        select(LedgerLeaf).where(LedgerLeaf.campaign_id == campaign_id, LedgerLeaf.position == 1)
    ).one()
    row = session.get(Response, leaf.response_id)
    row.vote = "incompetent"
    session.add(row)
    leaf.leaf_hash = response_leaf(row).hex()
    session.add(leaf)
    session.commit()


def delete_checkpoints(session: Session, campaign_id: str) -> None:
    session.execute(sa.delete(LedgerCheckpoint).where(LedgerCheckpoint.campaign_id == campaign_id))
    session.commit()


@pytest.fixture
def signed_cli(tmp_path, database_url):
    """A closed campaign made by the commands, five ballots, its close checkpoint signed.

    The auditor's copy of the key is taken with ``cadre ledger key`` right
    after the campaign is created, as the README says.
    """
    cadre = CadreCli(tmp_path, database_url=database_url)
    campaign_id = cadre.create_closed_campaign()
    pinned = tmp_path / "published-key.pem"
    pinned.write_text(cadre("ledger", "key").stdout, encoding="ascii")
    answer_and_open(cadre, campaign_id)
    assert "Checkpoint: 5 ballots" in cadre("ledger", "checkpoint", campaign_id).output
    return cadre, campaign_id, pinned


def test_an_intact_campaign_passes_with_its_key_fingerprint(signed_cli):
    cadre, campaign_id, pinned = signed_cli
    fingerprint = key_fingerprint(pinned.read_bytes())
    assert re.fullmatch(r"([0-9a-f]{4} ){15}[0-9a-f]{4}", fingerprint)
    output = cadre("ledger", "verify", campaign_id, "--public-key", str(pinned)).output
    assert f"Checkpoint key {fingerprint}, pinned with --public-key." in output
    assert "Every checkpoint was signed by this key." in output
    assert "Every ballot matches the ledger." in output
    unpinned = cadre("ledger", "verify", campaign_id).output
    assert f"Checkpoint key {fingerprint}: this server's own key, not independently pinned" in (
        unpinned
    )
    assert "Every ballot matches the ledger." in unpinned
    assert f"Fingerprint (SHA-256): {fingerprint}" in cadre("ledger", "key").stderr


def test_a_ballot_stuffed_after_close_with_its_leaf_is_caught(signed_cli):
    cadre, campaign_id, pinned = signed_cli
    with cadre.session() as session:
        stuff_a_ballot_with_its_leaf(session, campaign_id)
    for key in (["--public-key", str(pinned)], []):
        output = cadre("ledger", "verify", campaign_id, *key, code=1).output
        assert (
            "The ledger holds 1 leaves beyond the last signed checkpoint of 5 ballots "
            "(positions 5 to 5): they were added after it was signed."
        ) in output
        assert "Every ballot matches" not in output


def test_a_rewritten_ledger_with_its_checkpoints_deleted_is_caught(signed_cli):
    cadre, campaign_id, pinned = signed_cli
    with cadre.session() as session:
        rewrite_a_vote_and_its_leaf(session, campaign_id)
        delete_checkpoints(session, campaign_id)
    output = cadre("ledger", "verify", campaign_id, "--public-key", str(pinned), code=1).output
    assert "its ledger has no signed close checkpoint" in output
    assert "There is no checkpoint to check this key against." in output
    assert "Every ballot matches" not in output


def test_a_checkpoint_signed_by_a_replaced_key_is_refused_against_the_pinned_key(signed_cli):
    """Replace the server's key, rewrite a vote and its leaf, re-sign: only pinning catches it."""
    cadre, campaign_id, pinned = signed_cli
    (cadre.data_dir / "ledger-signing-key.pem").unlink()
    with cadre.session() as session:
        rewrite_a_vote_and_its_leaf(session, campaign_id)
        delete_checkpoints(session, campaign_id)
        write_checkpoint(
            session=session, campaign=session.get(Campaign, campaign_id), kind="close",
            key_path=cadre.data_dir / "ledger-signing-key.pem", now=later(CLOSES, hours=2),
        )  # fmt: skip
        session.commit()
    forged = key_fingerprint(cadre("ledger", "key").stdout.encode("ascii"))
    original = key_fingerprint(pinned.read_bytes())
    assert forged != original
    # Against its own new key the server looks fine, and says the key was not pinned.
    unpinned = cadre("ledger", "verify", campaign_id).output
    assert "not independently pinned" in unpinned and forged in unpinned
    output = cadre("ledger", "verify", campaign_id, "--public-key", str(pinned), code=1).output
    assert "Not every checkpoint was signed by this key." in output
    assert (
        f"A checkpoint was signed by the key {forged}, not by the pinned key {original}."
    ) in output


def test_a_foreign_checkpoint_names_its_key_id_when_the_key_is_unknown(published, tmp_path):
    engine, campaign, key = published
    other = signing_key(tmp_path / "other.pem")
    report = verify(engine, campaign, other)
    assert report.key_matches is False and report.key_fingerprint == key_fingerprint(other)
    with Session(engine) as session:
        signer = latest_checkpoint(session=session, campaign_id=campaign.id).key_id
    assert report.notes == [UNKNOWN_KEY]
    assert report.notes[0].values["signer_id"] == signer
    with Session(engine) as session:
        named = verify_campaign(
            session=session, campaign=campaign, public_key_pem=other, known_keys=[key]
        )
    assert named.notes == [WRONG_KEY]
    assert named.notes[0].values == {
        "signer": key_fingerprint(key),
        "pinned": key_fingerprint(other),
    }


def test_leaves_beyond_the_last_checkpoint_fail(published):
    engine, campaign, key = published
    with Session(engine) as session:
        stuff_a_ballot_with_its_leaf(session, campaign.id)
    report = verify(engine, campaign, key)
    assert report.problems == [] and report.notes == [BEYOND_CHECKPOINT]
    assert report.notes[0].values == {"count": 1, "size": 6, "first": 6, "last": 6}


def test_deleting_the_checkpoints_of_a_rewritten_ledger_fails(published):
    engine, campaign, key = published
    with Session(engine) as session:
        rewrite_a_vote_and_its_leaf(session, campaign.id)
        delete_checkpoints(session, campaign.id)
    report = verify(engine, campaign, key)
    assert report.problems == [] and report.notes == [NO_CLOSE_CHECKPOINT]
    assert not report.intact and report.key_matches is None


def test_a_campaign_with_leaves_and_no_close_checkpoint_fails(any_engine, now, tmp_path):
    key = signing_key(tmp_path / "ledger.pem")
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        assert not ledger_expected(session=session, campaign=campaign)
        assert verify(any_engine, campaign, key).intact  # nothing opened, nothing to sign
        for rater in ("R1", "R2", "R4", "R5"):
            token = tokens(session, campaign)[rater]
            answers = complete_answers(session, token, now)
            submit_ballot(session=session, token=token, answers=answers, now=now)
            session.commit()
        open_boxes(session)
        delete_checkpoints(session, campaign.id)
        assert ledger_size(session=session, campaign_id=campaign.id) > 0
        assert ledger_expected(session=session, campaign=campaign)
    report = verify(any_engine, campaign, key)
    assert report.problems == [] and report.notes == [NO_CLOSE_CHECKPOINT]


def test_a_closed_campaign_expects_a_ledger_even_without_ballots(engine, now):
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        campaign.box_opened_at = later(CLOSES, hours=1)
        session.add(campaign)
        session.commit()
        assert ledger_expected(session=session, campaign=campaign)


def test_verifying_without_a_key_is_not_intact(published):
    engine, campaign, _key = published
    report = verify(engine, campaign, None)
    assert report.problems == [] and report.notes == [NO_KEY]
    assert report.key_fingerprint is None


def test_verify_refuses_a_key_file_that_is_not_a_public_key(signed_cli, tmp_path):
    cadre, campaign_id, _pinned = signed_cli
    wrong = tmp_path / "private.pem"
    wrong.write_bytes((cadre.data_dir / "ledger-signing-key.pem").read_bytes())
    output = cadre("ledger", "verify", campaign_id, "--public-key", str(wrong), code=2).output
    assert "does not hold an Ed25519 public key in PEM form" in output


def test_verify_does_not_create_a_server_key(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id = cadre.create_closed_campaign()
    output = cadre("ledger", "verify", campaign_id, code=2).output
    assert "There is no ledger key at" in output and "--public-key" in output
    assert not (cadre.data_dir / "ledger-signing-key.pem").exists()

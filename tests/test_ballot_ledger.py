"""The ledger in use: every tampering with stored ballots is detected and named."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Campaign, LedgerCheckpoint, LedgerLeaf, Response
from surveys.ballot_ledger import (
    ROOT_ALTERED,
    export_ledger,
    read_export,
    signing_key,
    verify_campaign,
)
from surveys.ballots import submit_ballot
from surveys.opening import open_with_key_file
from surveys.publication import publish_results
from tests.cli import CLOSED_DURING, CadreCli
from tests.factories import BOX_KEYS, CLOSES, complete_answers, later, make_campaign, tokens

CHOICES = {"R1": "good", "R2": "fairly_good", "R4": "fair", "R5": "poor"}


@pytest.fixture
def published(any_engine, now, tmp_path):
    """Four raters with different answers, mixed, then published with signed checkpoints."""
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
        from surveys.ballot_ledger import response_leaf

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


def test_cadre_ledger_commands(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id = cadre.create_closed_campaign()
    during = CLOSED_DURING
    with cadre.session() as session:
        campaign = session.get(Campaign, campaign_id)
        for rater in ("R1", "R2", "R4"):
            token = tokens(session, campaign)[rater]
            answers = complete_answers(session, token, during)
            submit_ballot(session=session, token=token, answers=answers, now=during)
            session.commit()
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

"""The transaction-id attack on PostgreSQL: ``xmin`` and dead tuples read with pageinspect.

Completed invitations ordered by ``xmin`` give the submission order; every
tuple another table holds with the same ``xmin`` was written by that
submission, dead ones included until VACUUM removes them.  (On the old
inbox design the rows the mixer deleted still sat in the heap with the
consuming transaction's id: 12 of 12 responses linked.)  The sealed box
writes only ciphertext in that transaction, and every response is written
by the one opening transaction: the attacker finds no plaintext and links
no better than chance, even with the opening's dead tuples left unvacuumed.
"""

from __future__ import annotations

import psycopg
import pytest

from storage.engine import make_engine
from storage.migrate import upgrade
from tests import attackers
from tests.attack_campaign import CADRES, RESPONSES, comment_of, run_campaign

pytestmark = pytest.mark.postgres


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def campaign(postgres_url, now):
    """Run the campaign on a fresh database with autovacuum off, so dead tuples stay put.

    (Autovacuum would not start on so few rows anyway; turning it off makes that certain.)
    """
    engine = make_engine(postgres_url)
    upgrade(engine)
    with psycopg.connect(plain(postgres_url), autocommit=True) as connection:
        for table in attackers.pg_tables(postgres_url):
            connection.execute(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
    try:
        order, truth, raters = run_campaign(engine, now, scrub=False)
    finally:
        engine.dispose()
    return postgres_url, order, truth, raters


def test_xmin_orders_invitations_by_submission(campaign):
    url, order, _truth, raters = campaign
    completed = attackers.xmin_order(url, "invitation", "status = 'completed'")
    by_id = {db_id: external for external, db_id in raters.items()}
    # True of any design that consumes the token when the ballot arrives.
    assert [by_id[row["rater_id"]] for _, row in completed] == order
    assert len({xmin for xmin, _ in completed}) == len(order)


def test_pageinspect_reads_dead_tuples(campaign):
    url, order, _truth, _raters = campaign
    comments = [comment_of(r, c) for r in order for c in CADRES]
    responses = attackers.pg_tuples(url, "response")
    assert sum(item.live for item in responses) == RESPONSES
    elsewhere = [
        item
        for table in attackers.pg_tables(url)
        if table != "response"
        for item in attackers.pg_tuples(url, table)
    ]
    dead = [item for item in elsewhere if not item.live]
    assert dead and all(item.xmax for item in dead)  # the pending invitations' old versions
    found = attackers.plaintext_anywhere_in([item.data for item in elsewhere], comments)
    assert found == []
    sealed = attackers.pg_tuples(url, "sealedballot")
    assert len(sealed) == len(order) and not any(item.live for item in sealed)  # dead, unvacuumed
    # All responses were written by one transaction, the opening: their xmin orders nothing.
    assert len({xmin for xmin, _ in attackers.xmin_order(url, "response")}) == 1


def test_xmin_links_no_response_to_its_rater(campaign):
    url, order, truth, _raters = campaign
    linkage = attackers.pg_link_attack(url)
    responses = attackers.pg_rows_as_text(url, "response")
    linked = attackers.linked_fraction(linkage.claims(), truth)
    chance = attackers.chance_fraction(responses, truth)
    assert len(linkage.completions) == len(order)
    assert chance == pytest.approx(1 / 3)
    assert linked <= chance
    assert linkage.plaintext_rows == 0
    assert linkage.raw_hits == 0


def test_after_vacuum(campaign):
    """VACUUM removes the dead tuples: neither xmin nor the heap pages link any more.

    (It does not touch the server's own write-ahead log in pg_wal, which
    still holds the inserts; these tests do not read it.)
    """
    url, order, truth, _raters = campaign
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute("VACUUM")
    linkage = attackers.pg_link_attack(url)
    assert attackers.linked_fraction(linkage.claims(), truth) == 0.0
    comments = [comment_of(r, c) for r in order for c in CADRES]
    pages = [
        page
        for table in attackers.pg_tables(url)
        if table != "response"
        for page in attackers.pg_raw_pages(url, table)
    ]
    # (A page that also held a live row would keep dead rows' bytes in its free space:
    # on the sealed table those bytes are ciphertext.)
    assert attackers.plaintext_anywhere_in(pages, comments) == []

"""The linking attack: someone with the whole database, and the log of who submitted when.

The attacker knows the exact order in which the raters submitted (say, from
a proxy log) and dumps every table, including physical row order (SQLite
``rowid``, PostgreSQL ``ctid``), the ledger's positions and, on
PostgreSQL, transaction ids (``xmin``).  For each cadre, they pair its
responses with its raters by each of those orders.  The box is opened once,
every response written in one shuffled batch, so no attack may do better
than chance among all of a cadre's raters.  The same attack on rows stored
in submission order succeeds every time, which shows the attack itself
works.  (The attacks on the log itself, WAL and dead tuples, are in
tests/surveys/sealing/test_wal_attack.py and tests/surveys/sealing/test_pg_attack.py.)
"""

from __future__ import annotations

import random

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Cadre, Response
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from tests.factories import make_campaign, open_boxes, roster_rows, tokens

CADRES = 40
PER_CADRE = 6  # subordinates, each rating one cadre only
K = 3
SCALE = ["good", "fairly_good", "fair", "poor"]


def roster():
    """Forty cadres with six subordinates each; every rater's pattern is one cadre."""
    cadres = [
        {"id": f"C{c}", "name": f"干部{c}", "unit": "测试局", "post": "科长"} for c in range(CADRES)
    ]
    raters, links = [], []
    for c in range(CADRES):
        for r in range(PER_CADRE):
            raters.append({"id": f"R{c}-{r}", "name": f"测评人{c}-{r}"})
            links.append((f"R{c}-{r}", f"C{c}", "subordinate"))
    return roster_rows(cadres, raters, links)


def run_campaign(engine, now, rng: random.Random) -> tuple[list[str], dict[str, str]]:
    """Everyone submits in a random order, then the box opens; return the order and the truth.

    The truth (which rater wrote which response) is planted in the comment,
    which the attack never reads.
    """
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now, rows=roster())
        by_rater = tokens(session, campaign)
        order = list(by_rater)
        rng.shuffle(order)
        for rater in order:
            form = open_ballot(session=session, token=by_rater[rater], now=now)
            section = form.sections[0]
            items = {i.key: rng.choice(SCALE) for d in section.dimensions for i in d.items}
            answers = {section.cadre.id: CadreAnswers(items=items, vote="competent", comment=rater)}
            submit_ballot(session=session, token=by_rater[rater], answers=answers, now=now)
            session.commit()
        open_boxes(session)
        external = {c.id: c.external_id for c in session.exec(select(Cadre)).all()}
    return order, external


def physical_orders(engine) -> dict[str, list[tuple]]:
    """Every ordering of the response rows an attacker can read from a dump."""
    if engine.dialect.name == "postgresql":
        orders = {"ctid": "ctid", "xmin": "xmin::text::bigint, ctid", "id": "id"}
    else:
        orders = {"rowid": "rowid", "id": "id"}
    found = {}
    with engine.connect() as connection:
        for name, clause in orders.items():
            found[name] = connection.execute(
                sa.text(f"SELECT cadre_id, comment FROM response ORDER BY {clause}")
            ).all()
        found["ledger position"] = connection.execute(
            sa.text(
                "SELECT r.cadre_id, r.comment FROM response r"
                " JOIN ledgerleaf l ON l.response_id = r.id ORDER BY l.position"
            )
        ).all()
    return found


def attack(rows: list[tuple], order: list[str], external: dict[str, str]) -> float:
    """Pair each cadre's responses (in the given row order) with its raters (in submission order).

    Returns the share of responses attributed to the right rater.
    """
    submitted = {rater: index for index, rater in enumerate(order)}
    right = total = 0
    for cadre_id in {row[0] for row in rows}:
        prefix = f"R{external[cadre_id][1:]}-"
        responses = [comment for cid, comment in rows if cid == cadre_id]
        raters = sorted((r for r in order if r.startswith(prefix)), key=submitted.get)
        right += sum(1 for guess, truth in zip(raters, responses, strict=True) if guess == truth)
        total += len(responses)
    return right / total


def test_no_ordering_of_the_dump_links_responses_to_raters(any_engine, now):
    order, external = run_campaign(any_engine, now, random.Random())
    for name, rows in physical_orders(any_engine).items():
        assert len(rows) == CADRES * PER_CADRE
        rate = attack(rows, order, external)
        # Among a cadre's six raters, a random order puts on average one response in
        # its rater's place: 1/6 of 240.  The count of such places over 40 cadres has
        # a standard deviation of about 6.3 (2.6 points), so 30% is 5 deviations
        # away: a fair shuffle fails this less than once in a million runs, while
        # storing rows in submission order scores 100%.
        assert rate < 0.3, f"ordering by {name} links {rate:.0%} of responses to raters"
    with Session(any_engine) as session:
        ids = [response.id for response in session.exec(select(Response)).all()]
    assert len(set(ids)) == len(ids) and all(len(value) == 32 for value in ids)
    assert sorted(ids) != ids  # random, not issued in ascending order


def test_the_same_attack_wins_against_rows_stored_in_submission_order():
    order = [f"R{c}-{r}" for r in range(PER_CADRE) for c in range(CADRES)]
    random.Random(7).shuffle(order)
    rows = [(f"id{rater.split('-')[0][1:]}", rater) for rater in order]
    external = {f"id{c}": f"C{c}" for c in range(CADRES)}
    assert attack(rows, order, external) == 1.0

"""A small campaign for the attack tests: known submission order, truth planted in comments.

Nine raters: three superiors rate both cadres (a pattern the opening keeps
linked: three raters share it), three subordinates rate each cadre.  Each
rater submits in a seeded random order; at close the box is opened and the
storage scrubbed, as the scheduler does.  Each comment names its rater and
cadre: that is how the test knows the truth; the attacks match whole rows
and bytes, not comments in particular.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Cadre, Response
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from surveys.results.opening import after_opening
from tests.factories import BOX_KEYS, make_campaign, open_boxes, roster_rows, tokens

SCALE = ["good", "fairly_good", "fair", "poor"]
SEED = 20261125
CADRES = ("C1", "C2")
RESPONSES = 3 * 2 + 3 * 2  # superiors' rows on both cadres, subordinates' on one


def campaign_roster():
    """Two cadres: three superiors rate both, three subordinates each."""
    cadres = [
        {"id": "C1", "name": "王伟", "unit": "测试局", "post": "局长"},
        {"id": "C2", "name": "李娜", "unit": "测试局", "post": "副局长"},
    ]
    raters = [{"id": f"S{n}", "name": f"上级{n}"} for n in range(3)]
    links = [(f"S{n}", c, "superior") for n in range(3) for c in CADRES]
    for cadre in CADRES:
        for n in range(3):
            raters.append({"id": f"U{cadre}-{n}", "name": f"下级{cadre}{n}"})
            links.append((f"U{cadre}-{n}", cadre, "subordinate"))
    return roster_rows(cadres, raters, links)


def comment_of(rater: str, cadre: str) -> str:
    """The unique comment a rater leaves about a cadre: the test's ground truth."""
    return f"意见 {rater} 对 {cadre} 的评价"


def item_keys(section) -> list[str]:
    return [item.key for dimension in section.dimensions for item in dimension.items]


def run_campaign(
    engine: sa.Engine,
    now,
    halfway: Callable[[], None] | None = None,
    before_opening: Callable[[], None] | None = None,
    scrub: bool = True,
) -> tuple[list[str], list[frozenset], dict[str, str]]:
    """Run the campaign to close; call ``halfway`` after half the raters submitted,
    ``before_opening`` once all have (the box still sealed).  ``scrub=False``
    skips the vacuum after the opening, leaving the attacker every dead row.

    Returns the submission order (roster ids), the truth (each rater's
    response ids, in that order) and the database id of each roster rater.
    """
    rng = random.Random(SEED)
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now, rows=campaign_roster())
        by_rater = tokens(session, campaign)
        external = {cadre.id: cadre.external_id for cadre in session.exec(select(Cadre))}
        order = sorted(by_rater)
        rng.shuffle(order)
        for number, rater in enumerate(order, start=1):
            form = open_ballot(session=session, token=by_rater[rater], now=now)
            answers = {
                section.cadre.id: CadreAnswers(
                    items={key: rng.choice(SCALE) for key in item_keys(section)},
                    vote="competent" if section.votes else None,
                    comment=comment_of(rater, external[section.cadre.id]),
                )
                for section in form.sections
            }
            submit_ballot(session=session, token=by_rater[rater], answers=answers, now=now)
            session.commit()
            if halfway and number == len(order) // 2:
                halfway()
        if before_opening:
            before_opening()
        open_boxes(session)
    if scrub:
        after_opening(engine=engine, campaign_id=campaign.id, key_folder=BOX_KEYS)
    with Session(engine, expire_on_commit=False) as session:
        by_comment = {response.comment: response.id for response in session.exec(select(Response))}
        raters = {
            external_id: rater_id
            for external_id, rater_id in session.execute(
                sa.text("SELECT external_id, id FROM rater")
            )
        }
    truth = [
        frozenset(rid for comment, rid in by_comment.items() if comment.startswith(f"意见 {r} "))
        for r in order
    ]
    return order, truth, raters

"""The mixer: ballots wait in the inbox until k can be shuffled together, links only where safe."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import InboxBallot, Response
from surveys.ballots import submit_ballot
from surveys.mixer import mix_waiting, waiting_ballots
from tests.factories import (
    CLOSES,
    complete_answers,
    later,
    make_campaign,
    roster_rows,
    tokens,
)


def submit(session: Session, campaign, rater: str, now, comment: str | None = None) -> None:
    """One rater's valid ballot, committed, followed by the mixer as the web form runs it."""
    token = tokens(session, campaign)[rater]
    answers = complete_answers(session, token, now, comment=comment)
    submit_ballot(session=session, token=token, answers=answers, now=now)
    session.commit()
    mix_waiting(session=session, campaign=campaign, now=now)
    session.commit()


def shared_pattern_rows():
    """C1 and C2; S1..S3 rate both as subordinates (a shared pattern), P1 alone rates C1."""
    cadres = [
        {"id": "C1", "name": "王伟", "unit": "审批局", "post": "局长"},
        {"id": "C2", "name": "李娜", "unit": "审批局", "post": "副局长"},
    ]
    raters = [{"id": r, "name": r} for r in ("S1", "S2", "S3", "P1")]
    links = [(s, c, "subordinate") for s in ("S1", "S2", "S3") for c in ("C1", "C2")]
    return roster_rows(cadres, raters, [*links, ("P1", "C1", "peer")])


def counts(session: Session) -> tuple[int, int]:
    """(rows waiting in the inbox, rows in response)."""
    inbox = len(session.exec(select(InboxBallot)).all())
    return inbox, len(session.exec(select(Response)).all())


def test_ballots_wait_until_k_can_hide_among_each_other(session, now):
    campaign = make_campaign(session, now=now, rows=shared_pattern_rows())
    submit(session, campaign, "S1", now)
    submit(session, campaign, "P1", now)
    submit(session, campaign, "S2", now)
    assert counts(session) == (5, 0)  # three ballots wait, but no slot has three yet
    assert waiting_ballots(session=session, campaign=campaign) == 3
    submit(session, campaign, "S3", now)  # the shared pattern now has three ballots
    assert counts(session) == (1, 6)  # P1, the only peer of C1, still waits


def test_closing_moves_whatever_waits(session, now):
    campaign = make_campaign(session, now=now, rows=shared_pattern_rows())
    submit(session, campaign, "S1", now)
    assert mix_waiting(session=session, campaign=campaign, now=now) == 0
    assert mix_waiting(session=session, campaign=campaign, now=later(CLOSES, seconds=1)) == 2
    session.commit()
    assert counts(session) == (0, 2)


def test_ballot_links_are_kept_only_for_patterns_k_raters_share(session, now):
    campaign = make_campaign(session, now=now, rows=shared_pattern_rows())
    inbox_ids = set()
    for rater in ("S1", "S2", "S3", "P1"):
        token = tokens(session, campaign)[rater]
        answers = complete_answers(session, token, now, comment=rater)
        submit_ballot(session=session, token=token, answers=answers, now=now)
        session.commit()
        inbox_ids |= {row.id for row in session.exec(select(InboxBallot)).all()}
    mix_waiting(session=session, campaign=campaign, now=now, force=True)
    session.commit()
    rows = session.exec(select(Response)).all()
    by_comment = {}
    for row in rows:
        by_comment.setdefault(row.comment, set()).add(row.ballot_id)
    shared = [by_comment[s] for s in ("S1", "S2", "S3")]
    assert all(len(links) == 1 and None not in links for links in shared)
    assert len(set().union(*shared)) == 3  # one link per ballot, different ballots differ
    assert by_comment["P1"] == {None}  # a one-row ballot is never linked
    assert not inbox_ids & {row.id for row in rows}  # fresh ids, nothing carried over


def test_unique_patterns_move_unlinked_once_k_rows_share_a_cadre_and_group(session, now):
    campaign = make_campaign(session, now=now, rows=many_subordinates_rows())
    for rater in ("A1", "A2"):
        submit(session, campaign, rater, now)
    assert counts(session) == (5, 0)
    submit(session, campaign, "A3", now)  # three subordinate rows for each of C1 and C2
    rows = session.exec(select(Response)).all()
    assert len(rows) == 6 and {row.ballot_id for row in rows} == {None}
    assert counts(session) == (1, 6)  # A1's only peer row waits for two more peers of C3


def many_subordinates_rows():
    """C1 and C2; A1..A3 rate both as subordinates, each with an extra, unique peer link."""
    cadres = [
        {"id": "C1", "name": "王伟", "unit": "审批局", "post": "局长"},
        {"id": "C2", "name": "李娜", "unit": "审批局", "post": "副局长"},
        {"id": "C3", "name": "张强", "unit": "审批局", "post": "副局长"},
    ]
    raters = [{"id": r, "name": r} for r in ("A1", "A2", "A3")]
    links = [(a, c, "subordinate") for a in ("A1", "A2", "A3") for c in ("C1", "C2")]
    return roster_rows(cadres, raters, [*links, ("A1", "C3", "peer")])


def test_mixers_running_at_once_store_each_ballot_once(any_engine, now):
    """Several web workers finishing at the same moment each run the mixer."""
    import threading

    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now, rows=many_subordinates_rows())
        for rater in ("A1", "A2", "A3"):
            token = tokens(session, campaign)[rater]
            answers = complete_answers(session, token, now)
            submit_ballot(session=session, token=token, answers=answers, now=now)
            session.commit()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def mix() -> None:
        with Session(any_engine) as session:
            try:
                barrier.wait(timeout=30)
                mix_waiting(session=session, campaign=campaign, now=now)
                session.commit()
            except BaseException as error:  # recorded and failed on below
                errors.append(error)

    threads = [threading.Thread(target=mix) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with Session(any_engine) as session:
        assert counts(session) == (1, 6)

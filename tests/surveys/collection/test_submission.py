"""Ballots at the domain level: what is stored, what is refused, and the one-time rule.

The factories' roster: cadres C1 and C2; R1 superior of both, R2 peer of C1,
R3 peer of C2, R4 subordinate of both, R5 subordinate of C1, R6 of C2.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Invitation, Rater, Response, SealedBallot
from surveys.collection.ballots import (
    BallotInvalid,
    BallotUnavailable,
    CadreAnswers,
    open_ballot,
    submit_ballot,
)
from surveys.setup.campaigns import CampaignError, snapshot
from surveys.setup.invitations import issue_slips
from tests.factories import (
    ANNUAL_PEER_ITEMS,
    CLOSES,
    OPENS,
    RESPONSE_COLUMNS,
    complete_answers,
    later,
    make_campaign,
    opened_responses,
    tokens,
)


def cadre_ids(session: Session) -> dict[str, str]:
    """Stored cadre ids by roster id."""
    return {c.external_id: c.id for c in session.exec(select(Cadre)).all()}


def responses(session: Session) -> list[Response]:
    return opened_responses(session)


def invitation_of(session: Session, rater_external_id: str) -> Invitation:
    return session.exec(
        select(Invitation)
        .join(Rater, Rater.id == Invitation.rater_id)
        .where(Rater.external_id == rater_external_id)
    ).one()


@pytest.fixture
def campaign(session, now) -> Campaign:
    return make_campaign(session, now=now)


# --- what is stored ---------------------------------------------------------------------------


def test_one_response_per_assigned_cadre_as_the_assigned_group(session, campaign, now):
    token = tokens(session, campaign)["R4"]  # subordinate of C1 and C2
    answers = complete_answers(session, token, now, comment="  多听取群众意见  ")
    assert submit_ballot(session=session, token=token, answers=answers, now=now) == 2
    session.commit()

    stored = responses(session)
    ids = cadre_ids(session)
    assert sorted(r.cadre_id for r in stored) == sorted([ids["C1"], ids["C2"]])
    questionnaire = snapshot(campaign)
    subordinate_items = {item.key for item in questionnaire.items_for("subordinate")}
    for response in stored:
        assert response.campaign_id == campaign.id
        assert response.group == "subordinate"
        assert set(response.answers) == subordinate_items
        assert set(response.answers.values()) == {"good"}
        assert response.vote == "excellent"
        assert response.comment == "多听取群众意见"
    assert invitation_of(session, "R4").status == "completed"


def test_answers_are_kept_only_for_the_groups_items(session, campaign, now):
    token = tokens(session, campaign)["R2"]  # peer of C1 only
    answers = complete_answers(session, token, now)
    c1 = cadre_ids(session)["C1"]
    # Items a peer is not asked, a public item and an unknown key are all dropped.
    answers[c1].items |= {"neng_leadership": "poor", "pub_attitude": "poor", "bogus": "poor"}
    # Answers about a cadre the rater was not assigned are ignored.
    c2 = cadre_ids(session)["C2"]
    answers[c2] = CadreAnswers(items={"de_stance": "poor"}, vote="incompetent")
    assert submit_ballot(session=session, token=token, answers=answers, now=now) == 1
    session.commit()

    [response] = responses(session)
    assert response.cadre_id == c1
    assert response.group == "peer"
    assert list(response.answers) == ANNUAL_PEER_ITEMS
    assert response.comment is None


def test_groups_come_from_the_assignment(session, campaign, now):
    all_tokens = tokens(session, campaign)
    for rater in ("R1", "R2", "R5"):
        token = all_tokens[rater]
        submit_ballot(
            session=session, token=token, answers=complete_answers(session, token, now), now=now
        )
    session.commit()
    ids = {v: k for k, v in cadre_ids(session).items()}
    assert sorted((ids[r.cadre_id], r.group, len(r.answers)) for r in responses(session)) == [
        ("C1", "peer", 7),
        ("C1", "subordinate", 10),
        ("C1", "superior", 9),
        ("C2", "superior", 9),
    ]


def test_no_time_is_kept_with_a_ballot_or_its_invitation(session, campaign, now):
    token = tokens(session, campaign)["R4"]
    submit_ballot(
        session=session, token=token, answers=complete_answers(session, token, now), now=now
    )
    session.commit()
    for table in (Response, SealedBallot, Invitation):
        kinds = [type(column.type) for column in table.__table__.columns]
        assert not [kind for kind in kinds if issubclass(kind, sa.Date | sa.DateTime)], table
    assert invitation_of(session, "R4").status == "completed"


def test_response_has_no_link_to_rater_or_invitation(engine):
    assert set(Response.__table__.columns.keys()) == RESPONSE_COLUMNS
    columns = {column["name"] for column in sa.inspect(engine).get_columns("response")}
    assert columns == RESPONSE_COLUMNS
    targets = {fk["referred_table"] for fk in sa.inspect(engine).get_foreign_keys("response")}
    assert targets == {"campaign", "cadre"}


def test_response_ids_are_random_not_sequential(session, campaign, now):
    all_tokens = tokens(session, campaign)
    for rater in ("R1", "R4", "R2", "R3"):
        token = all_tokens[rater]
        submit_ballot(
            session=session, token=token, answers=complete_answers(session, token, now), now=now
        )
    session.commit()
    ids = [r.id for r in responses(session)]
    assert len(ids) == 6 == len(set(ids))
    for value in ids:
        assert re.fullmatch(r"[0-9a-f]{32}", value)
        assert uuid.UUID(hex=value).version == 4  # random, unlike time-ordered uuid1/uuid7
    # No shared prefix as time-ordered ids would have.
    assert len({value[:8] for value in ids}) == len(ids)


# --- refused tokens ---------------------------------------------------------------------------


def test_used_token(session, campaign, now):
    token = tokens(session, campaign)["R2"]
    answers = complete_answers(session, token, now)
    submit_ballot(session=session, token=token, answers=answers, now=now)
    session.commit()
    with pytest.raises(BallotUnavailable) as caught:
        submit_ballot(session=session, token=token, answers=answers, now=later(now, minutes=1))
    assert caught.value.reason == "used"
    assert caught.value.campaign.id == campaign.id
    with pytest.raises(BallotUnavailable, match="used"):
        open_ballot(session=session, token=token, now=now)
    session.rollback()
    assert len(responses(session)) == 1


@pytest.mark.parametrize("token", ["not-a-token", "", "x" * 65, "A" * 32])
def test_unknown_token(session, campaign, now, token):
    with pytest.raises(BallotUnavailable) as caught:
        submit_ballot(session=session, token=token, answers={}, now=now)
    assert caught.value.reason == "unknown"
    assert caught.value.campaign is None


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (later(OPENS, seconds=-1), "not_open"),
        (CLOSES, "closed"),
        (later(CLOSES, days=30), "closed"),
    ],
)
def test_outside_the_campaign_window(session, campaign, now, moment, reason):
    token = tokens(session, campaign)["R2"]
    answers = complete_answers(session, token, now)
    with pytest.raises(BallotUnavailable) as caught:
        submit_ballot(session=session, token=token, answers=answers, now=moment)
    assert caught.value.reason == reason
    with pytest.raises(BallotUnavailable, match=reason):
        open_ballot(session=session, token=token, now=moment)
    session.rollback()
    assert responses(session) == []
    assert invitation_of(session, "R2").status == "pending"


@pytest.mark.parametrize("moment", [OPENS, later(CLOSES, seconds=-1)])
def test_window_edges_that_are_open(session, campaign, now, moment):
    token = tokens(session, campaign)["R2"]
    answers = complete_answers(session, token, now)
    assert submit_ballot(session=session, token=token, answers=answers, now=moment) == 1


def test_time_zone_of_the_window_is_respected(session, campaign, now):
    """A deadline is an instant: 08:00 in Shanghai on the closing day is already closed."""
    token = tokens(session, campaign)["R2"]
    answers = complete_answers(session, token, now)
    shanghai_morning = CLOSES.astimezone(ZoneInfo(campaign.timezone)).replace(hour=8)
    with pytest.raises(BallotUnavailable, match="closed"):
        submit_ballot(session=session, token=token, answers=answers, now=shanghai_morning)


# --- invalid answers --------------------------------------------------------------------------


def test_invalid_answers_are_all_reported_and_nothing_is_stored(session, campaign, now):
    token = tokens(session, campaign)["R4"]
    ids = cadre_ids(session)
    c1, c2 = ids["C1"], ids["C2"]
    answers = complete_answers(session, token, now)
    del answers[c1].items["de_stance"]  # missing answer
    answers[c1].items["ji_quality"] = ""  # blank is missing too
    answers[c1].items["lian_rules"] = "excellent"  # not on the scale
    answers[c1].vote = "outstanding"  # not a grade
    answers[c2].vote = None  # the vote is required
    answers[c2].comment = "意" * 501  # over the 500 allowed
    with pytest.raises(BallotInvalid) as caught:
        submit_ballot(session=session, token=token, answers=answers, now=now)
    assert caught.value.problems == {
        (c1, "de_stance"): "Please answer this question.",
        (c1, "ji_quality"): "Please answer this question.",
        (c1, "lian_rules"): "This answer is not on the scale.",
        (c1, "vote"): "This grade is not one of the choices.",
        (c2, "vote"): "Please choose an overall grade.",
        (c2, "comment"): "The comment is too long.",
    }
    session.rollback()
    assert responses(session) == []
    assert invitation_of(session, "R4").status == "pending"
    assert invitation_of(session, "R4").status == "pending"

    # The token still works once the answers are put right.
    answers = complete_answers(session, token, now, comment="意" * 500)
    assert submit_ballot(session=session, token=token, answers=answers, now=now) == 2


def test_a_cadre_left_out_entirely(session, campaign, now):
    token = tokens(session, campaign)["R1"]
    ids = cadre_ids(session)
    answers = complete_answers(session, token, now)
    del answers[ids["C2"]]
    with pytest.raises(BallotInvalid) as caught:
        submit_ballot(session=session, token=token, answers=answers, now=now)
    problems = caught.value.problems
    superior_items = [i.key for i in snapshot(campaign).items_for("superior")]
    assert set(problems) == {(ids["C2"], key) for key in [*superior_items, "vote"]}
    session.rollback()
    assert responses(session) == []


def test_blank_comment_is_stored_as_none(session, campaign, now):
    token = tokens(session, campaign)["R2"]
    answers = complete_answers(session, token, now, comment="   ")
    submit_ballot(session=session, token=token, answers=answers, now=now)
    session.commit()
    assert [r.comment for r in responses(session)] == [None]


# --- meeting slips ----------------------------------------------------------------------------


def test_slips_cover_every_cadre_as_their_group(session, campaign, now):
    slips = issue_slips(session=session, campaign=campaign, group="peer", count=3)
    session.commit()
    assert len(set(slips)) == 3
    ids = cadre_ids(session)
    form = open_ballot(session=session, token=slips[0], now=now)
    assert [s.cadre.external_id for s in form.sections] == ["C1", "C2"]
    assert {s.group for s in form.sections} == {"peer"}

    answers = complete_answers(session, slips[0], now)
    assert submit_ballot(session=session, token=slips[0], answers=answers, now=now) == 2
    session.commit()
    assert sorted((r.cadre_id, r.group) for r in responses(session)) == sorted(
        [(ids["C1"], "peer"), (ids["C2"], "peer")]
    )
    with pytest.raises(BallotUnavailable, match="used"):
        submit_ballot(session=session, token=slips[0], answers=answers, now=now)


def test_slips_store_no_rater_and_no_token(session, campaign):
    slips = issue_slips(session=session, campaign=campaign, group="subordinate", count=5)
    session.commit()
    stored = session.exec(select(Invitation).where(Invitation.rater_id.is_(None))).all()
    assert len(stored) == 5
    for invitation in stored:
        assert invitation.group == "subordinate"
        assert invitation.nonce is None
        assert invitation.status == "pending"
    assert {i.token_hash for i in stored} == {
        hashlib.sha256(token.encode()).hexdigest() for token in slips
    }
    assert_tokens_not_stored(session, slips)


def test_named_tokens_are_not_stored_in_clear(session, campaign):
    assert_tokens_not_stored(session, list(tokens(session, campaign).values()))


def assert_tokens_not_stored(session: Session, secrets: list[str]) -> None:
    """No column of any invitation holds a token or a piece of one."""
    rows = session.execute(sa.select(Invitation.__table__)).all()
    cells = [str(value) for row in rows for value in row]
    for secret in secrets:
        assert len(secret) >= 32
        assert not any(secret[:16] in cell for cell in cells)


@pytest.mark.parametrize(
    ("group", "count"), [("public", 1), ("boss", 1), ("peer", 0), ("peer", 2001)]
)
def test_slips_refuse_bad_requests(session, campaign, group, count):
    with pytest.raises(CampaignError):
        issue_slips(session=session, campaign=campaign, group=group, count=count)
    session.rollback()
    assert session.exec(select(Invitation).where(Invitation.rater_id.is_(None))).all() == []


# --- concurrency ------------------------------------------------------------------------------

THREADS = 50


def test_one_token_submitted_at_once_by_many_is_accepted_once(any_engine, now):
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        token = tokens(session, campaign)["R4"]
        answers = complete_answers(session, token, now)
    barrier = threading.Barrier(THREADS)
    outcomes: list[object] = [None] * THREADS

    def submit(index: int) -> None:
        with Session(any_engine) as session:
            try:
                barrier.wait(timeout=30)
                submit_ballot(session=session, token=token, answers=answers, now=now)
                session.commit()
                outcomes[index] = "accepted"
            except BallotUnavailable as exc:
                session.rollback()
                outcomes[index] = exc.reason
            except Exception as exc:  # anything else is recorded and fails the test below
                session.rollback()
                outcomes[index] = exc

    threads = [threading.Thread(target=submit, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    # Every loser is told plainly that the link was used: no lock errors, no retries needed.
    assert sorted(map(str, outcomes)) == ["accepted"] + ["used"] * (THREADS - 1), outcomes
    with Session(any_engine) as session:
        stored = responses(session)
        assert len(stored) == 2  # one set: R4 rates C1 and C2
        assert len({r.cadre_id for r in stored}) == 2
        invitation = invitation_of(session, "R4")
        assert invitation.status == "completed"

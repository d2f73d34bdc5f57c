"""The sealed ballot box: sealing, no figures before opening, opening once, scrutineers.

Each test is an attack on a promise or a fault: the raw database bytes
before opening, every output asked for early, two openers at once, the
wrong share, T - 1 shares, a box opened twice.
"""

from __future__ import annotations

import logging
import threading

import pytest
from sqlmodel import Session, func, select

from storage.models import (
    AuditEvent,
    Campaign,
    Invitation,
    LedgerCheckpoint,
    Response,
    SealedBallot,
)
from surveys.collection.ballots import submit_ballot
from surveys.notification.publication import publish_results
from surveys.results.opening import after_opening, open_box, open_with_key_file
from surveys.results.outcomes import shown_results
from surveys.rules.questionnaire import load_questionnaire
from surveys.sealing.ballot_box import (
    BoxError,
    BoxSealed,
    ShareBasket,
    derive_keys,
    key_file,
    new_box,
    read_key_file,
    seal,
    split_secret,
    unseal,
)
from surveys.setup.campaigns import ScrutineerCustody, create_campaign
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import import_roster
from tests.factories import (
    BOX_KEYS,
    CLOSES,
    LEDGER_KEY,
    OPENS,
    SECRET,
    complete_answers,
    later,
    make_campaign,
    roster_rows,
    small_roster_rows,
    tokens,
)
from tests.web import (  # noqa: F401
    app_fixture,
    client_fixture,
    parse,
    rater_paths,
)

SECRET_COMMENT = "唯一的意见-7f3a9c"


def submit_all(session, campaign, now, raters=("R1", "R2", "R4", "R5"), comment=None):
    links = tokens(session, campaign)
    for rater in raters:
        answers = complete_answers(session, links[rater], now)
        if comment:
            for given in answers.values():
                given.comment = comment
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
        session.commit()


def test_a_sealed_ballot_opens_only_with_its_campaigns_key():
    box, other = new_box(), new_box()
    sections = [{"c": "cadre", "g": "peer", "a": {"x": "good"}, "v": "competent", "m": None}]
    sealed = seal(public_text=box.public_text, campaign_id="c1", sections=sections, padded_to=400)
    assert unseal(keys=box, campaign_id="c1", ciphertext=sealed) == sections
    assert derive_keys(box.secret).public_text == box.public_text
    with pytest.raises(ValueError):
        unseal(keys=other, campaign_id="c1", ciphertext=sealed)
    with pytest.raises(ValueError):  # sealed for one campaign, never opened as another's
        unseal(keys=box, campaign_id="c2", ciphertext=sealed)


def test_every_ballot_of_a_form_seals_to_the_same_length(session, now):
    """A sealed row's size must not tell a long comment (or other answers) from a short one."""
    campaign = make_campaign(session, now=now)
    links = tokens(session, campaign)
    sizes = set()
    for rater, (value, comment) in zip(
        ("R2", "R3"), [("good", "好" * 500), ("poor", None)], strict=True
    ):
        answers = complete_answers(session, links[rater], now, value=value)
        for given in answers.values():
            given.comment = comment
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
    session.commit()
    sizes = {len(row) for row in session.exec(select(SealedBallot.ciphertext)).all()}
    assert len(sizes) == 1  # R2 and R3 are peers of one cadre each: forms of one shape


def test_before_opening_the_database_holds_no_plaintext_answer(tmp_path, now):
    """The database thief's attack: every byte of the file, its WAL and shared memory."""
    from storage.engine import make_engine
    from storage.migrate import upgrade

    path = tmp_path / "cadre.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        submit_all(session, campaign, now, comment=SECRET_COMMENT)
        assert session.exec(select(func.count()).select_from(Response)).one() == 0
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("cadre.db"))
        assert (tmp_path / "cadre.db-wal").exists()
        for needle in (SECRET_COMMENT, '"de_stance": "good"', '"de_stance":"good"'):
            assert needle.encode() not in raw, needle
        # After opening, the comment is in the responses (the control for the scan above).
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
            now=CLOSES,
        )  # fmt: skip
        session.commit()
    after_opening(engine=engine, campaign_id=campaign.id, key_folder=BOX_KEYS)
    engine.dispose()
    assert SECRET_COMMENT.encode() in path.read_bytes()


def test_no_figure_exists_before_the_box_is_opened(session, now):
    """No interim figure, so nothing to subtract from a final one."""
    campaign = make_campaign(session, now=now)
    submit_all(session, campaign, now)
    with pytest.raises(BoxSealed):
        shown_results(session=session, campaign=campaign)
    with pytest.raises(Exception, match="ballot box"):
        publish_results(session=session, campaign=campaign, now=later(CLOSES, hours=1))
    session.rollback()
    open_with_key_file(
        session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
        now=later(CLOSES, minutes=5),
    )  # fmt: skip
    session.commit()
    results = shown_results(session=session, campaign=campaign)
    assert [r.score.responses_total for r in results] == [4, 2]


def test_the_box_opens_once_only_after_the_deadline(any_engine, now):
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        campaign_id = campaign.id
        submit_all(session, campaign, now)
        options = {"key_folder": BOX_KEYS, "ledger_key": LEDGER_KEY}
        with pytest.raises(BoxError, match="after the deadline"):
            open_with_key_file(session=session, campaign=campaign, now=now, **options)
        session.rollback()
        opening = open_with_key_file(session=session, campaign=campaign, now=CLOSES, **options)
        session.commit()
        assert (opening.ballots, opening.responses) == (4, 6)
        with pytest.raises(BoxError, match="already been opened"):
            open_with_key_file(session=session, campaign=campaign, now=CLOSES, **options)
        session.rollback()
        assert session.exec(select(func.count()).select_from(SealedBallot)).one() == 0
        assert session.exec(select(func.count()).select_from(Response)).one() == 6
        kinds = session.exec(select(LedgerCheckpoint.kind)).all()
        assert kinds == ["close"]
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "open_box")).one()
        assert event.detail["ballots"] == 4
    after_opening(engine=any_engine, campaign_id=campaign_id, key_folder=BOX_KEYS)
    assert not key_file(BOX_KEYS, campaign_id).exists()


def test_two_openers_at_once_open_the_box_once(any_engine, now):
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        submit_all(session, campaign, now)
        keys = read_key_file(BOX_KEYS, campaign.id, campaign.box_public_key)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def opener() -> None:
        with Session(any_engine, expire_on_commit=False) as session:
            mine = session.get(Campaign, campaign.id)
            start.wait()
            try:
                open_box(session=session, campaign=mine, keys=keys, ledger_key=LEDGER_KEY,
                         now=CLOSES)  # fmt: skip
                session.commit()
                outcomes.append("opened")
            except Exception as error:  # the loser: refused, or the database said busy
                session.rollback()
                outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=opener) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("opened") == 1, outcomes
    with Session(any_engine) as session:
        assert session.exec(select(func.count()).select_from(Response)).one() == 6
        assert session.exec(select(func.count()).select_from(SealedBallot)).one() == 0


def test_a_lone_last_peer_is_not_singled_out(session, now):
    """Seven peers rate one cadre with k = 3; the last submits long after the rest.

    The old mixer moved the leftover ballot alone at close, so it could be
    told apart.  Now every response appears in one shuffled opening: before
    it there is nothing, after it the late ballot is one row among seven.
    """
    cadres = [{"id": "C1", "name": "王伟", "unit": "审批局", "post": "局长"}]
    raters = [{"id": f"P{n}", "name": f"同级{n}", "phone": "", "telegram": ""} for n in range(7)]
    rows = roster_rows(cadres, raters, [(f"P{n}", "C1", "peer") for n in range(7)])
    campaign = make_campaign(session, now=now, rows=rows, public=False)
    submit_all(session, campaign, now, raters=[f"P{n}" for n in range(6)])
    assert session.exec(select(func.count()).select_from(Response)).one() == 0
    submit_all(session, campaign, later(CLOSES, minutes=-1), raters=["P6"], comment="最后一个")
    assert session.exec(select(func.count()).select_from(Response)).one() == 0
    open_with_key_file(
        session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
        now=CLOSES,
    )  # fmt: skip
    session.commit()
    rows = session.exec(select(Response)).all()
    assert len(rows) == 7 and all(row.ballot_id is None for row in rows)


def scrutineer_campaign(session, now, shares=5, quorum=3):
    roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
    custody = ScrutineerCustody(scrutineers=shares, quorum=quorum)
    campaign = create_campaign(
        session=session, name="监票", kind="annual", roster_id=roster.id,
        questionnaire=load_questionnaire("annual"), opens_at=OPENS, closes_at=CLOSES, now=now,
        custody=custody,
    )  # fmt: skip
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    return campaign, custody.shares


def basket(campaign) -> ShareBasket:
    return ShareBasket.for_campaign(campaign)


def test_scrutineers_need_their_quorum_and_a_wrong_share_is_named(session, now):
    campaign, shares = scrutineer_campaign(session, now)
    assert len(shares) == 5 and not key_file(BOX_KEYS, campaign.id).exists()
    assert all(share.text not in str(campaign.box_share_digests) for share in shares)
    entered = basket(campaign)
    entered.add(shares[0].text, "张三")
    entered.add(shares[3].text.lower().replace(" ", ""), "李四")  # typed loosely: still fine
    with pytest.raises(BoxError, match="more shares"):
        entered.keys()  # T - 1 shares open nothing
    wrong = shares[1].text[:-2] + ("AB" if not shares[1].text.endswith("AB") else "CD")
    with pytest.raises(BoxError, match="Share 2 is wrong"):
        entered.add(wrong, "王五")
    with pytest.raises(BoxError, match="already"):
        entered.add(shares[0].text, "张三")
    with pytest.raises(BoxError, match="another campaign"):
        entered.add("CB1-00000000-1-" + shares[0].text.split("-", 3)[3], "王五")
    entered.add(shares[1].text, "王五")
    assert entered.keys().public_text == campaign.box_public_key
    # Any three shares do it, and shares of another box never combine with these.
    other = split_secret(new_box(), campaign.id, shares=5, quorum=3)
    mixed = basket(campaign)
    mixed.add(shares[4].text, "甲")
    with pytest.raises(BoxError, match="wrong"):
        mixed.add(other[1].text, "乙")


def test_a_scrutineers_box_is_opened_by_their_shares_and_named_in_the_audit(session, now):
    campaign, shares = scrutineer_campaign(session, now)
    links = tokens(session, campaign)
    answers = complete_answers(session, links["R2"], now)
    submit_ballot(session=session, token=links["R2"], answers=answers, now=now)
    session.commit()
    with pytest.raises(BoxError, match="scrutineers"):
        open_with_key_file(session=session, campaign=campaign, key_folder=BOX_KEYS,
                           ledger_key=LEDGER_KEY, now=CLOSES)  # fmt: skip
    entered = basket(campaign)
    for share, name in zip(shares[2:], ["赵", "钱", "孙"], strict=True):
        entered.add(share.text, name)
    open_box(session=session, campaign=campaign, keys=entered.keys(), ledger_key=LEDGER_KEY,
             now=CLOSES, actor="cli:hr", scrutineers=["赵", "钱", "孙"])  # fmt: skip
    session.commit()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "open_box")).one()
    assert event.detail["scrutineers"] == ["赵", "钱", "孙"]
    assert not any(share.text in str(event.detail) for share in shares)
    assert session.exec(select(func.count()).select_from(Response)).one() == 1


def test_a_missing_or_foreign_key_file_is_a_clear_error(session, now, tmp_path):
    campaign = make_campaign(session, now=now)
    with pytest.raises(BoxError, match="missing"):
        read_key_file(tmp_path, campaign.id, campaign.box_public_key)
    key_file(tmp_path, campaign.id).write_text(key_file(BOX_KEYS, campaign.id).read_text())
    other = make_campaign(session, now=now)
    with pytest.raises(BoxError, match="not this campaign"):
        read_key_file(tmp_path, campaign.id, other.box_public_key)
    assert oct(key_file(BOX_KEYS, campaign.id).stat().st_mode & 0o777) == "0o600"


def test_no_log_line_holds_what_a_rater_answered(client, session, engine, now, caplog):
    """The root attacker's log files: the request's plaintext is never logged, even at DEBUG."""
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    caplog.set_level(logging.DEBUG)  # every logger, the database driver's SQL and parameters too
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    form = client.get(path, follow_redirects=True)
    page = parse(form.data)
    sent = client.post("/r/", data=page.valid_answers(choice=2, comment=SECRET_COMMENT))
    assert sent.status_code == 303
    logged = (
        "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
        + caplog.text
    )
    assert caplog.records and SECRET_COMMENT not in logged
    assert session.exec(select(func.count()).select_from(SealedBallot)).one() == 1


def test_a_chat_draft_is_stored_encrypted_and_only_the_server_key_reads_it(tmp_path, now):
    """Drafts answered in the chat: the database holds ciphertext; its key is not in it."""
    from storage.engine import make_engine
    from storage.migrate import upgrade
    from surveys.collection.chats import load_draft, save_draft

    engine = make_engine(f"sqlite:///{tmp_path / 'cadre.db'}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        invitation_id = session.exec(select(Invitation.id)).first()
        answers = {"c1": {"items": {"de_stance": "good"}, "comment": SECRET_COMMENT}}
        save_draft(session=session, invitation_id=invitation_id, chat_id=77, position=3,
                   answers=answers, now=now, secret_key=SECRET)  # fmt: skip
        session.commit()
        draft = load_draft(session=session, invitation_id=invitation_id, secret_key=SECRET)
        assert (draft.position, draft.answers) == (3, answers)
        other = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
        assert load_draft(session=session, invitation_id=invitation_id, secret_key=other) is None
        assert campaign.id
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("cadre.db"))
    engine.dispose()
    assert SECRET_COMMENT.encode() not in raw and b'de_stance": "good' not in raw


def test_a_large_box_is_decrypted_on_every_core_with_the_same_result(monkeypatch):
    """The opening's worker processes (spawned) return every ballot, in order."""
    import surveys.results.opening as opening

    box = new_box()
    ballots = [
        [{"c": f"cadre{n}", "g": "peer", "a": {"x": "good"}, "v": None, "m": f"第{n}条"}]
        for n in range(40)
    ]
    sealed = [
        seal(public_text=box.public_text, campaign_id="c1", sections=b, padded_to=300)
        for b in ballots
    ]
    monkeypatch.setattr(opening, "PARALLEL_FROM", 10)
    monkeypatch.setattr(opening, "BATCH", 7)
    monkeypatch.setattr(opening.os, "cpu_count", lambda: 2)
    assert opening.decrypt_all(box, "c1", sealed) == ballots

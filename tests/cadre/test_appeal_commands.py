"""Publication and appeals from the command line, down to the shared database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from storage.engine import make_engine
from storage.models import AuditEvent, Cadre, Campaign
from surveys.collection.ballots import submit_ballot
from surveys.results.appeals import file_appeal
from surveys.setup.campaigns import CampaignError
from tests.cli import CLOSED_DURING, CadreCli
from tests.factories import complete_answers, tokens

DURING = CLOSED_DURING


@pytest.fixture
def closed(tmp_path) -> tuple[CadreCli, str]:
    """A January campaign (closed by now) in which every named rater answered 'fair'."""
    cadre = CadreCli(tmp_path)
    cadre.env["CADRE_SHARED_DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared.db'}"
    campaign_id = cadre.create_closed_campaign()
    with cadre.session() as session:
        campaign = session.get(Campaign, campaign_id)
        for token in tokens(session, campaign).values():
            answers = complete_answers(session, token, DURING, value="fair", vote="competent")
            submit_ballot(session=session, token=token, answers=answers, now=DURING)
            session.commit()
    cadre("box", "open", campaign_id)
    return cadre, campaign_id


def appeal_for(cadre: CadreCli, campaign_id: str, moment: datetime) -> str:
    with cadre.session() as session:
        campaign = session.get(Campaign, campaign_id)
        c1 = session.exec(select(Cadre).where(Cadre.external_id == "C1")).one()
        appeal = file_appeal(
            session=session,
            campaign=campaign,
            cadre=c1,
            reason="评分有误",
            actor="cadre:C1",
            now=moment,
        )
        session.commit()
        return appeal.id


def shared_row(cadre: CadreCli, campaign_id: str) -> dict:
    engine = make_engine(cadre.env["CADRE_SHARED_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return dict(
                connection.execute(
                    sa.text(
                        "SELECT * FROM cadre_summary WHERE campaign_id = :c AND cadre_id = 'C1'"
                    ),
                    {"c": campaign_id},
                )
                .mappings()
                .one()
            )
    finally:
        engine.dispose()


def test_a_revised_appeal_reaches_the_shared_database(closed):
    cadre, campaign_id = closed
    out = cadre("results", "publish", campaign_id, "--appeal-days", "7").output
    assert "Published the results of 2025年度考核." in out
    appeal = appeal_for(cadre, campaign_id, datetime.now(UTC))
    listed = cadre("appeals", "list", campaign_id).output
    assert appeal[:8] in listed and "评分有误" in listed and "open" in listed
    cadre("results", "push", campaign_id)
    assert shared_row(cadre, campaign_id)["grade"] == "basically_competent"  # 60 points: fair
    decided = cadre(
        "appeals", "decide", appeal[:8], "--revise", "competent", "--reason", "复核后改定"
    ).output
    assert "Decided: revised." in decided
    cadre("results", "push", campaign_id)
    row = shared_row(cadre, campaign_id)
    assert row["grade"] == "competent" and row["grade_by_rules"] == "basically_competent"
    assert row["revised_on_appeal"] in (True, 1)
    assert row["ledger_size"] == 8 and len(row["ledger_root"]) == 64
    again = cadre("appeals", "decide", appeal[:8], "--uphold", "--reason", "x", code=2).output
    assert "already decided" in again
    with cadre.session() as session:
        actions = [event.action for event in session.exec(select(AuditEvent)).all()]
    assert actions.count("publish") == 1 and "appeal_filed" in actions
    assert "appeal_revised" in actions


def test_an_appeal_after_the_period_is_refused(closed):
    cadre, campaign_id = closed
    cadre("results", "publish", campaign_id, "--appeal-days", "3")
    with pytest.raises(CampaignError) as refused:
        appeal_for(cadre, campaign_id, datetime.now(UTC) + timedelta(days=5))
    assert refused.value.message == "The appeal period ended on %(day)s."


def test_an_upheld_appeal_keeps_the_grade(closed):
    cadre, campaign_id = closed
    cadre("results", "publish", campaign_id)
    appeal = appeal_for(cadre, campaign_id, datetime.now(UTC))
    cadre("appeals", "decide", appeal, "--uphold", "--reason", "评分符合规则")
    cadre("results", "push", campaign_id)
    assert shared_row(cadre, campaign_id)["grade"] == "basically_competent"
    assert "Give either" in cadre("appeals", "decide", appeal, "--reason", "x", code=2).output


def test_an_auditor_checks_the_shared_summary_against_the_ballots(closed):
    cadre, campaign_id = closed
    cadre("results", "publish", campaign_id)
    cadre("results", "push", campaign_id)
    out = cadre("ledger", "verify", campaign_id, "--shared").output
    assert "The shared summary was computed from exactly these ballots." in out
    engine = make_engine(cadre.env["CADRE_SHARED_DATABASE_URL"])
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE cadre_summary SET composite = 99 WHERE cadre_id = 'C1'")
            )
    finally:
        engine.dispose()
    tampered = cadre("ledger", "verify", campaign_id, "--shared", code=1).output
    assert "Shared summary of C1: composite is 99" in tampered and "ballots give 60" in tampered

"""The newcomer's demo: an open campaign to answer beside last round's, opened with samples."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import Session, func, select

from cadre.cli import cli
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import AuditEvent, Campaign, Invitation, Response, SealedBallot
from surveys.demo import (
    DEMO_CAMPAIGN,
    OPENED_DEMO_CAMPAIGN,
    PUBLIC_RATINGS,
    SILENT,
    load_demo,
    load_opened_demo,
)
from surveys.results.reports import campaign_overview
from surveys.sealing.ballot_box import key_file
from surveys.sealing.ballot_ledger import current_hashes, recorded_hashes
from surveys.setup.campaigns import campaign_state
from tests.factories import BOX_KEYS, LEDGER_KEY, SECRET
from tests.hr import hr_client
from tests.web import app_fixture, visible  # noqa: F401


def load_both(session: Session, now) -> tuple[Campaign, Campaign]:
    """The open demo and last round's, as ``cadre demo`` loads them, at ``now``."""
    common = {"session": session, "now": now, "secret_key": SECRET, "timezone": "Asia/Shanghai"}
    opened = load_opened_demo(**common, box_keys=BOX_KEYS, ledger_key=LEDGER_KEY).campaign
    current = load_demo(**common, box_keys=BOX_KEYS).campaign
    session.commit()
    return current, opened


def test_last_round_is_closed_and_opened_through_the_real_path(engine, now):
    with Session(engine) as session:
        current, opened = load_both(session, now)
        assert campaign_state(current, now) == "open"
        assert campaign_state(opened, now) == "closed" and opened.closes_at < now
        assert opened.box_opened_at == now and opened.closed_done_at == now
        assert opened.roster_id == current.roster_id  # one bureau, two rounds
        count = select(func.count()).select_from(SealedBallot)
        assert session.exec(count.where(SealedBallot.campaign_id == opened.id)).one() == 0
        used = session.exec(
            select(Invitation.status).where(Invitation.campaign_id == opened.id)
        ).all()
        assert used.count("pending") == len(SILENT) and used.count("completed") == 40 - len(SILENT)
        responses = session.exec(select(Response).where(Response.campaign_id == opened.id)).all()
        public = [response for response in responses if response.group == "public"]
        assert len(public) == sum(PUBLIC_RATINGS.values())
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.campaign_id == opened.id)
        ).all()
        assert {"open", "open_box", "close"} <= set(actions)
        hashes = recorded_hashes(session=session, campaign_id=opened.id)
        assert hashes == current_hashes(session=session, campaign_id=opened.id)
        assert len(hashes) == len(responses)


def test_last_round_shows_grades_flags_and_comments_at_once(engine, now):
    with Session(engine) as session:
        _, opened = load_both(session, now)
        overview = campaign_overview(session=session, campaign=opened)
    grades = [result.decision.grade for result in overview.results]
    assert len(grades) == 8 and None not in grades
    assert len(set(grades)) >= 3  # a spread HR can read, not eight identical grades
    checks = {flag.check for flag in overview.flags}
    assert {"straight_line", "severe"} <= checks
    assert any(disclosure.comments for disclosure in overview.comments.values())


def test_the_samples_are_the_same_on_every_load(engine, now, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(other)
    try:
        figures = []
        for database, moment in ((engine, now), (other, now + timedelta(days=400))):
            with Session(database) as session:
                _, opened = load_both(session, moment)
                overview = campaign_overview(session=session, campaign=opened)
                # Rounded: the opening shuffles the rows, so float sums differ in the last bit.
                shown = [(r.cadre.external_id, r.shown.composite) for r in overview.results]
                figures.append([(cadre, round(composite, 6)) for cadre, composite in shown])
    finally:
        other.dispose()
    assert figures[0] == figures[1]


@pytest.fixture
def demo(tmp_path):
    """``cadre demo --json`` once on a fresh data folder, as a newcomer runs it."""
    env = {"CADRE_DATA_DIR": str(tmp_path), "CADRE_LOCALE": "en", "CADRE_DATABASE_URL": None}

    def run(*args):
        return CliRunner().invoke(cli, list(args), env=env)

    loaded = run("demo", "--json")
    assert loaded.exit_code == 0, loaded.output
    return run, json.loads(loaded.output), tmp_path


def test_the_demo_command_gives_results_at_once(demo):
    run, data, folder = demo
    assert data["opened_campaign_name"] == OPENED_DEMO_CAMPAIGN
    assert data["campaign_name"] == DEMO_CAMPAIGN and len(data["rater_links"]) == 40
    opened = data["opened_campaign_id"]
    assert not key_file(folder / "box-keys", opened).exists()  # destroyed, as at a real close
    results = run("results", opened[:8])
    assert results.exit_code == 0, results.output
    assert "Excellent" in results.output and "Quality checks" in results.output
    assert "sealed" not in results.output
    sealed = run("results", data["campaign_id"][:8])
    assert sealed.exit_code == 0 and "The ballot box is sealed" in sealed.output
    again = json.loads(run("demo", "--json").output)
    assert again == data  # loaded once; later runs show the same campaigns


def test_the_summary_points_at_last_rounds_results(demo):
    run, data, _ = demo
    summary = run("demo")
    assert summary.exit_code == 0, summary.output
    assert "Last round, closed and opened with fictional sample ballots" in summary.output
    assert f"cadre results {data['opened_campaign_id'][:8]}" in summary.output


def test_the_admin_console_shows_last_rounds_grades_at_once(app, now):
    with Session(app.extensions["cadre_engine"], expire_on_commit=False) as session:
        current, opened = load_both(session, now)
    officer = hr_client(app, "officer")
    dashboard = visible(officer.get("/admin/").data)
    assert OPENED_DEMO_CAMPAIGN in dashboard and DEMO_CAMPAIGN in dashboard
    page = officer.get(f"/admin/campaigns/{opened.id}")
    assert page.status_code == 200
    assert "周建国" in visible(page.data) and "Excellent" in visible(page.data)
    report = officer.get(f"/admin/campaigns/{opened.id}/cadres/G01")
    assert report.status_code == 200 and "周建国" in visible(report.data)
    sealed = visible(officer.get(f"/admin/campaigns/{current.id}").data)
    assert "Excellent" not in sealed  # the open round shows progress only

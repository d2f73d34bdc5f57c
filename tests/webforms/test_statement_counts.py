"""No query per row: every page, download and progress view costs the same number of SQL
statements for a roster of 3 cadres as for one of 30.

Each test builds the same campaign at two roster sizes on real SQLite files,
drives the real app (or the real ``cadre`` command, or the bot core) and
counts what reaches the database cursor.  A count that grows with the roster
means a loop issues a query per cadre, rater or ballot somewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import Session

from bot.actions import Incoming
from bot.conversation import BotConfig
from bot.core import BotCore
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Campaign
from surveys.collection.ballots import submit_ballot
from surveys.notification.publication import publish_results
from surveys.results.appeals import file_appeal
from surveys.setup.campaigns import campaign_cadres
from surveys.setup.channels import create_channel
from surveys.setup.roster import RosterRows
from tests.cli import CadreCli
from tests.factories import (
    CLOSES,
    SECRET,
    complete_answers,
    make_campaign,
    open_boxes,
    roster_rows,
    tokens,
)
from tests.hr import hr_client
from tests.web import BASE_URL, make_app, parse
from tests.webforms.test_public_form import scanned

SMALL, LARGE = 3, 30
# Inside the factories' campaign window (12:00 in Asia/Shanghai), as the `now` fixture.
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
AFTER = CLOSES + timedelta(hours=2)  # results published, appeals filed
NOTICE_UNTIL = date(2026, 12, 20)
SUPERIOR = "S"  # rates every cadre: the longest rater form
HR_CHAT = 4242


def sized_roster(size: int) -> RosterRows:
    """``size`` cadres in three units; one superior of all, three peers and three
    subordinates per cadre, so every group of every cadre reaches the threshold of 3."""
    cadres = [
        {"id": f"C{n:02}", "name": f"干部{n}", "unit": f"单位{n % 3}", "post": "科长"}
        for n in range(size)
    ]
    raters = [{"id": SUPERIOR, "name": "上级", "phone": "", "telegram": ""}]
    assignments = [(SUPERIOR, cadre["id"], "superior") for cadre in cadres]
    for n in range(size):
        raters.append({"id": f"P{n:02}", "name": f"同级{n}", "phone": "", "telegram": ""})
        assignments += [(f"P{n:02}", f"C{(n + k) % size:02}", "peer") for k in range(3)]
        for k in range(3):
            raters.append({"id": f"B{n:02}{k}", "name": f"下级{n}{k}", "phone": "", "telegram": ""})
            assignments.append((f"B{n:02}{k}", f"C{n:02}", "subordinate"))
    return roster_rows(cadres, raters, assignments)


@dataclass
class Scenario:
    """One campaign of a given roster size in its own database, with the app serving it."""

    size: int
    app: Flask
    engine: sa.Engine
    url: str
    campaign: Campaign
    tokens: dict[str, str]
    channel_slug: str


def build(folder: Path, size: int, *, answered: bool = False) -> Scenario:
    """A migrated SQLite file with the campaign and a public window rating every cadre;
    with ``answered`` every named rater has answered, the ballot box is open, the results
    are published (on public notice) and every cadre has appealed; the app stands then."""
    folder.mkdir()
    url = f"sqlite:///{folder / 'cadre.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=NOW, rows=sized_roster(size))
        channel = create_channel(
            session=session,
            campaign=campaign,
            name="综合窗口",
            cadre_ids=[f"C{n:02}" for n in range(size)],
        )
        session.commit()
        links = tokens(session, campaign)
        if answered:
            for token in links.values():
                answers = complete_answers(session, token, NOW, comment="工作认真")
                submit_ballot(session=session, token=token, answers=answers, now=NOW)
            session.commit()
            open_boxes(session)
            publish_and_appeal(session, campaign)
    engine.dispose()
    app = make_app(url, AFTER if answered else NOW)
    return Scenario(size, app, app.extensions["cadre_engine"], url, campaign, links, channel.slug)


def publish_and_appeal(session: Session, campaign: Campaign) -> None:
    """Publish with a public notice, and file one appeal per cadre."""
    campaign = session.get(Campaign, campaign.id)
    assert publish_results(
        session=session, campaign=campaign, now=AFTER, publicity_until=NOTICE_UNTIL
    )
    for cadre in campaign_cadres(session=session, campaign=campaign):
        file_appeal(
            session=session, campaign=campaign, cadre=cadre, reason="评分有误", actor="cadre",
            now=AFTER,
        )  # fmt: skip
    session.commit()


@pytest.fixture
def scenarios(tmp_path) -> Iterator[list[Scenario]]:
    """The open campaign at both sizes, nothing answered yet."""
    built = [build(tmp_path / str(size), size) for size in (SMALL, LARGE)]
    yield built
    for scenario in built:
        scenario.engine.dispose()


@pytest.fixture
def opened(tmp_path) -> Iterator[list[Scenario]]:
    """Both sizes with every ballot in and the box opened: the results exist."""
    built = [build(tmp_path / str(size), size, answered=True) for size in (SMALL, LARGE)]
    yield built
    for scenario in built:
        scenario.engine.dispose()


@contextmanager
def counted(
    engine: sa.Engine | type[sa.Engine], database: str | None = None
) -> Iterator[list[str]]:
    """The statements sent to the database while the block runs.

    Given ``sa.Engine`` itself, it hears every engine of this process (for commands that
    build their own) and keeps only the statements sent to ``database`` (a URL).
    """
    statements: list[str] = []
    wanted = sa.make_url(database).database if database else None

    def note(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if wanted is None or conn.engine.url.database == wanted:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def assert_same_count(counts: dict[int, list[str]], what: str) -> None:
    """The same number of statements at both sizes; on failure, show what the large one sent."""
    small, large = counts[SMALL], counts[LARGE]
    assert small, f"{what}: no statement was heard (is the listener on the right engine?)"
    assert len(small) == len(large), (
        f"{what}: {len(small)} statements when small but {len(large)} when large:\n"
        + "\n".join(large)
    )


def statements_of(scenarios: list[Scenario], action, anywhere: bool = False) -> dict[int, list]:
    """Run ``action(scenario)`` at each size and collect the statements it sent to the
    scenario's database: through the app's engine, or ``anywhere`` in this process."""
    counts = {}
    for scenario in scenarios:
        listened = (sa.Engine, scenario.url) if anywhere else (scenario.engine,)
        with counted(*listened) as statements:
            action(scenario)
        counts[scenario.size] = statements
    return counts


def english(app: Flask) -> FlaskClient:
    """A browser client reading English pages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def ok(response, status: int = 200):
    """The response, after checking its status (a failing page would count too few queries)."""
    assert response.status_code == status, response.data[:2000]
    return response


# --- the rater form ----------------------------------------------------------------------------


def test_the_rater_form_costs_the_same_for_3_or_30_cadres(scenarios):
    """The superior's form lists every cadre: showing and submitting it reads them at once."""
    clients = {s.size: english(s.app) for s in scenarios}
    pages = {}

    def arrive(scenario: Scenario) -> None:
        ok(clients[scenario.size].get(f"/r/{scenario.tokens[SUPERIOR]}"), 303)

    def show(scenario: Scenario) -> None:
        response = ok(clients[scenario.size].get("/r/"))
        pages[scenario.size] = parse(response.data)

    def submit(scenario: Scenario) -> None:
        data = pages[scenario.size].valid_answers(comment="很好")
        ok(clients[scenario.size].post("/r/", data=data), 303)

    assert_same_count(statements_of(scenarios, arrive), "opening the link")
    assert_same_count(statements_of(scenarios, show), "showing the form")
    assert len(pages[LARGE].radios) > len(pages[SMALL].radios) * 9  # really 10 times the form
    assert_same_count(statements_of(scenarios, submit), "submitting the form")


# --- the public form ---------------------------------------------------------------------------


def test_the_public_form_costs_the_same_for_3_or_30_cadres_at_the_window(scenarios):
    """A window rating every cadre of the roster: the choice list is one query."""
    clients = {s.size: english(s.app) for s in scenarios}
    pages = {}

    def show(scenario: Scenario) -> None:
        path = f"/p/{scenario.channel_slug}"
        pages[scenario.size] = parse(ok(clients[scenario.size].get(scanned(path, NOW))).data)

    def submit(scenario: Scenario) -> None:
        data = pages[scenario.size].valid_answers(comment="态度好")
        data["cadre"] = pages[scenario.size].radios["cadre"][-1]
        ok(clients[scenario.size].post(f"/p/{scenario.channel_slug}", data=data), 303)

    assert_same_count(statements_of(scenarios, show), "showing the public form")
    assert len(pages[LARGE].radios["cadre"]) == LARGE
    assert_same_count(statements_of(scenarios, submit), "submitting the public form")


# --- progress while the box is sealed ----------------------------------------------------------


def answer_some(scenario: Scenario) -> None:
    """A third of the raters answer, so the progress has something to count."""
    engine = make_engine(scenario.url)
    with Session(engine) as session:
        for _rater, token in sorted(scenario.tokens.items())[::3]:
            answers = complete_answers(session, token, NOW)
            submit_ballot(session=session, token=token, answers=answers, now=NOW)
        session.commit()
    engine.dispose()


def test_hr_progress_costs_the_same_for_3_or_30_cadres_while_sealed(scenarios, tmp_path):
    """The dashboard, the sealed campaign page, ``cadre results`` and the bot's /progress."""
    for scenario in scenarios:
        answer_some(scenario)
    clients = {s.size: hr_client(s.app, "officer") for s in scenarios}

    def dashboard(scenario: Scenario) -> None:
        ok(clients[scenario.size].get("/admin/"))

    def campaign_page(scenario: Scenario) -> None:
        page = ok(clients[scenario.size].get(f"/admin/campaigns/{scenario.campaign.id}")).text
        assert f"干部{scenario.size - 1}" in page  # every cadre's progress is listed

    def command(scenario: Scenario) -> None:
        runner = CadreCli(tmp_path / f"cli-{scenario.size}", database_url=scenario.url)
        output = runner("results", scenario.campaign.id).output
        assert f"干部{scenario.size - 1}" in output

    def bot(scenario: Scenario) -> None:
        config = BotConfig(secret_key=SECRET, base_url=BASE_URL, hr_chats=frozenset({HR_CHAT}))
        core = BotCore(engine=scenario.engine, config=config, clock=lambda: NOW)
        incoming = Incoming(
            chat_id=HR_CHAT, language="zh", text=f"/progress {scenario.campaign.id}"
        )
        (reply,) = core.handle(incoming)
        assert f"干部{scenario.size - 1}" in reply.text

    assert_same_count(statements_of(scenarios, dashboard), "the dashboard")
    assert_same_count(statements_of(scenarios, campaign_page), "the sealed campaign page")
    assert_same_count(statements_of(scenarios, command, anywhere=True), "cadre results (sealed)")
    assert_same_count(statements_of(scenarios, bot), "the bot's /progress")


def test_the_dashboard_reads_all_campaigns_at_once(scenarios):
    """Ten campaigns on the dashboard cost what one does: completion is one grouped query."""
    small, large = scenarios
    with Session(large.engine) as session:
        for _ in range(9):
            make_campaign(session, now=NOW, rows=sized_roster(3))
    counts = {}
    for scenario in scenarios:
        client = hr_client(scenario.app, "auditor")
        with counted(scenario.engine) as statements:
            page = ok(client.get("/admin/")).text
        counts[scenario.size] = statements
        assert page.count("2026年度考核") == (1 if scenario is small else 10)
    assert_same_count(counts, "the dashboard with 1 or 10 campaigns")


# --- results once the box is open --------------------------------------------------------------


def test_the_results_cost_the_same_for_3_or_30_cadres(opened, tmp_path):
    """Overview, one cadre's page, its radar and PDF, both downloads, the appeals (one per
    cadre), the public notice once published, and ``cadre results`` (overview, report)."""
    clients = {s.size: hr_client(s.app, "auditor") for s in opened}

    def get(path: str, check: str | None = None):
        def action(scenario: Scenario) -> None:
            base = f"/admin/campaigns/{scenario.campaign.id}"
            response = ok(clients[scenario.size].get(base + path))
            if check is not None:
                assert check.format(last=scenario.size - 1) in response.text

        return action

    for path, check, what in (
        ("", "干部{last}", "the results overview"),
        ("/cadres/C01", "干部1", "one cadre's page"),
        ("/cadres/C01/radar.png", None, "the radar chart"),
        ("/cadres/C01/report.pdf", None, "one cadre's PDF"),
        ("/results.xlsx", None, "the results workbook"),
        ("/overview.pdf", None, "the overview PDF"),
        ("/appeals", "干部{last}", "the appeals"),
        ("/themes", "干部{last}", "the comment themes per unit"),
    ):
        assert_same_count(statements_of(opened, get(path, check)), what)

    def notice(scenario: Scenario) -> None:
        ok(english(scenario.app).get(f"/publicity/{scenario.campaign.id}"))

    assert_same_count(statements_of(opened, notice), "the public notice")

    def command(*args: str):
        def action(scenario: Scenario) -> None:
            runner = CadreCli(tmp_path / f"cli-{scenario.size}", database_url=scenario.url)
            words = [word.format(campaign=scenario.campaign.id) for word in args]
            assert "干部1" in runner("results", *words).output

        return action

    for args in (("{campaign}",), ("report", "{campaign}", "C01")):
        what = " ".join(("cadre results", *args)).replace("{campaign}", "CAMPAIGN")
        assert_same_count(statements_of(opened, command(*args), anywhere=True), what)

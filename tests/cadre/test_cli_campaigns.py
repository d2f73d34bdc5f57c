"""The HR command line: roster import, campaign creation, results, demo; errors exit 2."""

from __future__ import annotations

import json
import re
from importlib import resources

import openpyxl
import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from cadre.cli import cli
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Campaign, Roster
from surveys.setup.roster import write_workbook
from tests.cli import CadreCli
from tests.conftest import NOW
from tests.factories import ROSTER


@pytest.fixture
def run(tmp_path):
    """Run ``cadre`` in English on a data folder of its own."""
    env = {
        "CADRE_DATA_DIR": str(tmp_path),
        "CADRE_LOCALE": "en",
        "CADRE_DATABASE_URL": None,
        "CADRE_SHARED_DATABASE_URL": None,
        "CADRE_BASE_URL": "http://forms.example",
    }

    def invoke(*args, **extra_env):
        return CliRunner().invoke(cli, [str(arg) for arg in args], env=env | extra_env)

    invoke.folder = tmp_path
    return invoke


@pytest.fixture
def roster_id(run, tmp_path):
    write_workbook(tmp_path / "roster.xlsx", ROSTER)
    result = run("roster", "import", tmp_path / "roster.xlsx")
    assert result.exit_code == 0, result.output
    return re.search(r"roster ([0-9a-f]{32})", result.output).group(1)


def create(run, roster_id, *extra):
    return run(
        "campaign",
        "create",
        "--name",
        "2026年度考核",
        "--roster",
        roster_id,
        "--opens",
        "2026-12-01 08:00",
        "--deadline",
        "2026-12-10 18:00",
        *extra,
    )


def test_roster_template_has_the_three_sheets(run, tmp_path):
    result = run("roster", "template", tmp_path / "empty.xlsx")
    assert result.exit_code == 0
    workbook = openpyxl.load_workbook(tmp_path / "empty.xlsx")
    assert workbook.sheetnames == ["cadres", "raters", "assignments"]
    assert [cell.value for cell in workbook["assignments"][1]] == ["rater_id", "cadre_id", "group"]


def test_the_template_imported_as_written_names_the_example_rows_and_exits_2(run, tmp_path):
    run("roster", "template", tmp_path / "roster.xlsx")
    result = run("roster", "import", tmp_path / "roster.xlsx")
    assert result.exit_code == 2
    assert "sheet cadres, row 2: 示例G01 is the template's example row" in result.output
    assert "sheet assignments, row 2" in result.output and "Traceback" not in result.output
    assert stored_column(tmp_path, Roster.id) == []  # nothing imported


def test_roster_ids_take_a_unique_prefix(run, roster_id):
    result = create(run, roster_id[:6])
    assert result.exit_code == 0, result.output
    assert stored_column(run.folder, Campaign.roster_id) == [roster_id]


def stored_column(folder, column) -> list:
    """One column of every row, read from the command's own database file."""
    engine = make_engine(f"sqlite:///{folder / 'cadre.db'}")
    upgrade(engine)  # a refused import may not have created it
    try:
        with Session(engine) as session:
            return list(session.exec(select(column)).all())
    finally:
        engine.dispose()


def test_an_ambiguous_roster_prefix_exits_2_listing_the_rosters_it_could_mean(run, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cadre.db'}")
    upgrade(engine)
    ids = ["abcd1111" + "0" * 24, "abcd2222" + "0" * 24]
    with Session(engine) as session:
        session.add_all(Roster(id=key, name=key[:8], imported_at=NOW) for key in ids)
        session.commit()
    engine.dispose()
    result = create(run, "abcd")
    assert result.exit_code == 2
    assert f"abcd could mean several ids: {ids[0]}, {ids[1]}" in result.output
    assert create(run, "abcd2").exit_code == 0
    unknown = create(run, "ffff")
    assert unknown.exit_code == 2 and "no roster with id ffff" in unknown.output


def test_bad_roster_lists_rows_and_exits_2(run, tmp_path):
    bad = {
        **ROSTER,
        "assignments": [
            {"rater_id": "R9", "cadre_id": "C1", "group": "peer"},
            {"rater_id": "R1", "cadre_id": "C1", "group": "boss"},
        ],
    }
    write_workbook(tmp_path / "bad.xlsx", bad)
    result = run("roster", "import", tmp_path / "bad.xlsx")
    assert result.exit_code == 2
    assert "sheet assignments, row 2: unknown rater id R9" in result.output
    assert "sheet assignments, row 3: unknown group boss" in result.output
    assert "Traceback" not in result.output


def test_roster_errors_in_chinese(run, tmp_path):
    write_workbook(tmp_path / "bad.xlsx", {**ROSTER, "cadres": []})
    result = run("roster", "import", tmp_path / "bad.xlsx", CADRE_LOCALE="zh")
    assert result.exit_code == 2
    assert "名册" in result.output


def test_campaign_create_issues_one_invitation_per_rater(run, roster_id):
    result = create(run, roster_id)
    assert result.exit_code == 0, result.output
    assert "with 4 invitations" in result.output
    listed = run("campaign", "list")
    assert "2026年度考核" in listed.output and "2026-12-01 08:00" in listed.output


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"--deadline": "2026-11-30 08:00"}, "deadline must be after"),
        ({"--opens": "next week"}, "Cannot read the time next week"),
        ({"--template": "missing.yaml"}, "no such template file"),
    ],
)
def test_campaign_create_refuses_bad_input(run, roster_id, override, message):
    options = {
        "--name": "X",
        "--roster": roster_id,
        "--opens": "2026-12-01 08:00",
        "--deadline": "2026-12-10 18:00",
    } | override
    result = run("campaign", "create", *[part for pair in options.items() for part in pair])
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_roster_and_campaign(run):
    assert "no roster with id nope" in create(run, "nope").output
    result = run("results", "0000ffff")
    assert result.exit_code == 2 and "no campaign with id 0000ffff" in result.output


def test_results_without_responses_and_workbook(run, roster_id, tmp_path):
    campaign_id = re.search(r"campaign ([0-9a-f]{32})", create(run, roster_id).output).group(1)
    sealed = run("results", campaign_id[:8])
    assert sealed.exit_code == 0 and "The ballot box is sealed until the deadline" in sealed.output
    assert "Composite" not in sealed.output and "王伟" in sealed.output  # progress only
    refused = run("results", campaign_id[:8], "--xlsx", tmp_path / "r.xlsx")
    assert refused.exit_code == 2 and "sealed" in refused.output
    assert not (tmp_path / "r.xlsx").exists()
    engine = make_engine(f"sqlite:///{tmp_path / 'cadre.db'}")
    with Session(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        campaign.box_opened_at = campaign.closes_at  # opened empty: nobody answered
        session.add(campaign)
        session.commit()
    engine.dispose()
    result = run("results", campaign_id[:8], "--xlsx", tmp_path / "r.xlsx")
    assert result.exit_code == 0, result.output
    assert "王伟" in result.output and "Composite" in result.output
    workbook = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert workbook.sheetnames[:2] == ["Overview", "Ranking"]
    assert workbook["Ranking"]["C2"].value == "王伟"


def test_push_needs_a_shared_database(run, roster_id):
    campaign_id = re.search(r"campaign ([0-9a-f]{32})", create(run, roster_id).output).group(1)
    result = run("results", "push", campaign_id)
    assert result.exit_code == 2
    assert "CADRE_SHARED_DATABASE_URL" in result.output


def test_push_to_an_unreachable_server_is_explained(run, roster_id, tmp_path):
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"
    # A sealed box is refused before the shared database is touched at all.
    campaign_id = re.search(r"campaign ([0-9a-f]{32})", create(run, roster_id).output).group(1)
    sealed = run("results", "push", campaign_id, CADRE_SHARED_DATABASE_URL=unreachable)
    assert sealed.exit_code == 2 and "The ballot box is sealed" in sealed.output
    # An opened one meets the unreachable server and says so.
    (tmp_path / "opened").mkdir()
    cadre = CadreCli(tmp_path / "opened")
    opened = cadre.create_closed_campaign()
    cadre("box", "open", opened)
    cadre.env["CADRE_SHARED_DATABASE_URL"] = unreachable
    result = cadre("results", "push", opened, code=2)
    assert "Cannot write to the shared database" in result.output


def test_weak_secret_key_is_refused(run):
    result = run("campaign", "list", CADRE_SECRET_KEY="changethis")
    assert result.exit_code == 2
    assert "CADRE_SECRET_KEY" in result.output


def test_demo_json_lists_every_link_and_is_idempotent(run):
    first = run("demo", "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert len(data["rater_links"]) == 40
    assert len(data["public_links"]) == 2
    assert all(link["url"].startswith("http://forms.example/r/") for link in data["rater_links"])
    again = json.loads(run("demo", "--json").output)
    assert again == data


def test_demo_summary_prints_links_and_a_terminal_qr(run):
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "http://forms.example/r/" in result.output
    assert "http://forms.example/p/" in result.output
    assert "Campaign id" in result.output


def test_db_upgrade_creates_the_schema_in_the_data_folder(run, tmp_path):
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert "schema is up to date" in result.output
    assert (tmp_path / "cadre.db").is_file()


def test_wsgi_factory_reads_the_settings(monkeypatch, tmp_path):
    from cadre.wsgi import build_app

    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CADRE_BASE_URL", "https://forms.example")
    app = build_app()
    assert app.config["BASE_URL"] == "https://forms.example"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert str(tmp_path) in app.config["DATABASE_URL"]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
        "not a database url",
    ],
)
def test_an_unusable_database_is_explained(run, url):
    result = run("campaign", "list", CADRE_DATABASE_URL=url)
    assert result.exit_code == 2
    assert "Cannot use the database" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_time_zone_setting_is_refused(run):
    result = run("campaign", "list", CADRE_TIMEZONE="Mars/Olympus")
    assert result.exit_code == 2
    assert "CADRE_TIMEZONE" in result.output and "unknown time zone" in result.output


def test_a_campaign_may_have_its_own_time_zone(run, roster_id):
    result = create(run, roster_id, "--timezone", "Asia/Urumqi")
    assert result.exit_code == 0, result.output
    listed = run("campaign", "list").output
    assert "2026-12-01 08:00" in listed  # shown in the campaign's own zone
    bad = create(run, roster_id, "--timezone", "Asia/Nowhere")
    assert bad.exit_code == 2 and "unknown time zone Asia/Nowhere" in bad.output


def test_campaign_create_refuses_an_infinite_weight(run, roster_id, tmp_path):
    """Issue 14, finding 8: a template with ``weight: .inf`` created a campaign whose
    composites came out nan, every grade Incompetent."""
    text = (resources.files("surveys") / "templates" / "annual.yaml").read_text(encoding="utf-8")
    template = tmp_path / "inf.yaml"
    template.write_text(text.replace("weight: 20", "weight: .inf", 1), encoding="utf-8")
    result = create(run, roster_id, "--template", template)
    assert result.exit_code == 2, result.output
    assert "dimensions[0].weight" in result.output and "Traceback" not in result.output


def test_roster_template_into_a_missing_folder_exits_2(run, tmp_path):
    """An unwritable path printed a traceback (FileNotFoundError) and exited 1."""
    result = run("roster", "template", tmp_path / "missing" / "roster.xlsx")
    assert result.exit_code == 2 and "Cannot write" in result.output
    assert "Traceback" not in result.output

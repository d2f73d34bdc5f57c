"""Roster workbook to phone form to the shared PostgreSQL table, through the real parts.

The CLI runs through click, the forms through the real Flask app's test
client (CSRF on), the shared database is a fresh PostgreSQL database.  The
expected numbers are worked out by hand below.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, select

from cadre.cli import cli
from storage.engine import make_engine
from storage.models import Cadre, Campaign, Response
from surveys.setup.roster import write_workbook
from tests.databases import postgres_database
from tests.factories import ROSTER
from webforms import create_app

pytestmark = pytest.mark.postgres

TEMPLATE = """
key: tiny
title: {zh: 小测评, en: Tiny assessment}
scale:
  - {key: good, points: 100, label: {zh: 好, en: Good}}
  - {key: fairly_good, points: 80, label: {zh: 较好, en: Fairly good}}
  - {key: fair, points: 60, label: {zh: 一般, en: Fair}}
  - {key: poor, points: 30, label: {zh: 差, en: Poor}}
group_weights: {superior: 30, peer: 20, subordinate: 30, public: 20}
dimensions:
  - key: de
    title: {zh: 德, en: Integrity}
    items:
      - {key: d1, text: {zh: 政治立场坚定, en: Firm stance}, groups: [superior, peer, subordinate]}
  - key: ji
    title: {zh: 绩, en: Performance}
    items:
      - {key: j1, text: {zh: 完成目标任务, en: Meets targets}, groups: [superior, subordinate]}
vote: {groups: [superior, peer, subordinate]}
"""

# What each rater answers, per cadre: (d1, j1, vote).  j1 is None where the
# group is not asked it.
ANSWERS = {
    "R1": {
        "C1": ("good", "fairly_good", "excellent"),
        "C2": ("fair", "poor", "basically_competent"),
    },
    "R2": {"C1": ("fair", None, "competent")},
    "R3": {"C1": ("good", "good", "excellent"), "C2": ("fairly_good", "fairly_good", "competent")},
    "R4": {"C1": ("fairly_good", "fair", "competent")},
}
# Two members of the public rate C1 at the window (public-service form, prefixed pub_).
PUBLIC = [
    {
        "pub_attitude": "good",
        "pub_efficiency": "fairly_good",
        "pub_overall": "good",
        "pub_clean": "good",
    },
    {
        "pub_attitude": "fair",
        "pub_efficiency": "fair",
        "pub_overall": "fairly_good",
        "pub_clean": "good",
    },
]

# Worked by hand.
# C1  superior: de 100, ji 80 -> group 90.      peer: de 60 -> 60.
#     subordinate: d1 (100+80)/2 = 90, j1 (100+60)/2 = 80 -> de 90, ji 80 -> 85.
#     public: qin = attitude (100+60)/2 = 80; ji = mean(efficiency 70, overall 90) = 80;
#             lian = clean 100 -> (80+80+100)/3 = 86.666...
#     composite = (30*90 + 20*60 + 30*85 + 20*86.667) / 100 = 81.8333 -> 81.83
#     de = (30*100 + 20*60 + 30*90) / 80 = 86.25; ji = (30*80 + 30*80 + 20*80) / 80 = 80
#     votes: 2 excellent, 2 competent.
# C2  superior: de 60, ji 30 -> 45.   subordinate: de 80, ji 80 -> 80.   no peer, no public.
#     composite = (30*45 + 30*80) / 60 = 62.5
#     votes: 1 basically_competent, 1 competent.
# What may be shown (anonymity_k 3, the default):
# C1  every group has fewer than 3 responses; together 6: one "other raters" line, its
#     score the composite, 81.83.  de rests on superior, peer, subordinate (4 responses)
#     and ji on superior, subordinate, public (5): shown; qin and lian rest on the 2 public
#     responses only: withheld.  4 votes: shares shown.  Grade: 81.83 is in the default
#     band for Competent (75); alone in being ranked: rank 1 of 1, percentile 50.
# C2  2 responses in all: nothing is shown, not the composite, not the 2 votes' shares, not
#     the grade (it would tell a figure of 2 people); it is not ranked.
EXPECTED = {
    "C1": {
        "responses_total": 6,
        "responses_by_group": {"other": 6},
        "group_scores": {"other": 81.83},
        "dimension_scores": {"de": 86.25, "ji": 80.0},
        "composite": Decimal("81.83"),
        "vote_shares": {
            "excellent": 0.5,
            "competent": 0.5,
            "basically_competent": 0.0,
            "incompetent": 0.0,
        },
        "schema_version": 2,
        "anonymity_k": 3,
        "votes_cast": 4,
        "missing_groups": [],
        "grade": "competent",
        "grade_by_rules": "competent",
        "revised_on_appeal": False,
        "grade_rule": "Score %(score)s is in the band for %(grade)s (from %(minimum)s)",
        "grade_rule_values": {"score": 81.83, "grade": "competent", "minimum": 75.0},
        "grade_rule_en": "Score 81.83 is in the band for Competent (from 75.0)",
        "grade_rule_zh": "得分 81.83 在称职档（75.0 分起）",
        "unit_rank": 1,
        "unit_ranked": 1,
        "unit_percentile": Decimal("50.00"),
        "campaign_rank": 1,
        "campaign_ranked": 1,
        "campaign_percentile": Decimal("50.00"),
        "weakest_dimensions": [],
        "recommended_uses": ["normal", "training"],
    },
    "C2": {
        "responses_total": 2,
        "responses_by_group": {},
        "group_scores": {},
        "dimension_scores": {},
        "composite": None,
        "vote_shares": {},
        "schema_version": 2,
        "anonymity_k": 3,
        "votes_cast": 2,
        "missing_groups": ["peer", "public"],
        "grade": None,
        "grade_by_rules": None,
        "revised_on_appeal": False,
        "grade_rule": "Fewer than %(k)s responses in all, so no grade is shown",
        "grade_rule_values": {"k": 3},
        "grade_rule_en": "Fewer than 3 responses in all, so no grade is shown",
        "unit_rank": None,
        "unit_ranked": 1,
        "unit_percentile": None,
        "campaign_rank": None,
        "campaign_ranked": 1,
        "campaign_percentile": None,
        "weakest_dimensions": [],
        "recommended_uses": [],
    },
}


def cadre(runner_env, args):
    """Run one ``cadre`` command; fail the test with its output if it fails."""
    result = CliRunner().invoke(cli, args, env=runner_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def submit_named(client, url: str, answers: dict[str, str], cadre_ids: dict[str, str]):
    """Open a rater link like a phone would and submit the given answers."""
    path = url.split("8000", 1)[1]
    page = client.get(path, follow_redirects=True, headers={"Accept-Language": "zh-CN"})
    if page.status_code != 200:
        return page
    data = {"csrf_token": csrf(page.text)}
    for external_id, (d1, j1, vote) in answers.items():
        internal = cadre_ids[external_id]
        data[f"{internal}:d1"] = d1
        if j1:
            data[f"{internal}:j1"] = j1
        data[f"{internal}:vote"] = vote
    return client.post("/r/", data=data)  # the token now rides in the session cookie


@pytest.fixture
def shared_url():
    """The shared database: always PostgreSQL, as in practice, apart from the assessment one."""
    with postgres_database() as url:
        yield url


def test_roster_to_shared_table(tmp_path, database_url, shared_url):
    """Run once with the assessment database on SQLite and once on PostgreSQL."""
    assessment_url, postgres_url = database_url, shared_url
    env = {
        "CADRE_DATA_DIR": str(tmp_path),
        "CADRE_DATABASE_URL": assessment_url,
        "CADRE_SHARED_DATABASE_URL": postgres_url,
        "CADRE_LOCALE": "en",
        "CADRE_BASE_URL": "http://127.0.0.1:8000",
    }
    write_workbook(tmp_path / "roster.xlsx", ROSTER)
    (tmp_path / "tiny.yaml").write_text(TEMPLATE, encoding="utf-8")

    roster_id = re.search(
        r"roster ([0-9a-f]{32})", cadre(env, ["roster", "import", str(tmp_path / "roster.xlsx")])
    ).group(1)
    created = cadre(
        env,
        [
            "campaign",
            "create",
            "--name",
            "E2E",
            "--roster",
            roster_id,
            "--template",
            str(tmp_path / "tiny.yaml"),
            "--opens",
            "2020-01-01 08:00",
            "--deadline",
            "2099-12-31 18:00",
        ],
    )
    campaign_id = re.search(r"campaign ([0-9a-f]{32})", created).group(1)
    cadre(env, ["invitations", "export", campaign_id, "--out", str(tmp_path / "links.csv")])
    window = ["--name", "1号窗口", "--cadres", "C1", "--static"]  # a printed code, not a screen
    cadre(env, ["channels", "create", campaign_id, *window])
    channel_path = re.search(
        r"(/p/[A-Za-z0-9_-]+)", cadre(env, ["channels", "list", campaign_id])
    ).group(1)

    with open(tmp_path / "links.csv", encoding="utf-8-sig", newline="") as handle:
        links = {row["rater_id"]: row["link"] for row in csv.DictReader(handle)}
    assert sorted(links) == ["R1", "R2", "R3", "R4"]

    engine = make_engine(assessment_url)
    with Session(engine) as session:
        cadre_ids = {c.external_id: c.id for c in session.exec(select(Cadre))}
    app = create_app(
        {
            "SECRET_KEY": "e2e-secret-key-0123456789-abcdefghijklmnop",
            "DATABASE_URL": assessment_url,
            "BASE_URL": env["CADRE_BASE_URL"],
        }
    )
    client = app.test_client()
    for rater, answers in ANSWERS.items():
        response = submit_named(client, links[rater], answers, cadre_ids)
        assert response.status_code == 303, response.text
        assert client.get(response.headers["Location"]).status_code == 200
    again = submit_named(client, links["R1"], ANSWERS["R1"], cadre_ids)
    assert again.status_code == 409  # the used link now says "already submitted"

    for answers in PUBLIC:  # two members of the public, each on their own phone
        phone = app.test_client()
        page = phone.get(channel_path)
        assert page.status_code == 200
        posted = phone.post(
            channel_path, data={"csrf_token": csrf(page.text), "cadre": cadre_ids["C1"], **answers}
        )
        assert posted.status_code == 303, posted.text

    with Session(engine) as session:  # the deadline passes
        campaign = session.get(Campaign, campaign_id)
        campaign.closes_at = datetime.now(UTC) - timedelta(minutes=1)
        session.add(campaign)
        session.commit()
    engine.dispose()
    app.extensions["cadre_engine"].dispose()  # the web app's pool, as a server would at exit

    sealed = cadre(env, ["results", campaign_id])
    assert "sealed" in sealed and "81.83" not in sealed  # nothing before the box opens
    assert "8 responses" in cadre(env, ["box", "open", campaign_id])
    shown = cadre(env, ["results", campaign_id])
    assert "81.83" in shown and "62.5" not in shown  # C2's 2 responses are below k

    engine = make_engine(assessment_url)
    with Session(engine) as session:
        assert len(session.exec(select(Response)).all()) == 8
    engine.dispose()
    cadre(env, ["results", "push", campaign_id])
    cadre(env, ["results", "push", campaign_id])  # twice: still one row per cadre

    shared = make_engine(postgres_url)
    with shared.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM cadre_summary ORDER BY cadre_id"))
        rows = [row._asdict() for row in rows]
    shared.dispose()
    assert [row["cadre_id"] for row in rows] == ["C1", "C2"]
    for row in rows:
        expected = EXPECTED[row["cadre_id"]]
        assert {key: row[key] for key in expected} == expected
        assert row["campaign_id"] == campaign_id and row["cadre_name"] in ("王伟", "李娜")
        assert row["computed_at"].tzinfo is not None and row["pushed_at"] == row["computed_at"]

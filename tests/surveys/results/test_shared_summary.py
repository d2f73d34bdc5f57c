"""The shared ``cadre_summary`` table, version 2: grades, rules, ranks, disclosed figures only.

The campaign and its figures are worked out in tests/report_campaign.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from storage.engine import make_engine
from storage.models import Appeal, Cadre
from storage.shared import (
    SCHEMA_VERSION,
    cadre_summary,
    ensure_shared_schema,
    shared_schema_version,
    version_1_columns,
)
from surveys.results.summaries import push_results
from tests.databases import postgres_database
from tests.report_campaign import report_campaign

PUSHED = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_engine(request, tmp_path):
    """A shared database apart from the assessment one: SQLite, then PostgreSQL."""
    if request.param == "postgresql":
        with postgres_database() as url:
            engine = make_engine(url)
            yield engine
            engine.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
        yield engine
        engine.dispose()


@pytest.fixture
def campaign(session, now):
    return report_campaign(session, now)


def pushed_rows(session, campaign, shared_engine) -> dict[str, dict]:
    """Push the campaign and read the rows back, by cadre id."""
    push_results(session=session, campaign=campaign, shared_engine=shared_engine, now=PUSHED)
    with shared_engine.connect() as connection:
        rows = connection.execute(sa.select(cadre_summary)).mappings().all()
    return {row["cadre_id"]: dict(row) for row in rows}


def test_version_2_row_in_full(session, campaign, shared_engine):
    rows = pushed_rows(session, campaign, shared_engine)
    c1 = rows["C1"]
    expected = {
        "responses_total": 10,
        "responses_by_group": {"subordinate": 5, "other": 5},
        "group_scores": {"subordinate": 84.8, "other": 81.6},
        "dimension_scores": {"de": 87.0, "neng": 79.5, "qin": 81.0, "ji": 81.0, "lian": 87.0},
        "composite": Decimal("82.80"),
        "vote_shares": {
            "excellent": 0.8,
            "competent": 0.2,
            "basically_competent": 0.0,
            "incompetent": 0.0,
        },
        "schema_version": SCHEMA_VERSION,
        "anonymity_k": 3,
        "votes_cast": 10,
        "missing_groups": ["public"],
        "grade": "competent",
        "grade_by_rules": "competent",
        "revised_on_appeal": False,
        "grade_rule": "Score %(score)s is in the band for %(grade)s (from %(minimum)s)",
        "grade_rule_values": {"score": 82.8, "grade": "competent", "minimum": 75.0},
        "grade_rule_en": "Score 82.8 is in the band for Competent (from 75.0)",
        "grade_rule_zh": "得分 82.8 在称职档（75.0 分起）",
        "unit_rank": 2,
        "unit_ranked": 2,
        "unit_percentile": Decimal("25.00"),
        "campaign_rank": 2,
        "campaign_ranked": 3,
        "campaign_percentile": Decimal("50.00"),
        "weakest_dimensions": ["de", "lian"],
        "recommended_uses": ["normal", "training"],
        "computed_at": PUSHED,
        "pushed_at": PUSHED,
    }
    assert {key: c1[key] for key in expected} == expected
    assert rows["C2"]["campaign_percentile"] == Decimal("83.33")
    assert rows["C3"]["campaign_percentile"] == Decimal("16.67")
    assert rows["C3"]["group_scores"] == {"superior": 96.0, "other": 73.8}


def test_no_group_below_k_in_any_row(session, campaign, shared_engine):
    for row in pushed_rows(session, campaign, shared_engine).values():
        assert "peer" not in str(row) and "Peer" not in str(row) and "同级" not in str(row)
        assert "peer" not in row["responses_by_group"]


def test_the_revised_grade_of_an_appeal_reaches_the_shared_row(session, campaign, shared_engine):
    c3 = session.exec(select(Cadre).where(Cadre.external_id == "C3")).one()
    session.add(
        Appeal(
            campaign_id=campaign.id,
            cadre_id=c3.id,
            filed_at=PUSHED,
            reason="我认为评分偏低",
            status="revised",
            decided_at=PUSHED + timedelta(days=3),
            decided_by="hr",
            decision="Recount: two ballots were misread",
            revised_grade="excellent",
        )
    )
    session.add(  # an appeal still open changes nothing
        Appeal(
            campaign_id=campaign.id,
            cadre_id=c3.id,
            filed_at=PUSHED,
            reason="x",
            status="open",
            revised_grade="incompetent",
        )
    )
    session.commit()
    c3_row = pushed_rows(session, campaign, shared_engine)["C3"]
    assert c3_row["grade"] == "excellent" and c3_row["grade_by_rules"] == "competent"
    assert c3_row["revised_on_appeal"] is True
    assert c3_row["grade_rule"] == "Revised on appeal: %(reason)s"
    assert c3_row["grade_rule_values"] == {
        "reason": "Recount: two ballots were misread",
        "grade": "excellent",
        "previous": "competent",
    }
    assert c3_row["grade_rule_en"] == "Revised on appeal: Recount: two ballots were misread"
    assert c3_row["recommended_uses"] == ["promotion", "commendation", "pay"]


def test_pushing_twice_keeps_one_row_per_cadre(session, campaign, shared_engine):
    pushed_rows(session, campaign, shared_engine)
    rows = pushed_rows(session, campaign, shared_engine)
    assert sorted(rows) == ["C1", "C2", "C3"]
    with shared_engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(cadre_summary)).scalar() == 3
        )


def make_version_1_table(engine) -> None:
    """The table as version 1 created it, with one row pushed then."""
    metadata = sa.MetaData()
    old = sa.Table("cadre_summary", metadata, *version_1_columns())
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            old.insert(),
            {
                "campaign_id": "a" * 32,
                "cadre_id": "C0",
                "campaign_name": "2025年度考核",
                "campaign_kind": "annual",
                "cadre_name": "赵六",
                "unit": "审批局",
                "post": "科长",
                "responses_total": 5,
                "responses_by_group": {"superior": 5},
                "group_scores": {"superior": 90.0},
                "dimension_scores": {},
                "composite": 90.0,
                "vote_shares": {},
                "pushed_at": PUSHED,
            },
        )


def test_a_version_1_table_is_upgraded_in_place(session, campaign, shared_engine):
    make_version_1_table(shared_engine)
    assert shared_schema_version(shared_engine) == 1
    ensure_shared_schema(shared_engine)
    ensure_shared_schema(shared_engine)  # a second run finds nothing to add
    assert shared_schema_version(shared_engine) == SCHEMA_VERSION
    rows = pushed_rows(session, campaign, shared_engine)
    old = rows["C0"]
    assert old["schema_version"] == 1 and old["grade"] is None
    assert old["composite"] == Decimal("90.00") and old["cadre_name"] == "赵六"
    assert rows["C1"]["schema_version"] == 2 and rows["C1"]["grade"] == "competent"


def test_a_fresh_database_gets_the_current_version(shared_engine):
    assert shared_schema_version(shared_engine) is None
    ensure_shared_schema(shared_engine)
    assert shared_schema_version(shared_engine) == SCHEMA_VERSION
    assert set(sa.inspect(shared_engine).get_table_names()) == {"cadre_summary"}

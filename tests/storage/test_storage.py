"""Storage on both databases: migrations, time zones, constraints, JSON, the shared table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from storage.engine import make_engine, session_scope
from storage.migrate import FOREIGN_TABLES, is_current, ours, upgrade
from storage.models import Assignment, Cadre, Campaign, Invitation, Rater, Response, Roster
from storage.shared import cadre_summary, ensure_shared_schema, upsert_summaries
from surveys.rules.questionnaire import load_questionnaire
from surveys.setup.campaigns import snapshot
from surveys.setup.roster import import_roster
from tests.databases import postgres_database
from tests.factories import make_campaign, small_roster_rows

TABLES = {
    "roster",
    "cadre",
    "rater",
    "assignment",
    "campaign",
    "invitation",
    "response",
    "publicchannel",
    "publiccodeuse",
    "sealedballot",
    "telegramchat",
    "raterchat",
    "cadrechat",
    "chatdraft",
    "hruser",
    "auditevent",
    "appeal",
    "ledgerleaf",
    "ledgercheckpoint",
    "channeltally",
    "reminderwave",
    "outboxmessage",
    "cadremark",
    "performanceindicator",
    "earlywarning",
}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


# --- migrations -------------------------------------------------------------------------------


def test_migrations_create_every_table(any_engine):
    assert table_names(any_engine) == TABLES | {"alembic_version"} | FOREIGN_TABLES
    assert set(SQLModel.metadata.tables) == TABLES
    assert is_current(any_engine)


def test_migrations_match_the_models(any_engine):
    with any_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_fresh_database_is_not_current_until_upgraded(database_url):
    engine = make_engine(database_url)
    try:
        assert not is_current(engine)
        assert table_names(engine) == set()
        upgrade(engine)
        assert is_current(engine)
    finally:
        engine.dispose()


def test_upgrading_twice_is_harmless(any_engine, now):
    with Session(any_engine) as session:
        import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
        session.commit()
    upgrade(any_engine)
    upgrade(any_engine)
    assert is_current(any_engine)
    with Session(any_engine) as session:
        assert session.exec(select(sa.func.count()).select_from(Cadre)).one() == 2
        assert session.exec(select(Roster.name)).all() == ["名册"]


# --- time zones -------------------------------------------------------------------------------


def test_naive_datetimes_are_refused(any_engine):
    with Session(any_engine) as session:
        session.add(Roster(name="名册", imported_at=datetime(2026, 11, 25, 12, 0)))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.flush()
        session.rollback()
    with Session(any_engine) as session:
        assert session.exec(select(Roster)).all() == []


def test_aware_datetimes_come_back_in_utc(any_engine):
    beijing_noon = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
    with Session(any_engine) as session:
        roster = Roster(name="名册", imported_at=beijing_noon)
        session.add(roster)
        session.commit()
        roster_id = roster.id
    with Session(any_engine) as session:
        stored = session.get(Roster, roster_id).imported_at
    assert stored == beijing_noon  # the same instant ...
    assert stored == datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    assert stored.utcoffset().total_seconds() == 0  # ... told in UTC
    assert (stored.hour, stored.tzinfo) == (4, UTC)


def test_datetimes_compare_in_queries(any_engine):
    """Stored values are real instants: a query with a Shanghai time finds the UTC row."""
    with Session(any_engine) as session:
        session.add(Roster(name="早", imported_at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC)))
        session.add(Roster(name="晚", imported_at=datetime(2026, 11, 25, 5, 0, tzinfo=UTC)))
        session.commit()
        after = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)  # 04:00 UTC
        names = session.exec(select(Roster.name).where(Roster.imported_at > after)).all()
    assert names == ["晚"]


# --- constraints ------------------------------------------------------------------------------


def test_token_hash_is_unique(any_engine, now):
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now, invitations=False)
    with Session(any_engine) as session:
        session.add(Invitation(campaign_id=campaign.id, group="peer", token_hash="a" * 64))
        session.commit()
        session.add(Invitation(campaign_id=campaign.id, group="subordinate", token_hash="a" * 64))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()
    with Session(any_engine) as session:
        assert len(session.exec(select(Invitation)).all()) == 1


def test_rater_is_assigned_to_a_cadre_once(any_engine, now):
    with Session(any_engine) as session:
        roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
        session.commit()
        rater = session.exec(select(Rater).where(Rater.external_id == "R1")).one()
        cadre = session.exec(select(Cadre).where(Cadre.external_id == "C1")).one()
        session.add(
            Assignment(roster_id=roster.id, rater_id=rater.id, cadre_id=cadre.id, group="peer")
        )
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_foreign_keys_are_enforced(any_engine, now):
    with Session(any_engine) as session:
        session.add(
            Cadre(roster_id="0" * 32, external_id="C1", name="王伟", unit="单位", post="主任")
        )
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_session_scope_commits_or_rolls_back(any_engine, now):
    with session_scope(any_engine) as session:
        session.add(Roster(name="留下", imported_at=now))
    with pytest.raises(RuntimeError), session_scope(any_engine) as session:
        session.add(Roster(name="不留", imported_at=now))
        session.flush()
        raise RuntimeError("boom")
    with Session(any_engine) as session:
        assert session.exec(select(Roster.name)).all() == ["留下"]


# --- JSON -------------------------------------------------------------------------------------


def test_answers_round_trip_as_json_with_chinese_text(any_engine, now):
    answers = {"de_stance": "good", "ji_targets": "fair", "备注": "工作认真，“敢于担当”"}
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now, invitations=False)
        cadre = session.exec(select(Cadre).where(Cadre.external_id == "C1")).one()
        response = Response(
            campaign_id=campaign.id,
            cadre_id=cadre.id,
            group="subordinate",
            answers=answers,
            vote="excellent",
            comment="希望多深入基层 ✓",
        )
        session.add(response)
        session.commit()
    with Session(any_engine) as session:
        stored = session.get(Response, response.id)
        assert stored.answers == answers
        assert stored.comment == "希望多深入基层 ✓"
        # The campaign's frozen questionnaire survives the trip whole.
        expected = load_questionnaire("annual").with_public_form(
            load_questionnaire("public-service")
        )
        assert snapshot(session.get(Campaign, campaign.id)) == expected


# --- the shared database ----------------------------------------------------------------------


@pytest.fixture
def shared_engine(any_engine, tmp_path):
    """A second, separate database of the same kind as ``any_engine``."""
    if any_engine.dialect.name == "postgresql":
        with postgres_database() as url:
            engine = make_engine(url)
            yield engine
            engine.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
        yield engine
        engine.dispose()


def summary(cadre_id: str, composite: float | None, **changes) -> dict:
    row = {
        "campaign_id": "a" * 32,
        "cadre_id": cadre_id,
        "campaign_name": "2026年度考核",
        "campaign_kind": "annual",
        "cadre_name": "王伟",
        "unit": "市发展改革委",
        "post": "主任",
        "responses_total": 5,
        "responses_by_group": {"superior": 1, "subordinate": 4},
        "group_scores": {"superior": 90.0, "subordinate": 80.5},
        "dimension_scores": {"de": 85.25},
        "composite": composite,
        "vote_shares": {"excellent": 0.6, "competent": 0.4},
        "pushed_at": datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI),
    }
    return row | changes


def shared_rows(engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(cadre_summary).order_by(cadre_summary.c.cadre_id))
        return [dict(row._mapping) for row in rows]


def test_upserting_summaries_twice_keeps_one_row_per_cadre(any_engine, shared_engine):
    ensure_shared_schema(shared_engine)
    ensure_shared_schema(shared_engine)  # harmless when the table exists
    assert table_names(shared_engine) == {"cadre_summary"}
    assert "cadre_summary" not in table_names(any_engine)  # never in the assessment database

    assert upsert_summaries(shared_engine, [summary("C1", 80.63), summary("C2", None)]) == 2
    later = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    changed = [
        summary(
            "C1",
            81.5,
            responses_total=6,
            cadre_name="王伟（新）",
            group_scores={"superior": 95.0},
            pushed_at=later,
        ),
        summary("C2", 70.0, vote_shares={}),
    ]
    assert upsert_summaries(shared_engine, changed) == 2
    assert upsert_summaries(shared_engine, []) == 0

    rows = shared_rows(shared_engine)
    assert [(row["campaign_id"], row["cadre_id"]) for row in rows] == [
        ("a" * 32, "C1"),
        ("a" * 32, "C2"),
    ]
    first, second = rows
    assert first["composite"] == Decimal("81.50")
    assert first["responses_total"] == 6
    assert first["cadre_name"] == "王伟（新）"
    assert first["group_scores"] == {"superior": 95.0}
    assert first["pushed_at"] == later and first["pushed_at"].tzinfo == UTC
    assert second["composite"] == Decimal("70.00")
    assert second["vote_shares"] == {}
    assert second["pushed_at"] == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def test_another_campaign_adds_rows(any_engine, shared_engine):
    ensure_shared_schema(shared_engine)
    upsert_summaries(shared_engine, [summary("C1", 80.0)])
    upsert_summaries(shared_engine, [summary("C1", 90.0, campaign_id="b" * 32)])
    assert [(row["campaign_id"][0], row["composite"]) for row in shared_rows(shared_engine)] == [
        ("a", Decimal("80.00")),
        ("b", Decimal("90.00")),
    ]


# --- SQLite settings --------------------------------------------------------------------------


def test_sqlite_uses_wal_foreign_keys_and_a_busy_wait(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_sqlite_creates_the_folder_of_its_file(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'folder' / 'cadre.db'}")
    try:
        upgrade(engine)
        assert is_current(engine)
    finally:
        engine.dispose()
    assert (tmp_path / "new" / "folder" / "cadre.db").is_file()


@pytest.mark.postgres
def test_a_plain_postgresql_url_uses_the_installed_driver(postgres_url):
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    engine = make_engine(plain)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    assert engine.dialect.driver == "psycopg"
    engine.dispose()

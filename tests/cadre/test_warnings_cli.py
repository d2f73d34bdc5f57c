"""``cadre results warnings``: the list, the CSV, and ``--send`` queueing once.

On the history campaigns of tests/themes_campaign.py every cadre's composite and
dimensions dropped from 100 (C1 to 82.8).  The command reads the real clock: those
campaigns are long closed, so only the rules on results can fire.
"""

from __future__ import annotations

import csv

from sqlmodel import func, select

from storage.models import OutboxMessage
from tests.cli import CadreCli
from tests.factories import make_campaign
from tests.themes_campaign import history_campaigns


def test_the_command_lists_writes_and_sends_each_warning_once(tmp_path, now):
    run = CadreCli(tmp_path)
    run("db", "upgrade")
    with run.session() as session:
        last, current = history_campaigns(session, now)
        current_id, last_id = current.id, last.id
    output = run("results", "warnings", current_id[:8]).output
    lines = output.splitlines()
    assert len(lines) == 18
    assert (
        "[Composite dropped] 王伟 (C1): Composite 82.80, down 17.20 from 100.00 in "
        "2026年度考核 (2025-12-01 08:00) (warning at a drop of 5)"
    ) in lines
    assert (
        "[Dimension dropped] 王伟 (C1): Professional competence 79.50, down 20.50 from 100.00 "
        "in 2026年度考核 (2025-12-01 08:00) (warning at a drop of 8)"
    ) in lines
    assert run("results", "warnings", last_id).output == "No early warnings.\n"

    path = tmp_path / "warnings.csv"
    run("results", "warnings", current_id, "--csv", str(path))
    with open(path, encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "rule", "subject_kind", "subject_id", "subject", "threshold", "figures", "warning",
    ]  # fmt: skip
    assert ["Composite dropped", "cadre", "C1", "王伟", "5"] in [row[:5] for row in rows]
    assert len(rows) == 19

    run.env["CADRE_TELEGRAM_HR_CHATS"] = "-100111, -100222"
    sent = run("results", "warnings", current_id, "--send").output
    assert "18 new warnings kept; 36 messages queued to the HR chats." in sent
    again = run("results", "warnings", current_id, "--send").output
    assert "0 new warnings kept; 0 messages queued to the HR chats." in again
    with run.session() as session:
        count = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.purpose == "warning")
        ).one()
    assert count == 36


def test_chinese_output_and_a_sealed_box(tmp_path, now):
    run = CadreCli(tmp_path, locale="zh")
    run("db", "upgrade")
    with run.session() as session:
        sealed = make_campaign(session, now=now)
        sealed_id = sealed.id
    output = run("results", "warnings", sealed_id).output
    assert "投票箱" in output and "没有预警" in output


def test_bad_input_is_a_clear_error(tmp_path, now, database_url):
    run = CadreCli(tmp_path, database_url=database_url)
    run("db", "upgrade")
    with run.session() as session:
        campaign_id = make_campaign(session, now=now).id
    assert "no campaign with id nope" in run("results", "warnings", "nope", code=2).output
    refused = run("results", "warnings", campaign_id, "--send", code=2).output
    assert "CADRE_TELEGRAM_HR_CHATS is not set" in refused
    folder = tmp_path / "missing" / "w.csv"
    unwritable = run("results", "warnings", campaign_id, "--csv", str(folder), code=2).output
    assert "Cannot write" in unwritable

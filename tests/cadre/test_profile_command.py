"""``cadre results profile``: a person's trend through the real command (three campaigns)."""

from __future__ import annotations

from surveys.setup.roster import write_workbook
from tests.cli import CadreCli
from tests.factories import roster_rows
from tests.profiles_campaigns import three_campaigns

C2_EN = """李娜 (C2, 发展改革委, 副主任)
2024年度考核 (Annual, closed 2024-12-01)
  Composite: 60.00  Grade: Basically competent  Percentile: 25.00
  Political quality and moral integrity: 60.00; Professional competence: 60.00; \
Diligence and work style: 60.00; Work performance: 60.00; Integrity and self-discipline: 60.00
2025年度考核 (Annual, closed 2025-12-01)
  Composite: 100.00  Grade: Competent  Percentile: 75.00
  Political quality and moral integrity: 100.00; Professional competence: 100.00; \
Diligence and work style: 100.00; Work performance: 100.00; Integrity and self-discipline: 100.00
2026年度考核 (Annual, closed 2026-12-01)
  Composite: —  Grade: —  Percentile: —
  Political quality and moral integrity: —; Professional competence: —; \
Diligence and work style: —; Work performance: —; Integrity and self-discipline: —
"""


def test_the_command_prints_the_trend_and_writes_the_chart(tmp_path):
    run = CadreCli(tmp_path)
    run("db", "upgrade")
    with run.session() as session:
        three_campaigns(session)
    assert run("results", "profile", "C2").output == C2_EN
    chart = tmp_path / "c1.png"
    result = run("results", "profile", "C1", "--png", str(chart))
    assert "94.50" in result.output
    assert chart.read_bytes().startswith(b"\x89PNG")
    chinese = CadreCli(tmp_path, locale="zh")("results", "profile", "C1")
    assert "称职" in chinese.output and "综合得分" in chinese.output


def test_bad_ids_and_paths_exit_2(tmp_path):
    run = CadreCli(tmp_path)
    run("db", "upgrade")
    with run.session() as session:
        three_campaigns(session)
    refused = run("results", "profile", "C9", code=2)
    assert "No cadre has the id C9 in any roster" in refused.output
    bad = run("results", "profile", "C1", "--png", str(tmp_path / "no" / "such" / "c.png"), code=2)
    assert "Cannot write" in bad.output


def test_roster_import_refuses_a_reused_id_unless_confirmed(tmp_path):
    run = CadreCli(tmp_path)
    run("db", "upgrade")
    run.import_roster()  # C1 王伟, C2 李娜
    other = roster_rows(
        [{"id": "C1", "name": "刘洋", "unit": "审批局", "post": "局长"}],
        [{"id": "R1", "name": "测评人1"}],
        [("R1", "C1", "superior")],
    )
    path = tmp_path / "other.xlsx"
    write_workbook(path, {sheet: [row for _, row in other.sheets[sheet]] for sheet in other.sheets})
    refused = run("roster", "import", str(path), code=2)
    assert "id C1 named 王伟 in an earlier roster, not 刘洋" in refused.output
    assert "--renamed C1" in refused.output
    assert "Imported roster" in run("roster", "import", str(path), "--renamed", "C1").output


def test_a_regular_check_in_is_a_campaign_kind(tmp_path):
    run = CadreCli(tmp_path)
    run("db", "upgrade")
    roster_id = run.import_roster()
    created = run(
        "campaign", "create", "--name", "2026年第一季度平时考核", "--kind", "regular",
        "--roster", roster_id, "--opens", "2026-03-20 08:00", "--deadline", "2026-03-31 18:00",
    ).output  # fmt: skip
    assert "regular" in run("campaign", "list").output, created
    refused = run(
        "campaign", "create", "--name", "x", "--kind", "daily", "--roster", roster_id,
        "--opens", "2026-03-20 08:00", "--deadline", "2026-03-31 18:00", code=2,
    )  # fmt: skip
    assert "regular" in refused.output

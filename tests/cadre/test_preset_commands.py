"""``cadre campaign create --preset``, ``cadre campaign rules`` and ``cadre campaign mark``."""

from __future__ import annotations

import re

from storage.models import Campaign
from tests.cli import CadreCli


def test_cli_create_warns_lists_rules_and_marks(tmp_path, database_url):
    run = CadreCli(tmp_path, database_url=database_url)
    roster_id = run.import_roster()  # two cadres in one unit
    result = run(
        "campaign", "create", "--name", "2026年度考核", "--roster", roster_id,
        "--preset", "civil-servant-annual", "--opens", "2026-12-01 08:00",
        "--deadline", "2026-12-10 18:00",
    )  # fmt: skip
    assert (
        "Warning: Quota pool the agency has 2 cadres: at 20%, places rounded down, it can "
        "never award Excellent"
    ) in result.stderr
    campaign_id = re.search(r"\b([0-9a-f]{32})\b", result.stdout).group(1)
    term = run(
        "campaign", "create", "--name", "任期考核", "--roster", roster_id,
        "--preset", "leading-cadre-term", "--opens", "2026-12-01 08:00",
        "--deadline", "2026-12-10 18:00",
    )  # fmt: skip
    assert "Warning" not in term.stderr  # no quota for term assessment
    term_id = re.search(r"\b([0-9a-f]{32})\b", term.stdout).group(1)
    with run.session() as session:
        assert session.get(Campaign, campaign_id).kind == "annual"
        assert session.get(Campaign, term_id).kind == "term"  # the preset's kind
    rules = run("campaign", "rules", campaign_id).output
    assert "- Rules preset: Civil servants' annual (regular) assessment" in rules
    assert "第九十五条" in rules and "Warning: Quota pool the agency" in rules
    law = "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    assert f"- Only results graded Incompetent may be contested (复核, 申诉) [{law}]" in rules
    marked = run("campaign", "mark", campaign_id, "C1", "--flag", "under_investigation")
    assert marked.output.strip() == "Cadre C1: situations under_investigation; tier —."
    bad = run("campaign", "mark", campaign_id, "C1", "--flag", "nope", code=2)
    assert "Unknown situation nope" in bad.output and "sanction_in_effect" in bad.output
    assert "No cadre Z9" in run("campaign", "mark", campaign_id, "Z9", "--tier", "x", code=2).output
    assert "Give --flag" in run("campaign", "mark", campaign_id, "C1", code=2).output
    unknown = run(
        "campaign", "create", "--name", "x", "--roster", roster_id, "--preset", "nope",
        "--opens", "2026-12-01 08:00", "--deadline", "2026-12-10 18:00", code=2,
    )  # fmt: skip
    assert "Invalid value for '--preset': 'nope'" in unknown.output

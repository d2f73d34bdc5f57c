"""``cadre indicators`` as HR uses it: template, import (good and bad files), list.

The campaign is the small roster on the annual template with
``performance: {dimension: ji, share: 0.4, cap: 1.2}``, long closed; every
rater answers Good (100).  C1's indicators score 100 x (1.2 + 0.5) / 2 = 85
(1,200 of 1,000 counts 1.2; 50 complaints against at most 25 counts 0.5),
so its 绩 is 0.4 x 85 + 0.6 x 100 = 94.
"""

from __future__ import annotations

import re
from importlib import resources

from sqlmodel import select

from storage.models import Campaign, PerformanceIndicator
from surveys.collection.ballots import submit_ballot
from surveys.setup.indicators import write_rows
from tests.cli import CLOSED_DEADLINE, CLOSED_DURING, CLOSED_OPENS, CadreCli
from tests.factories import complete_answers, tokens

GOOD = [
    {"cadre_id": "C1", "indicator": "招商引资", "target": "1000", "actual": "1200", "unit": "万元"},
    {"cadre_id": "C1", "indicator": "投诉件数", "target": "25", "actual": "50"}
    | {"direction": "lower"},
]
PERFORMANCE = "\nperformance: {dimension: ji, share: 0.4, cap: 1.2}\n"


def closed_campaign(cadre: CadreCli, tmp_path, performance: str = PERFORMANCE) -> str:
    """A January campaign on the annual template with a performance section; every rater
    answered Good."""
    annual = (resources.files("surveys") / "templates" / "annual.yaml").read_text("utf-8")
    template = tmp_path / "annual-ji.yaml"
    template.write_text(annual + performance, encoding="utf-8")
    output = cadre(
        "campaign", "create", "--name", "实绩考核", "--roster", cadre.import_roster(),
        "--template", str(template), "--opens", CLOSED_OPENS, "--deadline", CLOSED_DEADLINE,
    ).output  # fmt: skip
    campaign_id = re.search(r"\b([0-9a-f]{32})\b", output).group(1)
    with cadre.session() as session:
        campaign = session.get(Campaign, campaign_id)
        for token in tokens(session, campaign).values():
            answers = complete_answers(session, token, CLOSED_DURING)
            submit_ballot(session=session, token=token, answers=answers, now=CLOSED_DURING)
            session.commit()
    return campaign_id


def test_template_import_and_list(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id = closed_campaign(cadre, tmp_path)
    template = tmp_path / "indicators.xlsx"
    assert "indicators.xlsx" in cadre("indicators", "template", "--out", str(template)).output
    output = cadre("indicators", "import", campaign_id, str(template)).output
    assert "Imported 1 indicators for 1 cadres." in output
    path = tmp_path / "实绩.csv"
    write_rows(path, GOOD)
    output = cadre("indicators", "import", campaign_id, str(path)).output
    assert "Imported 2 indicators for 1 cadres." in output
    assert "replace the 1 indicators imported before" in output
    listed = cadre("indicators", "list", campaign_id).output
    assert "C1 王伟: indicator score 85.00" in listed
    assert "投诉件数: target 25, actual 50" in listed and "lower is better" in listed
    assert "attainment 120.00% (counted 120.00%)" in listed
    assert "ratings" not in listed  # the box is sealed: no rating figure yet
    cadre("box", "open", campaign_id)
    listed = cadre("indicators", "list", campaign_id).output
    mixed = "Work performance = 40% indicators (85.00) + 60% ratings (100.00) = 94.00"
    assert f"C1 王伟: {mixed}" in listed
    assert "C2 李娜: No performance indicators for this cadre" in listed


def test_bad_rows_exit_2_with_every_row_and_store_nothing(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id = closed_campaign(cadre, tmp_path)
    path = tmp_path / "bad.csv"
    write_rows(
        path,
        [
            GOOD[0],
            {"cadre_id": "C9", "indicator": "x", "target": "1", "actual": "1"},
            {"cadre_id": "C1", "indicator": "y", "target": "0", "actual": "1"},
            {"cadre_id": "C1", "indicator": "z", "target": "1", "actual": "1", "weight": "nan"},
        ],
    )
    output = cadre("indicators", "import", campaign_id, str(path), code=2).output
    assert "The indicators were not imported" in output
    assert "row 3: unknown cadre id C9" in output
    assert "row 4: target must not be 0" in output
    assert "row 5: weight must be" in output
    assert "Traceback" not in output
    with cadre.session() as session:
        assert session.exec(select(PerformanceIndicator)).all() == []


def test_other_bad_input_exits_2_with_a_message(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id = closed_campaign(cadre, tmp_path, performance="")
    path = tmp_path / "good.xlsx"
    write_rows(path, GOOD)
    output = cadre("indicators", "import", campaign_id, str(path), code=2).output
    assert "has no performance section" in output
    output = cadre("indicators", "import", "0" * 32, str(path), code=2).output
    assert "0" * 32 in output
    cadre("indicators", "import", campaign_id, str(tmp_path / "missing.csv"), code=2)
    wrong = tmp_path / "notes.txt"
    wrong.write_text("hello", encoding="utf-8")
    output = cadre("indicators", "import", campaign_id, str(wrong), code=2).output
    assert "expected an .xlsx workbook or a .csv file" in output
    output = cadre("indicators", "template", "--out", str(tmp_path / "no" / "x.xlsx"), code=2)
    assert "Traceback" not in output.output
    assert "No indicators imported" in cadre("indicators", "list", campaign_id).output

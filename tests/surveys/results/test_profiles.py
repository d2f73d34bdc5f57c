"""A person's profile over three campaigns on two rosters (tests/profiles_campaigns.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from PIL import Image
from sqlmodel import Session

from surveys.results.outcomes import describe, fed_campaigns, shown_results
from surveys.results.profiles import ProfileError, profile, profile_chart, profile_table
from surveys.rules.feeding import FED, NOT_FED
from surveys.rules.presets import with_preset
from surveys.rules.questionnaire import load_questionnaire
from surveys.setup.roster import import_roster
from tests.conftest import NOW
from tests.profiles_campaigns import ALL, plan_roster, run_campaign, three_campaigns


@pytest.fixture
def campaigns(session):
    return three_campaigns(session)


def trend(found):
    return [
        (
            entry.campaign.closes_at.year,
            entry.composite,
            entry.grade,
            entry.percentile,
            dict(entry.dimensions),
        )
        for entry in found.entries
    ]


def test_trend_over_three_campaigns_follows_the_roster_id_across_rosters(session, campaigns):
    found = profile(session=session, external_id="C1")
    assert found.name == "王伟" and found.external_id == "C1"
    assert trend(found) == [
        (2024, 88.0, "competent", 75.0, {"de": 90, "neng": 80, "qin": 90, "ji": 90, "lian": 90}),
        (2025, 80.0, "competent", 25.0, {d: 80 for d in ("de", "neng", "qin", "ji", "lian")}),
        (2026, 94.5, "competent", 75.0, {"de": 90, "neng": 100, "qin": 90, "ji": 100, "lian": 90}),
    ]
    assert [e.campaign.id for e in found.entries] == [c.id for c in campaigns]
    assert list(found.dimensions) == ["de", "neng", "qin", "ji", "lian"]
    assert found.entries[0].grade_name("zh") == "称职"
    assert [e.ranked for e in found.entries] == [2, 2, 2]


def test_a_withheld_figure_stays_withheld(session, campaigns):
    found = profile(session=session, external_id="C2")
    assert trend(found) == [
        (
            2024,
            60.0,
            "basically_competent",
            25.0,
            {d: 60 for d in ("de", "neng", "qin", "ji", "lian")},
        ),
        (2025, 100.0, "competent", 75.0, {d: 100 for d in ("de", "neng", "qin", "ji", "lian")}),
        (2026, None, None, None, {}),
    ]
    assert found.entries[2].rank is None and found.entries[2].grade_name("en") == "—"


def test_the_cadre_sees_published_campaigns_only(session, campaigns):
    found = profile(session=session, external_id="C1", published_only=True)
    assert [e.campaign.closes_at.year for e in found.entries] == [2024, 2025]
    assert all(e.published for e in found.entries)
    assert profile(session=session, external_id="C3", published_only=True).entries == ()


def test_an_unknown_id_is_refused(session, campaigns):
    with pytest.raises(ProfileError) as refused:
        profile(session=session, external_id="C9")
    assert refused.value.values == {"id": "C9"}


@pytest.fixture
def any_session(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        yield session


def test_regular_check_ins_feed_the_annual_composite(any_session):
    """Regular check-ins, each on its own roster, feed the annual (leading-cadre-annual:
    share 0.2, the year before the close); only shown composites feed.

    - 2025-06 check-in: C1 60 (more than a year before the annual: not fed);
    - 2026-03 check-in: C1 100; C2 rated by 2 (< k): withheld, feeds nothing;
    - 2026-06 check-in: C1 (80 + 60) / 2 = 70; C2 80;
    - annual 2026: C1 ratings 88 -> 0.8 x 88 + 0.2 x (100 + 70) / 2 = 87.4;
      C2 ratings 60 -> 0.8 x 60 + 0.2 x 80 = 64; C3 (no check-in) 80, with a note.
    Percentiles follow the fed composites: C1 83.33, C3 50, C2 16.67.
    On SQLite and PostgreSQL.
    """
    session = any_session
    regular_plans = {
        (2025, 6, 30): {"C1": (ALL[60], ALL[60], None), "C2": (ALL[60], ALL[60], None)},
        (2026, 3, 31): {"C1": (ALL[100], ALL[100], None), "C2": (ALL[60], ALL[60], ("S1", "U1"))},
        (2026, 6, 30): {"C1": (ALL[80], ALL[60], None), "C2": (ALL[80], ALL[80], None)},
    }
    annual_plan = {
        "C1": ((100, 80, 100, 100, 100), ALL[80], None),
        "C2": (ALL[60], ALL[60], None),
        "C3": (ALL[80], ALL[80], None),
    }
    second = import_roster(session=session, rows=plan_roster(annual_plan), name="B", now=NOW)
    session.commit()
    for (year, month, day), plan in regular_plans.items():
        roster = import_roster(session=session, rows=plan_roster(plan), name="Q", now=NOW)
        run_campaign(
            session, roster=roster, plan=plan, kind="regular", name=f"{year}-{month} 平时考核",
            closes_at=datetime(year, month, day, tzinfo=UTC),
        )  # fmt: skip
    questionnaire = with_preset(load_questionnaire("annual"), "leading-cadre-annual")
    annual = run_campaign(
        session, roster=second, plan=annual_plan, questionnaire=questionnaire,
        closes_at=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    results = {r.cadre.external_id: r for r in shown_results(session=session, campaign=annual)}
    assert {c: round(r.shown.composite, 6) for c, r in results.items()} == {
        "C1": 87.4, "C2": 64.0, "C3": 80.0,
    }  # fmt: skip
    assert results["C1"].feeding.fed == 85.0 and results["C1"].feeding.rating == 88.0
    assert results["C2"].feeding.count == 1
    assert [round(results[c].standing.campaign_percentile, 2) for c in ("C1", "C3", "C2")] == [
        83.33, 50.0, 16.67,
    ]  # fmt: skip
    assert NOT_FED in [note.message for note in results["C3"].notes]
    fed_note = next(n for n in results["C1"].notes if n.message == FED)
    assert describe(fed_note.message, fed_note.values, "en") == (
        "Composite = 80% ratings (88.00) + 20% of the mean of 2 earlier Regular check-in "
        "results (85.00) = 87.40"
    )
    assert "此前 2 次平时考核结果的平均分（85.00）= 87.40" in describe(
        fed_note.message, fed_note.values, "zh"
    )
    assert results["C2"].decision.grade == "basically_competent"
    # A check-in whose box opens after the annual's feeds nothing: the fed set is fixed
    # when the annual's box opens, so shown results never change afterwards.
    june = next(
        c for c in fed_campaigns(session=session, campaign=annual) if c.closes_at.month == 6
    )
    june.box_opened_at = annual.box_opened_at + timedelta(days=1)
    session.commit()
    later = {r.cadre.external_id: r for r in shown_results(session=session, campaign=annual)}
    assert round(later["C1"].shown.composite, 6) == 90.4  # 0.8 x 88 + 0.2 x 100
    assert later["C2"].shown.composite == 60.0
    assert NOT_FED in [note.message for note in later["C2"].notes]
    june.box_opened_at = annual.box_opened_at
    session.commit()
    # The profile shows the fed composite, the check-ins too (C2's withheld one withheld).
    found = profile(session=session, external_id="C2")
    assert [(e.campaign.kind, e.composite) for e in found.entries] == [
        ("regular", 60.0), ("regular", None), ("regular", 80.0), ("annual", 64.0),
    ]  # fmt: skip


def test_the_table_and_the_trend_chart(session, campaigns):
    found = profile(session=session, external_id="C2")
    header, rows = profile_table(found, "zh")
    assert header == [
        "测评活动", "考核期间", "综合得分", "等次", "百分位",
        "德（政治素质）", "能（业务能力）", "勤（工作作风）", "绩（工作实绩）", "廉（廉洁自律）",
    ]  # fmt: skip
    assert rows[0][:2] == ["2024年度考核", "年度考核，截止于 2024-12-01"]
    assert rows[0][2:5] == ["60.00", "基本称职", "25.00"]
    assert rows[2][2:] == ["—"] * 8  # withheld: composite, grade, percentile, dimensions
    chart = profile_chart(found, "zh")
    assert chart.startswith(b"\x89PNG")
    assert Image.open(BytesIO(chart)).size == (700, 400)
    other = profile_chart(profile(session=session, external_id="C1"), "zh")
    assert other != chart
    assert (
        profile_chart(profile(session=session, external_id="C3", published_only=True), "zh") is None
    )

"""Performance indicator import: good and bad rows, all or nothing, xlsx and CSV, and the
mixed 绩 in the campaign's results.

The campaign is the factories' small roster (C1: one superior, one peer, two
subordinates; C2 likewise) on the annual template with
``performance: {dimension: ji, share: 0.4, cap: 1.2}``.  Every rater answers
Good (100) on every item, so every rating figure is 100.  C1's indicators:
A 1,200 of a 1,000 target (1.2, weight 1) and B 50 complaints for a target of
at most 25 (lower is better: 25/50 = 0.5, weight 1): indicator score
100 x (1.2 + 0.5) / 2 = 85.  Its 绩 is 0.4 x 85 + 0.6 x 100 = 94 in every
group, so every group scores (20x100 x 3 + 25x94 + 15x100) / 100 = 98.5 and
so does the composite.  C2 has no indicators: 100, with a note.
"""

from __future__ import annotations

import csv
from datetime import datetime

import openpyxl
import pytest
from sqlmodel import Session, select

from storage.models import Campaign, PerformanceIndicator
from surveys.collection.ballots import submit_ballot
from surveys.results.outcomes import shown_results
from surveys.results.performance_parts import shown_performance
from surveys.rules.performance import NO_INDICATORS
from surveys.rules.questionnaire import Performance, load_questionnaire
from surveys.rules.scoring import rounded
from surveys.setup.campaigns import CampaignError, KeyFileCustody, create_campaign
from surveys.setup.indicators import (
    NO_PERFORMANCE,
    PUBLISHED,
    IndicatorError,
    import_indicators,
    read_indicators,
    write_rows,
    write_template,
)
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import import_roster
from tests.factories import (
    BOX_KEYS,
    CLOSES,
    OPENS,
    SECRET,
    complete_answers,
    open_boxes,
    small_roster_rows,
    tokens,
)

GOOD = [
    {"cadre_id": "C1", "indicator": "A", "target": "1000", "actual": "1200", "unit": "万元"},
    {"cadre_id": "C1", "indicator": "B", "target": "25", "actual": "50", "direction": "lower"},
]
SHARE = Performance(dimension="ji", share=0.4, cap=1.2)


def indicator_campaign(session: Session, now: datetime, performance=SHARE) -> Campaign:
    """The small roster on the annual template with a performance section, committed."""
    roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
    questionnaire = load_questionnaire("annual").model_copy(update={"performance": performance})
    campaign = create_campaign(
        session=session, name="2026年度考核", kind="annual", roster_id=roster.id,
        questionnaire=questionnaire, opens_at=OPENS, closes_at=CLOSES, now=now,
        custody=KeyFileCustody(BOX_KEYS),
    )  # fmt: skip
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    return campaign


def stored(session: Session) -> list[tuple]:
    rows = session.exec(select(PerformanceIndicator).order_by(PerformanceIndicator.name)).all()
    return [(r.name, r.target, r.actual, r.unit, r.weight, r.direction) for r in rows]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_good_file_is_stored_and_a_second_import_replaces_it(any_engine, now, tmp_path, suffix):
    path = tmp_path / f"indicators{suffix}"
    write_rows(path, GOOD)
    with Session(any_engine) as session:
        campaign = indicator_campaign(session, now)
        done = import_indicators(
            session=session, campaign=campaign, rows=read_indicators(path), now=now
        )
        session.commit()
        assert (done.stored, done.replaced, done.cadres) == (2, 0, 1)
        assert stored(session) == [
            ("A", 1000.0, 1200.0, "万元", 1.0, "higher"),
            ("B", 25.0, 50.0, "", 1.0, "lower"),
        ]
        write_rows(path, [{**GOOD[0], "actual": "900", "weight": "3"}])
        again = import_indicators(
            session=session, campaign=campaign, rows=read_indicators(path), now=now
        )
        session.commit()
        assert (again.stored, again.replaced) == (1, 2)
        assert stored(session) == [("A", 1000.0, 900.0, "万元", 3.0, "higher")]


def test_chinese_headers_and_direction_words(engine, now, tmp_path):
    path = tmp_path / "实绩.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["干部编号", "指标名称", "目标值", "完成值", "计量单位", "权重", "方向"])
        writer.writerow(["C2", "投诉件数", "10", "4", "件", "1.5", "越低越好"])
        writer.writerow(["C2", "项目落地", "1,200", "1,500", "个", "", "正向"])
    with Session(engine) as session:
        campaign = indicator_campaign(session, now)
        import_indicators(session=session, campaign=campaign, rows=read_indicators(path), now=now)
        assert stored(session) == [
            ("投诉件数", 10.0, 4.0, "件", 1.5, "lower"),
            ("项目落地", 1200.0, 1500.0, "个", 1.0, "higher"),
        ]


BAD = [
    ({"cadre_id": "C9", "indicator": "A", "target": "1", "actual": "1"}, "unknown cadre id C9"),
    ({"cadre_id": "C1", "indicator": "B", "target": "abc", "actual": "1"}, "target must be"),
    ({"cadre_id": "C1", "indicator": "C", "target": "1", "actual": "-3"}, "actual must be"),
    ({"cadre_id": "C1", "indicator": "D", "target": "nan", "actual": "1"}, "target must be"),
    ({"cadre_id": "C1", "indicator": "E", "target": "1", "actual": "inf"}, "actual must be"),
    ({"cadre_id": "C1", "indicator": "F", "target": "1e999", "actual": "1"}, "target must be"),
    ({"cadre_id": "C1", "indicator": "G", "target": "0", "actual": "1"}, "target must not be 0"),
    ({"cadre_id": "C1", "indicator": "H", "target": "1", "actual": "1", "weight": "0"}, "weight"),
    ({"cadre_id": "C1", "indicator": "I", "target": "1", "actual": "1", "weight": "-1"}, "weight"),
    ({"cadre_id": "C1", "indicator": "J", "target": "1", "actual": "1", "weight": "inf"}, "weight"),
    ({"cadre_id": "C1", "indicator": "K", "target": "1", "actual": "1", "direction": "up"}, "up"),
    ({"cadre_id": "C1", "indicator": "A", "target": "2", "actual": "2"}, "given twice"),
    ({"cadre_id": "C1", "indicator": "", "target": "2", "actual": "2"}, "indicator"),
    ({"cadre_id": "C1", "indicator": "=1+1", "target": "=2*3", "actual": "2"}, "target must"),
    ({"cadre_id": "C1", "indicator": "x" * 201, "target": "2", "actual": "2"}, "longer than"),
]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_every_bad_row_is_listed_and_nothing_is_stored(any_engine, now, tmp_path, suffix):
    first = tmp_path / f"first{suffix}"
    write_rows(first, GOOD)
    bad = tmp_path / f"bad{suffix}"
    write_rows(bad, [GOOD[0]] + [row for row, _ in BAD])
    with Session(any_engine) as session:
        campaign = indicator_campaign(session, now)
        rows = read_indicators(first)
        import_indicators(session=session, campaign=campaign, rows=rows, now=now)
        session.commit()
        with pytest.raises(IndicatorError) as error:
            import_indicators(
                session=session, campaign=campaign, rows=read_indicators(bad), now=now
            )
        session.rollback()
        problems = error.value.problems
        assert [problem.row for problem in problems] == list(range(3, 3 + len(BAD)))
        for problem, (_, expected) in zip(problems, BAD, strict=True):
            assert expected in problem.message % problem.values
        assert len(stored(session)) == 2  # the earlier import stands, untouched


def test_nul_bytes_and_formulas_do_not_crash(engine, now, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(
        b'cadre_id,indicator,target,actual\r\nC1,A\x00B,1,1\r\nC1,=HYPERLINK("x"),1,1\r\n'
    )
    workbook_path = tmp_path / "formula.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["cadre_id", "indicator", "target", "actual"])
    workbook.active.append(["C1", "A", "=1+1", "=SUM(1,2)"])  # formulas, no cached value
    workbook.save(workbook_path)
    with Session(engine) as session:
        campaign = indicator_campaign(session, now)
        with pytest.raises(IndicatorError) as error:
            import_indicators(
                session=session, campaign=campaign, rows=read_indicators(path), now=now
            )
        assert [(p.row, p.values) for p in error.value.problems] == [(2, {"field": "indicator"})]
        with pytest.raises(IndicatorError) as error:
            import_indicators(
                session=session, campaign=campaign, rows=read_indicators(workbook_path), now=now
            )
        assert [(p.row, p.message % p.values) for p in error.value.problems] == [
            (2, "required field(s) empty: target, actual")
        ]
    assert stored(Session(engine)) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the sheet is empty"),
        (b"cadre_id,indicator,target\r\nC1,A,1\r\n", "missing column(s): actual"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"cadre_id,indicator,target,actual\r\n", "no indicators"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(engine, now, tmp_path, content, expected):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with Session(engine) as session, pytest.raises(IndicatorError) as error:
        campaign = indicator_campaign(session, now)
        import_indicators(session=session, campaign=campaign, rows=read_indicators(path), now=now)
    assert expected in " ".join(p.message % p.values for p in error.value.problems)
    damaged = tmp_path / "x.xlsx"
    damaged.write_bytes(b"not a zip")
    with pytest.raises(IndicatorError, match="1 problem"):
        read_indicators(damaged)
    with pytest.raises(IndicatorError):
        read_indicators(tmp_path / "x.txt")


def test_template_reads_back_as_its_example(engine, now, tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path)
    rows = read_indicators(path)
    assert [row["indicator"] for _, row in rows] == ["招商引资到位资金"]
    with Session(engine) as session:
        campaign = indicator_campaign(session, now)
        assert import_indicators(session=session, campaign=campaign, rows=rows, now=now).stored == 1


def test_refused_after_publication_and_without_a_performance_section(any_engine, now, tmp_path):
    path = tmp_path / "i.csv"
    write_rows(path, GOOD)
    with Session(any_engine) as session:
        plain = indicator_campaign(session, now, performance=None)
        with pytest.raises(CampaignError) as error:
            import_indicators(session=session, campaign=plain, rows=read_indicators(path), now=now)
        assert error.value.message == NO_PERFORMANCE
        campaign = indicator_campaign(session, now)
        campaign.published_at = now
        with pytest.raises(CampaignError) as error:
            import_indicators(
                session=session, campaign=campaign, rows=read_indicators(path), now=now
            )
        assert error.value.message == PUBLISHED


def test_results_use_the_mixed_dimension(any_engine, now, tmp_path):
    path = tmp_path / "i.xlsx"
    write_rows(path, GOOD)
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = indicator_campaign(session, now)
        for token in tokens(session, campaign).values():
            answers = complete_answers(session, token, now)
            submit_ballot(session=session, token=token, answers=answers, now=now)
        session.commit()
        open_boxes(session)
        # after the close, before publication: HR's figures often arrive then
        import_indicators(session=session, campaign=campaign, rows=read_indicators(path), now=now)
        session.commit()
        shown = shown_results(session=session, campaign=campaign)
    results = {result.cadre.external_id: result for result in shown}
    c1, c2 = results["C1"], results["C2"]
    part = shown_performance(c1)
    assert (rounded(part.indicator), rounded(part.rating), rounded(part.mixed)) == (85, 100, 94)
    assert rounded(c1.shown.dimension_scores["ji"]) == 94.0
    assert rounded(c1.shown.composite) == 98.5
    assert rounded(c2.shown.composite) == 100.0
    assert shown_performance(c2).note == NO_INDICATORS

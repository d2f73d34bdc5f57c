"""The campaign overview, the per-cadre report and the workbook, on a hand-worked campaign.

The campaign and its figures are worked out in tests/report_campaign.py.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import openpyxl
import pytest

from storage.models import Appeal
from surveys.results.outcomes import (
    GRADE_WITHHELD,
    REVISED_ON_APPEAL,
    RULE_WITHHELD,
    shown_decision,
    shown_results,
)
from surveys.results.reports import (
    ballot_table,
    cadre_report,
    campaign_overview,
    dimension_table,
    grade_table,
    overview_text,
    quality_table,
    ranking_table,
    reliability_table,
    report_text,
    vote_table,
    write_results_workbook,
)
from surveys.rules.disclosure import Disclosure
from surveys.rules.grading import CAPS, GradeDecision, GradeStep
from surveys.rules.ranking import USES
from surveys.rules.scoring import CadreScore
from surveys.setup.channels import create_channel, record_tally
from tests.cli import CadreCli
from tests.report_campaign import COMMENTS, report_campaign

SHEETS = [
    "Overview",
    "Ranking",
    "Completion",
    "Dimensions",
    "Groups",
    "Votes",
    "Comment themes per unit",
    "Comment themes per cadre",
    "Quality checks",
    "Reliability",
    "Ballots",
]


@pytest.fixture
def campaign(session, now):
    return report_campaign(session, now)


@pytest.fixture
def overview(session, campaign):
    return campaign_overview(session=session, campaign=campaign)


def by_cadre(rows: list[list], column: int = 0) -> dict:
    """Data rows of a table keyed by one column."""
    return {row[column]: row for row in rows[1:]}


def test_ranking_shows_composites_grades_ranks_and_the_adjusted_composite(overview):
    rows = ranking_table(overview, "en")
    assert rows[0][:3] == ["Rank", "Cadre id", "Name"]
    assert [row[:3] for row in rows[1:]] == [
        [1, "C2", "李娜"],
        [2, "C1", "王伟"],
        [3, "C3", "张敏"],
    ]
    ranking = by_cadre(rows, 1)
    assert [ranking[c][6] for c in ("C1", "C2", "C3")] == [82.8, 83.63, 82.13]
    assert {ranking[c][8] for c in ranking} == {"Competent"}
    # unit rank, unit percentile, campaign percentile
    assert ranking["C2"][9:12] == [1, 75.0, 83.3]
    assert ranking["C1"][9:12] == [2, 25.0, 50.0]
    assert ranking["C3"][9:12] == [1, 50.0, 16.7]
    assert ranking["C1"][12] == "Score 82.8 is in the band for Competent (from 75.0)"
    assert all(isinstance(ranking[c][7], float) for c in ranking)  # leniency-adjusted


def test_grade_distribution_and_completion(overview):
    grades = by_cadre(grade_table(overview, "en"))
    assert grades["Competent"][1:] == [3, 100.0] and grades["Excellent"][1:] == [0, 0.0]
    assert overview.grade_counts() == {
        "excellent": 0,
        "competent": 3,
        "basically_competent": 0,
        "incompetent": 0,
        None: 0,
    }
    assert [(e.assigned, e.completed) for e in overview.progress] == [(10, 10), (10, 10), (8, 8)]


def test_dimensions_against_the_unit_average_and_the_weakest(overview):
    rows = dimension_table(overview, "en")
    c1 = {row[3]: row[4:] for row in rows[1:] if row[0] == "C1"}
    assert c1["Political quality and moral integrity"] == [87.0, 88.5, -1.5, 1]
    assert c1["Professional competence"] == [79.5, 77.25, 2.25, None]
    assert c1["Integrity and self-discipline"] == [87.0, 88.5, -1.5, 2]
    c2 = {row[3]: row[4:] for row in rows[1:] if row[0] == "C2"}
    assert c2["Professional competence"] == [75.0, 77.25, -2.25, 1]
    results = {r.cadre.external_id: r for r in overview.results}
    assert [gap.dimension for gap in results["C1"].weakest] == ["de", "lian"]
    assert [gap.dimension for gap in results["C2"].weakest] == ["neng"]


def test_votes_shares_only_as_percentages_of_votes_cast(overview):
    votes = by_cadre(vote_table(overview, "en"))
    assert votes["C1"][2:] == [10, 80.0, 20.0, 0.0, 0.0]
    assert votes["C3"][2:] == [8, 37.5, 62.5, 0.0, 0.0]


def test_the_report_names_the_group_left_out_of_the_composite(session, campaign):
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    (note,) = report.result.notes
    assert note.values == {"groups": "public"}
    text = report_text(report, "en")
    assert "No usable responses from Public: the composite weighs the other groups only" in text
    assert "服务对象" in report_text(report, "zh")  # the group named in Chinese too


def test_the_cadre_report_in_full(session, campaign):
    shuffler = random.Random(7)
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1", shuffler=shuffler)
    text = report_text(report, "en")
    for expected in (
        "Composite: 82.80",
        "Grade: Competent",
        "Deciding rule: Score 82.8 is in the band for Competent (from 75.0)",
        "Rank in the unit: 2 of 2 (percentile 25.0)",
        "Rank in the campaign: 2 of 3 (percentile 50.0)",
        "Weakest dimensions: Political quality and moral integrity (1.5 below the unit average)",
        "Normal use, pay and rank progression",
        "Other raters  5          81.6",
        "Subordinate   5          84.8",
    ):
        assert expected in text, expected
    assert sorted(report.comments.comments) == sorted(COMMENTS.values())
    assert report.result.uses == (USES["normal"], USES["training"])
    none = cadre_report(session=session, campaign=campaign, cadre_id="C2")
    assert none.comments.comments == [] and none.comments.count == 0
    assert "Fewer than 5 comments, so none is shown" in report_text(none, "en")


def test_an_unknown_cadre_is_refused(session, campaign):
    with pytest.raises(ValueError, match="no cadre"):
        cadre_report(session=session, campaign=campaign, cadre_id="C9")


def test_quality_checks_flag_the_odd_ballot_of_the_visible_groups(overview):
    flags = {(flag.check, flag.refs[0]) for flag in overview.flags}
    assert flags == {("straight_line", "B1"), ("outlier", "B1"), ("severe", "B1")}
    rows = quality_table(overview, "en")
    outlier = next(row for row in rows if row[0] == "Outlier")
    assert outlier[1:4] == ["C1", "王伟", "B1"]
    assert "median 92.0, robust z -3.99" in outlier[4]
    severe = next(row for row in rows if row[0] == "Severe")
    assert "2 cadres 16.0 points below" in severe[4]
    ballots = by_cadre(ballot_table(overview, "en"))
    assert ballots["B1"][1:3] == ["C1", "Subordinate"] and set(ballots["B1"][3:13]) == {"Fair"}


def test_a_burst_on_a_public_channel_is_among_the_quality_checks(session, campaign, now):
    channel = create_channel(
        session=session, campaign=campaign, name="3号窗口", cadre_ids=["C1"], rotating=False
    )
    for minute in range(35):  # 35 ratings within one hour: at least the 30 that flag a burst
        record_tally(
            session=session, channel=channel, now=now + timedelta(minutes=minute), accepted=True
        )
    session.commit()
    overview = campaign_overview(session=session, campaign=campaign)
    rows = quality_table(overview, "en")
    burst = next(row for row in rows if row[0] == "Burst on a public channel")
    assert burst[2] == "3号窗口" and "35" in burst[4]


REASONS = ("Only", "Fewer than 2", "The items differ", "All ")


def test_reliability_of_the_visible_groups(overview):
    rows = reliability_table(overview, "en")
    alphas = [row for row in rows[1:] if row[0] == "Cronbach's alpha"]
    assert len(alphas) == 5
    # A blank alpha says why in its value cell; a computed one is a number.
    assert all(isinstance(row[2], float) or row[2].startswith(REASONS) for row in alphas)
    assert [row[1] for row in alphas if isinstance(row[2], str)] == [
        "Diligence and work style",
        "Work performance",
        "Integrity and self-discipline",
    ]
    assert {row[1] for row in rows[1:] if row[0].startswith("ICC")} == {"Superior", "Subordinate"}
    icc = next(row for row in rows if row[:2] == ["ICC(1)", "Subordinate"])
    assert icc[4:7] == [10, 2, 5.0]  # ratings, cadres, ratings per cadre


def test_ballots_are_the_visible_groups_sorted_with_links_and_comments(overview):
    rows = ballot_table(overview, "en")
    header, ballots = rows[0], rows[1:]
    assert header[-3:] == ["Vote", "Comment", "Form link"]
    assert [row[0] for row in ballots] == [f"B{n}" for n in range(1, 14)]
    assert [(row[1], row[2]) for row in ballots] == (
        [("C1", "Subordinate")] * 5 + [("C2", "Subordinate")] * 5 + [("C3", "Superior")] * 3
    )
    assert sorted(row[-2] for row in ballots if row[1] == "C1") == sorted(COMMENTS.values())
    assert all(row[-2] is None for row in ballots if row[1] != "C1")
    # U1-U5's forms are visible whole (C1 and C2); S1-S3's are not (their C1 and C2 records
    # are inside other raters), so their C3 ballots lose the link to those records.
    assert all(row[-1] for row in ballots if row[1] != "C3")
    assert [row[-1] for row in ballots if row[1] == "C3"] == [None] * 3
    links = Counter(row[-1] for row in ballots if row[-1])
    assert sorted(links.values()) == [2] * 5  # each links one rater's C1 and C2 ballots
    assert sorted(links) == ["F1", "F2", "F3", "F4", "F5"]  # numbers, never the stored link
    assert ballots == sorted(ballots, key=lambda row: (row[1], row[2] != "Superior"))


def all_cells(path) -> list[str]:
    """Every non-empty cell of a workbook, as text."""
    workbook = openpyxl.load_workbook(path)
    return [
        str(value)
        for sheet in workbook
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]


@pytest.mark.parametrize("locale, peer", [("en", "Peer"), ("zh", "同级")])
def test_a_group_below_k_appears_nowhere(session, campaign, overview, tmp_path, locale, peer):
    path = tmp_path / "results.xlsx"
    write_results_workbook(path, overview, locale)
    cells = all_cells(path)
    assert cells and not [cell for cell in cells if peer in cell or "peer" in cell]
    assert peer not in overview_text(overview, locale)
    for cadre_id in ("C1", "C2", "C3"):
        report = cadre_report(session=session, campaign=campaign, cadre_id=cadre_id)
        assert peer not in report_text(report, locale)
        assert "peer" not in report.result.shown.groups
    superiors = [row for row in ballot_table(overview, "en")[1:] if row[2] == "Superior"]
    assert {row[1] for row in superiors} == {"C3"}  # folded into other raters on C1 and C2


def test_the_workbook_holds_every_view_with_numbers(overview, tmp_path):
    path = tmp_path / "results.xlsx"
    write_results_workbook(path, overview, "en")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == SHEETS
    ranking = {row[1]: row for row in workbook["Ranking"].iter_rows(min_row=2, values_only=True)}
    assert ranking["C2"][6] == 83.63 and ranking["C1"][6] == 82.8
    groups = [row for row in workbook["Groups"].iter_rows(min_row=2, values_only=True)]
    assert ("C1", "王伟", "Other raters", 5, 81.6) in [row[:5] for row in groups]
    assert ("C3", "张敏", "Superior", 3, 96) in [row[:5] for row in groups]
    assert workbook["Ballots"].max_row == 14
    assert workbook["Ranking"]["A1"].font.bold


def test_headers_are_in_the_users_language(overview, tmp_path):
    path = tmp_path / "results.xlsx"
    write_results_workbook(path, overview, "zh")
    workbook = openpyxl.load_workbook(path)
    ranking = next(workbook.worksheets[1].iter_rows(max_row=1, values_only=True))
    assert "姓名" in ranking and "综合得分" in ranking
    assert "称职" in [row[8] for row in workbook.worksheets[1].iter_rows(values_only=True)]


def test_an_appeal_revises_the_grade_shown(session, campaign, now):
    c2 = next(
        r.cadre
        for r in shown_results(session=session, campaign=campaign)
        if r.cadre.external_id == "C2"
    )
    session.add(
        Appeal(
            campaign_id=campaign.id,
            cadre_id=c2.id,
            filed_at=now,
            reason="评分有误",
            status="revised",
            decided_at=now + timedelta(days=2),
            decided_by="hr",
            decision="复核后改为优秀",
            revised_grade="excellent",
        )
    )
    session.commit()
    result = next(
        r for r in shown_results(session=session, campaign=campaign) if r.cadre.id == c2.id
    )
    assert result.decision.grade == "excellent" and result.graded.grade == "competent"
    assert result.decision.message == REVISED_ON_APPEAL and result.revised
    assert result.decision.values == {
        "reason": "复核后改为优秀",
        "grade": "excellent",
        "previous": "competent",
    }
    assert result.uses == (USES["promotion"], USES["commendation"], USES["pay"])
    overview = campaign_overview(session=session, campaign=campaign)
    assert by_cadre(ranking_table(overview, "en"), 1)["C2"][8] == "Excellent"
    assert (
        by_cadre(ranking_table(overview, "en"), 1)["C2"][12] == "Revised on appeal: 复核后改为优秀"
    )


def _score(votes: dict[str, int]) -> CadreScore:
    return CadreScore(cadre_id="x", responses={"superior": 4}, composite=80.0, votes=votes)


def _shown(composite: float | None) -> Disclosure:
    return Disclosure({}, {}, [], [], composite, {}, {}, [])


def test_a_rule_on_fewer_than_k_votes_keeps_its_grade_but_not_its_figures():
    step = GradeStep("incompetent", CAPS["more_than"], {"share": 50.0, "grade": "incompetent"})
    decision = GradeDecision("x", "incompetent", step.message, step.values, (step,))
    thin = shown_decision(decision, _shown(80.0), _score({"incompetent": 1, "competent": 1}), 3)
    assert thin.grade == "incompetent" and thin.message == RULE_WITHHELD
    assert thin.values == {"grade": "incompetent", "k": 3}
    enough = {"incompetent": 2, "competent": 1}
    assert shown_decision(decision, _shown(80.0), _score(enough), 3) == decision
    hidden = shown_decision(decision, _shown(None), _score(enough), 3)
    assert hidden.grade is None and hidden.message == GRADE_WITHHELD


def test_the_command_prints_the_overview_and_a_report_and_writes_files(tmp_path, now):
    run = CadreCli(tmp_path)
    run("db", "upgrade")
    with run.session() as session:
        campaign_id = report_campaign(session, now).id
    shown = run(
        "results",
        campaign_id[:8],
        "--xlsx",
        str(tmp_path / "r.xlsx"),
        "--pdf",
        str(tmp_path / "o.pdf"),
    ).output
    assert "83.63" in shown and "Straight-lined" in shown and "Peer" not in shown
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames == SHEETS
    assert (tmp_path / "o.pdf").read_bytes().startswith(b"%PDF")
    report = run("results", "report", campaign_id, "C3", "--pdf", str(tmp_path / "c3.pdf"))
    assert "Rank in the campaign: 3 of 3" in report.output
    assert (tmp_path / "c3.pdf").stat().st_size > 10_000
    refused = run("results", "report", campaign_id, "C9", code=2)
    assert "no cadre with id C9" in refused.output

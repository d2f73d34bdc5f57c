"""Rule presets, checked rule by rule against cases worked by hand.

Each case builds the annual questionnaire's questions under one preset and
hand-made scores (composite and vote counts), so the few numbers a rule
looks at are in the test.  The presets' figures (shares, pools, periods)
are read from the preset files only where a test is about the file itself;
elsewhere the expected grade follows from the case's own arithmetic.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
import yaml
from sqlmodel import select

from storage.models import AuditEvent, CadreMark, Campaign
from surveys.notification.publication import publish_results
from surveys.results.appeals import appeal_deadline
from surveys.results.opening import open_with_key_file
from surveys.results.outcomes import (
    ADMONITION_WITHHELD,
    VOTE,
    describe,
    shown_decision,
    shown_results,
)
from surveys.results.reports import cadre_report, report_text
from surveys.results.rulebook import citation_text, explain, rule_lines
from surveys.rules.disclosure import Disclosure
from surveys.rules.grading import (
    ADMONITION,
    BAND,
    CAPS,
    FLAG_CAPS,
    PENDING,
    QUOTA_OUTSIDE,
    QUOTA_WITHIN,
    REQUIRES,
    GradingInput,
    QuotaWarning,
    grade_campaign,
    quota_places,
    quota_warnings,
)
from surveys.rules.presets import (
    PresetError,
    preset_data,
    preset_names,
    preset_overrides,
    with_preset,
)
from surveys.rules.questionnaire import (
    Questionnaire,
    TemplateError,
    load_questionnaire,
    parse_questionnaire,
)
from surveys.rules.scoring import CadreScore
from surveys.rules.workdays import UNKNOWN_YEAR
from surveys.setup.barring import campaign_marks, launch_warnings, mark_cadre
from surveys.setup.campaigns import CampaignError, KeyFileCustody, create_campaign
from surveys.setup.roster import import_roster
from tests.cli import CadreCli
from tests.factories import BOX_KEYS, LEDGER_KEY, roster_rows

ANNUAL = load_questionnaire("annual")
PRESETS = (
    "civil-servant-annual",
    "leading-cadre-annual",
    "leading-cadre-term",
    "institution-staff",
)


def under(preset: str, **grading) -> Questionnaire:
    """The annual questions under a preset; ``grading`` overrides as a template would."""
    data = ANNUAL.model_dump(mode="json")
    data.pop("grading")
    data.pop("windows")
    data["preset"] = preset
    if grading:
        data["grading"] = grading
    return parse_questionnaire(yaml.safe_dump(data, allow_unicode=True), f"{preset}.yaml")


def cadre(
    cadre_id: str,
    composite: float | None,
    *,
    unit: str = "局",
    tier: str = "",
    votes: dict[str, int] | None = None,
    flags: frozenset[str] = frozenset(),
) -> GradingInput:
    score = CadreScore(cadre_id=cadre_id, composite=composite, votes=votes or {})
    return GradingInput(score=score, roster_id=cadre_id, unit=unit, tier=tier, flags=flags)


def fillers(count: int, *, unit: str = "局", tier: str = "", start: int = 1) -> list:
    """Cadres graded Competent (80 points, no votes) who only make up a pool's size."""
    return [cadre(f"F{n}", 80.0, unit=unit, tier=tier) for n in range(start, start + count)]


# --- the preset files -----------------------------------------------------------------------


def test_the_four_presets_are_shipped():
    assert preset_names() == sorted(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_every_rule_of_a_preset_carries_a_citation(name):
    questionnaire = under(name)
    grading, windows = questionnaire.grading, questionnaire.windows
    rules = [*grading.votes, *grading.flags, grading.quota, grading.admonition]
    rules += [windows.publicity, windows.review, windows.appeal]
    for rule in rules:
        if rule is not None:
            assert rule.citation is not None, rule
            assert rule.citation.source
    assert grading.bands_citation is not None
    assert preset_overrides(questionnaire) == []  # nothing set by the template


@pytest.mark.parametrize("name", PRESETS)
def test_vote_rules_say_more_than_outright(name):
    data = preset_data(name)
    for rule in data["grading"]["votes"]:
        assert rule["comparison"] in ("at_least", "more_than")  # stated, never defaulted
    assert [(r.grade, r.effect, r.share, r.comparison) for r in under(name).grading.votes] == [
        ("excellent", "requires", Fraction(1, 2), "more_than"),
        ("incompetent", "caps", Fraction(1, 3), "more_than"),
    ]


@pytest.mark.parametrize("name", PRESETS)
def test_a_snapshot_reads_back_the_same(name):
    questionnaire = under(name, votes=[{"grade": "excellent", "effect": "requires", "share": 0.6}])
    again = Questionnaire.model_validate(questionnaire.model_dump())
    assert again == questionnaire
    assert preset_overrides(again) == preset_overrides(questionnaire)


def test_grade_names_and_kinds():
    assert {name: preset_data(name)["kind"] for name in PRESETS} == {
        "civil-servant-annual": "annual",
        "leading-cadre-annual": "annual",
        "leading-cadre-term": "term",
        "institution-staff": "annual",
    }
    assert under("institution-staff").grading.labels == "institution"
    assert under("civil-servant-annual").grading.labels == "cadre"


def test_the_periods_of_the_civil_service_law():
    windows = under("civil-servant-annual").windows
    assert (windows.publicity.days, windows.publicity.counting) == (5, "working")
    assert (windows.review.days, windows.review.counting) == (30, "calendar")
    assert (windows.appeal.days, windows.appeal.counting) == (15, "calendar")
    assert windows.review.citation.article == "第九十五条"


def test_an_unknown_preset_is_a_template_error():
    with pytest.raises(TemplateError, match="unknown preset 'nope'"):
        under("nope")
    with pytest.raises(PresetError):
        with_preset(ANNUAL, "nope")


def test_a_flag_that_caps_must_say_at_what():
    flags = [{"key": "odd", "label": {"zh": "某", "en": "Odd"}, "effect": "caps"}]
    with pytest.raises(TemplateError, match="caps_at goes with effect caps"):
        under("civil-servant-annual", flags=flags)


# --- overrides ------------------------------------------------------------------------------


def test_an_override_is_listed_and_loses_the_preset_citation():
    questionnaire = under(
        "civil-servant-annual",
        votes=[{"grade": "excellent", "effect": "requires", "comparison": "at_least"}],
        quota={"scope": "unit"},
    )
    rule = questionnaire.grading.votes[0]
    assert (rule.share, rule.comparison, rule.citation) == (Fraction(1, 2), "at_least", None)
    assert questionnaire.grading.votes[1].citation is not None  # untouched rule keeps it
    found = [(o.path, o.preset, o.template) for o in preset_overrides(questionnaire)]
    assert ("grading.votes[0].comparison", "more_than", "at_least") in found
    assert ("grading.quota.scope", "agency", "unit") in found
    lines = rule_lines(questionnaire, "en")
    assert "The template sets grading.quota.scope to unit (the preset: agency)" in lines
    assert "Excellent needs at least 50% of votes for it [no source cited]" in lines


def test_the_same_number_written_otherwise_is_no_override():
    questionnaire = under("civil-servant-annual", quota={"share": "1/5"})
    assert preset_overrides(questionnaire) == []
    assert questionnaire.grading.quota.citation is not None


def test_with_preset_keeps_only_the_templates_vetoes():
    questionnaire = with_preset(ANNUAL, "civil-servant-annual")
    assert questionnaire.grading.vetoes == ANNUAL.grading.vetoes
    assert questionnaire.grading.quota.scope == "agency"
    assert questionnaire.grading.votes[0].comparison == "more_than"
    assert [o.path for o in preset_overrides(questionnaire)] == ["grading.vetoes"]


# --- vote rules: at least versus more than --------------------------------------------------

HALF = {"excellent": 5, "competent": 5}  # exactly half the votes Excellent


def test_exactly_half_is_not_more_than_half():
    decisions = grade_campaign(
        under("civil-servant-annual"), [cadre("A", 95.0, votes=HALF), *fillers(9)]
    )
    decision = decisions["A"]
    assert decision.grade == "competent"
    assert decision.message == REQUIRES["more_than"]
    assert decision.values == {
        "grade": "excellent",
        "threshold": 50.0,
        "share": 50.0,
        "result": "competent",
    }
    assert "超过半数" in decision.citation.source


def test_exactly_half_is_at_least_half():
    # The built-in annual template says "at least": the same votes keep Excellent.
    decisions = grade_campaign(ANNUAL, [cadre("A", 95.0, votes=HALF), *fillers(4)])
    assert decisions["A"].grade == "excellent"


def test_one_vote_over_half_keeps_excellent_within_the_agency_quota():
    votes = {"excellent": 6, "competent": 4}
    decisions = grade_campaign(
        under("civil-servant-annual"), [cadre("A", 95.0, votes=votes), *fillers(4)]
    )
    decision = decisions["A"]
    assert decision.grade == "excellent"
    assert decision.message == QUOTA_WITHIN["agency"]
    assert decision.values["places"] == 1 and decision.values["graded"] == 5
    assert decision.citation.source == "《公务员考核规定》（2020年）"


# --- one third Incompetent ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incompetent", "cast", "grade"),
    [
        (3, 9, "competent"),  # exactly a third: not more than a third
        (4, 12, "competent"),
        (4, 11, "incompetent"),  # 36.4%
        (1, 2, "incompetent"),
    ],
)
def test_more_than_a_third_incompetent(incompetent, cast, grade):
    votes = {"incompetent": incompetent, "competent": cast - incompetent}
    decision = grade_campaign(under("leading-cadre-annual"), [cadre("A", 80.0, votes=votes)])["A"]
    assert decision.grade == grade
    if grade == "incompetent":
        assert decision.message == CAPS["more_than"]


# --- the admonition talk (诫勉) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("good", "cast", "due", "share"),
    [
        (6, 9, False, None),  # exactly two thirds: not below
        (5, 9, True, 55.6),
        (2, 3, False, None),
        (13, 20, True, 65.0),
    ],
)
def test_admonition_when_excellent_and_competent_fall_below_two_thirds(good, cast, due, share):
    votes = {"excellent": good // 2, "competent": good - good // 2, "incompetent": cast - good}
    decision = grade_campaign(under("civil-servant-annual"), [cadre("A", 80.0, votes=votes)])["A"]
    if not due:
        assert decision.notes == ()
        return
    (note,) = decision.notes
    assert note.message == ADMONITION["below"]
    assert note.values == {"share": share, "grades": "excellent, competent", "threshold": 66.7}
    assert note.grade is None and note.citation is not None
    # The note changes no grade: the band and vote rules decided it.
    assert decision.grade in ("competent", "incompetent")


def test_no_admonition_rule_for_institution_staff():
    votes = {"competent": 1, "incompetent": 2}
    decision = grade_campaign(under("institution-staff"), [cadre("A", 80.0, votes=votes)])["A"]
    assert decision.notes == ()


# --- barring flags --------------------------------------------------------------------------


def test_under_investigation_no_grade_and_no_place_in_the_pool():
    # Five cadres in the agency, 20%: one place.  With one under investigation only
    # four are graded, 4 x 0.2 = 0.8, rounded down: no place for the Excellent one.
    votes = {"excellent": 8, "competent": 2}
    entries = [
        cadre("A", 96.43, votes=votes),
        cadre("X", 99.0, votes=votes, flags=frozenset({"under_investigation"})),
        *fillers(3),
    ]
    decisions = grade_campaign(under("civil-servant-annual"), entries)
    pending = decisions["X"]
    assert (pending.grade, pending.message) == (None, PENDING)
    assert pending.values == {"flag": "under_investigation"}
    assert pending.notes == ()
    assert decisions["A"].grade == "competent"
    assert decisions["A"].message == QUOTA_OUTSIDE["agency"]
    assert decisions["A"].values["graded"] == 4 and decisions["A"].values["places"] == 0


def test_a_sanction_caps_at_competent_and_frees_the_place():
    votes = {"excellent": 8, "competent": 2}
    entries = [
        cadre("A", 96.0, votes=votes),
        cadre("S", 99.0, votes=votes, flags=frozenset({"sanction_in_effect"})),
        *fillers(3),
    ]
    decisions = grade_campaign(under("civil-servant-annual"), entries)
    assert decisions["S"].grade == "competent"
    assert decisions["S"].message == FLAG_CAPS
    assert decisions["S"].values == {"flag": "sanction_in_effect", "result": "competent"}
    # S is graded (one of five) but no longer competes: A, second on points, takes the place.
    assert decisions["A"].grade == "excellent"
    assert decisions["A"].values["graded"] == 5


def test_a_flag_the_rules_do_not_list_changes_nothing():
    flags = frozenset({"team_rated_poor"})  # a leading-cadre situation, not a civil servant's
    votes = {"excellent": 8, "competent": 2}
    decisions = grade_campaign(
        under("civil-servant-annual"), [cadre("A", 96.0, votes=votes, flags=flags), *fillers(4)]
    )
    assert decisions["A"].grade == "excellent"


def test_serious_political_failure_is_unqualified_in_institution_words():
    questionnaire = under("institution-staff")
    flags = frozenset({"serious_political_failure"})
    decision = grade_campaign(questionnaire, [cadre("A", 92.0, flags=flags)])["A"]
    assert decision.grade == "incompetent"
    text = describe(decision.message, decision.values, "zh", questionnaire)
    assert "政治上出现严重问题" in text and "不合格" in text
    assert "Unqualified" in describe(decision.message, decision.values, "en", questionnaire)
    assert "事业单位工作人员考核规定" in explain(decision, "zh", questionnaire)


def test_the_competent_grade_is_qualified_for_institution_staff():
    questionnaire = under("institution-staff")
    decision = grade_campaign(questionnaire, [cadre("A", 80.0)])["A"]
    assert decision.message == BAND
    assert describe(decision.message, decision.values, "zh", questionnaire).count("合格") == 1
    assert "Qualified" in describe(decision.message, decision.values, "en", questionnaire)


# --- the Excellent quota --------------------------------------------------------------------


def test_a_unit_of_four_can_never_award_excellent():
    # The case from the issue: 96.43 points and 80% Excellent votes, in a unit of four.
    questionnaire = under("civil-servant-annual", quota={"scope": "unit"})
    votes = {"excellent": 8, "competent": 2}
    entries = [cadre("A", 96.43, unit="小科", votes=votes), *fillers(3, unit="小科")]
    entries += [cadre("B", 96.0, unit="大处", votes=votes), *fillers(4, unit="大处", start=10)]
    decisions = grade_campaign(questionnaire, entries)
    assert decisions["A"].grade == "competent"
    assert decisions["A"].message == QUOTA_OUTSIDE["unit"]
    assert decisions["B"].grade == "excellent"
    pools = [(entry.unit, entry.tier) for entry in entries]
    assert quota_warnings(questionnaire.grading, pools) == [QuotaWarning("小科", 4, 0)]


@pytest.mark.parametrize(
    ("graded", "down", "nearest", "up"),
    [
        (4, 0, 1, 1),  # 0.8
        (5, 1, 1, 1),  # 1.0
        (7, 1, 1, 2),  # 1.4
        (8, 1, 2, 2),  # 1.6
        (12, 2, 2, 3),  # 2.4
        (15, 3, 3, 3),  # 3.0
        (1, 0, 0, 1),  # 0.2
    ],
)
def test_rounding_the_places(graded, down, nearest, up):
    share = under("civil-servant-annual").grading.quota.share
    assert share == Fraction(1, 5)
    assert [quota_places(share, graded, r) for r in ("down", "nearest", "up")] == [
        down,
        nearest,
        up,
    ]


def test_rounding_up_gives_a_unit_of_four_its_place():
    questionnaire = under("civil-servant-annual", quota={"scope": "unit", "rounding": "up"})
    votes = {"excellent": 8, "competent": 2}
    decisions = grade_campaign(questionnaire, [cadre("A", 96.43, votes=votes), *fillers(3)])
    assert decisions["A"].grade == "excellent"
    assert decisions["A"].values["places"] == 1
    assert quota_warnings(questionnaire.grading, [("局", "")] * 4) == []


def test_tiers_have_quotas_of_their_own():
    # 处级: six cadres, 1.2 -> one place for two candidates; 科级: four, 0.8 -> none.
    votes = {"excellent": 9, "competent": 1}
    entries = [
        cadre("P1", 97.0, tier="处级", votes=votes),
        cadre("P2", 95.0, tier="处级", votes=votes),
        *fillers(4, tier="处级"),
        cadre("K1", 99.0, tier="科级", votes=votes),
        *fillers(3, tier="科级", start=20),
    ]
    questionnaire = under("leading-cadre-annual")
    decisions = grade_campaign(questionnaire, entries)
    assert [decisions[c].grade for c in ("P1", "P2", "K1")] == [
        "excellent",
        "competent",
        "competent",
    ]
    assert decisions["P1"].message == QUOTA_WITHIN["tier"]
    assert decisions["P1"].values["unit"] == "处级" and decisions["P1"].values["graded"] == 6
    assert decisions["K1"].message == QUOTA_OUTSIDE["tier"]
    pools = [(entry.unit, entry.tier) for entry in entries]
    assert quota_warnings(questionnaire.grading, pools) == [QuotaWarning("科级", 4, 0)]


def test_term_assessment_has_no_quota():
    votes = {"excellent": 9, "competent": 1}
    entries = [cadre(f"T{n}", 95.0 + n, votes=votes) for n in range(3)]
    decisions = grade_campaign(under("leading-cadre-term"), entries)
    assert {decision.grade for decision in decisions.values()} == {"excellent"}
    assert quota_warnings(under("leading-cadre-term").grading, [("局", "")] * 3) == []


# --- citations in words ---------------------------------------------------------------------


def test_citation_text_says_when_it_is_unchecked():
    review = under("civil-servant-annual").windows.review
    assert citation_text(review.citation, "en") == (
        "《中华人民共和国公务员法》（2018年修订） 第九十五条 "
        "(not yet checked against the gazetted text)"
    )
    checked = review.citation.model_copy(update={"checked": True})
    assert citation_text(checked, "en") == "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    assert citation_text(None, "en") == "no source cited"


def test_rule_lines_name_every_rule_with_its_source():
    lines = rule_lines(under("leading-cadre-annual"), "en")
    assert lines[0] == (
        "Rules preset: Annual assessment of Party and government leading cadres "
        "(leading-cadre-annual)"
    )
    text = "\n".join(lines)
    assert "Excellent needs more than 50% of votes for it [地方实施细则" in text
    assert "More than 33.3% of votes for Incompetent: at best Incompetent" in text
    assert "graded in each tier of post, places rounded down" in text
    assert "Publicity of proposed Excellent cadres: 5 working days" in text
    law = "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    assert f"within 30 days of the result [{law}" in text
    assert all("[" in line for line in lines[1:])  # every rule shows a source, or says none


# --- stored marks, the pre-launch warning, publication periods ------------------------------

PUBLISHED = datetime(2024, 9, 27, 2, tzinfo=UTC)  # Friday 27 September, 10:00 in Beijing


def preset_campaign(session, now, preset="civil-servant-annual"):
    """Five cadres in unit 甲 and four in unit 乙, graded under a preset, closed in Sep 2024."""
    cadres = [
        {"id": f"A{n}", "name": f"甲{n}", "unit": "甲", "post": "科员"} for n in range(1, 6)
    ] + [{"id": f"B{n}", "name": f"乙{n}", "unit": "乙", "post": "科员"} for n in range(1, 5)]
    raters = [{"id": "R1", "name": "测评人", "phone": "", "telegram": ""}]
    assignments = [("R1", row["id"], "superior") for row in cadres]
    roster = import_roster(
        session=session, rows=roster_rows(cadres, raters, assignments), name="名册", now=now
    )
    questionnaire = with_preset(ANNUAL, preset)
    return create_campaign(
        session=session,
        name="2024年度考核",
        kind="annual",
        roster_id=roster.id,
        questionnaire=questionnaire,
        opens_at=datetime(2024, 9, 2, tzinfo=UTC),
        closes_at=datetime(2024, 9, 20, tzinfo=UTC),
        now=datetime(2024, 9, 1, tzinfo=UTC),
        custody=KeyFileCustody(BOX_KEYS),
    )


def test_marks_are_stored_checked_and_audited(any_engine, now):
    from sqlmodel import Session

    with Session(any_engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        mark_cadre(
            session=session, campaign=campaign, roster_id="A1",
            flags=["sanction_in_effect", "under_investigation"], tier="科级",
            actor="hr", now=now,
        )  # fmt: skip
        session.commit()
        marks = campaign_marks(session=session, campaign=campaign)
        (mark,) = marks.values()
        assert mark.flags == ["under_investigation", "sanction_in_effect"]  # the rules' order
        assert mark.tier == "科级"
        mark_cadre(
            session=session, campaign=campaign, roster_id="A1", flags=None, tier="处级",
            actor="hr", now=now,
        )  # fmt: skip
        assert session.get(CadreMark, (campaign.id, mark.cadre_id)).flags == mark.flags
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "cadre_marked")).all()
        assert [event.detail["tier"] for event in events] == ["科级", "处级"]
        with pytest.raises(CampaignError, match="Unknown situation team_rated_poor"):
            mark_cadre(
                session=session, campaign=campaign, roster_id="A1", flags=["team_rated_poor"],
                tier=None, actor="hr", now=now,
            )  # fmt: skip
        with pytest.raises(CampaignError, match="No cadre Z9"):
            mark_cadre(
                session=session, campaign=campaign, roster_id="Z9", flags=[], tier=None,
                actor="hr", now=now,
            )  # fmt: skip


def test_launch_warning_for_the_agency_pool_and_per_unit(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        # The agency has nine cadres: 1.8 -> one place, no warning.
        assert launch_warnings(session=session, campaign=campaign) == []
        per_unit = preset_campaign(session, now, "leading-cadre-annual")
        # Per tier: none set yet, so all nine are one pool.
        assert launch_warnings(session=session, campaign=per_unit) == []
        for roster_id in ("B1", "B2", "B3", "B4"):
            mark_cadre(
                session=session, campaign=per_unit, roster_id=roster_id, flags=None,
                tier="科级", actor="hr", now=now,
            )  # fmt: skip
        assert launch_warnings(session=session, campaign=per_unit) == [QuotaWarning("科级", 4, 0)]


def test_publication_sets_the_periods_of_the_preset(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        mark_cadre(
            session=session, campaign=campaign, roster_id="A1",
            flags=["under_investigation"], tier=None, actor="hr", now=now,
        )  # fmt: skip
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
            now=datetime(2024, 9, 20, 1, tzinfo=UTC),
        )  # fmt: skip
        results = {
            r.cadre.external_id: r for r in shown_results(session=session, campaign=campaign)
        }
        assert results["A1"].decision.message == PENDING
        text = report_text(cadre_report(session=session, campaign=campaign, cadre_id="A1"), "zh")
        assert "涉嫌违纪违法被立案审查调查尚未结案：结案前不定等次" in text
        assert "《公务员考核规定》（2020年）（尚未与正式公布的文本核对）" in text
        assert publish_results(session=session, campaign=campaign, now=PUBLISHED)
        # Five working days after Friday 27 September: the make-up Sunday 29, Monday 30,
        # then 8, 9 and 10 October.
        assert campaign.publicity_until == date(2024, 10, 10)
        # Thirty days after 27 September is Sunday 27 October: Monday 28 October.
        assert (campaign.appeal_days, appeal_deadline(campaign)) == (31, date(2024, 10, 28))
        with pytest.raises(CampaignError, match="published"):
            mark_cadre(
                session=session, campaign=campaign, roster_id="A2", flags=[], tier=None,
                actor="hr", now=PUBLISHED,
            )  # fmt: skip


# --- the CLI ----------------------------------------------------------------------------------


def test_review_days_set_by_hr_are_counted_the_rules_way(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
            now=datetime(2024, 9, 20, 1, tzinfo=UTC),
        )  # fmt: skip
        until = date(2024, 10, 31)
        publish_results(
            session=session, campaign=campaign, now=PUBLISHED, publicity_until=until,
            appeal_days=5,
        )  # fmt: skip
        # HR's own last day of publicity stands; five days after 27 September is
        # Wednesday 2 October, in the holiday: the period runs to Tuesday 8 October.
        assert campaign.publicity_until == until
        assert (campaign.appeal_days, appeal_deadline(campaign)) == (11, date(2024, 10, 8))


def test_publishing_in_a_year_the_calendar_does_not_know_is_refused(engine, now):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        campaign = preset_campaign(session, now)
        campaign.closes_at = datetime(2099, 1, 5, tzinfo=UTC)
        open_with_key_file(
            session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
            now=datetime(2099, 1, 5, 1, tzinfo=UTC),
        )  # fmt: skip
        with pytest.raises(CampaignError, match="does not know 2099") as caught:
            publish_results(
                session=session, campaign=campaign, now=datetime(2099, 1, 6, tzinfo=UTC)
            )
        assert caught.value.message == UNKNOWN_YEAR  # a user error for the CLI and the console
        assert campaign.published_at is None


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


# --- the 诫勉 note under the anonymity rule ------------------------------------------------


def shown_disclosure(composite: float) -> Disclosure:
    """A disclosure with its composite shown (the note's fate rests on the votes alone)."""
    return Disclosure({}, {}, [], [], composite, {}, {}, [])


@pytest.mark.parametrize(
    ("votes", "split", "withheld"),
    [
        ({"competent": 1, "incompetent": 1}, frozenset(), True),  # 2 votes, fewer than k = 3
        ({"competent": 2, "incompetent": 2}, frozenset({VOTE}), True),  # a split vote
        ({"competent": 2, "incompetent": 2}, frozenset(), False),
    ],
)
def test_the_admonition_figures_follow_the_vote_rules_disclosure(votes, split, withheld):
    questionnaire = under("civil-servant-annual")
    graded = grade_campaign(questionnaire, [cadre("A", 80.0, votes=votes)])["A"]
    assert [note.message for note in graded.notes] == [ADMONITION["below"]]
    score = CadreScore(cadre_id="A", composite=80.0, votes=votes)
    shown = shown_decision(graded, shown_disclosure(80.0), score, 3, split)
    (note,) = shown.notes
    if withheld:
        assert (note.message, note.values) == (ADMONITION_WITHHELD, {"k": 3})
    else:
        assert note == graded.notes[0]
    assert note.citation == graded.notes[0].citation
    assert "诫勉" in explain(note, "zh", questionnaire)

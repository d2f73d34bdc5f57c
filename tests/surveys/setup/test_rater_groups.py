"""Rater groups are defined once (``surveys.rules.rater_groups``) and everything reads them there.

The last test adds a group to the one registry, inside the test only, and
sees it accepted in a roster under its Chinese name, answer a questionnaire,
count in the scores and appear in every report output in its place: no
other file names the groups.
"""

from __future__ import annotations

import openpyxl
import pytest
from pydantic import ValidationError
from sqlmodel import select

from storage.models import Invitation
from surveys.collection.ballots import submit_ballot
from surveys.results.reports import (
    cadre_report,
    cadre_tables,
    campaign_overview,
    overview_text,
    report_text,
    write_results_workbook,
)
from surveys.rules import rater_groups
from surveys.rules.questionnaire import Questionnaire, load_questionnaire
from surveys.rules.rater_groups import RaterGroup, group_keys, named_group, named_keys
from surveys.setup.campaigns import CampaignError, KeyFileCustody, create_campaign
from surveys.setup.invitations import issue_invitations, issue_slips
from surveys.setup.roster import check_roster, import_roster
from tests.factories import (
    BOX_KEYS,
    CLOSES,
    OPENS,
    SECRET,
    complete_answers,
    make_campaign,
    open_boxes,
    roster_rows,
    tokens,
)

MENTOR = RaterGroup("mentor", "Mentor", ("导师",))


def test_the_groups_in_display_order_and_who_is_named():
    assert group_keys() == ("superior", "peer", "subordinate", "public")
    assert named_keys() == ("superior", "peer", "subordinate")


@pytest.mark.parametrize(
    ("typed", "group"),
    [
        ("上级", "superior"),
        ("同级", "peer"),
        ("下级", "subordinate"),
        (" Peer ", "peer"),
        ("SUBORDINATE", "subordinate"),
        ("public", None),  # the public is never named on a roster
        ("boss", None),
        ("", None),
    ],
)
def test_names_a_roster_or_a_command_may_give(typed, group):
    assert named_group(typed) == group


def test_an_unknown_group_is_refused_with_the_names_that_work():
    rows = roster_rows(
        [{"id": "C1", "name": "王伟", "unit": "审批局", "post": "局长"}],
        [{"id": "R1", "name": "测评人1"}],
        [("R1", "C1", "public")],
    )
    [problem] = check_roster(rows)
    assert problem.values["group"] == "public"
    assert problem.values["groups"] == "superior (上级), peer (同级), subordinate (下级)"


def test_slips_take_the_same_names(session, now):
    campaign = make_campaign(session, now=now)
    with pytest.raises(CampaignError) as refused:
        issue_slips(session=session, campaign=campaign, group="public", count=3)
    assert refused.value.values["groups"] == "superior (上级), peer (同级), subordinate (下级)"
    issue_slips(session=session, campaign=campaign, group="同级", count=2)
    stored = session.exec(select(Invitation.group).where(Invitation.rater_id.is_(None))).all()
    assert stored == ["peer", "peer"]


def mentored_questionnaire() -> Questionnaire:
    """The annual questionnaire with the peers' items answered by mentors too."""
    data = load_questionnaire("annual").model_dump(mode="json")
    for dimension in data["dimensions"]:
        for item in dimension["items"]:
            if "peer" in item["groups"]:
                item["groups"].append("mentor")
    for key in ("vote", "comment"):
        if data.get(key) and "peer" in data[key]["groups"]:
            data[key]["groups"].append("mentor")
    data["group_weights"]["mentor"] = 0.2
    return Questionnaire.model_validate(data)


def test_a_group_added_to_the_registry_flows_through_roster_scores_and_reports(
    session, now, tmp_path, monkeypatch
):
    with pytest.raises(ValidationError, match="unknown rater group 'mentor'"):
        mentored_questionnaire()  # before: no such group anywhere
    monkeypatch.setattr(rater_groups, "GROUPS", (*rater_groups.GROUPS, MENTOR))
    cadres = [{"id": "C1", "name": "王伟", "unit": "审批局", "post": "局长"}]
    raters = [{"id": f"{kind}{n}", "name": f"测评人{kind}{n}"} for kind in "MU" for n in (1, 2, 3)]
    links = [(f"M{n}", "C1", "导师") for n in (1, 2, 3)]  # the Chinese name, as HR types it
    links += [(f"U{n}", "C1", "下级") for n in (1, 2, 3)]
    roster = import_roster(
        session=session, rows=roster_rows(cadres, raters, links), name="名册", now=now
    )
    campaign = create_campaign(
        session=session,
        name="导师测评",
        kind="annual",
        roster_id=roster.id,
        questionnaire=mentored_questionnaire(),
        opens_at=OPENS,
        closes_at=CLOSES,
        now=now,
        custody=KeyFileCustody(BOX_KEYS),
    )
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    for rater, token in tokens(session, campaign).items():
        value = "good" if rater.startswith("M") else "fair"
        answers = complete_answers(session, token, now, value=value)
        submit_ballot(session=session, token=token, answers=answers, now=now)
        session.commit()
    open_boxes(session)

    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    assert set(report.result.score.group_scores) == {"mentor", "subordinate"}
    groups = next(table for table in cadre_tables(report, "en") if table.key == "groups")
    assert [row[:2] for row in groups.rows] == [["Subordinate", 3], ["Mentor", 3]]  # in order
    assert "Mentor" in report_text(report, "en")
    overview = campaign_overview(session=session, campaign=campaign)
    iccs = [line.split()[:2] for line in overview_text(overview, "en").splitlines()]
    assert ["ICC(1)", "Mentor"] in iccs  # its reliability line (one cadre: no figure)
    path = tmp_path / "results.xlsx"
    write_results_workbook(path, overview, "en")
    workbook = openpyxl.load_workbook(path)
    groups = [row[2] for row in workbook["Groups"].iter_rows(min_row=2, values_only=True)]
    assert groups == ["Subordinate", "Mentor"]
    ballots = [row[2] for row in workbook["Ballots"].iter_rows(min_row=2, values_only=True)]
    assert ballots == ["Subordinate"] * 3 + ["Mentor"] * 3

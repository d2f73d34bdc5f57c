"""The HR results pages: overview, cadre report, downloads, publication and appeals.

Everything runs on the real app over the hand-worked campaign of
``tests/report_campaign.py`` (its figures are worked out there), signed in
through the login page as a browser would (``tests/hr.py``).
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO

import openpyxl
import pytest
from flask import Flask
from pypdf import PdfReader
from sqlmodel import Session, select

from storage.models import Appeal, AuditEvent, Campaign
from surveys.collection.ballots import submit_ballot
from surveys.results.appeals import file_appeal
from surveys.rules.questionnaire import load_questionnaire
from surveys.setup.accounts import ADMIN, AUDITOR, OFFICER
from surveys.setup.campaigns import ScrutineerCustody, campaign_cadres, create_campaign
from surveys.setup.roster import import_roster
from tests.contestable import contestable_only
from tests.factories import (
    CLOSES,
    OPENS,
    complete_answers,
    make_campaign,
    small_roster_rows,
    tokens,
)
from tests.hr import hr_client, hr_post, log_in
from tests.performance_campaign import performance_campaign
from tests.report_campaign import COMMENTS, report_campaign
from tests.themes_campaign import history_campaigns
from tests.web import parse, visible

PNG = b"\x89PNG\r\n\x1a\n"
AFTER = CLOSES + timedelta(hours=2)  # 10:00 on 1 December in Asia/Shanghai
TOO_EARLY = "results can be published only after the deadline"


class _Tables(HTMLParser):
    """The cell texts of every ``<table>`` on a page, row by row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(body: bytes) -> list[list[list[str]]]:
    """Every table of a page as lists of cell texts."""
    parser = _Tables()
    parser.feed(body.decode())
    return parser.tables


def table_with(body: bytes, first_header: str) -> list[list[str]]:
    """The page's table whose header row starts with ``first_header``."""
    return next(t for t in tables(body) if t and t[0] and t[0][0] == first_header)


@pytest.fixture
def campaign(app, session, now) -> Campaign:
    """The hand-worked campaign, every ballot in and its box opened; the app stands at ``now``."""
    return report_campaign(session, now)


def stand_at(app: Flask, moment) -> None:
    """Move the app's clock (sign in after it: HR sessions last a working day)."""
    app.config["CLOCK"] = lambda: moment


def stored(app: Flask, model, **where):
    """Rows of a table as the database holds them now."""
    with Session(app.extensions["cadre_engine"]) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.exec(query).all()


def overview_path(campaign: Campaign) -> str:
    return f"/admin/campaigns/{campaign.id}"


def cadre_path(campaign: Campaign, cadre: str) -> str:
    return f"/admin/campaigns/{campaign.id}/cadres/{cadre}"


def publish(client, campaign: Campaign, **fields):
    """Post the publication form with a token from the overview page."""
    data = {"appeal_days": "7", "publicity_until": "", "confirmed": "yes", **fields}
    return hr_post(client, overview_path(campaign) + "/publish", data, overview_path(campaign))


def appeal_of(app: Flask, campaign: Campaign, cadre: str, reason: str) -> Appeal:
    """A cadre's appeal, filed as the bot files it."""
    with Session(app.extensions["cadre_engine"], expire_on_commit=False) as session:
        current = session.get(Campaign, campaign.id)
        cadres = campaign_cadres(session=session, campaign=current)
        appeal = file_appeal(
            session=session,
            campaign=current,
            cadre=next(c for c in cadres if c.external_id == cadre),
            reason=reason,
            actor="bot:cadre",
            now=app.config["CLOCK"](),
        )
        session.commit()
    return appeal


# -- the overview ----------------------------------------------------------------------


def test_overview_shows_ranking_and_grades_once_the_box_is_open(app, campaign):
    officer = hr_client(app, OFFICER)
    page = officer.get(overview_path(campaign))
    assert page.status_code == 200
    text = visible(page.data)
    ranking = table_with(page.data, "Rank")
    assert [row[:3] for row in ranking[1:]] == [
        ["1", "C2", "李娜"],
        ["2", "C1", "王伟"],
        ["3", "C3", "张敏"],
    ]
    composites = {row[1]: row[6] for row in ranking[1:]}
    assert composites == {"C1": "82.8", "C2": "83.63", "C3": "82.13"}
    grades = {row[0]: row[1:] for row in table_with(page.data, "Grade")[1:]}
    assert grades["Competent"] == ["3", "100.0"] and grades["Excellent"] == ["0", "0.0"]
    links = parse(page.data).links
    for cadre in ("C1", "C2", "C3"):
        assert cadre_path(campaign, cadre) in links
    assert overview_path(campaign) + "/results.xlsx" in links
    assert overview_path(campaign) + "/overview.pdf" in links
    assert "Publish the results" in text  # an officer may publish (after the deadline)


def test_the_auditor_gets_no_publication_form(app, campaign):
    text = visible(hr_client(app, AUDITOR).get(overview_path(campaign)).data)
    assert "The results are not published yet." in text and "Publish the results" not in text


def test_dashboard_links_to_the_overview(app, campaign):
    officer = hr_client(app, OFFICER)
    assert overview_path(campaign) in parse(officer.get("/admin/").data).links


def test_before_the_box_opens_hr_sees_progress_only_and_every_download_is_refused(
    app, session, now
):
    """No interim figure anywhere, so none to subtract from the final one later."""
    campaign = make_campaign(session, now=now)
    links = tokens(session, campaign)
    for rater in ("R1", "R2", "R4", "R5"):
        answers = complete_answers(session, links[rater], now, comment="早到的意见")
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
    session.commit()
    officer = hr_client(app, OFFICER, "sealed.hr")
    for moment in (now, AFTER):  # open, then closed with the box not yet opened
        if moment is AFTER:
            stand_at(app, moment)
            assert log_in(officer, "sealed.hr").status_code == 303
        page = officer.get(overview_path(campaign))
        text = visible(page.data)
        assert page.status_code == 200 and "The ballot box is sealed until the deadline" in text
        assert "4 sealed ballots." in text
        completion = table_with(page.data, "Cadre")
        assert ["王伟 C1", "Superior", "1", "1"] in completion
        assert "Rank" not in text and "Composite" not in text and "早到的意见" not in text
        for path in ("/results.xlsx", "/overview.pdf", "/cadres/C1", "/cadres/C1/radar.png"):
            refused = officer.get(overview_path(campaign) + path)
            assert refused.status_code == 409, path
            assert "sealed" in visible(refused.data) and "早到的意见" not in visible(refused.data)


# -- one cadre -------------------------------------------------------------------------


def test_cadre_page_shows_the_report_and_only_the_disclosed_groups(app, campaign):
    officer = hr_client(app, OFFICER)
    page = officer.get(cadre_path(campaign, "C1"))
    assert page.status_code == 200
    text = visible(page.data)
    assert "王伟" in text and "发展改革委" in text and "主任" in text
    assert "82.80" in text and "Competent" in text
    assert "2 of 2" in text and "2 of 3" in text  # ranks in the unit and the campaign
    groups = table_with(page.data, "Group")
    assert [row[:3] for row in groups[1:]] == [
        ["Subordinate", "5", "84.8"],
        ["Other raters", "5", "81.6"],
    ]
    # Peers (2 < k) are hidden, superiors are folded with them: neither name nor score shows.
    assert "Peer" not in text and "Superior" not in text
    assert "96.0" not in text and "60.0" not in text
    dimensions = {row[0]: row[1:] for row in table_with(page.data, "Dimension")[1:]}
    assert len(dimensions) == 5
    assert "Weakest dimensions" in text
    for comment in COMMENTS.values():
        assert comment in text
    assert "Groups with too few responses are not shown" in text
    assert "Normal use, pay and rank progression" in text
    links = parse(page.data).links
    assert cadre_path(campaign, "C1") + "/report.pdf" in links
    assert f'src="{cadre_path(campaign, "C1")}/radar.png"' in page.data.decode()


def test_comments_below_the_threshold_are_not_shown(app, campaign):
    page = hr_client(app, AUDITOR).get(cadre_path(campaign, "C2"))
    text = visible(page.data)
    assert "意见" not in text


def test_radar_chart_and_pdfs_are_real_files(app, campaign):
    auditor = hr_client(app, AUDITOR)
    radar = auditor.get(cadre_path(campaign, "C1") + "/radar.png")
    assert radar.status_code == 200 and radar.mimetype == "image/png"
    assert radar.data.startswith(PNG)
    assert radar.headers["Cache-Control"] == "no-store"
    report = auditor.get(cadre_path(campaign, "C1") + "/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    assert "attachment" in report.headers["Content-Disposition"]
    reader = PdfReader(BytesIO(report.data))
    assert "王伟" in "\n".join(page.extract_text() for page in reader.pages)
    overview = auditor.get(overview_path(campaign) + "/overview.pdf")
    reader = PdfReader(BytesIO(overview.data))
    assert "李娜" in "\n".join(page.extract_text() for page in reader.pages)


def test_results_workbook_opens_with_openpyxl(app, campaign):
    response = hr_client(app, AUDITOR).get(overview_path(campaign) + "/results.xlsx")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    workbook = openpyxl.load_workbook(BytesIO(response.data))
    assert workbook.sheetnames[:2] == ["Overview", "Ranking"]
    ranking = list(workbook["Ranking"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in ranking] == ["C2", "C1", "C3"]


def test_unknown_campaigns_and_cadres_are_404(app, campaign):
    officer = hr_client(app, OFFICER)
    assert officer.get("/admin/campaigns/nosuchcampaign").status_code == 404
    assert officer.get(cadre_path(campaign, "C9")).status_code == 404
    assert officer.get(cadre_path(campaign, "C9") + "/radar.png").status_code == 404
    assert officer.get("/admin/campaigns/nosuchcampaign/appeals").status_code == 404


# -- publication -----------------------------------------------------------------------


def test_publishing_is_refused_before_the_deadline_and_recorded_after_it(app, campaign):
    officer = hr_client(app, OFFICER, "zhang.hr")
    refused = publish(officer, campaign)
    assert refused.status_code == 409
    assert TOO_EARLY in visible(refused.data)
    assert stored(app, Campaign)[0].published_at is None
    stand_at(app, AFTER)
    assert log_in(officer, "zhang.hr").status_code == 303
    accepted = publish(officer, campaign, publicity_until="2026-12-10", appeal_days="5")
    assert accepted.status_code == 303
    saved = stored(app, Campaign)[0]
    assert saved.published_at is not None and saved.appeal_days == 5
    assert str(saved.publicity_until) == "2026-12-10"
    event = stored(app, AuditEvent, action="publish")[0]
    assert event.actor == "zhang.hr"
    text = visible(officer.get(overview_path(campaign)).data)
    assert "Published the results of 2026年度考核." in text
    assert "Results published" in text and "zhang.hr" in text
    assert "Cadres may appeal until" in text and "Publish the results" not in text
    again = publish(officer, campaign)
    assert again.status_code == 303
    assert "were already published" in visible(officer.get(overview_path(campaign)).data)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"publicity_until": "10/12/2026"}, "as a date"),
        ({"appeal_days": "-1"}, "from 0 to 90"),
        ({"appeal_days": "365"}, "from 0 to 90"),
    ],
)
def test_unreadable_publication_fields_are_shown_again(app, campaign, fields, message):
    stand_at(app, AFTER)
    officer = hr_client(app, OFFICER)
    response = publish(officer, campaign, **fields)
    assert response.status_code == 422
    assert message in visible(response.data)
    assert stored(app, Campaign)[0].published_at is None


# -- appeals ---------------------------------------------------------------------------


def test_an_appeal_revised_changes_the_grade_and_is_in_the_audit_trail(app, campaign):
    stand_at(app, AFTER)
    admin = hr_client(app, ADMIN, "li.hr")
    assert publish(admin, campaign).status_code == 303
    appeal = appeal_of(app, campaign, "C1", "我的下级评价未被充分考虑")
    appeals_path = overview_path(campaign) + "/appeals"
    listing = visible(admin.get(appeals_path).data)
    assert "我的下级评价未被充分考虑" in listing and "Waiting for a decision" in listing
    decide = f"/admin/appeals/{appeal.id}/decide"
    refused = hr_post(admin, decide, {"outcome": "revised", "revised_grade": "excellent"})
    assert refused.status_code == 422
    assert "Please write the reason for the decision." in visible(refused.data)
    data = {"outcome": "revised", "revised_grade": "excellent", "decision": "复核后改为优秀"}
    assert hr_post(admin, decide, data, appeals_path).status_code == 303
    listing = visible(admin.get(appeals_path).data)
    assert "Grade revised → Excellent" in listing and "复核后改为优秀" in listing
    assert "Decided by li.hr" in listing
    report = admin.get(cadre_path(campaign, "C1"))
    facts = visible(report.data)
    assert "Excellent" in facts and "Revised on appeal: 复核后改为优秀" in facts
    overview = visible(admin.get(overview_path(campaign)).data)
    assert "Appeal decided: grade revised · 王伟 → Excellent" in overview
    assert "li.hr" in overview
    again = hr_post(admin, decide, data, appeals_path)
    assert again.status_code == 422
    assert "This appeal was already decided." in visible(again.data)


def test_the_appeals_page_says_which_results_may_be_contested(app, campaign):
    """As the bot tells a cadre: under a rule naming grades, only those may be contested."""
    officer = hr_client(app, OFFICER)
    appeals_path = overview_path(campaign) + "/appeals"
    assert "may be contested" not in visible(officer.get(appeals_path).data)
    with Session(app.extensions["cadre_engine"]) as session:
        contestable_only(session, session.get(Campaign, campaign.id), ["incompetent"])
    listing = visible(officer.get(appeals_path).data)
    assert "Only results graded Incompetent may be contested" in listing
    assert "第九十五条" in listing


def test_deciding_an_unknown_appeal_is_a_404(app, campaign):
    officer = hr_client(app, OFFICER)
    assert hr_post(officer, "/admin/appeals/nosuchappeal/decide").status_code == 404


# -- roles -----------------------------------------------------------------------------


def results_paths(campaign: Campaign, appeal: Appeal) -> tuple[list[str], list[str]]:
    """Every page and every post of the results pages, with ids that exist."""
    base, cadre = overview_path(campaign), cadre_path(campaign, "C1")
    pages = [
        base,
        base + "/results.xlsx",
        base + "/overview.pdf",
        base + "/appeals",
        cadre,
        cadre + "/radar.png",
        cadre + "/report.pdf",
    ]
    posts = [base + "/publish", f"/admin/appeals/{appeal.id}/decide"]
    return pages, posts


def test_auditor_reads_every_results_page_and_every_post_is_refused(app, campaign):
    stand_at(app, AFTER)
    officer = hr_client(app, OFFICER)
    assert publish(officer, campaign).status_code == 303
    appeal = appeal_of(app, campaign, "C2", "请复核")
    auditor = hr_client(app, AUDITOR)
    pages, posts = results_paths(campaign, appeal)
    for path in pages:
        assert auditor.get(path).status_code == 200, path
    assert "Record the decision" not in visible(auditor.get(pages[3]).data)
    before = (stored(app, Appeal), stored(app, AuditEvent))
    data = {"outcome": "revised", "revised_grade": "excellent", "decision": "x", "appeal_days": 1}
    for path in posts:
        response = hr_post(auditor, path, data)
        assert response.status_code == 403, path
        assert "Not allowed for your role" in visible(response.data)
    after = (stored(app, Appeal), stored(app, AuditEvent))
    assert [a.status for a in after[0]] == [a.status for a in before[0]] == ["open"]
    assert len(after[1]) == len(before[1])


def test_the_results_pages_are_admin_routes_so_the_guard_tests_enumerate_them(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {
        "admin.campaign",
        "admin.campaign_workbook",
        "admin.campaign_pdf",
        "admin.cadre",
        "admin.cadre_radar",
        "admin.cadre_pdf",
        "admin.publish",
        "admin.appeals",
        "admin.decide_appeal",
    } <= endpoints


# -- opening the ballot box from the console ---------------------------------------------


def test_an_officer_opens_a_key_file_box_after_the_deadline_and_not_before(app, session, now):
    campaign = make_campaign(session, now=now)
    links = tokens(session, campaign)
    for rater in ("R1", "R2", "R4", "R5"):
        answers = complete_answers(session, links[rater], now)
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
    session.commit()
    officer = hr_client(app, OFFICER, "box.hr")
    early = hr_post(officer, overview_path(campaign) + "/box/open")
    assert early.status_code == 409 and "only after the deadline" in visible(early.data)
    stand_at(app, AFTER)
    assert log_in(officer, "box.hr").status_code == 303
    page = visible(officer.get(overview_path(campaign)).data)
    assert "Open the ballot box" in page
    opened = hr_post(officer, overview_path(campaign) + "/box/open")
    assert opened.status_code == 303
    text = visible(officer.get(overview_path(campaign)).data)
    assert "Opened the ballot box: 4 ballots, 6 responses." in text
    assert "Ranking" in text and "Ballot box opened" in text and "box.hr" in text
    again = hr_post(officer, overview_path(campaign) + "/box/open")
    assert again.status_code == 409 or "already been opened" in visible(again.data)
    auditor = hr_client(app, AUDITOR)
    assert hr_post(auditor, overview_path(campaign) + "/box/open").status_code == 403


def test_scrutineers_open_their_box_in_the_console_and_a_wrong_share_is_named(app, session, now):
    roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=now)
    custody = ScrutineerCustody(scrutineers=4, quorum=2)
    campaign = create_campaign(
        session=session, name="监票考核", kind="annual", roster_id=roster.id,
        questionnaire=load_questionnaire("annual"), opens_at=OPENS, closes_at=CLOSES, now=now,
        custody=custody,
    )  # fmt: skip
    session.commit()
    shares = custody.shares
    stand_at(app, AFTER)
    officer = hr_client(app, OFFICER)
    page = visible(officer.get(overview_path(campaign)).data)
    assert "Scrutineer 2" in page and "Scrutineer 3" not in page
    wrong = shares[1].text[:-1] + ("A" if shares[1].text[-1] != "A" else "B")
    refused = hr_post(
        officer, overview_path(campaign) + "/box/open",
        {"name1": "张三", "share1": shares[0].text, "name2": "李四", "share2": wrong},
    )  # fmt: skip
    assert refused.status_code == 409 and "Share 2 is wrong" in visible(refused.data)
    assert shares[0].text not in visible(refused.data)  # typed shares are never shown back
    opened = hr_post(
        officer, overview_path(campaign) + "/box/open",
        {"name1": "张三", "share1": shares[0].text, "name2": "李四", "share2": shares[3].text},
    )  # fmt: skip
    assert opened.status_code == 303
    event = stored(app, AuditEvent, action="open_box")[0]
    assert event.detail["scrutineers"] == ["张三", "李四"]


# -- performance indicators, suggestions and comment themes (issue 16, items 3 and 6) ---


def test_cadre_page_and_overview_show_the_indicators_and_how_they_were_combined(
    app, session, now, tmp_path
):
    """The figures of tests/performance_campaign.py: C1's 85.00 and the raters' 100.00 at
    40% make its 绩 94.00."""
    campaign = performance_campaign(session, now, tmp_path)
    officer = hr_client(app, OFFICER)
    page = officer.get(cadre_path(campaign, "C1"))
    assert page.status_code == 200
    indicators = table_with(page.data, "Indicator")
    assert indicators[1:] == [
        ["投诉件数", "25", "50", "件", "1", "lower is better", "50.0", "50.0"],
        ["招商引资", "1000", "1500", "万元", "1", "higher is better", "150.0", "120.0"],
    ]
    text = visible(page.data)
    assert "Work performance: indicators and ratings combined" in text
    assert "Work performance = 40% indicators (85.00) + 60% ratings (100.00) = 94.00" in text
    assert "Development suggestions" in text and "Managing targets" in text
    overview = officer.get(overview_path(campaign))
    parts = next(t for t in tables(overview.data) if t[0][:3] == ["Cadre id", "Name", "Indicators"])
    assert parts[0][3:] == [
        "Indicator score",
        "Raters' figure",
        "Indicator share (%)",
        "Work performance (combined)",
    ]
    assert parts[1] == ["C1", "王伟", "2", "85.0", "100.0", "40.0", "94.0"]
    chinese = hr_client(app, OFFICER, "zh.hr")
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    text = visible(chinese.get(cadre_path(campaign, "C1")).data)
    assert "绩（工作实绩）：实绩指标与测评合成" in text and "指标得分" in text


def test_the_themes_page_shows_each_units_themes_and_its_cadres(app, session, now):
    """tests/themes_campaign.py: C1's five comments, three on work style; C2's four are
    fewer than the comment threshold and appear nowhere."""
    _, campaign = history_campaigns(session, now)
    officer = hr_client(app, OFFICER)
    overview = officer.get(overview_path(campaign))
    path = overview_path(campaign) + "/themes"
    assert path in parse(overview.data).links
    page = officer.get(path)
    assert page.status_code == 200
    text = visible(page.data)
    assert "Unit 发展改革委" in text and "Unit 审批局" in text
    themes = table_with(page.data, "Theme")
    assert themes[1] == ["Work style", "3", "工作作风务实，经常深入基层 / 作风扎实，调研细致"]
    cadres = table_with(page.data, "Cadre id")
    assert cadres[1:] == [["C1", "王伟", "5", "Work style: 3"], ["C2", "李娜", "0", ""]]
    assert cadre_path(campaign, "C1") in parse(page.data).links
    assert "No comment themes: too few comments may be shown." in text  # 审批局
    assert "作风务实，深入基层" not in text  # C2's comments
    assert officer.get("/admin/campaigns/nope/themes").status_code == 404


def test_the_themes_page_is_refused_while_the_box_is_sealed(app, session, now):
    campaign = make_campaign(session, now=now)
    page = hr_client(app, OFFICER).get(overview_path(campaign) + "/themes")
    assert page.status_code == 409 and "sealed" in visible(page.data)

"""The HR console does what ``cadre indicators``, ``cadre campaign mark`` and ``cadre campaign
rules`` do (issue 15, item 1), through the same use cases.

Every test drives the real app with the Flask test client, signed in through
the login page, once on SQLite and once on PostgreSQL; where the pages must
say what the command says, the real ``cadre`` command runs on the same
database and its output is compared with the page.

The campaign: the small roster (C1, C2) on the annual template with
``performance: {dimension: ji, share: 0.4, cap: 1.2}`` under the
``civil-servant-annual`` preset, closed on 20 November; every rater answered
Good.  C1's indicators score 85 (see tests/cadre/test_indicator_commands.py),
so its 绩 is 0.4 x 85 + 0.6 x 100 = 94.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from importlib import resources

import pytest
from flask import Flask
from sqlmodel import Session, select

from storage.models import AuditEvent, CadreMark, Campaign, PerformanceIndicator
from surveys.collection.ballots import submit_ballot
from surveys.notification.publication import publish_results
from surveys.results.opening import open_with_key_file
from surveys.results.outcomes import shown_results
from surveys.rules.presets import with_preset
from surveys.rules.questionnaire import Questionnaire, parse_questionnaire
from surveys.setup.accounts import AUDITOR, OFFICER
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.indicators import COLUMNS, write_rows
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import import_roster
from tests.cli import CadreCli
from tests.factories import (
    BOX_KEYS,
    LEDGER_KEY,
    SECRET,
    complete_answers,
    small_roster_rows,
    tokens,
)
from tests.hr import form_token, hr_client, hr_post
from tests.presets import under
from tests.web import ZH, visible

CREATED = datetime(2026, 10, 30, tzinfo=UTC)
OPENS = datetime(2026, 11, 2, tzinfo=UTC)
DURING = datetime(2026, 11, 10, 4, tzinfo=UTC)
CLOSES = datetime(2026, 11, 20, tzinfo=UTC)
OPENED = datetime(2026, 11, 21, tzinfo=UTC)
PERFORMANCE = "\nperformance: {dimension: ji, share: 0.4, cap: 1.2}\n"
GOOD = [
    {"cadre_id": "C1", "indicator": "招商引资", "target": "1000", "actual": "1200", "unit": "万元"},
    {"cadre_id": "C1", "indicator": "投诉件数", "target": "25", "actual": "50"}
    | {"direction": "lower"},
]
# Rows 3, 4 and 5 are bad: an unknown cadre, a target of 0, a weight that is no number.
BAD = [
    GOOD[0],
    {"cadre_id": "C9", "indicator": "x", "target": "1", "actual": "1"},
    {"cadre_id": "C1", "indicator": "y", "target": "0", "actual": "1"},
    {"cadre_id": "C1", "indicator": "z", "target": "1", "actual": "1", "weight": "nan"},
]


@pytest.fixture
def engine(any_engine):
    """This run's database: SQLite, then PostgreSQL."""
    return any_engine


@pytest.fixture
def app(any_app, tmp_path) -> Flask:
    """The real application on this run's database, holding uploads in the test's folder."""
    any_app.config["HELD_FILES"] = str(tmp_path / "held")
    return any_app


def closed_campaign(session: Session, questionnaire: Questionnaire) -> Campaign:
    """A campaign on the small roster, closed on 20 November; every rater answered Good."""
    roster = import_roster(session=session, rows=small_roster_rows(), name="名册", now=CREATED)
    campaign = create_campaign(
        session=session, name="实绩考核", kind="annual", roster_id=roster.id,
        questionnaire=questionnaire, opens_at=OPENS, closes_at=CLOSES, now=CREATED,
        custody=KeyFileCustody(BOX_KEYS),
    )  # fmt: skip
    issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    for token in tokens(session, campaign).values():
        answers = complete_answers(session, token, DURING)
        submit_ballot(session=session, token=token, answers=answers, now=DURING)
        session.commit()
    return campaign


@pytest.fixture
def campaign(app, session) -> Campaign:
    """The closed campaign with a performance section under a preset; every rater answered."""
    annual = (resources.files("surveys") / "templates" / "annual.yaml").read_text("utf-8")
    questionnaire = with_preset(
        parse_questionnaire(annual + PERFORMANCE, "annual-ji.yaml"), "civil-servant-annual"
    )
    return closed_campaign(session, questionnaire)


@pytest.fixture
def officer(app):
    return hr_client(app, OFFICER)


@pytest.fixture
def cli(tmp_path, database_url) -> CadreCli:
    """The ``cadre`` command on the app's own database, in English."""
    return CadreCli(tmp_path / "cli", database_url=database_url)


def open_box(session: Session, campaign: Campaign) -> None:
    open_with_key_file(
        session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY, now=OPENED
    )
    session.commit()


def fresh(app: Flask) -> Session:
    """A session on the app's database, to read what the pages wrote."""
    return Session(app.extensions["cadre_engine"], expire_on_commit=False)


def page(campaign: Campaign, name: str) -> str:
    return f"/admin/campaigns/{campaign.id}/{name}"


def indicator_file(tmp_path, rows: list[dict], name: str) -> bytes:
    path = tmp_path / name
    write_rows(path, rows)
    return path.read_bytes()


def upload(client, campaign: Campaign, body: bytes | None, filename: str = "实绩.xlsx"):
    """Post the indicator form with one file (or none) and a fresh CSRF token."""
    data = {"csrf_token": form_token(client, page(campaign, "indicators"))}
    if body is not None:
        data["indicators"] = (io.BytesIO(body), filename)
    return client.post(
        page(campaign, "indicators/preview"), data=data, content_type="multipart/form-data"
    )


def held_id(body: bytes) -> str:
    return re.search(rb'name="upload" value="([^"]+)"', body).group(1).decode()


def stored(app: Flask) -> list[PerformanceIndicator]:
    with fresh(app) as session:
        return list(session.exec(select(PerformanceIndicator)).all())


def composites(app: Flask, campaign: Campaign) -> dict[str, float | None]:
    """Each cadre's shown composite, as every results page and file gives it."""
    with fresh(app) as session:
        campaign = session.get(Campaign, campaign.id)
        return {
            result.cadre.external_id: result.shown.composite
            for result in shown_results(session=session, campaign=campaign)
        }


# --- indicators -----------------------------------------------------------------------------


def test_indicators_upload_preview_confirm_and_list_as_the_command(
    app, campaign, session, officer, cli, tmp_path
):
    open_box(session, campaign)
    ratings_only = composites(app, campaign)

    bad = upload(officer, campaign, indicator_file(tmp_path, BAD, "bad.csv"), "实绩.csv")
    assert bad.status_code == 422
    text = visible(bad.data)
    assert "The indicators were not imported: 3 problem(s) to fix. Nothing was stored." in text
    assert "实绩.csv 3 unknown cadre id C9" not in text  # the sheet is the file's own name
    assert "3 unknown cadre id C9" in text
    assert "4 target must not be 0" in text
    assert "5 weight must be a number above 0" in text
    assert bad.data.decode().count('class="bad"') == 3  # each bad row marked in the preview
    assert 'name="upload"' not in bad.data.decode()  # no confirm button
    assert stored(app) == []
    assert not [p for p in (tmp_path / "held").iterdir() if p.is_dir()]  # nor kept on disk

    good = upload(officer, campaign, indicator_file(tmp_path, GOOD, "good.xlsx"))
    assert good.status_code == 200, visible(good.data)
    text = visible(good.data)
    assert "No problems found: 2 indicators for 1 cadres." in text
    assert "招商引资" in text and "投诉件数" in text
    assert stored(app) == []  # a preview stores nothing

    done = hr_post(
        officer, page(campaign, "indicators/confirm"), {"upload": held_id(good.data)},
        token_from=page(campaign, "indicators"),
    )  # fmt: skip
    assert done.status_code == 303
    listed = officer.get(done.headers["Location"])
    text = visible(listed.data)
    assert "Imported 2 indicators for 1 cadres." in text
    assert sorted(row.name for row in stored(app)) == ["投诉件数", "招商引资"]
    again = hr_post(
        officer, page(campaign, "indicators/confirm"), {"upload": held_id(good.data)},
        token_from=page(campaign, "indicators"),
    )  # fmt: skip
    assert again.status_code == 410  # the held file was imported and forgotten
    assert "expired or was already imported" in visible(again.data)

    # The page says what `cadre indicators list` says: scores and how 绩 was mixed.
    printed = cli("indicators", "list", campaign.id).output
    assert "C1 王伟: indicator score 85.00" in printed
    mixed = "Work performance = 40% indicators (85.00) + 60% ratings (100.00) = 94.00"
    assert f"C1 王伟: {mixed}" in printed
    for line in printed.splitlines():
        if line and not line.startswith("  "):
            assert line in text, line
    assert "120.00%" in text and "lower is better" in text

    # The composite is the one the command's import gives.
    with_console = composites(app, campaign)
    assert with_console["C1"] != ratings_only["C1"]
    assert with_console["C2"] == ratings_only["C2"]
    path = tmp_path / "good.xlsx"
    output = cli("indicators", "import", campaign.id, str(path)).output
    assert "replace the 2 indicators imported before" in output
    assert composites(app, campaign) == with_console


def test_the_indicator_template_is_the_commands(app, campaign, officer, cli, tmp_path):
    response = officer.get(page(campaign, "indicators/template.xlsx"))
    assert response.status_code == 200
    assert "indicators.xlsx" in response.headers["Content-Disposition"]
    path = tmp_path / "template.xlsx"
    cli("indicators", "template", "--out", str(path))
    import openpyxl

    def cells(source) -> list[tuple]:
        workbook = openpyxl.load_workbook(source, read_only=True)
        return list(workbook.worksheets[0].iter_rows(values_only=True))

    assert cells(io.BytesIO(response.data)) == cells(path)
    assert cells(path)[0] == COLUMNS
    # The template's example row imports as it is.
    preview = upload(officer, campaign, response.data, "indicators.xlsx")
    assert preview.status_code == 200, visible(preview.data)


def nul_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(["C1", "招商\x00引资", "1", "1", "", "", ""])
    return buffer.getvalue().encode()


@pytest.mark.parametrize(
    ("body", "filename", "status", "message"),
    [
        (None, "", 400, "Choose an indicator file"),
        (b"hello", "notes.txt", 400, "notes.txt is not an .xlsx workbook or a .csv file"),
        (b"", "empty.csv", 422, "the sheet is empty; expected a header row"),
        (b"\x00\xffPK junk \x13\x37" * 20, "junk.xlsx", 422, "not a readable .xlsx workbook"),
        (b"\xff\xfe\x00bad", "latin.csv", 422, "is not UTF-8 text"),
        (nul_csv(), "nul.csv", 422, "NUL"),
        (b"cadre_id,target\nC1,1\n", "short.csv", 422, "missing column(s): indicator, actual"),
    ],
)
def test_bad_indicator_files_get_a_4xx_with_a_message(
    app, campaign, officer, body, filename, status, message
):
    response = upload(officer, campaign, body, filename)
    assert response.status_code == status, visible(response.data)
    text = visible(response.data)
    assert message in text
    assert "Traceback" not in text
    assert stored(app) == []


def test_indicators_are_refused_once_published_and_without_a_performance_section(
    app, campaign, session, officer, tmp_path
):
    good = indicator_file(tmp_path, GOOD, "good.xlsx")
    preview = upload(officer, campaign, good)
    assert preview.status_code == 200
    open_box(session, campaign)
    publish_results(session=session, campaign=campaign, now=OPENED)
    session.commit()
    # Published between the preview and the confirmation: the use case refuses.
    late = hr_post(
        officer, page(campaign, "indicators/confirm"), {"upload": held_id(preview.data)},
        token_from=page(campaign, "indicators"),
    )  # fmt: skip
    assert late.status_code == 409
    assert "indicators can no longer be imported" in visible(late.data)
    refused = upload(officer, campaign, good)
    assert refused.status_code == 409
    assert "indicators can no longer be imported" in visible(refused.data)
    shown = officer.get(page(campaign, "indicators"))
    assert 'name="indicators"' not in shown.data.decode()  # no upload form any more
    assert stored(app) == []


def test_unknown_campaign_is_a_404(app, officer):
    for name in ("indicators", "marks", "rules", "marks/C1"):
        assert officer.get(f"/admin/campaigns/{'0' * 32}/{name}").status_code == 404


# --- barring marks ---------------------------------------------------------------------------


def mark(client, campaign: Campaign, cadre: str, flags: list[str], tier: str = ""):
    token = form_token(client, page(campaign, f"marks/{cadre}"))
    return client.post(
        page(campaign, f"marks/{cadre}"),
        data={"csrf_token": token, "flag": flags, "tier": tier},
    )


def test_marks_are_set_cleared_and_count_as_the_commands(app, campaign, session, officer, cli):
    open_box(session, campaign)
    form = officer.get(page(campaign, "marks/C1"))
    text = visible(form.data)
    # Each situation the rules list, with its rule and citation.
    assert "Under investigation, case not closed" in text
    assert "Under investigation, case not closed: no grade (comments only)" in text
    assert "《公务员考核规定》（2020年）" in text and "第二十八条" in text
    assert "In the year of a warning (警告) sanction: at best Competent" in text

    done = mark(officer, campaign, "C1", ["under_investigation"], "处级")
    assert done.status_code == 303
    listed = officer.get(done.headers["Location"])
    text = visible(listed.data)
    assert "Cadre C1: situations Under investigation, case not closed; tier 处级." in text
    assert "C1 王伟 市发展改革委 Under investigation, case not closed 处级" in text
    with fresh(app) as check:
        (stored_mark,) = check.exec(select(CadreMark)).all()
        assert stored_mark.flags == ["under_investigation"] and stored_mark.tier == "处级"
        event = check.exec(select(AuditEvent).where(AuditEvent.action == "cadre_marked")).one()
        assert event.actor == "officer"

    # The console's results and the command's agree: C1 has no grade while marked.
    results = visible(officer.get(page(campaign, "").rstrip("/")).data)
    printed = cli("results", campaign.id).output
    reason = "no grade is given (the situation the rule names)"
    assert reason in printed and reason in results

    cleared = mark(officer, campaign, "C1", [], "处级")
    assert cleared.status_code == 303
    text = visible(officer.get(cleared.headers["Location"]).data)
    assert "Cadre C1: situations —; tier 处级." in text
    with fresh(app) as check:
        assert check.exec(select(CadreMark)).one().flags == []
    results = visible(officer.get(page(campaign, "").rstrip("/")).data)
    printed = cli("results", campaign.id).output
    assert reason not in printed and reason not in results
    # What the command set, the console shows.
    cli("campaign", "mark", campaign.id, "C2", "--flag", "sanction_in_effect")
    text = visible(officer.get(page(campaign, "marks")).data)
    assert "C2 李娜 市发展改革委 In the year of a warning (警告) sanction —" in text


def test_bad_marks_get_a_4xx_with_a_message_and_change_nothing(app, campaign, officer):
    unknown_flag = mark(officer, campaign, "C1", ["nope"])
    assert unknown_flag.status_code == 422
    text = visible(unknown_flag.data)
    assert "Unknown situation nope; this campaign's rules list: under_investigation" in text
    unknown_cadre = officer.get(page(campaign, "marks/Z9"))
    assert unknown_cadre.status_code == 404
    assert "No cadre Z9 in this campaign." in visible(unknown_cadre.data)
    token = form_token(officer, page(campaign, "marks/C1"))
    posted = officer.post(page(campaign, "marks/Z9"), data={"csrf_token": token, "tier": "x"})
    assert posted.status_code == 404
    assert "No cadre Z9" in visible(posted.data)
    too_long = mark(officer, campaign, "C1", [], "处" * 101)
    assert too_long.status_code == 422
    assert "The tier is too long: at most 100 characters." in visible(too_long.data)
    nul = mark(officer, campaign, "C1", [], "处\x00级")
    assert nul.status_code == 400
    assert "NUL" in visible(nul.data)
    with fresh(app) as check:
        assert check.exec(select(CadreMark)).all() == []


def test_marks_are_refused_once_published(app, campaign, session, officer):
    open_box(session, campaign)
    publish_results(session=session, campaign=campaign, now=OPENED)
    session.commit()
    form = officer.get(page(campaign, "marks/C1"))
    assert 'name="flag"' not in form.data.decode()
    assert "a grade now changes only on appeal" in visible(form.data)
    late = mark(officer, campaign, "C1", ["under_investigation"])
    assert late.status_code == 409
    assert "The results are published: a grade now changes only on appeal." in visible(late.data)
    with fresh(app) as check:
        assert check.exec(select(CadreMark)).all() == []


# --- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_rules_page_says_what_the_command_prints(
    app, campaign, officer, tmp_path, database_url, locale
):
    cli = CadreCli(tmp_path / "cli", locale=locale, database_url=database_url)
    printed = cli("campaign", "rules", campaign.id).output
    headers = ZH if locale == "zh" else {}
    text = visible(officer.get(page(campaign, "rules"), headers=headers).data)
    lines = [line.removeprefix("- ") for line in printed.splitlines() if line]
    assert len(lines) > 10
    for line in lines:
        assert line in text, line
    if locale == "en":
        assert "(not yet checked against the gazetted text)" in text
        assert "Warning: Quota pool the agency has 2 cadres" in text
        assert "第九十五条" in text
    else:
        assert "规则" in text and "尚未" in text


def test_the_rules_page_lists_what_a_template_overrides(app, session, officer, cli):
    changed = closed_campaign(
        session,
        under(
            "civil-servant-annual",
            votes=[{"grade": "excellent", "effect": "requires", "comparison": "at_least"}],
            quota={"scope": "unit"},
        ),
    )
    printed = cli("campaign", "rules", changed.id).output
    text = visible(officer.get(page(changed, "rules")).data)
    for line in ("The template sets grading.quota.scope to unit (the preset: agency)",
                 "Excellent needs at least 50% of votes for it [no source cited]"):  # fmt: skip
        assert line in printed and line in text


# --- roles and languages ------------------------------------------------------------------------


def test_an_auditor_reads_every_page_and_changes_nothing(app, campaign, session, tmp_path):
    open_box(session, campaign)
    auditor = hr_client(app, AUDITOR)
    for name in ("indicators", "marks", "marks/C1", "rules"):
        response = auditor.get(page(campaign, name))
        assert response.status_code == 200, name
        assert 'type="file"' not in response.data.decode()
        assert 'name="flag"' not in response.data.decode()
    assert auditor.get(page(campaign, "indicators/template.xlsx")).status_code == 200
    token = form_token(auditor, page(campaign, "marks"))
    body = indicator_file(tmp_path, GOOD, "good.xlsx")
    posts = [
        (page(campaign, "indicators/preview"), {"indicators": (io.BytesIO(body), "实绩.xlsx")}),
        (page(campaign, "indicators/confirm"), {"upload": "x" * 32}),
        (page(campaign, "marks/C1"), {"flag": "under_investigation", "tier": "处级"}),
    ]
    for path, data in posts:
        response = auditor.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 403, path
        assert "Not allowed for your role" in visible(response.data)
    assert stored(app) == []
    with fresh(app) as check:
        assert check.exec(select(CadreMark)).all() == []


def test_the_pages_render_in_chinese_and_english(app, campaign, session, officer):
    open_box(session, campaign)
    mark(officer, campaign, "C1", ["sanction_in_effect"])
    english = {name: visible(officer.get(page(campaign, name)).data) for name in PAGES}
    chinese = {name: visible(officer.get(page(campaign, name), headers=ZH).data) for name in PAGES}
    assert "Performance indicators" in english["indicators"]
    assert (
        "Barring marks" in english["marks"]
        and "In the year of a warning (警告) sanction" in english["marks"]
    )
    assert "Rules preset" in english["rules"]
    assert "实绩" in chinese["indicators"] and "Performance indicators" not in chinese["indicators"]
    assert "受警告处分的当年" in chinese["marks"] and "Barring marks" not in chinese["marks"]
    assert "受警告处分的当年" in chinese["marks/C1"]
    assert "Rules preset" not in chinese["rules"] and "公务员年度考核" in chinese["rules"]
    # The campaign's navigation leads to the three pages.
    nav = officer.get(page(campaign, "progress")).data.decode()
    for name in ("indicators", "marks", "rules"):
        assert f'href="{page(campaign, name)}"' in nav


PAGES = ("indicators", "marks", "marks/C1", "rules")


# --- in a real browser ---------------------------------------------------------------------------

BROWSER_SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("size", "language"), [("phone", "zh"), ("desktop", "en")])
def test_hr_imports_indicators_and_marks_a_cadre_in_the_browser(
    browser, app, campaign, session, tmp_path, size, language
):
    from tests.browser import screenshot, serving
    from tests.hr import PASSWORD, make_hr_user

    open_box(session, campaign)
    make_hr_user(app, OFFICER, "zhang.hr")
    width = BROWSER_SIZES[size]["viewport"]["width"]
    bad, good = tmp_path / "实绩-错.csv", tmp_path / "实绩.xlsx"
    write_rows(bad, BAD)
    write_rows(good, GOOD)
    admin = f"/admin/campaigns/{campaign.id}"

    def fits() -> None:
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        sizes = page.evaluate(
            "[...document.querySelectorAll('form.setup input:not([type=hidden])"
            ":not([type=checkbox]), form.setup button')]"
            ".filter(e => e.offsetParent !== null)"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert min(sizes, default=16) >= 16, sizes

    with serving(app) as base:
        context = browser.new_context(
            locale={"zh": "zh-CN", "en": "en-US"}[language], **BROWSER_SIZES[size]
        )
        page = context.new_page()
        page.goto(base + "/admin/login")
        page.fill("#username", "zhang.hr")
        page.fill("#password", PASSWORD)
        page.locator("form[action$='/admin/login'] button[type=submit]").click()
        page.wait_for_url(base + "/admin/")

        page.goto(base + admin + "/indicators")
        fits()
        page.set_input_files("#indicators-file", str(bad))
        page.locator("form.setup button[type=submit]").click()
        page.wait_for_selector("#problems")
        assert "C9" in page.inner_text("table.data")
        assert page.locator("tr.bad").count() == 3
        fits()
        screenshot(page, f"indicators-{size}-{language}-problems", full_page=True)
        page.goto(base + admin + "/indicators")
        page.set_input_files("#indicators-file", str(good))
        page.locator("form.setup button[type=submit]").click()
        page.locator("input[name=upload] ~ button[type=submit]").click()
        page.wait_for_selector("#stored-indicators h3")
        assert "85.00" in page.inner_text("#stored-indicators")
        fits()
        screenshot(page, f"indicators-{size}-{language}-stored", full_page=True)
        assert len(stored(app)) == 2

        page.goto(base + admin + "/marks/C1")
        page.check("input[value=under_investigation]")
        page.fill("#tier", "处级")
        fits()
        page.locator("form.setup button[type=submit]").click()
        page.wait_for_selector("#marks")
        assert "处级" in page.inner_text("#cadre-C1")
        fits()
        screenshot(page, f"marks-{size}-{language}", full_page=True)
        page.goto(base + admin + "/rules")
        fits()
        screenshot(page, f"rules-{size}-{language}", full_page=True)
        context.close()
    with fresh(app) as check:
        assert check.exec(select(CadreMark)).one().flags == ["under_investigation"]

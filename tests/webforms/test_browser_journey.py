"""A whole campaign in a real Chromium, from the roster to publication (issue 15, "Done when").

One campaign, one HR officer, six raters, and nothing but the browser in
between: no CLI and no writes to the database (the test only reads it back
to check).  HR signs in, uploads a roster with a bad row, reads the error
table, uploads the fixed file, creates a campaign held by scrutineers,
downloads their share cards, the links CSV and the QR card sheet, plans a
reminder wave, and watches the progress page while the raters answer
through the links from the CSV.  One rater answers half, reloads, finds the
answers, switches language, finishes and sends.  Past the deadline (the
app's clock is the test's, moved forward as ``test_browser_console.py``
does) the scrutineers type their shares, the box opens, the results are
shown and HR publishes them through the confirmation.

It runs at a phone's 390 × 844 and a desktop's 1280 × 800, in Chinese and
in English; a screenshot of each key page is kept (``tests/browser.py``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import Session, select

from storage.models import Campaign, ReminderWave, Roster
from surveys.setup.accounts import OFFICER
from tests.browser import CHROMIUM, CHROMIUM_ARGS, CJK_FONT, draws_chinese, screenshot, serving
from tests.hr import PASSWORD, make_hr_user
from tests.webforms.test_browser_console import (
    LOCALES,
    SIZES,
    WRAPPED_HEADERS,
    assert_page_does_not_scroll_sideways,
    assert_touch_sized_text,
)
from tests.webforms.test_browser_form import (
    QUESTIONS,
    SWITCH,
    answer_section,
    assert_half_answered,
    progress_text,
)
from tests.webforms.test_console_setup import BAD_ASSIGNMENTS, workbook

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("Asia/Shanghai")
# What the error table says about the bad row, in each language.
UNKNOWN_RATER = {"zh": "R9", "en": "unknown rater id R9"}
WRONG_SHARE_3 = {"zh": "第 3 份有误", "en": "Share 3 is wrong"}
# The named raters of the roster and how many cadres each rates (R1 and R4 rate both).
SECTIONS = {"R1": 2, "R2": 1, "R3": 1, "R4": 2, "R5": 1, "R6": 1}


class Journey:
    """Where the journey's screenshots go and what they are called."""

    def __init__(self, size: str, language: str) -> None:
        """Number the key pages in the order HR and the raters meet them."""
        self.prefix = f"journey-{size}-{language}"
        self.count = 0

    def shoot(self, page, name: str) -> Path:
        """A full-page screenshot of a key page."""
        self.count += 1
        return screenshot(page, f"{self.prefix}-{self.count:02d}-{name}", full_page=True)


def sign_in(page, base: str) -> None:
    """Sign in through the login page, as HR does every morning."""
    page.goto(base + "/admin/login")
    page.fill("#username", "zhang.hr")
    page.fill("#password", PASSWORD)
    page.locator("form[action$='/admin/login'] button[type=submit]").click()
    page.wait_for_url(base + "/admin/")


def download(page, form: str) -> bytes:
    """Press the button of the form posting to ``form`` and read the file it downloads."""
    with page.expect_download() as waiting:
        page.locator(f"form[action$='{form}'] button[type=submit]").click()
    return Path(waiting.value.path()).read_bytes()


def pdf_text(data: bytes) -> str:
    """A PDF's text on one line (card lines wrap)."""
    pages = PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


def share_texts(data: bytes, campaign_id: str) -> list[str]:
    """The scrutineers' shares printed on their cards, as each would type it."""
    text = pdf_text(data)
    pattern = rf"CB1-{campaign_id[:8]}-\d+-(?:[A-Z2-7]{{4}} ){{12}}[A-Z2-7]{{4}}"
    return re.findall(pattern, text)


def only_campaign(engine) -> Campaign:
    """The journey's one campaign, read back from the served app's database."""
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Campaign)).one()


def rater_answers(browser, screen: dict, locale: str, url: str, choice: int) -> None:
    """A rater opens the link in a browser of their own, answers everything and sends."""
    context = browser.new_context(locale=locale, **screen)
    page = context.new_page()
    page.goto(url)
    for index in range(page.locator("section.cadre").count()):
        answer_section(page, index, choice, "")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/done")
    context.close()


def the_rater_who_pauses(browser, screen, language: str, url: str, shots: Journey) -> None:
    """R1 answers half, reloads, finds the answers, switches language, finishes and sends."""
    comment = "工作扎实，作风务实"
    context = browser.new_context(locale=LOCALES[language], **screen)
    page = context.new_page()
    page.goto(url)
    assert page.locator("#progress").inner_text() == progress_text(language, 0, 0)
    answer_section(page, 0, 0, comment)
    assert_half_answered(page, language, comment)
    shots.shoot(page, "rater-half")
    page.reload()
    assert_half_answered(page, language, comment)
    shots.shoot(page, "rater-reloaded")
    label, html_lang = SWITCH[language]
    page.get_by_role("link", name=label, exact=True).click()
    page.wait_for_function(f"document.documentElement.lang === '{html_lang}'")
    other = "en" if language == "zh" else "zh"
    assert_half_answered(page, other, comment)
    shots.shoot(page, "rater-switched")
    answer_section(page, 1, 1, "")
    assert page.locator("#progress").inner_text() == progress_text(other, 2 * QUESTIONS, 2)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/done")
    page.wait_for_load_state("load")
    shots.shoot(page, "rater-done")
    context.close()


@pytest.mark.parametrize("language", sorted(LOCALES))
@pytest.mark.parametrize("size", sorted(SIZES))
def test_hr_runs_a_whole_campaign_in_the_browser(
    browser, app, engine, now, tmp_path, size, language
):
    app.config["HELD_FILES"] = str(tmp_path / "held")
    make_hr_user(app, OFFICER, "zhang.hr")
    screen = SIZES[size]
    width = screen["viewport"]["width"]
    shots = Journey(size, language)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(tmp_path, BAD_ASSIGNMENTS, "x.xlsx"))
    good = tmp_path / "考核名单.xlsx"
    good.write_bytes(workbook(tmp_path, name="y.xlsx"))
    opens = now - timedelta(days=1)
    deadline = now + timedelta(days=7)
    with serving(app) as base:
        context = browser.new_context(locale=LOCALES[language], accept_downloads=True, **screen)
        context.set_default_timeout(10_000)
        page = context.new_page()
        sign_in(page, base)
        assert page.evaluate("document.documentElement.lang").startswith(language)
        assert draws_chinese(page), (
            f"Chinese is drawn as boxes: install fonts-noto-cjk ({CJK_FONT})"
        )
        shots.shoot(page, "dashboard")

        # A roster with a bad row: the error table, the row marked, nothing stored.
        page.goto(base + "/admin/roster")
        page.set_input_files("#workbook", str(bad))
        page.locator("form[action$='/roster/preview'] button[type=submit]").click()
        page.wait_for_url("**/admin/roster/preview")
        assert UNKNOWN_RATER[language] in page.locator("table.data").first.inner_text()
        assert page.locator("tr.bad").count() == 1
        assert page.locator("input[name=upload]").count() == 0
        assert_page_does_not_scroll_sideways(page, width)
        shots.shoot(page, "roster-errors")

        # The fixed file: a preview, then the import leads to the new-campaign form.
        page.goto(base + "/admin/roster")
        page.set_input_files("#workbook", str(good))
        page.locator("form[action$='/roster/preview'] button[type=submit]").click()
        assert "王伟" in page.locator("main").inner_text()
        assert page.locator("tr.bad").count() == 0
        shots.shoot(page, "roster-preview")
        page.locator("form[action$='/roster/confirm'] button[type=submit]").click()
        page.wait_for_url("**/admin/campaigns/new?roster=*")

        # The campaign: open since yesterday for a week, its box held by 3 scrutineers.
        page.fill("#name", "2026年度考核")
        page.fill("#opens", f"{opens.astimezone(ZONE):%Y-%m-%dT%H:%M}")
        page.fill("#deadline", f"{deadline.astimezone(ZONE):%Y-%m-%dT%H:%M}")
        page.fill("#anonymity_k", "2")
        page.check("input[name=custody][value=scrutineers]")
        page.fill("#scrutineers", "3")
        page.fill("#quorum", "2")
        assert_touch_sized_text(page)
        assert_page_does_not_scroll_sideways(page, width)
        shots.shoot(page, "campaign-form")
        page.locator("form[action$='/campaigns/new'] button[type=submit]").click()
        page.wait_for_url("**/invitations")
        assert "2026年度考核" in page.locator("h1").inner_text()
        campaign = only_campaign(engine)
        assert (campaign.box_custody, campaign.box_quorum) == ("scrutineers", 2)
        assert_page_does_not_scroll_sideways(page, width)
        shots.shoot(page, "invitations")

        # The scrutineers' share cards, once; then the links and the QR card sheet.
        shares = share_texts(download(page, "/share-cards.pdf"), campaign.id)
        assert len(shares) == 3
        page.reload()
        assert page.locator("form[action$='/share-cards.pdf']").count() == 0  # once only
        links = list(csv.DictReader(io.StringIO(download(page, "/links.csv").decode("utf-8-sig"))))
        urls = {row["rater_id"]: base + urlsplit(row["link"]).path for row in links}
        assert sorted(urls) == sorted(SECTIONS)
        sheet = download(page, "/cards.pdf")
        assert len(PdfReader(io.BytesIO(sheet)).pages) == 1
        assert all(f"(R{n})" in pdf_text(sheet) for n in range(1, 7))

        # A reminder wave for tomorrow morning, listed with the planned ones.
        page.locator(f"a[href$='/admin/campaigns/{campaign.id}']").first.click()
        page.wait_for_url(f"**/admin/campaigns/{campaign.id}")
        page.locator("nav.steps a[href$='/waves']").click()
        page.wait_for_url("**/waves")
        planned = page.locator("#waves tbody tr").count()
        page.fill("#at", f"{(now + timedelta(days=1)).astimezone(ZONE):%Y-%m-%d}T09:00")
        page.click("#plan-wave")
        expect(page.locator("#waves tbody tr")).to_have_count(planned + 1)
        assert f"{(now + timedelta(days=1)).astimezone(ZONE):%Y-%m-%d} 09:00" in page.inner_text(
            "#waves"
        )
        assert_touch_sized_text(page)
        assert_page_does_not_scroll_sideways(page, width)
        shots.shoot(page, "waves")

        # The progress page stays open while the raters answer in their own browsers.
        page.locator("nav.steps a[href$='/progress']").click()
        page.wait_for_url("**/progress")
        done = page.locator("[data-count='named/completed']")
        assert done.inner_text() == "0"
        page.evaluate("window.stillTheSamePage = true")
        the_rater_who_pauses(browser, screen, language, urls["R1"], shots)
        expect(done).to_have_text("2", timeout=20_000)  # the script asks every 5 seconds
        for choice, rater in enumerate(["R2", "R3", "R4", "R5", "R6"]):
            rater_answers(browser, screen, LOCALES[language], urls[rater], choice % 3)
        expect(done).to_have_text(str(sum(SECTIONS.values())), timeout=20_000)
        assert page.evaluate("window.stillTheSamePage") is True
        assert page.inner_text("[data-count='cadre/C1/peer/completed']") == "1"
        assert_page_does_not_scroll_sideways(page, width)
        shots.shoot(page, "progress")

        # Past the deadline: sealed, nothing to publish, until two scrutineers type their shares.
        app.config["CLOCK"] = lambda: deadline + timedelta(hours=2)
        sign_in(page, base)
        page.goto(f"{base}/admin/campaigns/{campaign.id}")
        assert page.locator("form[action$='/publish']").count() == 0
        assert page.locator("section[id^='table-']").count() == 0
        # A mistyped share is refused with the reason, and the box stays sealed.
        mistyped = shares[2][:-1] + ("A" if shares[2][-1] != "A" else "B")
        for share in (mistyped, shares[2]):
            page.fill("#name1", "张三")
            page.fill("#share1", shares[0])
            page.fill("#name2", "李四")
            page.fill("#share2", share)
            if share == mistyped:
                with page.expect_navigation():
                    page.locator("form[action$='/box/open'] button[type=submit]").click()
                assert WRONG_SHARE_3[language] in page.locator("[role=alert]").inner_text()
                assert page.locator("section[id^='table-']").count() == 0
        assert_touch_sized_text(page)
        assert_page_does_not_scroll_sideways(page, width)
        shots.shoot(page, "sealed")
        with page.expect_navigation():
            page.locator("form[action$='/box/open'] button[type=submit]").click()
        assert page.url == f"{base}/admin/campaigns/{campaign.id}"
        assert page.locator("section[id^='table-']").count() >= 5  # the results, box opened
        assert "王伟" in page.locator("main").inner_text()
        wrapped = page.evaluate(WRAPPED_HEADERS)
        assert not wrapped, wrapped  # no header broken over lines, Chinese or not
        assert_touch_sized_text(page)
        assert_page_does_not_scroll_sideways(page, width)
        shots.shoot(page, "results")

        # Publish, through the confirmation that names who is told.
        page.locator("form[action$='/publish'] button[type=submit]").click()
        page.wait_for_selector("#confirm-publish")
        assert page.locator("#notified tr[data-cadre]").count() == 2
        assert only_campaign(engine).published_at is None
        shots.shoot(page, "publish-confirm")
        with page.expect_navigation():
            page.click("#confirm-publish")
        assert page.url == f"{base}/admin/campaigns/{campaign.id}"
        assert only_campaign(engine).published_at == deadline + timedelta(hours=2)
        shots.shoot(page, "published")
        context.close()
    with Session(engine) as session:  # what the journey left behind, read back
        assert len(session.exec(select(Roster)).all()) == 1
        waves = session.exec(select(ReminderWave)).all()
        assert len(waves) == planned + 1


# A fontconfig that sees only the Latin fonts: chromium as on a machine without fonts-noto-cjk.
LATIN_ONLY = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def test_chinese_pages_draw_chinese_glyphs_and_the_check_sees_boxes(browser, app, tmp_path):
    """The zh screenshots show Chinese: fonts-noto-cjk is installed and chromium uses it.

    The same check in a chromium that cannot see the CJK fonts must see boxes,
    so it really tells a drawn character from tofu.
    """
    assert CJK_FONT.exists(), f"{CJK_FONT} is missing: apt install fonts-noto-cjk"
    config = tmp_path / "fonts.conf"
    config.write_text(LATIN_ONLY.format(cache=tmp_path / "font-cache"))
    latin = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        env={"FONTCONFIG_FILE": str(config), "HOME": str(tmp_path)},
    )
    with serving(app) as base:
        try:
            for chromium, expected in [(browser, True), (latin, False)]:
                context = chromium.new_context(locale="zh-CN")
                page = context.new_page()
                page.goto(base + "/admin/login")
                assert page.evaluate("document.documentElement.lang") == "zh-CN"
                assert draws_chinese(page) is expected
                context.close()
        finally:
            latin.close()

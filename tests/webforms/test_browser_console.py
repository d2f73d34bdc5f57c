"""HR runs a campaign in a real Chromium: a wave, live progress, the box, publication.

Debian's chromium (launched as in ``tests/webforms/test_browser.py``) drives the real
app under waitress, on a desktop (1280 × 800) and a phone (390 × 844), in
Chinese and in English.  The app's clock is the test's (moved past the
deadline half-way); ballots arrive through the same use case the rater form
uses while the progress page is open, and the page must show them without
a reload.  The layout is measured, not looked at: no header of a results
table wraps (one Chinese character per line was the complaint), every input
and button has at least 16 px text, and on the phone only the tables scroll
sideways, never the page.  A screenshot of each key page is kept in
``CADRE_TEST_ARTIFACTS`` (or ``build/screenshots``) for CI to keep (``tests/browser.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from storage.models import Cadre, CadreChat, Campaign, ReminderWave
from surveys.collection.ballots import submit_ballot
from surveys.setup.accounts import OFFICER
from tests.browser import screenshot, serving
from tests.factories import CLOSES, complete_answers, make_campaign, tokens
from tests.hr import PASSWORD, make_hr_user

pytestmark = pytest.mark.browser

AFTER = CLOSES + timedelta(hours=2)  # 10:00 on 1 December in Asia/Shanghai
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
LOCALES = {"zh": "zh-CN", "en": "en-US"}

# Every control a person types into or presses, as the computed style sees it.
CONTROL_FONT_SIZES = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, button'))
  .filter((element) => element.offsetParent !== null)
  .map((element) => [element.id || element.name || element.textContent.trim(),
                     parseFloat(getComputedStyle(element).fontSize)])"""
# Table headers taller than one line of their own text (padding aside).
WRAPPED_HEADERS = """() => Array.from(document.querySelectorAll('table.data th'))
  .filter((cell) => cell.offsetParent !== null)
  .map((cell) => {
    const style = getComputedStyle(cell);
    const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    const inner = cell.clientHeight - padding;
    return [cell.textContent.trim(), inner / parseFloat(style.lineHeight)];
  })
  .filter(([, lines]) => lines > 1.5)"""


def shoot(page, size: str, language: str, name: str) -> None:
    """Keep a full-page screenshot of a key page (``tests/browser.py`` says where)."""
    screenshot(page, f"console-{size}-{language}-{name}", full_page=True)


def sign_in(page, base: str, username: str) -> None:
    """Sign in through the login page, as HR does every morning."""
    page.goto(base + "/admin/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form[action$='/admin/login'] button[type=submit]").click()
    page.wait_for_url(base + "/admin/")


def assert_touch_sized_text(page) -> None:
    """Every visible control has at least 16 px text (iOS zooms into smaller fields)."""
    sizes = page.evaluate(CONTROL_FONT_SIZES)
    assert sizes, "no control measured"
    small = [(name, size) for name, size in sizes if size < 16]
    assert not small, small


WIDER_THAN_SCREEN = """width => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width && !e.closest('.scroll'))
    .slice(0, 5)
    .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def assert_page_does_not_scroll_sideways(page, width: int) -> None:
    """Wide tables scroll inside their own box; the page itself fits the screen."""
    wider = page.evaluate(WIDER_THAN_SCREEN, width)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, wider


def answer(session: Session, campaign: Campaign, now: datetime, *raters: str) -> None:
    """These named raters submit their ballots (the rater form's use case)."""
    links = tokens(session, campaign)
    for rater in raters:
        answers = complete_answers(session, links[rater], now)
        submit_ballot(session=session, token=links[rater], answers=answers, now=now)
    session.commit()


@pytest.mark.parametrize("language", sorted(LOCALES))
@pytest.mark.parametrize("size", sorted(SIZES))
def test_hr_runs_a_campaign_in_the_console(browser, app, session, engine, now, size, language):
    campaign = make_campaign(session, now=now)
    c1 = session.exec(select(Cadre).where(Cadre.external_id == "C1")).one()
    session.add(CadreChat(cadre_id=c1.id, nonce="n", code_hash="h", chat_id=7_100_000_001))
    session.commit()
    make_hr_user(app, OFFICER, "zhang.hr")
    app.config["CLOCK"] = lambda: now
    width = SIZES[size]["viewport"]["width"]
    admin = f"/admin/campaigns/{campaign.id}"
    with serving(app) as base:
        context = browser.new_context(locale=LOCALES[language], **SIZES[size])
        page = context.new_page()
        sign_in(page, base, "zhang.hr")
        assert page.evaluate("document.documentElement.lang").startswith(language)

        # A reminder wave, planned for tomorrow morning.
        page.goto(base + admin + "/waves")
        assert_touch_sized_text(page)
        page.fill("#at", "2026-11-26T09:00")
        page.click("#plan-wave")
        page.wait_for_selector("#waves tbody tr")
        assert "2026-11-26 09:00" in page.inner_text("#waves")
        assert session.exec(select(ReminderWave)).one().status == "planned"
        assert_page_does_not_scroll_sideways(page, width)
        shoot(page, size, language, "waves")

        # Progress changes as ballots arrive, without a reload.
        page.goto(base + admin + "/progress")
        done = page.locator("[data-count='named/completed']")
        assert done.inner_text() == "0"
        page.evaluate("window.stillTheSamePage = true")
        answer(session, campaign, now, "R1", "R2", "R4")
        expect(done).to_have_text("5", timeout=20_000)  # the script asks every 5 seconds
        assert page.evaluate("window.stillTheSamePage") is True
        assert page.inner_text("[data-count='cadre/C1/peer/completed']") == "1"
        assert_page_does_not_scroll_sideways(page, width)
        shoot(page, size, language, "progress")

        # After the deadline: open the box with the key file.
        app.config["CLOCK"] = lambda: AFTER
        sign_in(page, base, "zhang.hr")
        page.goto(base + admin)
        assert page.locator("form[action$='/publish']").count() == 0  # not offered while sealed
        shoot(page, size, language, "sealed")
        with page.expect_navigation():
            page.locator("form[action$='/box/open'] button[type=submit]").click()
        assert page.locator("section[id^='table-']").count() >= 5  # the results, box opened
        wrapped = page.evaluate(WRAPPED_HEADERS)
        assert not wrapped, wrapped  # no header broken over lines, Chinese or not
        assert_touch_sized_text(page)
        assert_page_does_not_scroll_sideways(page, width)
        shoot(page, size, language, "results")

        # Publish, through the confirmation that names who is told.
        page.locator("form[action$='/publish'] button[type=submit]").click()
        page.wait_for_selector("#confirm-publish")
        bot_row = page.inner_text("#notified tr[data-cadre='C1']")
        quiet_row = page.inner_text("#notified tr[data-cadre='C2']")
        assert bot_row != quiet_row and "Telegram" in bot_row and "Telegram" not in quiet_row
        session.expire_all()
        assert session.get(Campaign, campaign.id).published_at is None
        assert_touch_sized_text(page)
        shoot(page, size, language, "publish-confirm")
        with page.expect_navigation():
            page.click("#confirm-publish")
        assert page.url == base + admin
        session.expire_all()
        assert session.get(Campaign, campaign.id).published_at == AFTER
        shoot(page, size, language, "published")

        # The ledger and the audit trail after publication.
        page.goto(base + admin + "/ledger")
        assert page.locator("#ledger-verdict").count() == 1
        shoot(page, size, language, "ledger")
        page.goto(base + admin + "/audit")
        assert page.locator("#audit li").count() >= 2
        context.close()

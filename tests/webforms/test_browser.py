"""A real phone-sized Chromium against the real app under waitress, with and without JavaScript.

Skipped with a reason when Debian's chromium is missing on a developer's
machine; in CI (CI=true) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from storage.models import Cadre
from tests.browser import screenshot, serving
from tests.factories import SECRET, make_campaign
from tests.web import rater_paths, responses

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "device_scale_factor": 2,
}
SCREEN = {"width": 800, "height": 900}  # the window's screen


@pytest.fixture
def live(app, session, engine, now):
    """The served app's address and the rater links of a fresh campaign."""
    campaign = make_campaign(session, now=now)
    with serving(app) as base:
        yield base, rater_paths(engine, campaign)


def answer_everything(page, comment: str) -> None:
    """Tap the first answer of every question and grade, write a comment, send."""
    questions = page.locator("fieldset.q")
    for index in range(questions.count()):
        option = questions.nth(index).locator("label.opt").first
        option.tap()
        assert option.locator("input").is_checked()
    page.locator("textarea").first.fill(comment)
    page.locator("button[type=submit]").tap()
    page.wait_for_url("**/done")


def test_rater_answers_on_a_phone(browser, live, engine):
    base, paths = live
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(base + paths["R1"])
    assert page.locator("h2").all_inner_texts() == ["王伟", "李娜"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    screenshot(page, "rater-form-phone")
    answer_everything(page, "工作扎实")
    assert page.locator("h1").count() == 1 and "/r/" not in page.url
    rows = responses(engine)
    assert len(rows) == 2 and {row.comment for row in rows} == {"工作扎实", None}
    context.close()


def test_rater_answers_without_javascript(browser, live, engine):
    base, paths = live
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(base + paths["R4"])
    answer_everything(page, "没有脚本也能提交")
    assert "/r/" not in page.url
    rows = responses(engine)
    assert len(rows) == 2 and {row.group for row in rows} == {"subordinate"}
    context.close()


def test_member_of_the_public_rates_a_window_on_a_phone(browser, app, session, engine, now):
    from surveys.setup.channels import create_channel, rotating_code, window_number

    campaign = make_campaign(session, now=now)
    channel = create_channel(
        session=session, campaign=campaign, name="1号窗口", cadre_ids=["C1", "C2"]
    )
    session.commit()
    code = rotating_code(SECRET, channel.slug, window_number(now))
    with serving(app) as base:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(f"{base}/p/{channel.slug}?c={code}")
        assert "1号窗口" in page.inner_text("body")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
        page.locator("fieldset.pick label.opt", has_text="李娜").tap()
        questions = page.locator("fieldset.q:not(.pick)")
        for index in range(questions.count()):
            questions.nth(index).locator("label.opt").first.tap()
        page.locator("button[type=submit]").tap()
        page.wait_for_url("**/thanks")
        # The code was spent on this rating: rating someone else takes a new scan.
        assert "扫描窗口屏幕上的新二维码" in page.inner_text("body")
        page.goto(f"{base}/p/{channel.slug}?c={code}")
        assert "此二维码已被使用" in page.inner_text("body")
        context.close()
    rows = responses(engine)
    li_na = session.exec(select(Cadre).where(Cadre.name == "李娜")).one()
    assert [(row.group, row.cadre_id) for row in rows] == [("public", li_na.id)]


def test_window_display_shows_the_code_and_refreshes_without_javascript(browser, app, session, now):
    from surveys.setup.channels import create_channel, display_key, window_number, window_start

    campaign = make_campaign(session, now=now)
    channel = create_channel(session=session, campaign=campaign, name="1号窗口", cadre_ids=["C1"])
    session.commit()
    turns = window_start(window_number(now) + 1)
    moment = [turns - timedelta(seconds=1.5)]  # the code turns in 1.5 s
    app.config["CLOCK"] = lambda: moment[0]
    address = f"/p/{channel.slug}/display?key={display_key(SECRET, channel.slug)}"
    with serving(app) as base:
        context = browser.new_context(java_script_enabled=False, viewport=SCREEN)
        page = context.new_page()
        loads = []
        page.on("load", lambda _page: loads.append(1))
        page.goto(base + address)
        assert "1号窗口" in page.inner_text("body")
        assert page.get_attribute("meta[http-equiv=refresh]", "content") == "2"
        assert page.evaluate("document.querySelector('main img').naturalWidth") > 200
        moment[0] = turns + timedelta(seconds=1)  # by the reload the code has turned
        page.wait_for_timeout(4000)
        assert len(loads) == 2, "the page should reload itself once, when the code turns"
        # Then every 15 seconds, so a code a phone took is soon replaced without JavaScript.
        assert page.get_attribute("meta[http-equiv=refresh]", "content") == "15"
        context.close()


def test_window_display_shows_a_new_code_as_soon_as_a_phone_takes_it(browser, app, session, now):
    """Issue 14, finding 10: the screen's script notices the scan and loads the next code."""
    from surveys.setup.channels import create_channel, display_key

    campaign = make_campaign(session, now=now)
    channel = create_channel(session=session, campaign=campaign, name="1号窗口", cadre_ids=["C1"])
    session.commit()
    address = f"/p/{channel.slug}/display?key={display_key(SECRET, channel.slug)}"
    with serving(app) as base:
        context = browser.new_context(viewport=SCREEN)
        page = context.new_page()
        page.goto(base + address)
        first = page.get_attribute("main img", "src")
        assert "n=0" in first
        phone = browser.new_context(**PHONE)
        scan = phone.new_page()
        scan.goto(base + parse_display_code(first, channel.slug))
        assert "1号窗口" in scan.inner_text("body")
        page.wait_for_selector("main img[src*='n=1']", timeout=6000)  # well before 15 s
        phone.close()
        context.close()


def parse_display_code(image: str, slug: str) -> str:
    """The form address a phone opens from the display's QR image (its window and serial)."""
    from urllib.parse import parse_qs, urlsplit

    from surveys.setup.channels import rotating_code

    shown = parse_qs(urlsplit(image).query)
    code = rotating_code(SECRET, slug, int(shown["w"][0]), int(shown["n"][0]))
    return f"/p/{slug}?c={code}"


def test_mini_app_opens_the_bound_raters_form(browser, app, session, engine, now):
    from urllib.parse import quote

    from surveys.collection.chats import bind_chat, telegram_links
    from tests.webforms.test_miniapp import BOT_TOKEN, CHAT, init_fields, sign

    campaign = make_campaign(session, now=now)
    links = telegram_links(session=session, campaign=campaign, secret_key=SECRET, bot_username="b")
    payload = next(link for link in links if link.rater_id == "R1").url.split("start=")[1]
    invitation = bind_chat(session=session, payload=payload, chat_id=CHAT, now=now).invitation
    session.commit()
    app.config["TELEGRAM_TOKEN"] = BOT_TOKEN
    with serving(app) as base:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(f"{base}/app/{invitation.id}#tgWebAppData={quote(sign(init_fields(now)))}")
        page.wait_for_url("**/r/**")
        assert page.locator("h2").all_inner_texts() == ["王伟", "李娜"]
        answer_everything(page, "")
        context.close()
    assert len(responses(engine)) == 2


def test_hr_signs_in_and_reads_a_cadre_report_with_its_chart(browser, app, session, now):
    from surveys.setup.accounts import OFFICER
    from tests.hr import PASSWORD, make_hr_user
    from tests.report_campaign import report_campaign

    campaign = report_campaign(session, now)
    user = make_hr_user(app, OFFICER, "renshi")
    with serving(app) as base:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(f"{base}/admin/campaigns/{campaign.id}")
        page.wait_for_url("**/admin/login**")  # not signed in: sent to the sign-in page
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("button[type=submit]").click()
        page.wait_for_url(f"**/admin/campaigns/{campaign.id}")
        assert "王伟" in page.inner_text("body")
        page.get_by_role("link", name="C1", exact=True).first.click()
        page.wait_for_url("**/cadres/C1")
        chart = page.locator("img").first
        chart.wait_for()
        assert page.evaluate("(img) => img.naturalWidth", chart.element_handle()) > 100
        assert "王伟" in page.inner_text("body")
        context.close()

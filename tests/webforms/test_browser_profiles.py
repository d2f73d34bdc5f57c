"""A person's results over the years in a real Chromium: the trend chart loads under the
page's policy, the table's headers stay on one line, and on a phone only the table scrolls.
A screenshot of each is kept for CI (``tests/browser.py``)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from surveys.setup.accounts import OFFICER
from tests.browser import screenshot, serving
from tests.hr import make_hr_user
from tests.profiles_campaigns import three_campaigns
from tests.webforms.test_browser_console import LOCALES, SIZES, WRAPPED_HEADERS, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_profile_page_shows_its_chart_and_table(browser, app, engine, size):
    with Session(engine, expire_on_commit=False) as session:
        three_campaigns(session)
    make_hr_user(app, OFFICER, "zhang.hr")
    with serving(app) as base:
        context = browser.new_context(locale=LOCALES["zh"], **SIZES[size])
        page = context.new_page()
        sign_in(page, base, "zhang.hr")
        page.goto(base + "/admin/profiles/C1")
        chart = page.locator("img.chart")
        assert chart.evaluate("(image) => image.complete && image.naturalWidth") == 700
        assert page.locator("table.data tr").count() == 4  # header and three campaigns
        assert page.evaluate(WRAPPED_HEADERS) == []
        wide = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
        assert not wide  # only the table scrolls sideways
        screenshot(page, f"console-{size}-zh-profile", full_page=True)
        context.close()

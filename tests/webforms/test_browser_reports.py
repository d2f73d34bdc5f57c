"""The cadre report with its indicators and suggestions, and the themes page, in a real
Chromium on a desktop and a phone, in Chinese (issue 16, items 3 and 6).

As in ``tests/webforms/test_browser_console.py``: the layout is measured (on the phone
only the tables scroll sideways, never the page; on the desktop no table header wraps)
and a screenshot of each page is kept for CI (``tests/browser.py``).
"""

from __future__ import annotations

import pytest

from surveys.setup.accounts import OFFICER
from tests.browser import screenshot, serving
from tests.hr import make_hr_user
from tests.performance_campaign import performance_campaign
from tests.themes_campaign import history_campaigns
from tests.webforms.test_browser_console import (
    SIZES,
    WRAPPED_HEADERS,
    assert_page_does_not_scroll_sideways,
    sign_in,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", sorted(SIZES))
def test_indicators_suggestions_and_themes_read_on_a_desktop_and_a_phone(
    browser, app, session, now, tmp_path, size
):
    indicators = performance_campaign(session, now, tmp_path)
    _, themed = history_campaigns(session, now)
    make_hr_user(app, OFFICER, "li.hr")
    width = SIZES[size]["viewport"]["width"]
    with serving(app) as base:
        context = browser.new_context(locale="zh-CN", **SIZES[size])
        page = context.new_page()
        sign_in(page, base, "li.hr")
        pages = {
            "indicators": f"/admin/campaigns/{indicators.id}/cadres/C1",
            "suggestions": f"/admin/campaigns/{themed.id}/cadres/C1",
            "themes": f"/admin/campaigns/{themed.id}/themes",
        }
        for name, path in pages.items():
            page.goto(base + path)
            text = page.inner_text("body")
            assert {"indicators": "实绩指标", "suggestions": "发展建议", "themes": "工作作风"}[
                name
            ] in text
            assert_page_does_not_scroll_sideways(page, width)
            if size == "desktop":
                assert page.evaluate(WRAPPED_HEADERS) == []
            screenshot(page, f"reports-{size}-zh-{name}", full_page=True)
        context.close()

"""HR sets a campaign up in a real Chromium, on a desktop and on a phone, in Chinese and English.

Upload a roster with a bad row, read the error table, upload the fixed
file, import it, create a campaign and download its QR card sheet: every
step through the served app (waitress), as a person would click it.
Screenshots go to ``CADRE_TEST_ARTIFACTS`` (default ``build/screenshots``).
"""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlmodel import Session, func, select

from storage.models import Campaign, Invitation, Roster
from tests.browser import serving
from tests.hr import PASSWORD, make_hr_user
from tests.web import app_fixture  # noqa: F401
from tests.webforms.test_console_setup import BAD_ASSIGNMENTS, workbook

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("CADRE_TEST_ARTIFACTS") or "build/screenshots")
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
# What the error table says about the bad row, in each language.
UNKNOWN_RATER = {"zh": "R9", "en": "unknown rater id R9"}


def rows_of(engine, model) -> int:
    """Rows of a table in the served app's database."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def shot(page, name: str) -> None:
    """Save a full-page screenshot for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"setup-{name}.png"), full_page=True)


def fits(page, width: int) -> None:
    """Nothing makes the page wider than the screen: wide tables scroll in their own box."""
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width


def inputs_are_large(page) -> None:
    """Text inputs and selects use at least 16 px, so phones do not zoom in on them."""
    sizes = page.evaluate(
        "[...document.querySelectorAll('form.setup input:not([type=hidden]):not([type=radio])"
        ":not([type=checkbox]), form.setup select')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 16, sizes


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_hr_sets_a_campaign_up_in_the_browser(
    browser,  # noqa: F811  (the fixture imported above)
    app,
    engine,
    now,
    tmp_path,
    device,
    language,
):
    app.config["HELD_FILES"] = str(tmp_path / "held")
    make_hr_user(app, "officer", "hr")
    screen = DESKTOP if device == "desktop" else PHONE
    width = screen["viewport"]["width"]
    name = f"{device}-{language}"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(tmp_path, BAD_ASSIGNMENTS, "x.xlsx"))
    good = tmp_path / "考核名单.xlsx"
    good.write_bytes(workbook(tmp_path, name="y.xlsx"))
    with serving(app) as base:
        context = browser.new_context(locale=LOCALES[language], accept_downloads=True, **screen)
        page = context.new_page()
        page.goto(f"{base}/admin/roster")
        page.fill("#username", "hr")
        page.fill("#password", PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url("**/admin/roster")

        # A roster with a bad row: the error table, the row marked, nothing stored.
        inputs_are_large(page)
        page.set_input_files("#workbook", str(bad))
        page.locator("form[action$='/roster/preview'] button[type=submit]").click()
        page.wait_for_url("**/admin/roster/preview")
        problems = page.locator("table.data").first
        assert UNKNOWN_RATER[language] in problems.inner_text()
        assert page.locator("tr.bad").count() == 1
        assert page.locator("input[name=upload]").count() == 0
        fits(page, width)
        shot(page, f"{name}-1-errors")
        assert rows_of(engine, Roster) == 0

        # The fixed file: a preview, then the import.
        page.goto(f"{base}/admin/roster")
        page.set_input_files("#workbook", str(good))
        page.locator("form[action$='/roster/preview'] button[type=submit]").click()
        assert "王伟" in page.locator("main").inner_text()
        shot(page, f"{name}-2-preview")
        assert rows_of(engine, Roster) == 0
        page.locator("form[action$='/roster/confirm'] button[type=submit]").click()
        page.wait_for_url("**/admin/campaigns/new?roster=*")
        assert rows_of(engine, Roster) == 1

        # The campaign, open from yesterday for a week in the campaign's zone.
        zone = ZoneInfo("Asia/Shanghai")
        page.fill("#name", "2026年度考核")
        page.fill("#opens", f"{(now - timedelta(days=1)).astimezone(zone):%Y-%m-%dT%H:%M}")
        page.fill("#deadline", f"{(now + timedelta(days=7)).astimezone(zone):%Y-%m-%dT%H:%M}")
        page.fill("#weight_public", "10")
        inputs_are_large(page)
        fits(page, width)
        shot(page, f"{name}-3-campaign")
        page.locator("form[action$='/campaigns/new'] button[type=submit]").click()
        page.wait_for_url("**/invitations")
        with Session(engine) as session:
            campaign = session.exec(select(Campaign)).one()
            assert campaign.questionnaire["group_weights"]["public"] == 10
            assert rows_of(engine, Invitation) == 6
        fits(page, width)
        shot(page, f"{name}-4-invitations")

        # The QR card sheet: a real PDF of the six named raters' cards.
        with page.expect_download() as waiting:
            page.locator("form[action$='/cards.pdf'] button[type=submit]").click()
        sheet = Path(waiting.value.path()).read_bytes()
        pdf = PdfReader(io.BytesIO(sheet))
        assert len(pdf.pages) == 1
        assert all(f"(R{n})" in pdf.pages[0].extract_text() for n in range(1, 7))
        context.close()

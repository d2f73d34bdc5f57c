"""The rater form in a real Chromium keeps its answers (issue 15, items 2, 3 and 6).

At a phone's 390 × 844 and a desktop's 1280 × 800, in Chinese and in
English: a rater answers half, reloads, finds the answers, loses the tab,
finds them again, switches language, finishes and sends.  What a later
user of the same phone can read in the browser's storage is checked as an
attacker would: during the fill it holds positions, never the link's token
or whom it was about; after the thank-you page it holds nothing.  Each key
page is saved as a screenshot (see ``tests/browser.py``).
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from storage.models import Cadre
from surveys.setup.channels import create_channel, display_key
from tests.browser import ARTIFACTS_ENV, artifacts_dir, screenshot, serving
from tests.factories import SECRET, make_campaign, tokens
from tests.web import rater_paths, responses

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
LOCALES = {"zh": "zh-CN", "en": "en-US"}
SWITCH = {"zh": ("English", "en"), "en": ("中文", "zh-CN")}
# R1 is the superior of two cadres: nine questions, a grade and a comment for each.
QUESTIONS = 9
PROGRESS = {
    "zh": ["已答 {q}/18 题 · 等次 {g}/2"],
    "en": ["{q} of 18 questions answered · {g} of 2 grades"],
}
DRAFTS = "Object.keys(localStorage).filter(k => k.startsWith('cadre-draft:'))"


def progress_text(language: str, questions: int, grades: int) -> str:
    """The sticky progress line as the rater reads it in ``language``."""
    return PROGRESS[language][0].format(q=questions, g=grades)


def stored(page) -> dict[str, str]:
    """Everything in the page's localStorage, as someone holding the phone can read it."""
    return page.evaluate("Object.fromEntries(Object.entries(localStorage))")


def tab_stored(page) -> dict[str, str]:
    """Everything in the tab's sessionStorage."""
    return page.evaluate("Object.fromEntries(Object.entries(sessionStorage))")


def section(page, index: int):
    """The page's ``index``-th cadre section."""
    return page.locator("section.cadre").nth(index)


def answer_section(page, index: int, choice: int, comment: str) -> None:
    """Pick option ``choice`` of every question and the grade of one cadre; write a comment."""
    fields = section(page, index).locator("fieldset.q")
    for number in range(fields.count()):
        option = fields.nth(number).locator("label.opt").nth(choice)
        option.click()
        assert option.locator("input").is_checked()
    section(page, index).locator("textarea").fill(comment)


def checked_choices(page, index: int) -> list[int]:
    """Which option is checked in each fieldset of one cadre's section (-1 for none)."""
    return page.evaluate(
        """(node) => [...node.querySelectorAll('fieldset.q')].map(field =>
               [...field.querySelectorAll('input')].findIndex(input => input.checked))""",
        section(page, index).element_handle(),
    )


def assert_half_answered(page, language: str, comment: str) -> None:
    """The first cadre fully answered, the second untouched, the line counting them."""
    assert checked_choices(page, 0) == [0] * (QUESTIONS + 1)
    assert checked_choices(page, 1) == [-1] * (QUESTIONS + 1)
    assert section(page, 0).locator("textarea").input_value() == comment
    assert page.locator("#progress").inner_text() == progress_text(language, QUESTIONS, 1)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LOCALES)
def test_rater_answers_half_reloads_switches_language_and_sends(
    browser, app, session, engine, now, size, language
):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    token = tokens(session, campaign)["R1"]
    cadre_ids = [cadre.id for cadre in session.exec(select(Cadre)).all()]
    name = f"rater-{size}-{language}"
    comment = "工作扎实，作风务实"
    with serving(app) as base:
        context = browser.new_context(locale=LOCALES[language], **SIZES[size])
        page = context.new_page()
        page.goto(base + path)
        assert (
            page.evaluate("document.scrollingElement.scrollWidth")
            <= SIZES[size]["viewport"]["width"]
        )
        assert page.locator("#progress").inner_text() == progress_text(language, 0, 0)
        answer_section(page, 0, 0, comment)
        assert_half_answered(page, language, comment)
        # The line stays in view at the bottom of a long form.
        page.locator("button[type=submit]").scroll_into_view_if_needed()
        box = page.locator("#progress").bounding_box()
        assert box is not None and abs(box["y"]) < 1
        screenshot(page, f"{name}-1-half")

        # A forensic look at the storage mid-fill: one draft, positions only.
        kept = stored(page)
        assert len(kept) == 1
        key, value = next(iter(kept.items()))
        assert key.startswith("cadre-draft:")
        assert token not in key + value
        assert not any(cadre_id in key + value for cadre_id in cadre_ids)
        assert json.loads(value)["a"][: QUESTIONS + 2] == [0] * (QUESTIONS + 1) + [comment]

        page.reload()
        assert_half_answered(page, language, comment)
        screenshot(page, f"{name}-2-reloaded")

        # The tab is killed (or discarded in the background) and opened again.
        page.close()
        page = context.new_page()
        page.goto(base + "/r/")
        assert_half_answered(page, language, comment)

        label, html_lang = SWITCH[language]
        page.get_by_role("link", name=label, exact=True).click()
        page.wait_for_function(f"document.documentElement.lang === '{html_lang}'")
        other = "en" if language == "zh" else "zh"
        assert_half_answered(page, other, comment)
        screenshot(page, f"{name}-3-switched")

        answer_section(page, 1, 1, "")
        assert page.locator("#progress").inner_text() == progress_text(other, 2 * QUESTIONS, 2)
        page.locator("button[type=submit]").click()
        page.wait_for_url("**/done")
        page.wait_for_load_state("load")
        screenshot(page, f"{name}-4-done")
        # A later user of this phone finds nothing of the form in the browser's storage.
        page.wait_for_function(f"{DRAFTS}.length === 0")
        assert stored(page) == {} and tab_stored(page) == {}
        context.close()
    rows = {row.cadre_id: row for row in responses(engine)}
    first, second = sorted(rows.values(), key=lambda row: row.comment is None)
    assert first.comment == comment and second.comment is None
    assert set(first.answers.values()) == {"good"} and first.vote == "excellent"
    assert set(second.answers.values()) == {"fairly_good"} and second.vote == "competent"


def test_the_next_rater_on_a_shared_phone_finds_nothing_of_the_first(
    browser, app, session, engine, now
):
    """Two links opened one after the other in one browser: the second sees a clean form,
    and the first rater's half-filled draft is gone from the phone."""
    campaign = make_campaign(session, now=now)
    paths = rater_paths(engine, campaign)
    with serving(app) as base:
        context = browser.new_context(locale="zh-CN", **PHONE)
        page = context.new_page()
        page.goto(base + paths["R1"])
        answer_section(page, 0, 2, "第一位测评人的意见")
        first_key = next(iter(stored(page)))
        page.goto(base + paths["R4"])  # another rater, the same phone, no submit in between
        assert set(checked_choices(page, 0) + checked_choices(page, 1)) == {-1}
        assert section(page, 0).locator("textarea").input_value() == ""
        kept = stored(page)
        assert first_key not in kept and len(kept) == 1
        assert "第一位测评人的意见" not in json.dumps(kept, ensure_ascii=False)
        context.close()


def test_a_send_lost_on_a_weak_network_keeps_the_answers_in_the_tab_only(
    browser, app, session, engine, now
):
    """Sending clears the phone's storage at once; the tab keeps a copy, so when the post
    never arrives the form comes back filled, and the thank-you page clears that too."""
    campaign = make_campaign(session, now=now)
    with serving(app) as base:
        context = browser.new_context(locale="zh-CN", **PHONE)
        page = context.new_page()
        page.goto(base + rater_paths(engine, campaign)["R1"])
        answer_section(page, 0, 0, "信号不好")
        answer_section(page, 1, 3, "")
        lost = []

        def drop_the_post(route):
            """The network drops the form's post; everything else goes through."""
            if route.request.method == "POST":
                lost.append(route.request.url)
                route.abort("internetdisconnected")
            else:
                route.continue_()

        page.route("**/r/", drop_the_post)
        page.locator("button[type=submit]").click()
        page.wait_for_function("location.protocol !== 'http:'")  # the browser's error page
        # Another tab on the phone finds nothing: the draft left the phone's storage.
        probe = context.new_page()
        probe.goto(base + "/")
        assert lost and stored(probe) == {} and tab_stored(probe) == {}
        probe.close()
        page.unroute("**/r/")
        page.goto(base + "/r/")
        assert checked_choices(page, 0) == [0] * (QUESTIONS + 1)
        assert checked_choices(page, 1) == [3] * QUESTIONS + [3]
        assert section(page, 0).locator("textarea").input_value() == "信号不好"
        page.locator("button[type=submit]").click()
        page.wait_for_url("**/done")
        page.wait_for_function(f"{DRAFTS}.length === 0")
        assert stored(page) == {} and tab_stored(page) == {}
        context.close()
    assert len(responses(engine)) == 2


def test_without_javascript_the_form_shows_no_progress_line_and_still_sends(
    browser, app, session, engine, now
):
    campaign = make_campaign(session, now=now)
    with serving(app) as base:
        context = browser.new_context(java_script_enabled=False, locale="zh-CN", **PHONE)
        page = context.new_page()
        page.goto(base + rater_paths(engine, campaign)["R1"])
        assert not page.locator("#progress").is_visible()
        answer_section(page, 0, 0, "")
        answer_section(page, 1, 0, "")
        page.locator("button[type=submit]").click()
        page.wait_for_url("**/done")
        context.close()
    assert len(responses(engine)) == 2


@pytest.mark.parametrize("screen", [(1920, 1080), (1080, 1920), (1280, 800)])
def test_the_window_display_fills_a_wall_screen_with_nothing_for_hr(
    browser, app, session, now, screen
):
    campaign = make_campaign(session, now=now)
    channel = create_channel(session=session, campaign=campaign, name="1号窗口", cadre_ids=["C1"])
    session.commit()
    width, height = screen
    address = f"/p/{channel.slug}/display?key={display_key(SECRET, channel.slug)}"
    with serving(app) as base:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        page.goto(base + address)
        image = page.locator("#code img")
        image.wait_for()
        page.wait_for_function("document.querySelector('#code img').complete")
        box = image.bounding_box()
        # The code takes most of the screen's shorter side, and all of it is on the screen.
        assert box["width"] >= 0.55 * min(width, height) and box["width"] == box["height"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= height
        assert page.evaluate("document.scrollingElement.scrollHeight") <= height
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        title_size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
        )
        assert title_size >= 0.06 * min(width, height)
        # Nothing for HR and no menus: no header bar, no language links, no other link.
        assert page.locator("header, nav, a").count() == 0
        assert "扫码评价" in page.inner_text("body") or "扫描" in page.inner_text("body")
        screenshot(page, f"display-{width}x{height}")
        context.close()


def test_screenshots_go_to_the_folder_ci_names(monkeypatch, tmp_path):
    """CI uploads the folder ``CADRE_TEST_ARTIFACTS`` names; without it, build/screenshots."""
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path / "artifacts"))
    assert artifacts_dir() == tmp_path / "artifacts" and artifacts_dir().is_dir()
    monkeypatch.delenv(ARTIFACTS_ENV)
    assert artifacts_dir().parts[-2:] == ("build", "screenshots")

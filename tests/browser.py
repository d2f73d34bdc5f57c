"""What every browser test shares: Debian's chromium, the served app, and where screenshots go.

Screenshots are kept as CI artifacts: they are written to the folder named
by ``CADRE_TEST_ARTIFACTS`` (CI uploads it), or to ``build/screenshots/``
in the repository (git-ignored) on a developer's machine.  Import the
``browser`` fixture into a test module with
``from tests.browser import browser_fixture  # noqa: F401`` (named ``browser``
in tests, as ``tests/web.py`` does with ``app``).  Chromium is launched as
``tests/test_browser.py`` launches it: Debian's binary, never a download.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, serving  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_ENV = "CADRE_TEST_ARTIFACTS"
DEFAULT_ARTIFACTS = ROOT / "build" / "screenshots"


@pytest.fixture(name="browser")
def browser_fixture() -> Iterator:
    """Debian's chromium driven by Playwright, or a skip (a failure in CI) when it is missing."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{CHROMIUM} is missing; CI must run the browser tests (apt install chromium)"
            )
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def artifacts_dir() -> Path:
    """The folder for screenshots and other things a test run leaves for people to look at."""
    folder = Path(os.environ.get(ARTIFACTS_ENV) or DEFAULT_ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """Save what the page shows now as ``<name>.png`` in the artifacts folder; return its path.

    Names are made safe for any file system, so a test may pass its parameters.
    """
    safe = re.sub(r"[^\w.-]+", "-", name).strip("-")
    path = artifacts_dir() / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path

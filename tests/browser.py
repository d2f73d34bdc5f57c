"""What every browser test shares: Debian's chromium, the served app, and where screenshots go.

Screenshots are kept as CI artifacts: they are written to the folder named
by ``CADRE_TEST_ARTIFACTS`` (CI uploads it), or to ``build/screenshots/``
in the repository (git-ignored) on a developer's machine.  The ``browser``
fixture reaches the web tests through ``tests/webforms/conftest.py``.
Chromium is Debian's binary, never a download.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from waitress import create_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Debian's fonts-noto-cjk (tasks.py installs it with chromium); without a CJK font
# chromium draws every Chinese character as the same empty box.
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
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


# Two different Chinese characters, large, in the page's own font and colours.
GLYPH_SAMPLES = """() => [['glyph-sample-1', '王'], ['glyph-sample-2', '李']]
  .forEach(([id, txt]) => {
    const sample = document.createElement('span');
    sample.id = id;
    sample.textContent = txt;
    sample.style.cssText = 'font-size: 48px; display: inline-block; padding: 4px';
    document.body.prepend(sample);
})"""


def draws_chinese(page) -> bool:
    """Whether the page draws Chinese characters as glyphs, not as boxes (tofu).

    Without a font that has them, chromium draws every Chinese character as
    the same empty box: two different characters then look exactly alike.
    """
    page.evaluate(GLYPH_SAMPLES)
    first = page.locator("#glyph-sample-1").screenshot()
    second = page.locator("#glyph-sample-2").screenshot()
    page.evaluate("() => document.querySelectorAll('[id^=glyph-sample-]').forEach(e => e.remove())")
    return first != second


@contextmanager
def serving(application: Flask) -> Iterator[str]:
    """Serve the app with waitress on a free local port for the length of the block."""
    server = create_server(application, host="127.0.0.1", port=0, threads=2)
    stop = threading.Event()

    def run() -> None:
        # Serve in short turns and close the sockets in this same thread: closing them
        # from the test's thread while the loop polls them races ("Bad file descriptor").
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        server.asyncore.close_all(server._map)  # the listener and every open connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "waitress did not stop"

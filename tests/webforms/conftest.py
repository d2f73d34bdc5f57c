"""Tests of the Flask app through its test client and in Debian's chromium.

Every test here may ask for the web fixtures by name: ``app`` (the real app
on a SQLite file), ``any_app`` (once on SQLite, once on PostgreSQL),
``client`` (the test client of ``app``) and ``browser`` (Debian's chromium
through Playwright; skipped where it is not installed, except in CI).
"""

from tests.browser import browser_fixture  # noqa: F401
from tests.web import any_app_fixture, app_fixture, client_fixture  # noqa: F401

"""Fixtures for driving the Telegram runtimes offline against ``FakeTelegram``.

Enable them with ``pytest_plugins = ["tests.bot_fixtures"]`` in tests/conftest.py;
a test taking ``bot_harness_factory`` then runs once per runtime (ptb, aiogram).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.delivery import Core
from tests.bot_harness import RUNTIMES, BotHarness
from tests.fake_telegram import FakeTelegram

HarnessFactory = Callable[..., BotHarness]


@pytest.fixture(params=RUNTIMES)
def runtime(request) -> str:
    """The Telegram framework under test: "ptb" or "aiogram"."""
    return request.param


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A running fake Bot API server (flood limit 30 sends per second, like Telegram)."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def bot_harness_factory(runtime, fake_telegram) -> Iterator[HarnessFactory]:
    """Makes ``BotHarness(runtime, core, fake_telegram)``; every harness is closed afterwards."""
    made: list[BotHarness] = []

    def make(core: Core, **options: Any) -> BotHarness:
        harness = BotHarness(runtime, core, fake_telegram, **options)
        made.append(harness)
        return harness

    yield make
    for harness in reversed(made):
        harness.close()

"""Drives a real Telegram runtime offline: updates in, requests out to ``FakeTelegram``.

``BotHarness("ptb" | "aiogram", core, fake)`` builds the runtime exactly as
production does (only ``api_url`` points at the fake server), owns one event
loop, and feeds each update through the framework's own dispatch; replies go
out through the framework's real HTTP client and are recorded by the fake::

    harness = BotHarness("aiogram", core, fake)
    replies = harness.send(42, "/start")      # the sends/edits recorded meanwhile
    harness.press(42, "lang:en", message_id=replies[0]["message_id"])
    harness.close()
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine, Sequence
from typing import Any, Literal

from aiogram.types import Update as AiogramUpdate
from telegram import Update as PtbUpdate

from bot import aiogram_runtime, ptb_runtime
from bot.delivery import Core
from tests.fake_telegram import TOKEN, FakeTelegram, callback_update, message_update

Runtime = Literal["ptb", "aiogram"]
RUNTIMES: tuple[Runtime, ...] = ("ptb", "aiogram")


class _PtbDriver:
    """python-telegram-bot: ``Application.process_update`` with handlers run inline."""

    def __init__(self, core: Core, api_url: str, token: str):
        self.application = ptb_runtime.build_application(core, token=token, api_url=api_url)

    async def start(self) -> None:
        """Initialise the application (calls getMe on the fake server)."""
        await self.application.initialize()

    async def feed(self, data: dict[str, Any]) -> None:
        """Process one update as the running application would."""
        update = PtbUpdate.de_json(data, self.application.bot)
        await self.application.process_update(update)

    async def register_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """Register the command menu as the application's post_init does."""
        await ptb_runtime.register_commands(self.application.bot, commands)

    async def stop(self) -> None:
        """Shut the application down (closes its HTTP clients)."""
        await self.application.shutdown()


class _AiogramDriver:
    """aiogram: ``Dispatcher.feed_update`` with the bot's aiohttp session."""

    def __init__(self, core: Core, api_url: str, token: str):
        self.bot = aiogram_runtime.build_bot(token, api_url)
        self.dispatcher = aiogram_runtime.build_dispatcher(core)

    async def start(self) -> None:
        """Nothing to do: the session opens on the first request."""

    async def feed(self, data: dict[str, Any]) -> None:
        """Process one update as polling or the webhook would."""
        update = AiogramUpdate.model_validate(data, context={"bot": self.bot})
        await self.dispatcher.feed_update(self.bot, update)

    async def register_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """Register the command menu as polling and webhook start-up do."""
        await aiogram_runtime.register_commands(self.bot, commands)

    async def stop(self) -> None:
        """Close the bot's aiohttp session."""
        await self.bot.session.close()


class BotHarness:
    """One runtime, one event loop, one fake server; updates are handled to completion."""

    def __init__(
        self,
        runtime: Runtime,
        core: Core,
        fake: FakeTelegram,
        *,
        token: str = TOKEN,
    ):
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}; choose one of {RUNTIMES}")
        self.runtime = runtime
        self.core = core
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        driver_class = _PtbDriver if runtime == "ptb" else _AiogramDriver
        self._driver = driver_class(core, fake.url, token)
        self._closed = False
        self._run(self._driver.start())

    def __enter__(self) -> BotHarness:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(
        self,
        chat_id: int,
        text: str,
        *,
        language: str | None = "zh",
        user_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """A user writes ``text``; returns the sends and edits the bot made meanwhile."""
        update = message_update(
            next(self._update_ids),
            chat_id=chat_id,
            text=text,
            language=language,
            user_id=user_id,
            message_id=next(self._message_ids),
        )
        return self.feed(update)

    def press(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int,
        language: str | None = "zh",
        user_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """A user presses a button with callback ``data`` under ``message_id``; returns replies."""
        update = callback_update(
            next(self._update_ids),
            chat_id=chat_id,
            data=data,
            message_id=message_id,
            language=language,
            user_id=user_id,
            callback_id=f"{chat_id}-{next(self._callback_ids)}",
        )
        return self.feed(update)

    def feed(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Feed any raw update (Bot API JSON); returns the sends and edits made meanwhile."""
        before = len(self.fake.messages)
        self._run(self._driver.feed(update))
        return list(self.fake.messages[before:])

    def register_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """Register the command menu the way the runtime does on start-up."""
        self._run(self._driver.register_commands(commands))

    def close(self) -> None:
        """Close the runtime's HTTP client, worker threads and the event loop."""
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self._driver.stop())
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine to completion on the harness's loop."""
        if self.loop.is_closed():
            coroutine.close()
            raise RuntimeError("the harness is closed")
        return self.loop.run_until_complete(coroutine)

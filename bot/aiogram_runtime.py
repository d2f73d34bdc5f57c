"""Runs the bot core on aiogram 3: long polling or a webhook (aiohttp).

Handlers turn each update into an ``Incoming``, run the core in a worker
thread and carry out its actions with ``bot`` API calls under the shared
policy of ``bot.delivery``.  They never return method objects: a webhook
reply or ``feed_update`` would then make no request at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    WebAppInfo,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot import delivery
from bot.actions import (
    Action,
    AnswerCallback,
    Button,
    EditText,
    Incoming,
    Keyboard,
    SendPhoto,
    SendText,
)
from bot.delivery import Core, Failure, Verdict

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


def build_bot(token: str, api_url: str | None = None, session: AiohttpSession | None = None) -> Bot:
    """A Bot talking to Telegram, or to a self-hosted Bot API server at ``api_url``."""
    delivery.quiet_loggers()
    if session is None and api_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")))
    return Bot(token, session=session)


def build_dispatcher(core: Core) -> Dispatcher:
    """A Dispatcher whose router feeds messages and button presses to the core."""
    router = Router(name="cadre")

    async def on_message(message: Message, bot: Bot) -> None:
        await handle(core, bot, delivery.from_message(message))

    async def on_callback(query: CallbackQuery, bot: Bot) -> None:
        await handle(core, bot, delivery.from_callback(query))

    router.message.register(on_message)
    router.callback_query.register(on_callback)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def handle(core: Core, bot: Bot, incoming: Incoming) -> None:
    """Run the core on one update and carry out its actions with this bot."""

    async def perform_with_bot(action: Action) -> None:
        await perform(bot, action)

    await delivery.handle_update(core, incoming, perform=perform_with_bot, classify=classify)


async def perform(bot: Bot, action: Action) -> None:
    """Carry out one action with one Bot API call."""
    if isinstance(action, SendText):
        await bot.send_message(
            chat_id=action.chat_id, text=action.text, reply_markup=markup(action.buttons)
        )
    elif isinstance(action, SendPhoto):
        await bot.send_photo(
            chat_id=action.chat_id,
            photo=BufferedInputFile(action.photo, filename=action.filename),
            caption=action.caption or None,
        )
    elif isinstance(action, EditText):
        await bot.edit_message_text(
            text=action.text,
            chat_id=action.chat_id,
            message_id=action.message_id,
            reply_markup=markup(action.buttons),
        )
    elif isinstance(action, AnswerCallback):
        await bot.answer_callback_query(callback_query_id=action.callback_id, text=action.text)
    else:
        raise TypeError(f"unknown action {type(action).__name__}")


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """Inline keyboard markup for rows of buttons (None without buttons)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(item) for item in row] for row in keyboard]
    )


def button(item: Button) -> InlineKeyboardButton:
    """One inline button: callback data, a link or a Mini App."""
    if item.web_app is not None:
        return InlineKeyboardButton(text=item.text, web_app=WebAppInfo(url=item.web_app))
    if item.url is not None:
        return InlineKeyboardButton(text=item.text, url=item.url)
    return InlineKeyboardButton(text=item.text, callback_data=item.data)


def classify(exc: Exception) -> Verdict:
    """What an aiogram error means for the action."""
    if isinstance(exc, TelegramRetryAfter):
        return Verdict(Failure.RETRY, exc.message, retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return Verdict(Failure.UNREACHABLE, exc.message)
    if isinstance(exc, TelegramBadRequest):
        description = exc.message.lower()
        if "chat not found" in description:
            return Verdict(Failure.UNREACHABLE, exc.message)
        if "message is not modified" in description:
            return Verdict(Failure.IGNORE, exc.message)
    if isinstance(exc, TelegramAPIError):
        return Verdict(Failure.ERROR, f"{type(exc).__name__}: {exc.message}")
    return delivery.unknown_failure(exc)


async def register_commands(bot: Bot, commands: Sequence[tuple[str, str]]) -> None:
    """Set the command menu for the default language, zh and en."""

    async def set_commands(language: str | None, menu: list[tuple[str, str]]) -> None:
        entries = [BotCommand(command=name, description=text) for name, text in menu]
        await bot.set_my_commands(commands=entries, language_code=language)

    await delivery.register_commands(commands, set_commands)


async def start_polling(
    bot: Bot,
    dispatcher: Dispatcher,
    *,
    commands: Sequence[tuple[str, str]] | None = None,
    handle_signals: bool = True,
) -> None:
    """Poll until stopped (``dispatcher.stop_polling()`` or a signal); closes the bot's session."""
    try:
        await bot.delete_webhook()
        if commands is not None:
            await register_commands(bot, commands)
        await dispatcher.start_polling(
            bot, allowed_updates=ALLOWED_UPDATES, handle_signals=handle_signals
        )
    finally:
        await bot.session.close()


def webhook_app(
    bot: Bot, dispatcher: Dispatcher, *, path: str, secret_token: str
) -> web.Application:
    """An aiohttp app answering Telegram's webhook POSTs that carry the secret token."""
    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dispatcher, bot=bot, secret_token=secret_token, handle_in_background=True
    ).register(app, path=path)
    setup_application(app, dispatcher, bot=bot)
    return app


async def serve_webhook(
    bot: Bot,
    dispatcher: Dispatcher,
    *,
    webhook_url: str,
    secret_token: str,
    listen: str = "0.0.0.0",
    port: int = 8443,
    commands: Sequence[tuple[str, str]] | None = None,
    handle_signals: bool = True,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve the webhook and register it with Telegram until ``stop`` is set or a signal comes."""
    stop = stop or asyncio.Event()
    app = webhook_app(
        bot, dispatcher, path=urlsplit(webhook_url).path or "/", secret_token=secret_token
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
        if commands is not None:
            await register_commands(bot, commands)
        await bot.set_webhook(
            webhook_url, secret_token=secret_token, allowed_updates=ALLOWED_UPDATES
        )
        if handle_signals:
            stop_on_signals(stop)
        await stop.wait()
    finally:
        await runner.cleanup()
        await bot.session.close()


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT or SIGTERM (where the loop supports signal handlers)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def run_polling(
    core: Core,
    *,
    token: str,
    api_url: str | None = None,
    commands: Sequence[tuple[str, str]] | None = None,
) -> None:
    """Run the bot by long polling until SIGINT/SIGTERM (blocking)."""
    bot = build_bot(token, api_url)
    asyncio.run(start_polling(bot, build_dispatcher(core), commands=commands))


def run_webhook(
    core: Core,
    *,
    token: str,
    api_url: str | None,
    webhook_url: str,
    secret_token: str,
    listen: str = "0.0.0.0",
    port: int = 8443,
    commands: Sequence[tuple[str, str]] | None = None,
) -> None:
    """Run the bot behind a webhook until SIGINT/SIGTERM (blocking)."""
    bot = build_bot(token, api_url)
    asyncio.run(
        serve_webhook(
            bot,
            build_dispatcher(core),
            webhook_url=webhook_url,
            secret_token=secret_token,
            listen=listen,
            port=port,
            commands=commands,
        )
    )

"""Runs the bot core on python-telegram-bot: long polling or a webhook.

Each update becomes an ``Incoming``; the core runs in a worker thread (its
database work never blocks the event loop) and its actions are carried out
with the Bot API under the shared policy of ``bot.delivery``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import warnings
from collections.abc import Sequence
from urllib.parse import urlsplit

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

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

# Opt in to PTB's coming timedelta time periods: without it, even constructing
# RetryAfter issues a PTBDeprecationWarning (an error under strict warning filters).
os.environ.setdefault("PTB_TIMEDELTA", "true")

ALLOWED_UPDATES = ["message", "callback_query"]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)


def build_application(
    core: Core,
    *,
    token: str,
    api_url: str | None = None,
    commands: Sequence[tuple[str, str]] | None = None,
) -> Application:
    """An Application whose handlers feed messages and button presses to the core."""
    delivery.quiet_loggers()
    builder = Application.builder().token(token)
    if api_url:
        root = api_url.rstrip("/")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    if commands is not None:
        menu = list(commands)

        async def post_init(application: Application) -> None:
            await register_commands(application.bot, menu)

        builder = builder.post_init(post_init)
    application = builder.build()
    add_handlers(application, core)
    return application


def add_handlers(application: Application, core: Core) -> None:
    """Register the message, button and error handlers on an application."""

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            await handle(core, context.bot, delivery.from_message(update.message))

    async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await handle(core, context.bot, delivery.from_callback(update.callback_query))

    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, on_message))
    application.add_handler(CallbackQueryHandler(on_callback))
    application.add_error_handler(on_error)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a framework error by its type and frames only (the update may hold secrets)."""
    error = context.error
    if error is not None:
        log.error("python-telegram-bot error: %s\n%s", type(error).__name__, delivery.frames(error))


async def handle(core: Core, bot: Bot, incoming: Incoming) -> None:
    """Run the core on one update and carry out its actions with this bot."""

    async def perform_with_bot(action: Action) -> None:
        await perform(bot, action)

    await delivery.handle_update(core, incoming, perform=perform_with_bot, classify=classify)


async def perform(bot: Bot, action: Action) -> None:
    """Carry out one action with one Bot API call."""
    if isinstance(action, SendText):
        await bot.send_message(action.chat_id, action.text, reply_markup=markup(action.buttons))
    elif isinstance(action, SendPhoto):
        photo = InputFile(action.photo, filename=action.filename)
        await bot.send_photo(action.chat_id, photo, caption=action.caption or None)
    elif isinstance(action, EditText):
        await bot.edit_message_text(
            action.text,
            chat_id=action.chat_id,
            message_id=action.message_id,
            reply_markup=markup(action.buttons),
        )
    elif isinstance(action, AnswerCallback):
        await bot.answer_callback_query(action.callback_id, text=action.text)
    else:
        raise TypeError(f"unknown action {type(action).__name__}")


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """Inline keyboard markup for rows of buttons (None without buttons)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup([[button(item) for item in row] for row in keyboard])


def button(item: Button) -> InlineKeyboardButton:
    """One inline button: callback data, a link or a Mini App."""
    if item.web_app is not None:
        return InlineKeyboardButton(item.text, web_app=WebAppInfo(item.web_app))
    if item.url is not None:
        return InlineKeyboardButton(item.text, url=item.url)
    return InlineKeyboardButton(item.text, callback_data=item.data)


def classify(exc: Exception) -> Verdict:
    """What a python-telegram-bot error means for the action."""
    if isinstance(exc, RetryAfter):
        return Verdict(Failure.RETRY, exc.message, retry_after=retry_seconds(exc))
    if isinstance(exc, Forbidden):
        return Verdict(Failure.UNREACHABLE, exc.message)
    if isinstance(exc, BadRequest):
        description = exc.message.lower()
        if "chat not found" in description:
            return Verdict(Failure.UNREACHABLE, exc.message)
        if "message is not modified" in description:
            return Verdict(Failure.IGNORE, exc.message)
    if isinstance(exc, TelegramError):
        return Verdict(Failure.ERROR, f"{type(exc).__name__}: {exc.message}")
    return delivery.unknown_failure(exc)


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds (a timedelta, or an int when PTB_TIMEDELTA is off)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def register_commands(bot: Bot, commands: Sequence[tuple[str, str]]) -> None:
    """Set the command menu for the default language, zh and en."""

    async def set_commands(language: str | None, menu: list[tuple[str, str]]) -> None:
        await bot.set_my_commands(menu, language_code=language)

    await delivery.register_commands(commands, set_commands)


def poll(
    application: Application,
    *,
    handle_signals: bool = True,
    loop: asyncio.AbstractEventLoop | None = None,
) -> None:
    """Run an application by long polling until stopped (blocking; closes the loop)."""
    asyncio.set_event_loop(loop or asyncio.new_event_loop())
    application.run_polling(
        allowed_updates=ALLOWED_UPDATES,
        stop_signals=STOP_SIGNALS if handle_signals else None,
    )


def serve_webhook(
    application: Application,
    *,
    webhook_url: str,
    secret_token: str,
    listen: str = "0.0.0.0",
    port: int = 8443,
    handle_signals: bool = True,
    loop: asyncio.AbstractEventLoop | None = None,
) -> None:
    """Serve an application's webhook; requests without the secret token are refused."""
    asyncio.set_event_loop(loop or asyncio.new_event_loop())
    application.run_webhook(
        listen=listen,
        port=port,
        url_path=urlsplit(webhook_url).path.lstrip("/"),
        webhook_url=webhook_url,
        secret_token=secret_token,
        allowed_updates=ALLOWED_UPDATES,
        stop_signals=STOP_SIGNALS if handle_signals else None,
    )


def run_polling(
    core: Core,
    *,
    token: str,
    api_url: str | None = None,
    commands: Sequence[tuple[str, str]] | None = None,
) -> None:
    """Run the bot by long polling until SIGINT/SIGTERM (blocking)."""
    poll(build_application(core, token=token, api_url=api_url, commands=commands))


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
    application = build_application(core, token=token, api_url=api_url, commands=commands)
    serve_webhook(
        application,
        webhook_url=webhook_url,
        secret_token=secret_token,
        listen=listen,
        port=port,
    )

"""Carrying out the core's actions: one error policy for every Telegram runtime.

A runtime supplies two small functions: ``perform`` (one action, one API call)
and ``classify`` (what a failed call means).  Everything else — asking the core
in a worker thread, waiting out flood control, giving up on chats that blocked
the bot, logging without the update's content — lives here, free of any
framework.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from bot.actions import Action, AnswerCallback, Incoming
from surveys.rules.messages import DEFAULT_LOCALE, LOCALES, translate

log = logging.getLogger(__name__)

MAX_RETRIES = 5
"""How many times one action is retried after flood control (429) before giving up."""

NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "telegram.ext")
"""Loggers that print request URLs (with the bot token) or whole updates below WARNING."""


class Core(Protocol):
    """What a runtime needs from the bot core (``bot.core.BotCore`` or a test double)."""

    def handle(self, incoming: Incoming) -> list[Action]:
        """Work out the replies to one update (blocking)."""
        ...

    def chat_unreachable(self, chat_id: int) -> None:
        """Remember that a chat blocked the bot or no longer exists (blocking)."""
        ...


class Failure(Enum):
    """What a failed API call means for the action."""

    RETRY = "retry"
    UNREACHABLE = "unreachable"
    IGNORE = "ignore"
    ERROR = "error"


@dataclass(frozen=True)
class Verdict:
    """A classified failure: what to do and a loggable description (never message text)."""

    failure: Failure
    description: str = ""
    retry_after: float = 0.0


Perform = Callable[[Action], Awaitable[object]]
Classify = Callable[[Exception], Verdict]
Sleep = Callable[[float], Awaitable[object]]
SetCommands = Callable[[str | None, list[tuple[str, str]]], Awaitable[object]]


def quiet_loggers() -> None:
    """Raise the HTTP and framework loggers to WARNING so tokens and updates stay out of logs."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def frames(exc: BaseException) -> str:
    """The traceback's frames without the exception message (which may quote user input)."""
    return "".join(traceback.format_tb(exc.__traceback__))


def unknown_failure(exc: Exception) -> Verdict:
    """An error no runtime recognises: its type only, since its text may quote the update."""
    return Verdict(Failure.ERROR, type(exc).__name__)


async def ask_core(core: Core, incoming: Incoming) -> list[Action]:
    """The core's actions for one update, computed in a worker thread; never raises."""
    try:
        return list(await asyncio.to_thread(core.handle, incoming))
    except Exception as exc:
        log.error("the bot core failed on an update: %s\n%s", type(exc).__name__, frames(exc))
        return [AnswerCallback(incoming.callback_id)] if incoming.callback_id else []


async def handle_update(
    core: Core,
    incoming: Incoming,
    *,
    perform: Perform,
    classify: Classify,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Ask the core about one update and carry out its actions."""
    actions = await ask_core(core, incoming)
    await perform_all(core, actions, perform=perform, classify=classify, sleep=sleep)


async def perform_all(
    core: Core,
    actions: Iterable[Action],
    *,
    perform: Perform,
    classify: Classify,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Carry out actions in order; once a chat proves unreachable, skip the rest of its actions."""
    lost: set[int] = set()
    for action in actions:
        chat_id: int | None = getattr(action, "chat_id", None)
        if chat_id is not None and chat_id in lost:
            continue
        failure = await perform_one(action, perform=perform, classify=classify, sleep=sleep)
        if failure is Failure.UNREACHABLE and chat_id is not None:
            lost.add(chat_id)
            await mark_unreachable(core, chat_id)


async def perform_one(
    action: Action,
    *,
    perform: Perform,
    classify: Classify,
    sleep: Sleep = asyncio.sleep,
) -> Failure | None:
    """Carry out one action, waiting out flood control; the final failure, or None if done."""
    for attempt in range(MAX_RETRIES + 1):
        try:
            await perform(action)
            return None
        except Exception as exc:
            verdict = classify(exc)
        if verdict.failure is Failure.RETRY and attempt < MAX_RETRIES:
            await sleep(max(verdict.retry_after, 0.0))
            continue
        report(action, verdict)
        return verdict.failure
    return None  # pragma: no cover - the loop always returns


async def mark_unreachable(core: Core, chat_id: int) -> None:
    """Tell the core (in a worker thread) that a chat is gone; log if that fails."""
    try:
        await asyncio.to_thread(core.chat_unreachable, chat_id)
    except Exception as exc:
        log.error(
            "could not mark chat %s unreachable: %s\n%s", chat_id, type(exc).__name__, frames(exc)
        )


def report(action: Action, verdict: Verdict) -> None:
    """Log a failed action by its kind and chat only, never its text."""
    kind = type(action).__name__
    chat_id = getattr(action, "chat_id", None)
    if verdict.failure is Failure.IGNORE:
        log.debug("%s in chat %s needed no change: %s", kind, chat_id, verdict.description)
    elif verdict.failure is Failure.UNREACHABLE:
        log.info("chat %s is unreachable (%s): %s", chat_id, kind, verdict.description)
    elif verdict.failure is Failure.RETRY:
        log.warning(
            "gave up on %s in chat %s after %s flood-control retries: %s",
            kind,
            chat_id,
            MAX_RETRIES,
            verdict.description,
        )
    else:
        log.warning("%s in chat %s failed: %s", kind, chat_id, verdict.description)


def command_menus(
    commands: Sequence[tuple[str, str]],
) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """The command menu per language code (None is the default menu), descriptions translated."""
    languages: list[str | None] = [None, *LOCALES]
    return [
        (
            language,
            [
                (name, translate(msgid, locale=language or DEFAULT_LOCALE))
                for name, msgid in commands
            ],
        )
        for language in languages
    ]


async def register_commands(commands: Sequence[tuple[str, str]], set_commands: SetCommands) -> None:
    """Register the default, zh and en command menus; a failure is logged, not raised."""
    for language, menu in command_menus(commands):
        try:
            await set_commands(language, menu)
        except Exception as exc:
            log.warning(
                "could not register the %s command menu: %s",
                language or "default",
                type(exc).__name__,
            )


def from_message(message: Any) -> Incoming:
    """An ``Incoming`` from a Bot API Message (both frameworks mirror its fields)."""
    user = message.from_user
    return Incoming(
        chat_id=message.chat.id,
        user_id=user.id if user else None,
        language=user.language_code if user else None,
        text=message.text,
        private=message.chat.type == "private",
    )


def from_callback(query: Any) -> Incoming:
    """An ``Incoming`` from a Bot API CallbackQuery (a button press)."""
    message = query.message
    return Incoming(
        chat_id=message.chat.id if message is not None else query.from_user.id,
        user_id=query.from_user.id,
        language=query.from_user.language_code,
        callback_id=query.id,
        callback_data=query.data or "",
        message_id=message.message_id if message is not None else None,
        private=message.chat.type == "private" if message is not None else True,
    )

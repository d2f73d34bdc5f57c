"""The Bot API as the bulk sender needs it: one method, and an exact reading of each answer.

The interactive bot runs on python-telegram-bot or aiogram; the sender speaks
the Bot API's HTTP directly (with httpx, which python-telegram-bot brings),
because what matters here is telling "Telegram took it" from "Telegram
refused it" from "we cannot know": only the last one may cost a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

import httpx

from surveys.notification.outbox import MessageButton, OutgoingMessage

DEFAULT_API_URL = "https://api.telegram.org"
GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated", "blocked")


class Answer(Enum):
    """What one send attempt means for the outbox row."""

    SENT = "sent"
    RETRY = "retry"  # provably not taken (flood control, no connection): try again later
    UNREACHABLE = "unreachable"  # the chat blocked the bot or does not exist: final
    FAILED = "failed"  # refused for another reason: final
    UNCERTAIN = "uncertain"  # the request may have reached Telegram: never resend


@dataclass(frozen=True)
class Outcome:
    """An answer, with flood control's ``retry_after`` and a loggable description."""

    answer: Answer
    retry_after: float = 0.0
    description: str = ""
    flood: bool = False


def markup(buttons: tuple[tuple[MessageButton, ...], ...]) -> str | None:
    """The inline keyboard as the Bot API's JSON."""
    if not buttons:
        return None
    rows = []
    for row in buttons:
        keys = []
        for button in row:
            key: dict = {"text": button.text}
            if button.data is not None:
                key["callback_data"] = button.data
            elif button.web_app is not None:
                key["web_app"] = {"url": button.web_app}
            else:
                key["url"] = button.url
            keys.append(key)
        rows.append(keys)
    return json.dumps({"inline_keyboard": rows}, ensure_ascii=False)


def read_answer(status: int, body: dict) -> Outcome:
    """Classify a Bot API answer (its HTTP status and JSON body)."""
    if body.get("ok"):
        return Outcome(Answer.SENT)
    code = int(body.get("error_code") or status)
    description = str(body.get("description") or "")
    if code == 429:
        retry_after = float((body.get("parameters") or {}).get("retry_after") or 1)
        return Outcome(Answer.RETRY, retry_after, description, flood=True)
    if code == 403 or (code == 400 and any(gone in description.lower() for gone in GONE)):
        return Outcome(Answer.UNREACHABLE, 0.0, description)
    if code >= 500:
        return Outcome(Answer.UNCERTAIN, 0.0, description)
    return Outcome(Answer.FAILED, 0.0, description)


class BotApi:
    """An async client of one bot's API; use ``async with``."""

    def __init__(
        self,
        *,
        token: str,
        api_url: str | None = None,
        timeout: float = 15.0,
        connections: int = 16,
    ):
        self._base = f"{(api_url or DEFAULT_API_URL).rstrip('/')}/bot{token}/"
        self._timeout = timeout
        self._limits = httpx.Limits(max_connections=connections)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> BotApi:
        self._client = httpx.AsyncClient(
            base_url=self._base, timeout=self._timeout, limits=self._limits
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def send_message(self, message: OutgoingMessage) -> Outcome:
        """Send one message; never raises for network trouble, it classifies it."""
        assert self._client is not None, "use BotApi inside 'async with'"
        payload: dict = {"chat_id": message.chat_id, "text": message.text}
        keyboard = markup(message.buttons)
        if keyboard:
            payload["reply_markup"] = keyboard
        try:
            response = await self._client.post("sendMessage", data=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return Outcome(Answer.RETRY, 1.0, type(exc).__name__)
        except httpx.TransportError as exc:
            return Outcome(Answer.UNCERTAIN, 0.0, type(exc).__name__)
        try:
            body = response.json()
        except ValueError:
            body = {"ok": False, "error_code": response.status_code}
        return read_answer(response.status_code, body)

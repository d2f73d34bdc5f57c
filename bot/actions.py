"""What the bot core takes in and gives out, free of any Telegram framework.

A runtime (python-telegram-bot, aiogram, the console) turns each update
into an ``Incoming`` event, hands it to ``BotCore.handle`` and carries out
the returned actions with its own API calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Incoming:
    """One update from a chat: a message, a command or a button press."""

    chat_id: int
    user_id: int | None = None
    language: str | None = None
    text: str | None = None
    callback_id: str | None = None
    callback_data: str | None = None
    message_id: int | None = None
    private: bool = True


@dataclass(frozen=True)
class Button:
    """An inline button: callback data, a plain link or a Mini App (exactly one of them)."""

    text: str
    data: str | None = None
    url: str | None = None
    web_app: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class SendText:
    """Send a plain-text message, with inline buttons in rows."""

    chat_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class SendPhoto:
    """Send a PNG image with a caption."""

    chat_id: int
    photo: bytes = field(repr=False)
    caption: str = ""
    filename: str = "chart.png"


@dataclass(frozen=True)
class EditText:
    """Replace the text and buttons of a message the bot sent before."""

    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class AnswerCallback:
    """Acknowledge a button press (Telegram shows a spinner until this arrives)."""

    callback_id: str
    text: str | None = None


Action = SendText | SendPhoto | EditText | AnswerCallback

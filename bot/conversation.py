"""One update being handled: the chat, its language, a session, and the replies so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

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
from surveys.rules.messages import translate


@dataclass(frozen=True)
class BotConfig:
    """What the core needs to know beyond the database."""

    secret_key: str
    base_url: str
    hr_chats: frozenset[int] = frozenset()
    bot_username: str | None = None


@dataclass
class Conversation:
    """The context every handler gets; handlers add actions with ``say``/``show``."""

    session: Session
    incoming: Incoming
    locale: str
    now: datetime
    config: BotConfig
    actions: list[Action] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        """The chat the update came from."""
        return self.incoming.chat_id

    def _(self, message: str, **values) -> str:
        """Translate a message into the chat's language."""
        return translate(message, values or None, locale=self.locale)

    def argument(self) -> str:
        """The text after the command, e.g. the payload of ``/start <payload>``."""
        parts = (self.incoming.text or "").split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    def button_data(self) -> list[str]:
        """The parts of the pressed button's data after its prefix."""
        return (self.incoming.callback_data or "").split(":")[1:]

    def say(self, text: str, buttons: Keyboard = ()) -> None:
        """Send a new message."""
        self.actions.append(SendText(self.chat_id, text, buttons))

    def show(self, text: str, buttons: Keyboard = ()) -> None:
        """Replace the message whose button was pressed, or send a new one."""
        if self.incoming.message_id is not None and self.incoming.callback_id:
            self.actions.append(EditText(self.chat_id, self.incoming.message_id, text, buttons))
        else:
            self.say(text, buttons)

    def photo(self, png: bytes, caption: str) -> None:
        """Send an image."""
        self.actions.append(SendPhoto(self.chat_id, png, caption))

    def acknowledge(self, text: str | None = None) -> None:
        """Answer the button press (a short notice when text is given)."""
        if self.incoming.callback_id:
            self.actions.append(AnswerCallback(self.incoming.callback_id, text))


def buttons(*rows: list[Button] | tuple[Button, ...]) -> Keyboard:
    """A keyboard from rows of buttons (empty rows are dropped)."""
    return tuple(tuple(row) for row in rows if row)

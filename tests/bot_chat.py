"""A person in a Telegram chat, for the bot behaviour tests: send text, press buttons, read.

``CoreChat`` talks to the bot core directly; the runtime drivers in
tests/bot_runtimes.py go through python-telegram-bot or aiogram and the fake
Bot API server.  Tests use only the methods here, so one suite runs on all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.actions import AnswerCallback, EditText, Incoming, SendPhoto, SendText
from bot.core import BotCore


@dataclass
class Shown:
    """A message as the person sees it: text (or caption), buttons, an image."""

    message_id: int
    text: str
    buttons: list[dict] = field(default_factory=list)
    photo_bytes: int = 0

    def labels(self) -> list[str]:
        """The button captions, in order."""
        return [button["text"] for button in self.buttons]


@dataclass
class CoreChat:
    """A chat driven straight through ``BotCore.handle``."""

    core: BotCore
    chat_id: int
    language: str = "zh"
    screen: dict[int, Shown] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    next_id: int = 1

    def send(self, text: str) -> None:
        """Type a message or command."""
        self._perform(self.core.handle(self._incoming(text=text)))

    def press(self, label: str, message: Shown | None = None) -> None:
        """Press the button whose caption contains ``label`` on the latest message with one."""
        message, button = find_button(self, label, message)
        incoming = self._incoming(
            callback_id=f"cb{self.next_id}",
            callback_data=button["callback_data"],
            message_id=message.message_id,
        )
        self._perform(self.core.handle(incoming))

    def _incoming(self, **fields) -> Incoming:
        return Incoming(
            chat_id=self.chat_id, user_id=self.chat_id, language=self.language, **fields
        )

    def _perform(self, actions) -> None:
        for action in actions:
            if isinstance(action, SendText):
                self._show(Shown(self.next_id, action.text, button_dicts(action.buttons)))
            elif isinstance(action, SendPhoto):
                self._show(Shown(self.next_id, action.caption, [], len(action.photo)))
            elif isinstance(action, EditText):
                shown = Shown(action.message_id, action.text, button_dicts(action.buttons))
                self.screen[action.message_id] = shown
                self.order.remove(action.message_id)
                self.order.append(action.message_id)
            elif isinstance(action, AnswerCallback) and action.text:
                self.notices.append(action.text)

    def _show(self, shown: Shown) -> None:
        self.screen[shown.message_id] = shown
        self.order.append(shown.message_id)
        self.next_id += 1

    def messages(self) -> list[Shown]:
        """Every message, the last one sent or edited last."""
        return [self.screen[message_id] for message_id in self.order]


def button_dicts(keyboard) -> list[dict]:
    """Buttons as Telegram's JSON spells them."""
    found = []
    for row in keyboard:
        for button in row:
            entry = {"text": button.text}
            if button.data is not None:
                entry["callback_data"] = button.data
            if button.url is not None:
                entry["url"] = button.url
            if button.web_app is not None:
                entry["web_app"] = {"url": button.web_app}
            found.append(entry)
    return found


def find_button(chat, label: str, message: Shown | None = None) -> tuple[Shown, dict]:
    """The newest message having a button labelled ``label`` (or exactly that message)."""
    candidates = [message] if message else reversed(chat.messages())
    for shown in candidates:
        for button in shown.buttons:
            if label in button["text"] and "callback_data" in button:
                return shown, button
    raise AssertionError(f"no button {label!r}; last message: {chat.messages()[-1:]}")


def last_text(chat) -> str:
    """The text of the newest message."""
    return chat.messages()[-1].text

"""A person in a Telegram chat, for the bot behaviour tests: send text, press buttons, read.

``CoreChat`` talks to the bot core directly; ``RuntimeChat`` goes through
python-telegram-bot or aiogram (tests/bot_harness.py) and the fake Bot API
server.  Tests use only what the two share, so one suite runs on all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.actions import AnswerCallback, EditText, Incoming, SendPhoto, SendText
from bot.core import BotCore
from tests.bot_harness import BotHarness


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
class ChatScreen:
    """What the person sees: messages in the order they were sent or last edited."""

    chat_id: int
    language: str = "zh"
    screen: dict[int, Shown] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def show(self, shown: Shown) -> None:
        """A new message, or a message edited in place (it moves to the bottom)."""
        if shown.message_id in self.screen:
            self.order.remove(shown.message_id)
        self.screen[shown.message_id] = shown
        self.order.append(shown.message_id)

    def messages(self) -> list[Shown]:
        """Every message, the last one sent or edited last."""
        return [self.screen[message_id] for message_id in self.order]


@dataclass
class CoreChat(ChatScreen):
    """A chat driven straight through ``BotCore.handle``."""

    core: BotCore | None = None
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
                self._new(Shown(self.next_id, action.text, button_dicts(action.buttons)))
            elif isinstance(action, SendPhoto):
                self._new(Shown(self.next_id, action.caption, [], len(action.photo)))
            elif isinstance(action, EditText):
                self.show(Shown(action.message_id, action.text, button_dicts(action.buttons)))
            elif isinstance(action, AnswerCallback) and action.text:
                self.notices.append(action.text)

    def _new(self, shown: Shown) -> None:
        self.show(shown)
        self.next_id += 1


@dataclass
class RuntimeChat(ChatScreen):
    """A chat through a real runtime: updates in via the framework, replies read from the fake."""

    harness: BotHarness | None = None

    def send(self, text: str) -> None:
        """Type a message or command."""
        self._read(self.harness.send(self.chat_id, text, language=self.language))

    def press(self, label: str, message: Shown | None = None) -> None:
        """Press a button as Telegram would report it: a callback query on that message."""
        message, button = find_button(self, label, message)
        answered = len(self.harness.fake.answers)
        records = self.harness.press(
            self.chat_id,
            button["callback_data"],
            message_id=message.message_id,
            language=self.language,
        )
        self._read(records)
        self.notices += [a["text"] for a in self.harness.fake.answers[answered:] if a["text"]]

    def _read(self, records: list[dict]) -> None:
        for record in records:
            if record["chat_id"] != self.chat_id:
                continue
            markup = record.get("reply_markup") or {}
            buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
            text = record.get("text") or record.get("caption") or ""
            photo = record.get("photo_size") or 0
            self.show(Shown(record["message_id"], text, buttons, photo))


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

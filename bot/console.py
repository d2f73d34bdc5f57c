"""Console mode: chat with the bot core in a terminal, without Telegram.

Type what you would type in Telegram (``/start CODE``, ``/pending``, a
comment); press a button by typing its number.  Useful for demos and for
trying a flow before a bot token exists.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.actions import Action, AnswerCallback, Button, EditText, Incoming, SendPhoto, SendText
from bot.core import BotCore
from surveys.rules.messages import N_, translate


@dataclass
class ConsoleChat:
    """One terminal chat: numbers the buttons of the latest message that has any."""

    core: BotCore
    chat_id: int
    language: str
    write: Callable[[str], None]
    buttons: list[tuple[int, Button]] = field(default_factory=list)
    next_message_id: int = 1
    photo_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))

    def _(self, message: str, **values) -> str:
        """Translate the console's own words."""
        return translate(message, values or None, locale=self.language)

    def type(self, line: str) -> None:
        """Handle one line the person typed: a button number or a message."""
        line = line.strip()
        if not line:
            return
        if line.isdigit() and self.buttons:
            return self.press(int(line))
        self.perform(self.core.handle(self.incoming(text=line)))

    def press(self, number: int) -> None:
        """Press the numbered button of the latest keyboard."""
        if not 1 <= number <= len(self.buttons):
            self.write(self._(N_("There is no button %(number)s."), number=number))
            return
        message_id, button = self.buttons[number - 1]
        if button.data is None:
            self.write(self._(N_("This button opens: %(url)s"), url=button.url or button.web_app))
            return
        incoming = self.incoming(
            callback_id=f"console-{message_id}", callback_data=button.data, message_id=message_id
        )
        self.perform(self.core.handle(incoming))

    def incoming(self, **fields) -> Incoming:
        """An update from this chat."""
        return Incoming(
            chat_id=self.chat_id, user_id=self.chat_id, language=self.language, **fields
        )

    def perform(self, actions: list[Action]) -> None:
        """Print what the bot would send."""
        for action in actions:
            if isinstance(action, SendText | EditText):
                self.show_message(action)
            elif isinstance(action, SendPhoto):
                self.show_photo(action)
            elif isinstance(action, AnswerCallback) and action.text:
                self.write(f"  ({action.text})")

    def show_message(self, action: SendText | EditText) -> None:
        """The text, then its buttons numbered from 1."""
        if isinstance(action, SendText):
            message_id, self.next_message_id = self.next_message_id, self.next_message_id + 1
        else:
            message_id = action.message_id
        self.write("─" * 40)
        self.write(action.text)
        if action.buttons:
            self.buttons = [(message_id, b) for row in action.buttons for b in row]
            for number, (_, button) in enumerate(self.buttons, start=1):
                self.write(f"  [{number}] {button.text}")

    def show_photo(self, action: SendPhoto) -> None:
        """Save the image and say where it is."""
        path = self.photo_dir / f"cadre-bot-{self.chat_id}-{self.next_message_id}.png"
        self.next_message_id += 1
        path.write_bytes(action.photo)
        self.write(self._(N_("[image saved to %(path)s]"), path=str(path)))
        if action.caption:
            self.write(action.caption)


def run_console(
    core: BotCore,
    *,
    chat_id: int,
    language: str,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Read lines until end of input or /quit, printing the bot's replies."""
    chat = ConsoleChat(core=core, chat_id=chat_id, language=language, write=write)
    write(chat._(N_("Console chat. Type /start CODE, /help, or a button's number; /quit ends.")))
    while True:
        try:
            line = read("> ")
        except (EOFError, KeyboardInterrupt):
            break
        if line.strip() in ("/quit", "/exit"):
            break
        chat.type(line)

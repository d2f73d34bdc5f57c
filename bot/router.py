"""Routing: which feature handles a command, a button or free text.

Each feature module has its own ``router``; ``bot.core`` joins them, the
way aiogram's multi-file example includes one router per file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.conversation import Conversation

Handler = Callable[["Conversation"], None]


@dataclass
class Router:
    """Commands by name, buttons by the prefix of their data, and text handlers in order."""

    commands: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)
    texts: list[Callable[[Conversation], bool]] = field(default_factory=list)

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        """Handle ``/name``."""

        def register(handler: Handler) -> Handler:
            for name in names:
                self.commands[name] = handler
            return handler

        return register

    def button(self, prefix: str) -> Callable[[Handler], Handler]:
        """Handle button presses whose data is ``prefix:...``."""

        def register(handler: Handler) -> Handler:
            self.buttons[prefix] = handler
            return handler

        return register

    def text(self, handler: Callable[[Conversation], bool]) -> Callable[[Conversation], bool]:
        """Offer free text to a handler; it returns True when it took the text."""
        self.texts.append(handler)
        return handler

    def include(self, other: Router) -> None:
        """Take over another router's handlers."""
        self.commands |= other.commands
        self.buttons |= other.buttons
        self.texts += other.texts

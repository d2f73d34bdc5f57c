"""The bot core: one function from an incoming update to the actions to carry out.

It imports no Telegram framework.  Each call opens its own database session
and commits when the handler is done, so it is safe to run in a worker
thread, and a restart of the bot loses nothing: every piece of
conversation state lives in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from bot import answering, appeals, help, language, pending, profiles, progress, results, start
from bot.actions import Action, AnswerCallback, Incoming, SendText
from bot.conversation import BotConfig, Conversation
from bot.router import Router
from storage.engine import session_scope
from surveys.collection.chats import chat_settings, remember_language, set_reachable
from surveys.rules.messages import N_, best_locale, translate

log = logging.getLogger(__name__)

FEATURES = (start, pending, answering, results, profiles, appeals, progress, language, help)


def assemble() -> Router:
    """One router holding every feature's handlers."""
    router = Router()
    for feature in FEATURES:
        router.include(feature.router)
    return router


class BotCore:
    """Handles updates against the assessment database; shared by every runtime."""

    def __init__(
        self,
        *,
        engine: sa.Engine,
        config: BotConfig,
        clock: Callable[[], datetime] | None = None,
    ):
        self.engine = engine
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))
        self.router = assemble()

    def handle(self, incoming: Incoming) -> list[Action]:
        """Work out the replies to one update (blocking: call it from a thread)."""
        try:
            with session_scope(self.engine) as session:
                conversation = self._conversation(session, incoming)
                self._route(conversation)
        except Exception:
            # Never log the update itself: it may carry a binding code or answers.
            log.exception("the bot could not handle an update")
            return self._apology(incoming)
        return conversation.actions

    def chat_unreachable(self, chat_id: int) -> None:
        """Remember that a chat blocked the bot or no longer exists (403 / 400)."""
        with session_scope(self.engine) as session:
            set_reachable(session=session, chat_id=chat_id, reachable=False)

    def _conversation(self, session, incoming: Incoming) -> Conversation:
        settings = chat_settings(session=session, chat_id=incoming.chat_id)
        if settings.unreachable:
            set_reachable(session=session, chat_id=incoming.chat_id, reachable=True)
        remember_language(session=session, chat_id=incoming.chat_id, language=incoming.language)
        return Conversation(
            session=session,
            incoming=incoming,
            locale=settings.locale or best_locale(incoming.language),
            now=self.clock(),
            config=self.config,
        )

    def _route(self, conversation: Conversation) -> None:
        incoming = conversation.incoming
        if incoming.callback_data is not None:
            prefix = incoming.callback_data.split(":", 1)[0]
            handler = self.router.buttons.get(prefix)
            if handler is None:
                conversation.acknowledge(conversation._(N_("This button is no longer valid.")))
                return
            handler(conversation)
            return
        text = (incoming.text or "").strip()
        if text.startswith("/"):
            name = text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
            self.router.commands.get(name, help.unknown_command)(conversation)
            return
        for offer in self.router.texts:
            if offer(conversation):
                return
        help.unknown_text(conversation)

    def _apology(self, incoming: Incoming) -> list[Action]:
        """A plain apology (and the button press answered) when a handler failed."""
        text = translate(
            N_("Sorry, something went wrong on our side. Please try again later."),
            locale=best_locale(incoming.language),
        )
        acknowledged = [AnswerCallback(incoming.callback_id)] if incoming.callback_id else []
        return [*acknowledged, SendText(incoming.chat_id, text)]

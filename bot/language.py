"""/language: switch the chat between Chinese and English."""

from __future__ import annotations

from bot.actions import Button
from bot.conversation import Conversation, buttons
from bot.router import Router
from surveys.collection.chats import set_chat_locale
from surveys.rules.messages import LOCALES, N_

router = Router()


@router.command("language", "lang")
def choose(conversation: Conversation) -> None:
    """Offer both languages."""
    conversation.say(
        conversation._(N_("Choose a language:")),
        buttons([Button("中文", data="lang:zh"), Button("English", data="lang:en")]),
    )


@router.button("lang")
def chosen(conversation: Conversation) -> None:
    """Remember the language and confirm in it."""
    locale = (conversation.button_data() or [""])[0]
    if locale not in LOCALES:
        conversation.acknowledge()
        return
    set_chat_locale(session=conversation.session, chat_id=conversation.chat_id, locale=locale)
    conversation.locale = locale
    conversation.acknowledge()
    conversation.show(conversation._(N_("I will speak English from now on.")))

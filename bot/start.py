"""/start: greet, or bind the chat with the one-time code of a deep link."""

from __future__ import annotations

from bot import pending
from bot.conversation import Conversation
from bot.help import help_text
from bot.router import Router
from surveys.collection.chats import BindRefused, CadreBinding, bind_chat
from surveys.rules.messages import N_

router = Router()

REFUSALS = {
    "unknown": N_("This link is not valid. Please check it, or ask HR for a new one."),
    "used": N_("This evaluation has already been submitted. Thank you!"),
    "expired": N_("This evaluation has closed; the link can no longer be used."),
    "taken": N_("This link has already been used in another chat. Ask HR if this is wrong."),
}


@router.command("start")
def start(conversation: Conversation) -> None:
    """Bind with the deep-link payload if there is one, then show what is waiting."""
    payload = conversation.argument()
    if not payload:
        conversation.say(help_text(conversation))
        pending.show_pending(conversation, quiet=True)
        return
    try:
        binding = bind_chat(
            session=conversation.session,
            payload=payload,
            chat_id=conversation.chat_id,
            now=conversation.now,
        )
    except BindRefused as refusal:
        conversation.say(conversation._(REFUSALS[refusal.reason]))
        return
    if isinstance(binding, CadreBinding):
        conversation.say(
            conversation._(
                N_("Hello, %(name)s. This chat will receive your results: send /results."),
                name=binding.cadre.name,
            )
        )
        return
    conversation.say(
        conversation._(
            N_("This chat is now linked to your evaluation in %(campaign)s."),
            campaign=binding.campaign.name,
        )
    )
    pending.show_pending(conversation)

"""/help, and the answer to unknown commands and stray text: never silence."""

from __future__ import annotations

from bot.conversation import Conversation
from bot.router import Router
from surveys.rules.messages import N_

router = Router()

# The command menu Telegram shows, in the order shown (descriptions are message ids).
MENU = (
    ("pending", N_("Evaluations waiting for you")),
    ("results", N_("Your assessment results")),
    ("profile", N_("Your results over the years")),
    ("language", N_("中文 / English")),
    ("help", N_("What this bot can do")),
)


def help_text(conversation: Conversation) -> str:
    """What the bot does and its commands, in the chat's language."""
    _ = conversation._
    lines = [
        _(N_("This bot collects anonymous cadre assessments and delivers results.")),
        _(N_("Open the link HR gave you to link this chat, then answer here or in the form.")),
        "",
        "/pending — " + _(N_("Evaluations waiting for you")),
        "/results — " + _(N_("Your assessment results")),
        "/profile — " + _(N_("Your results over the years")),
        "/language — " + _(N_("中文 / English")),
        "/help — " + _(N_("What this bot can do")),
    ]
    return "\n".join(lines)


@router.command("help")
def show_help(conversation: Conversation) -> None:
    """Explain the bot."""
    conversation.say(help_text(conversation))


def unknown_command(conversation: Conversation) -> None:
    """A command the bot does not know: say so, then help."""
    conversation.say(
        conversation._(N_("I do not know that command.")) + "\n\n" + help_text(conversation)
    )


def unknown_text(conversation: Conversation) -> None:
    """Text that no step is waiting for: help rather than silence."""
    conversation.say(help_text(conversation))

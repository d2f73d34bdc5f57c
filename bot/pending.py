"""/pending: the chat's open evaluations, each to answer here or in the web form."""

from __future__ import annotations

from bot.actions import Button
from bot.conversation import Conversation, buttons
from bot.router import Router
from storage.models import Invitation
from surveys.collection.chats import form_link, has_draft, open_evaluations
from surveys.rules.messages import N_
from surveys.setup.campaigns import local_time

router = Router()


def form_button(conversation: Conversation, invitation: Invitation) -> Button:
    """The web form as a Mini App where HTTPS allows it, else as a plain link."""
    kind, link = form_link(
        base_url=conversation.config.base_url,
        secret_key=conversation.config.secret_key,
        invitation=invitation,
    )
    return Button(conversation._(N_("Open the form")), **{kind: link})


def chat_button(conversation: Conversation, invitation: Invitation) -> Button:
    """Start answering in the chat, or continue where the rater stopped."""
    if not has_draft(session=conversation.session, invitation_id=invitation.id):
        return Button(conversation._(N_("Answer here")), data=f"go:{invitation.id}")
    return Button(conversation._(N_("Continue here")), data=f"go:{invitation.id}")


@router.command("pending")
def pending_command(conversation: Conversation) -> None:
    """List what is waiting."""
    show_pending(conversation)


def show_pending(conversation: Conversation, *, quiet: bool = False) -> None:
    """One message per open evaluation; ``quiet`` says nothing when there is none."""
    _ = conversation._
    evaluations = open_evaluations(
        session=conversation.session, chat_id=conversation.chat_id, now=conversation.now
    )
    if not evaluations:
        if not quiet:
            conversation.say(_(N_("Nothing is waiting for you. Thank you!")))
        return
    for evaluation in evaluations:
        campaign = evaluation.campaign
        lines = [
            campaign.name,
            _(N_("Cadres to rate: %(count)s"), count=evaluation.cadres),
            _(N_("Deadline: %(when)s"), when=local_time(campaign, campaign.closes_at)),
        ]
        if evaluation.state == "not_open":
            lines.append(_(N_("Opens: %(time)s"), time=local_time(campaign, campaign.opens_at)))
            conversation.say("\n".join(lines))
            continue
        invitation = evaluation.invitation
        conversation.say(
            "\n".join(lines),
            buttons(
                [chat_button(conversation, invitation)], [form_button(conversation, invitation)]
            ),
        )

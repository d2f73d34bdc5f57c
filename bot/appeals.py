"""/appeal <reason>: a cadre contests their latest published result within the appeal period."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.conversation import Conversation
from bot.router import Router
from storage.models import Campaign
from surveys.collection.chats import chat_cadres
from surveys.results.appeals import appeal_deadline, file_appeal
from surveys.results.outcomes import describe
from surveys.rules.messages import N_
from surveys.setup.campaigns import CampaignError, snapshot

router = Router()


@router.command("appeal")
def appeal(conversation: Conversation) -> None:
    """File an appeal for the most recently published campaign still open to appeals."""
    _ = conversation._
    cadres = chat_cadres(session=conversation.session, chat_id=conversation.chat_id)
    if not cadres:
        conversation.say(_(N_("This chat is not linked to a cadre. Open the link HR gave you.")))
        return
    target = appealable(conversation, cadres)
    if target is None:
        conversation.say(_(N_("No published result of yours is open to appeal now.")))
        return
    campaign, cadre = target
    reason = conversation.argument()
    if not reason:
        conversation.say(_(N_("Send /appeal followed by your reason, in one message.")))
        return
    try:
        file_appeal(
            session=conversation.session,
            campaign=campaign,
            cadre=cadre,
            reason=reason,
            actor=f"cadre:{cadre.external_id}",
            now=conversation.now,
        )
    except CampaignError as error:  # grade keys in the values, in the campaign's grade names
        questionnaire = snapshot(campaign)
        conversation.say(describe(error.message, error.values, conversation.locale, questionnaire))
        return
    conversation.say(
        _(
            N_("Your appeal about %(campaign)s was received; HR will reply in writing."),
            campaign=campaign.name,
        )
    )


def appealable(conversation: Conversation, cadres) -> tuple[Campaign, object] | None:
    """The latest published campaign of the chat's cadres whose appeal period is still open."""
    for cadre in cadres:
        campaigns = conversation.session.exec(
            select(Campaign)
            .where(Campaign.roster_id == cadre.roster_id, col(Campaign.published_at).is_not(None))
            .order_by(col(Campaign.published_at).desc())
        ).all()
        for campaign in campaigns:
            deadline = appeal_deadline(campaign)
            today = conversation.now.astimezone(ZoneInfo(campaign.timezone)).date()
            if deadline is not None and today <= deadline:
                return campaign, cadre
    return None

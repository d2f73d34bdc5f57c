"""/progress <campaign>: completion per cadre and group, for HR chats only."""

from __future__ import annotations

from bot.conversation import Conversation
from bot.router import Router
from surveys.collection.progress import campaign_progress
from surveys.rules.messages import N_
from surveys.rules.questionnaire import GROUP_LABELS, RATER_GROUPS
from surveys.setup.campaigns import CampaignError, get_campaign, list_campaigns

router = Router()


@router.command("progress")
def progress(conversation: Conversation) -> None:
    """Show a campaign's completion, or list the campaigns; refuse non-HR chats."""
    _ = conversation._
    if conversation.chat_id not in conversation.config.hr_chats:
        conversation.say(_(N_("Sorry, /progress is only for HR staff.")))
        return
    wanted = conversation.argument()
    if not wanted:
        conversation.say(campaign_list(conversation))
        return
    try:
        campaign = get_campaign(session=conversation.session, campaign_id=wanted)
    except CampaignError as error:
        conversation.say(_(error.message, **error.values) + "\n\n" + campaign_list(conversation))
        return
    conversation.say(progress_text(conversation, campaign))


def campaign_list(conversation: Conversation) -> str:
    """Campaign ids and names, to pick one."""
    campaigns = list_campaigns(session=conversation.session)
    lines = [conversation._(N_("Usage: /progress CAMPAIGN. Campaigns:"))]
    lines += [f"{campaign.id[:8]}  {campaign.name}" for campaign in campaigns]
    return "\n".join(lines)


def progress_text(conversation: Conversation, campaign) -> str:
    """One line per cadre: raters done of assigned, per group, and responses stored."""
    _ = conversation._
    rows = campaign_progress(session=conversation.session, campaign=campaign)
    done = sum(row.completed for row in rows)
    assigned = sum(row.assigned for row in rows)
    lines = [
        campaign.name,
        _(N_("Named raters done: %(done)s of %(assigned)s"), done=done, assigned=assigned),
        "",
    ]
    for row in rows:
        groups = ", ".join(
            f"{_(GROUP_LABELS.get(group, group))} {entry.completed}/{entry.assigned}"
            + (f" ({entry.responses})" if entry.responses != entry.completed else "")
            for group, entry in sorted(row.groups.items(), key=group_order)
        )
        lines.append(f"{row.cadre.name}: {row.completed}/{row.assigned} · {groups}")
    lines += ["", _(N_("In brackets: responses stored, counting slips and public ratings."))]
    return "\n".join(lines)


def group_order(entry: tuple[str, object]) -> int:
    """Superior, peer, subordinate, public: the order every report uses."""
    group = entry[0]
    return RATER_GROUPS.index(group) if group in RATER_GROUPS else len(RATER_GROUPS)

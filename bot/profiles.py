"""/profile: a cadre's own published results over the years, as a table and a trend chart.

The person is the roster id of each cadre bound to this chat (the same id
in every roster, see ``surveys.results.profiles``); only campaigns whose
results HR has published are listed, with the figures as the results
message shows them.  A cadre sees only their own profile: an id typed
after the command that is not theirs gets a reply, never another profile.
"""

from __future__ import annotations

from bot.conversation import Conversation
from bot.router import Router
from surveys.collection.chats import chat_cadres
from surveys.results.profiles import profile, profile_chart, profile_table
from surveys.rules.messages import N_

router = Router()


@router.command("profile")
def show_profile(conversation: Conversation) -> None:
    """Every published campaign of each person bound to this chat, oldest first."""
    _ = conversation._
    cadres = chat_cadres(session=conversation.session, chat_id=conversation.chat_id)
    if not cadres:
        conversation.say(_(N_("This chat is not linked to a cadre. Open the link HR gave you.")))
        return
    people = list(dict.fromkeys(cadre.external_id for cadre in cadres))
    asked = (conversation.incoming.text or "").split()[1:2]
    if asked and asked[0] not in people:
        conversation.say(_(N_("You can see only your own results: send /profile alone.")))
        return
    for external_id in asked or people:
        found = profile(session=conversation.session, external_id=external_id, published_only=True)
        header, rows = profile_table(found, conversation.locale)
        if not rows:
            conversation.say(_(N_("%(name)s: no published results yet."), name=found.name))
            continue
        zh = conversation.locale == "zh"
        colon = "：" if zh else ": "
        lines = [_(N_("%(name)s: results over the years"), name=found.name)]
        for row in rows:
            lines += ["", f"{row[0]}（{row[1]}）" if zh else f"{row[0]} ({row[1]})"]
            lines += [
                f"  {name}{colon}{value}" for name, value in zip(header[2:], row[2:], strict=True)
            ]
        conversation.say("\n".join(lines))
        chart = profile_chart(found, conversation.locale)
        if chart is not None:
            conversation.photo(chart, _(N_("%(name)s: results over the years"), name=found.name))

"""The cadre's own view in the bot after publication: development suggestions, training
topics and the cadre's comment themes (issue 16, item 6), as the cadre's report has them.

The campaigns are in tests/themes_campaign.py (hand-worked in tests/report_campaign.py):
C1's de and lian are 1.5 below the unit average, its neng and qin 20.5 and 19 below last
year's 100; three of its five comments are on work style.  C2's four comments are fewer
than the comment threshold: no themes.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session

from bot.conversation import BotConfig
from bot.core import BotCore
from surveys.collection.chats import cadre_links
from surveys.notification.publication import publish_results
from tests.bot_chat import CoreChat
from tests.bot_world import Clock
from tests.factories import CLOSES, SECRET
from tests.themes_campaign import history_campaigns


@pytest.fixture
def world(engine, now):
    """The two campaigns, this year's cadre links, and a bot core standing after the close."""
    with Session(engine, expire_on_commit=False) as session:
        _, current = history_campaigns(session, now)
        payloads = {
            cadre.external_id: urlsplit(url).query.split("=", 1)[1]
            for cadre, url in cadre_links(
                session=session, campaign=current, secret_key=SECRET, bot_username="cadre_bot"
            )
        }
        session.commit()
    clock = Clock(CLOSES + timedelta(days=1))
    config = BotConfig(secret_key=SECRET, base_url="http://x", bot_username="cadre_bot")
    core = BotCore(engine=engine, config=config, clock=clock)
    return engine, current, payloads, core


def publish(engine, campaign) -> None:
    with Session(engine) as session:
        publish_results(session=session, campaign=session.merge(campaign), now=CLOSES)
        session.commit()


def results(chat: CoreChat) -> str:
    """What /results says now."""
    before = len(chat.messages())
    chat.send("/results")
    return "\n".join(message.text or "" for message in chat.messages()[before:])


def bound(core: BotCore, payload: str, chat_id: int, language: str = "zh") -> CoreChat:
    """A chat bound to a cadre by the cadre's deep link."""
    chat = CoreChat(chat_id=chat_id, language=language, core=core)
    chat.send(f"/start {payload}")
    return chat


def test_the_cadre_sees_suggestions_topics_and_own_themes_only_after_publication(world):
    engine, campaign, payloads, core = world
    chat = bound(core, payloads["C1"], 4001)
    before = results(chat)
    assert "尚未公布" in before and "发展建议" not in before and "评语主题" not in before
    publish(engine, campaign)
    text = results(chat)
    assert "发展建议：" in text
    assert "德（政治素质）（低于单位平均 1.5 分）" in text
    assert "廉（廉洁自律）（低于单位平均 1.5 分）" in text
    assert "能（业务能力）（低于 2026年度考核 20.5 分）" in text
    assert "建议培训：理想信念与党性修养" in text
    assert "评语主题（共 5 条评语）：" in text and "工作作风: 3" in text
    assert "深入基层" not in text  # the cadre reads themes, never a comment
    chat.send("/lang")
    chat.press("English")
    english = results(chat)
    assert "Professional competence (20.5 below 2026年度考核)" in english
    assert "Comment themes (5 comments):" in english and "Work style: 3" in english


def test_too_few_comments_show_no_themes_in_the_bot(world):
    engine, campaign, payloads, core = world
    publish(engine, campaign)
    text = results(bound(core, payloads["C2"], 4004))
    assert "发展建议：" in text and "能（业务能力）（低于单位平均 2.25 分）" in text
    assert "评语主题" not in text and "工作作风: " not in text

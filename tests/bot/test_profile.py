"""/profile: a cadre's own published results over the years, on every runtime.

The data are tests/profiles_campaigns.py: 2024 and 2025 on roster A (published),
2026 on roster B (not published at first).  The chat is bound to C1 of roster A.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session

from storage.models import Campaign
from surveys.collection.chats import cadre_links
from surveys.notification.publication import publish_results
from tests.bot_chat import last_text
from tests.bot_world import RUNTIMES, BotWorld, Clock
from tests.factories import SECRET
from tests.fake_telegram import FakeTelegram
from tests.profiles_campaigns import three_campaigns

LATER = datetime(2027, 1, 10, 4, 0, tzinfo=UTC)


@pytest.fixture(params=RUNTIMES)
def world(request, engine):
    fake = FakeTelegram() if request.param != "core" else None
    if fake is not None:
        fake.start()
    world = BotWorld(engine=engine, clock=Clock(LATER), runtime=request.param, fake=fake)
    with Session(engine, expire_on_commit=False) as session:
        campaigns = three_campaigns(session)
        world.campaign_id = campaigns[2].id
        for cadre, url in cadre_links(
            session=session, campaign=campaigns[0], secret_key=SECRET, bot_username="cadre_test_bot"
        ):
            world.cadre_payload[cadre.external_id] = urlsplit(url).query.split("=", 1)[1]
        session.commit()
    world.start_core()
    try:
        yield world
    finally:
        world.close()
        if fake is not None:
            fake.close()


def test_the_cadre_sees_published_campaigns_as_a_table_and_a_chart(world):
    chat = world.chat(3001)
    chat.send(f"/start {world.cadre_payload['C1']}")
    chat.send("/profile")
    table, chart = chat.messages()[-2:]
    assert table.text.startswith("王伟：历年结果")
    assert "2024年度考核（年度考核，截止于 2024-12-01）" in table.text
    assert "综合得分：88.00" in table.text and "综合得分：80.00" in table.text
    assert "百分位：75.00" in table.text and "等次：称职" in table.text
    assert "2026" not in table.text  # not published yet
    assert chart.photo_bytes > 1000 and "王伟" in chart.text
    # Once 2026 (on the other roster, same id) is published, it joins the trend.
    with Session(world.engine) as session:
        current = session.get(Campaign, world.campaign_id)
        publish_results(session=session, campaign=current, now=LATER)
        session.commit()
    chat.send("/profile")
    assert "综合得分：94.50" in chat.messages()[-2].text


def test_another_id_or_an_unlinked_chat_gets_a_reply(world):
    stranger = world.chat(3002)
    stranger.send("/profile")
    assert "本聊天尚未关联干部" in last_text(stranger) or "not linked" in last_text(stranger)
    chat = world.chat(3003)
    chat.send(f"/start {world.cadre_payload['C1']}")
    chat.send("/profile C2")
    assert "李娜" not in last_text(chat) and "/profile" in last_text(chat)
    chat.send("/profile C1")
    assert "88.00" in chat.messages()[-2].text

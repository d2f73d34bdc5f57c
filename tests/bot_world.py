"""The world the bot behaviour tests live in: a campaign with deep links, a clock, chats.

``bot`` is parametrized over the runtimes; each test gets fresh chats that
go through that runtime (or straight to the core).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot.conversation import BotConfig
from bot.core import BotCore
from storage.models import Campaign
from surveys.collection.ballots import submit_ballot
from surveys.collection.chats import cadre_links, telegram_links
from surveys.setup.invitations import derive_token, issue_slips
from tests.bot_chat import CoreChat, RuntimeChat
from tests.bot_harness import BotHarness
from tests.factories import SECRET, complete_answers, make_campaign
from tests.fake_telegram import FakeTelegram
from tests.web import BASE_URL, rater_paths

HR_CHAT = 5550001
RUNTIMES = ["ptb", "aiogram", "core"]


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class BotWorld:
    """A campaign, its deep links, and a way to open chats through one runtime."""

    engine: sa.Engine
    clock: Clock
    runtime: str
    campaign_id: str = ""
    rater_payload: dict[str, str] = field(default_factory=dict)
    cadre_payload: dict[str, str] = field(default_factory=dict)
    form_paths: dict[str, str] = field(default_factory=dict)
    hr_chat: int = HR_CHAT
    core: BotCore | None = None
    fake: FakeTelegram | None = None
    harness: BotHarness | None = None

    def start_core(self) -> None:
        """A fresh core, as after a restart of the bot process."""
        config = BotConfig(
            secret_key=SECRET,
            base_url=BASE_URL,
            hr_chats=frozenset({HR_CHAT}),
            bot_username="cadre_test_bot",
        )
        self.core = BotCore(engine=self.engine, config=config, clock=self.clock)
        if self.runtime != "core":
            self.harness = BotHarness(self.runtime, self.core, self.fake)

    def restart(self) -> None:
        """Throw away the core and every runtime object; keep only the database."""
        self.close()
        self.start_core()

    def chat(self, chat_id: int, language: str = "zh") -> CoreChat | RuntimeChat:
        """A person in a private chat with the bot, through this world's runtime."""
        if self.harness is None:
            return CoreChat(chat_id=chat_id, language=language, core=self.core)
        return RuntimeChat(chat_id=chat_id, language=language, harness=self.harness)

    def campaign(self, session: Session) -> Campaign:
        """The campaign, loaded in the caller's session."""
        return session.get(Campaign, self.campaign_id)

    def store_answers(self, slips_per_group: int = 0) -> None:
        """Every named rater, and that many slips per group, answer 'good' by the web rule."""
        with Session(self.engine) as session:
            campaign = self.campaign(session)
            tokens = [
                derive_token(SECRET, invitation.id, invitation.nonce)
                for invitation in campaign_invitations(session, campaign)
            ]
            for group in ("superior", "peer", "subordinate") if slips_per_group else ():
                tokens += issue_slips(
                    session=session, campaign=campaign, group=group, count=slips_per_group
                )
            for token in tokens:
                answers = complete_answers(session, token, self.clock.now)
                submit_ballot(session=session, token=token, answers=answers, now=self.clock.now)
            session.commit()

    def close(self) -> None:
        """Shut the runtime down (its HTTP client and event loop)."""
        if self.harness is not None:
            self.harness.close()
            self.harness = None


def campaign_invitations(session: Session, campaign: Campaign) -> list:
    """The campaign's named invitations that are still pending."""
    from sqlmodel import select

    from storage.models import Invitation

    return list(
        session.exec(
            select(Invitation).where(
                Invitation.campaign_id == campaign.id, Invitation.status == "pending"
            )
        ).all()
    )


@pytest.fixture(name="bot", params=RUNTIMES)
def bot_world_fixture(request, engine, now):
    """A BotWorld on a fresh SQLite database, for one runtime."""
    yield from build_world(engine, now, request.param)


@pytest.fixture(name="runtime_bot", params=[r for r in RUNTIMES if r != "core"])
def runtime_bot_fixture(request, engine, now):
    """A BotWorld behind a real Telegram runtime (for what only Telegram answers: 403, 429)."""
    yield from build_world(engine, now, request.param)


def build_world(engine: sa.Engine, now: datetime, runtime: str):
    """Create the campaign and its links, start the core, and clean up afterwards."""
    fake = FakeTelegram() if runtime != "core" else None
    if fake is not None:
        fake.start()
    world = BotWorld(engine=engine, clock=Clock(now), runtime=runtime, fake=fake)
    with Session(engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
        world.campaign_id = campaign.id
        for link in telegram_links(
            session=session, campaign=campaign, secret_key=SECRET, bot_username="cadre_test_bot"
        ):
            world.rater_payload[link.rater_id] = urlsplit(link.url).query.split("=", 1)[1]
        for cadre, url in cadre_links(
            session=session, campaign=campaign, secret_key=SECRET, bot_username="cadre_test_bot"
        ):
            world.cadre_payload[cadre.external_id] = urlsplit(url).query.split("=", 1)[1]
        session.commit()
    world.form_paths = rater_paths(engine, campaign)
    world.start_core()
    try:
        yield world
    finally:
        world.close()
        if fake is not None:
            fake.close()

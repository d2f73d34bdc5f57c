"""A campaign whose raters have bound their chats, a fake Bot API, and a scheduler runtime.

Used by the reminder and notice tests (and the waves benchmark): everything
is real (database, outbox, sender, HTTP to a loopback Bot API) except
Telegram itself and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from scheduler.runtime import Runtime, SchedulerConfig
from storage.models import Campaign, Invitation, Rater
from surveys.collection.chats import (
    bind_chat,
    cadre_links,
    cadre_payload,
    rater_payload,
    telegram_links,
)
from surveys.collection.reminders import QuietHours
from surveys.setup.invitations import issue_slips
from surveys.setup.roster import RosterRows
from tests.bot_world import Clock
from tests.factories import SECRET, make_campaign, roster_rows
from tests.fake_telegram import TOKEN, FakeTelegram

BASE_URL = "https://kaohe.example.cn"
CHAT_BASE = 7_000_000_000  # above 2**32: chat ids must survive as 64-bit integers


def chat_of(rater_external_id: str) -> int:
    """The chat a rater (R1, R2, ...) bound, by their number."""
    return CHAT_BASE + int(rater_external_id[1:])


def wide_roster(raters: int, cadres: int = 3) -> RosterRows:
    """``raters`` subordinates, each rating every one of ``cadres`` cadres."""
    cadre_rows = [
        {"id": f"C{n}", "name": f"干部{n}", "unit": "审批局", "post": "科长"}
        for n in range(1, cadres + 1)
    ]
    rater_rows = [
        {"id": f"R{n}", "name": f"测评人{n}", "phone": "", "telegram": ""}
        for n in range(1, raters + 1)
    ]
    assignments = [
        (f"R{r}", f"C{c}", "subordinate")
        for r in range(1, raters + 1)
        for c in range(1, cadres + 1)
    ]
    return roster_rows(cadre_rows, rater_rows, assignments)


@dataclass
class WaveWorld:
    """The campaign, who bound which chat, the fake server and the scheduler runtime."""

    engine: sa.Engine
    fake: FakeTelegram
    clock: Clock
    campaign_id: str = ""
    invitation_of: dict[str, str] = field(default_factory=dict)
    cadre_chats: dict[str, int] = field(default_factory=dict)

    def runtime(self, *, rate: float = 200.0, quiet: str = "none", **config) -> Runtime:
        """A scheduler runtime against the fake server (fast by default: tests, not Telegram)."""
        settings = SchedulerConfig(
            secret_key=SECRET,
            base_url=BASE_URL,
            telegram_token=TOKEN,
            telegram_api_url=self.fake.url,
            rate=rate,
            quiet=QuietHours.parse(quiet),
            **config,
        )
        return Runtime(engine=self.engine, config=settings, clock=self.clock)

    def campaign(self, session: Session) -> Campaign:
        return session.get(Campaign, self.campaign_id)

    def reminded(self) -> dict[int, int]:
        """How many messages each chat received."""
        counts: dict[int, int] = {}
        for message in self.fake.messages:
            counts[message["chat_id"]] = counts.get(message["chat_id"], 0) + 1
        return counts


def build_wave_world(
    engine: sa.Engine,
    fake: FakeTelegram,
    now: datetime,
    *,
    raters: int = 6,
    bound: int | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> WaveWorld:
    """A campaign with ``raters`` named raters, the first ``bound`` of them with a bound chat,
    two meeting slips (never reminded), and every cadre's chat bound for result notices."""
    world = WaveWorld(engine=engine, fake=fake, clock=Clock(now))
    with Session(engine, expire_on_commit=False) as session:
        extra = {
            key: value for key, value in (("opens_at", opens_at), ("closes_at", closes_at)) if value
        }
        campaign = make_campaign(session, now=now, rows=wide_roster(raters), public=False, **extra)
        world.campaign_id = campaign.id
        issue_slips(session=session, campaign=campaign, group="subordinate", count=2)
        telegram_links(session=session, campaign=campaign, secret_key=SECRET, bot_username="b")
        rows = session.exec(
            select(Invitation, Rater).join(Rater, Rater.id == Invitation.rater_id)
            .where(Invitation.campaign_id == campaign.id)
        ).all()  # fmt: skip
        for invitation, rater in sorted(rows, key=lambda pair: int(pair[1].external_id[1:])):
            world.invitation_of[rater.external_id] = invitation.id
            if bound is None or int(rater.external_id[1:]) <= bound:
                payload = rater_payload(SECRET, invitation)
                bind_chat(
                    session=session, payload=payload, chat_id=chat_of(rater.external_id), now=now
                )
        session.commit()
        for index, (cadre, _link) in enumerate(
            cadre_links(session=session, campaign=campaign, secret_key=SECRET, bot_username="b")
        ):
            from storage.models import CadreChat

            binding = session.get(CadreChat, cadre.id)
            chat_id = 8_000_000_000 + index
            bind_chat(
                session=session, payload=cadre_payload(SECRET, binding), chat_id=chat_id, now=now
            )
            world.cadre_chats[cadre.external_id] = chat_id
        session.commit()
    return world

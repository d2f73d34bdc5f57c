"""A realistic fictional unit for trying the product: one bureau, its leaders and staff.

市行政审批服务局 (a municipal administrative approval bureau): 8 cadres,
3 superiors, 7 peers from sister bureaus and 30 staff, and two public QR
channels in its service hall.  Every name is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from storage.models import Campaign, PublicChannel
from surveys.rules.questionnaire import load_questionnaire
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.channels import create_channel
from surveys.setup.invitations import issue_invitations
from surveys.setup.roster import RosterRows, import_roster

DEMO_CAMPAIGN = "演示：市行政审批服务局2026年度考核"
UNIT = "市行政审批服务局"

CADRES = [
    ("G01", "周建国", "局长"),
    ("G02", "吴晓梅", "副局长"),
    ("G03", "郑海涛", "副局长"),
    ("G04", "冯丽华", "副局长"),
    ("G05", "陈志强", "办公室主任"),
    ("G06", "褚雅琴", "政务服务科科长"),
    ("G07", "卫东升", "审批一科科长"),
    ("G08", "蒋文静", "审批二科科长"),
]
LEADERSHIP = ("G01", "G02", "G03", "G04")
SECTIONS = ("G05", "G06", "G07", "G08")
SUPERIORS = [("S01", "沈国平"), ("S02", "韩立新"), ("S03", "杨秀兰")]
PEERS = [
    ("P01", "朱明辉"),
    ("P02", "秦玉珍"),
    ("P03", "尤志刚"),
    ("P04", "许春燕"),
    ("P05", "何建军"),
    ("P06", "吕晓燕"),
    ("P07", "施宏伟"),
]
SURNAMES = "孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤"
GIVEN = ["晓东", "丽娟", "志明", "海燕", "建华", "秀英", "文博", "雪梅", "国强", "静怡"]


@dataclass(frozen=True)
class DemoCampaign:
    """The demo campaign and its public channels."""

    campaign: Campaign
    channels: list[PublicChannel]


def demo_rows() -> RosterRows:
    """The demo roster, in the same shape as an imported workbook."""
    cadres = [{"id": key, "name": name, "unit": UNIT, "post": post} for key, name, post in CADRES]
    staff = [(f"E{n:02d}", SURNAMES[n - 1] + GIVEN[n % len(GIVEN)]) for n in range(1, 31)]
    raters = [
        {"id": key, "name": name, "phone": f"1390000{n:04d}", "telegram": ""}
        for n, (key, name) in enumerate([*SUPERIORS, *PEERS, *staff], start=1)
    ]
    links = [(rater, cadre, "superior") for rater, _ in SUPERIORS for cadre, *_ in CADRES]
    links += [(rater, cadre, "peer") for rater, _ in PEERS for cadre, *_ in CADRES]
    for index, (rater, _) in enumerate(staff):
        section = SECTIONS[index % len(SECTIONS)]
        links += [(rater, cadre, "subordinate") for cadre in (*LEADERSHIP, section)]
    assignments = [{"rater_id": r, "cadre_id": c, "group": g} for r, c, g in links]

    def numbered(rows: list[dict]) -> list[tuple[int, dict]]:
        return list(enumerate(rows, start=2))

    return RosterRows(
        {
            "cadres": numbered(cadres),
            "raters": numbered(raters),
            "assignments": numbered(assignments),
        }
    )


def find_demo(*, session: Session) -> Campaign | None:
    """The demo campaign if it was loaded already."""
    return session.exec(select(Campaign).where(Campaign.name == DEMO_CAMPAIGN)).first()


def load_demo(
    *, session: Session, now: datetime, secret_key: str, timezone: str, box_keys: Path
) -> DemoCampaign:
    """Create the demo roster and campaign (open now, two weeks to go) with its channels."""
    roster = import_roster(session=session, rows=demo_rows(), name=f"{UNIT}名册", now=now)
    questionnaire = load_questionnaire("annual").with_public_form(
        load_questionnaire("public-service")
    )
    campaign = create_campaign(
        session=session,
        name=DEMO_CAMPAIGN,
        kind="annual",
        roster_id=roster.id,
        questionnaire=questionnaire,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=14),
        now=now,
        timezone=timezone,
        custody=KeyFileCustody(box_keys),
    )
    issue_invitations(session=session, campaign=campaign, secret_key=secret_key)
    channels = [
        # Static codes, so the demo's printed links and terminal QR open as they are;
        # real service windows use the rotating display page (the default).
        create_channel(
            session=session,
            campaign=campaign,
            name="政务服务大厅 1号综合窗口",
            cadre_ids=["G06"],
            rotating=False,
        ),
        create_channel(
            session=session,
            campaign=campaign,
            name="审批服务窗口（一科、二科）",
            cadre_ids=["G07", "G08"],
            rotating=False,
        ),
    ]
    return DemoCampaign(campaign=campaign, channels=channels)

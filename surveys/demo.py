"""A realistic fictional unit for trying the product: one bureau, its leaders and staff.

市行政审批服务局 (a municipal administrative approval bureau): 8 cadres,
3 superiors, 7 peers from sister bureaus and 30 staff, and two public QR
channels in its service hall.  Every name is invented.

Two campaigns share the roster: one open now, to answer, and last round's,
already closed and opened, so results, reports and the admin console show
something at once.  The closed one is filled the way a real one is: every
sample ballot is sealed by ``surveys.collection.ballots`` at a moment inside its
window, and the box is opened by ``surveys.notification.lifecycle.close_campaign`` as
the scheduler does at the deadline.  The answers are drawn from a fixed
seed, so every load gives the same figures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from storage.models import Campaign, PublicChannel, Roster
from surveys.collection.ballots import (
    CadreAnswers,
    open_ballot,
    open_public,
    submit_form,
    submit_public,
)
from surveys.notification.lifecycle import close_campaign, note_opened
from surveys.rules.questionnaire import Questionnaire, load_questionnaire
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.channels import create_channel, record_tally
from surveys.setup.invitations import issue_invitations, named_links
from surveys.setup.roster import RosterRows, import_roster

DEMO_CAMPAIGN = "演示：市行政审批服务局2026年度考核"
OPENED_DEMO_CAMPAIGN = "演示（已开箱）：市行政审批服务局上一轮考核"
UNIT = "市行政审批服务局"
# The closed round: its window, in days before now (past, whatever today is).
OPENED_FROM_DAYS, OPENED_UNTIL_DAYS = 45, 31
SEED = 2026
# How well each cadre is seen (0 poor .. 1 excellent): the sample ballots scatter around it.
STANDING = {
    "G01": 0.86, "G02": 0.72, "G03": 0.5, "G04": 0.64,
    "G05": 0.3, "G06": 0.8, "G07": 0.58, "G08": 0.42,
}  # fmt: skip
SILENT = {"P07", "E28", "E29", "E30"}  # invited, never answered: turnout below 100 %
STRAIGHT_LINER = "E07"  # answers 好 to everything: the straight-line check flags it
SEVERE = "P05"  # rates everyone well below the others
PUBLIC_RATINGS = {"G06": 18, "G07": 12, "G08": 10}
COMMENTS = [
    "工作扎实，服务意识强。",
    "能够主动协调解决群众反映的问题。",
    "建议进一步提高审批效率。",
    "作风务实，勇于担当。",
    "对下属要求严格，沟通还可以更耐心一些。",
    "业务熟练，是科室的主心骨。",
]

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


@dataclass(frozen=True)
class OpenedDemo:
    """Last round's demo campaign, closed and opened, and what went into its box."""

    campaign: Campaign
    ballots: int
    public_ratings: int


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


def find_opened_demo(*, session: Session) -> Campaign | None:
    """Last round's demo campaign if it was loaded already."""
    return session.exec(select(Campaign).where(Campaign.name == OPENED_DEMO_CAMPAIGN)).first()


def demo_questionnaire() -> Questionnaire:
    """The built-in annual form with the public service form merged in."""
    return load_questionnaire("annual").with_public_form(load_questionnaire("public-service"))


def demo_roster(*, session: Session, now: datetime) -> Roster:
    """The demo roster: the one either demo campaign already uses, else a fresh import."""
    loaded = find_demo(session=session) or find_opened_demo(session=session)
    if loaded is not None:
        return session.get(Roster, loaded.roster_id)
    return import_roster(session=session, rows=demo_rows(), name=f"{UNIT}名册", now=now)


def load_demo(
    *, session: Session, now: datetime, secret_key: str, timezone: str, box_keys: Path
) -> DemoCampaign:
    """Create the demo roster and campaign (open now, two weeks to go) with its channels."""
    roster = demo_roster(session=session, now=now)
    campaign = create_campaign(
        session=session,
        name=DEMO_CAMPAIGN,
        kind="annual",
        roster_id=roster.id,
        questionnaire=demo_questionnaire(),
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=14),
        now=now,
        timezone=timezone,
        custody=KeyFileCustody(box_keys),
    )
    issue_invitations(session=session, campaign=campaign, secret_key=secret_key)
    return DemoCampaign(campaign=campaign, channels=demo_channels(session, campaign))


def demo_channels(session: Session, campaign: Campaign) -> list[PublicChannel]:
    """The service hall's two windows."""
    return [
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


def load_opened_demo(
    *, session: Session, now: datetime, secret_key: str, timezone: str, box_keys: Path,
    ledger_key: Path,
) -> OpenedDemo:  # fmt: skip
    """Last round, as it looks once its deadline passed: sample ballots sealed, box opened.

    The caller commits, then runs ``surveys.results.opening.after_opening`` as the
    scheduler would (the key file is destroyed, the sealed rows scrubbed).
    """
    opens_at = now - timedelta(days=OPENED_FROM_DAYS)
    closes_at = now - timedelta(days=OPENED_UNTIL_DAYS)
    campaign = create_campaign(
        session=session,
        name=OPENED_DEMO_CAMPAIGN,
        kind="annual",
        roster_id=demo_roster(session=session, now=now).id,
        questionnaire=demo_questionnaire(),
        opens_at=opens_at,
        closes_at=closes_at,
        now=opens_at - timedelta(days=3),
        timezone=timezone,
        custody=KeyFileCustody(box_keys),
    )
    issue_invitations(session=session, campaign=campaign, secret_key=secret_key)
    channels = demo_channels(session, campaign)
    session.flush()
    note_opened(session=session, campaign=campaign, now=opens_at)
    rng = random.Random(SEED)
    window = closes_at - opens_at
    ballots = 0
    links = named_links(session=session, campaign=campaign, secret_key=secret_key, base_url="")
    for link in links:
        if link.rater_id in SILENT:
            continue
        moment = opens_at + window * rng.uniform(0.02, 0.95)
        token = link.url.rsplit("/", 1)[1]
        form = open_ballot(session=session, token=token, now=moment)
        answers = {
            section.cadre.id: sample_answers(
                rng, link.rater_id, section.cadre.external_id,
                [item.key for dimension in section.dimensions for item in dimension.items],
                votes=section.votes, comments=section.comments,
            )
            for section in form.sections
        }  # fmt: skip
        submit_form(session=session, form=form, answers=answers, now=moment)
        ballots += 1
    public = 0
    for channel in channels:
        form = open_public(session=session, slug=channel.slug, now=opens_at)
        for section in form.sections:
            items = [item.key for dimension in section.dimensions for item in dimension.items]
            for _ in range(PUBLIC_RATINGS.get(section.cadre.external_id, 0)):
                moment = opens_at + window * rng.uniform(0.02, 0.95)
                answers = sample_answers(rng, "", section.cadre.external_id, items)
                submit_public(
                    session=session, slug=channel.slug, cadre_id=section.cadre.id,
                    answers=answers, now=moment,
                )  # fmt: skip
                record_tally(session=session, channel=channel, now=moment, accepted=True)
                public += 1
    close_campaign(
        session=session, campaign=campaign, now=now, key_path=ledger_key, box_keys=box_keys
    )
    return OpenedDemo(campaign=campaign, ballots=ballots, public_ratings=public)


def sample_answers(
    rng: random.Random, rater_id: str, cadre_id: str, items: list[str], *,
    votes: bool = False, comments: bool = False,
) -> CadreAnswers:  # fmt: skip
    """One rater's invented answers about one cadre: scattered around the cadre's standing,
    so grades, ranks and the quality checks all have something to show."""
    standing = STANDING.get(cadre_id, 0.6) - (0.35 if rater_id == SEVERE else 0.0)
    if rater_id == STRAIGHT_LINER:
        chosen = dict.fromkeys(items, "good")
        level = 1.0
    else:
        draws = {item: standing + rng.gauss(0, 0.17) for item in items}
        chosen = {item: _scale_key(value) for item, value in draws.items()}
        level = sum(draws.values()) / len(draws) if draws else standing
    vote = None
    if votes:
        vote = ("excellent" if level > 0.74 else "competent" if level > 0.42
                else "basically_competent" if level > 0.2 else "incompetent")  # fmt: skip
    comment = rng.choice(COMMENTS) if comments and rng.random() < 0.35 else None
    return CadreAnswers(items=chosen, vote=vote, comment=comment)


def _scale_key(value: float) -> str:
    """A point on 0..1 as the annual scale's answer."""
    if value > 0.72:
        return "good"
    if value > 0.48:
        return "fairly_good"
    if value > 0.22:
        return "fair"
    return "poor"

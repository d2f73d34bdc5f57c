"""Two campaigns ("worlds") that differ only in what raters nobody may see answered.

The subtraction attacker of issue 14 holds every output of a campaign (the
terminal overview, the web tables, the workbook, the PDFs, the bot's text,
the shared database) and subtracts one from another.  If two worlds that
differ only in hidden answers give identical outputs, nothing hidden can be
derived, whatever the attacker combines.  The worlds differ in ways that
keep every figure that may be shown (a group shown on its own, the other
raters' line, the composite, each total) the same, so any difference in an
output is a leak.

One unit, six cadres, k = 3, the annual template with the public form:

- C1 (the cadre of findings 1 and 2): superiors S1-S3 and peers P1-P3 are
  shown on their own; subordinates U1-U2 and two public ratings are folded
  into "other raters" (4 responses).  The votes are E1 C5 B1 I1 in both
  worlds, but who cast the B and the I differs: the subordinates in world 1
  (as in the finding), superiors S1 and S2 in world 2.  The integrity items
  swap the same way: in world 1 both subordinates answer
  lian_responsibility Poor and S1, S2 answer lian_rules Poor; in world 2 the
  other way round.  Each group's dimension means, and the count of Poor on
  each item (2 of 5 on lian_responsibility: the veto caps the grade; 2 of 8
  on lian_rules: no veto), are the same in both worlds.
- C2: everyone Good, votes Excellent: 100, Excellent.
- C3: superiors Good, peers Fairly good: 92, Excellent by its band and votes.
- C4, C5: Fairly good, votes Competent: 80, Competent.
- C6 (finding 3): two subordinates only, fewer than k in all: nothing shown.
  World 1: all Good, votes Excellent (100, an Excellent candidate by the
  rules); world 2: all Fair, votes Competent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from storage.models import Cadre, Campaign
from surveys.collection.ballots import (
    CadreAnswers,
    open_ballot,
    open_public,
    submit_ballot,
    submit_public,
)
from surveys.setup import campaigns
from surveys.setup.channels import create_channel
from tests.factories import make_campaign, opened_responses, roster_rows, tokens

UNIT = "测试局"
CADRES = ("C1", "C2", "C3", "C4", "C5", "C6")
SHOWN = ("C1", "C2", "C3", "C4", "C5")
SUPERIORS = ("S1", "S2", "S3")
PEERS = ("P1", "P2", "P3")
SUBORDINATES = ("U1", "U2")
HIDDEN_CADRE = ("H1", "H2")
VETO_ITEMS = ("lian_rules", "lian_responsibility")


def worlds_roster():
    """Superiors and peers rate C1-C5; U1, U2 are C1's subordinates; H1, H2 C6's only."""
    cadres = [
        {"id": cadre, "name": f"干部{cadre}", "unit": UNIT, "post": "科长"} for cadre in CADRES
    ]
    raters = [
        {"id": rater, "name": f"测评人{rater}", "phone": "", "telegram": ""}
        for rater in (*SUPERIORS, *PEERS, *SUBORDINATES, *HIDDEN_CADRE)
    ]
    links = [(rater, cadre, "superior") for rater in SUPERIORS for cadre in SHOWN]
    links += [(rater, cadre, "peer") for rater in PEERS for cadre in SHOWN]
    links += [(rater, "C1", "subordinate") for rater in SUBORDINATES]
    links += [(rater, "C6", "subordinate") for rater in HIDDEN_CADRE]
    return roster_rows(cadres, raters, links)


# (rater, cadre) -> the vote and the answers to the two integrity items, per world.
C1_VOTES = {
    1: {"S1": "excellent", "S2": "competent", "U1": "basically_competent", "U2": "incompetent"},
    2: {"S1": "basically_competent", "S2": "incompetent", "U1": "excellent", "U2": "competent"},
}
WORLD_1_INTEGRITY = {  # lian_rules, lian_responsibility
    "S1": ("poor", "good"),
    "S2": ("poor", "good"),
    "U1": ("good", "poor"),
    "U2": ("good", "poor"),
}
C1_INTEGRITY = {1: WORLD_1_INTEGRITY, 2: {r: pair[::-1] for r, pair in WORLD_1_INTEGRITY.items()}}


def plan(world: int, rater: str, cadre: str) -> tuple[str, dict[str, str], str]:
    """(usual answer, answers that differ from it, vote) of one rater on one cadre."""
    if cadre == "C6":
        return ("good", {}, "excellent") if world == 1 else ("fair", {}, "competent")
    if cadre == "C2":
        return "good", {}, "excellent"
    if cadre == "C3":
        return ("good" if rater in SUPERIORS else "fairly_good"), {}, "excellent"
    if cadre in ("C4", "C5"):
        return "fairly_good", {}, "competent"
    vote = C1_VOTES[world].get(rater, "competent")
    integrity = C1_INTEGRITY[world].get(rater)
    return "fairly_good", dict(zip(VETO_ITEMS, integrity, strict=True)) if integrity else {}, vote


Plan = Callable[[int, str, str], tuple[str, dict[str, str], str]]
Comments = Callable[[int, str, str], str | None]


def no_comments(world: int, rater: str, cadre: str) -> str | None:
    """Nobody comments (the worlds of issue 14)."""
    return None


def without_public_comments(session: Session, campaign: Campaign) -> None:
    """The campaign's frozen form with no comment box for the public, before any ballot."""
    frozen = dict(campaign.questionnaire)
    comment = dict(frozen["comment"])
    comment["groups"] = [group for group in comment["groups"] if group != "public"]
    campaign.questionnaire = {**frozen, "comment": comment}
    session.add(campaign)
    session.commit()
    campaigns._SNAPSHOTS.pop(campaign.id, None)  # parsed once per process: parse it again


def worlds_campaign(
    session: Session,
    now: datetime,
    world: int,
    plan: Plan = plan,
    comments: Comments = no_comments,
    public_comments: bool = True,
) -> Campaign:
    """World 1 or 2 as above: every ballot submitted, two public ratings of C1, box opened.

    ``plan`` gives each rater's answers on each cadre in a world, for other pairs of worlds;
    ``comments`` each rater's comment on each cadre (none by default); without
    ``public_comments`` the public's form has no comment box.
    """
    campaign = make_campaign(session, now=now, rows=worlds_roster())
    if not public_comments:
        without_public_comments(session, campaign)
    links = tokens(session, campaign)
    for rater, token in sorted(links.items()):
        form = open_ballot(session=session, token=token, now=now)
        answers = {}
        for section in form.sections:
            usual, different, vote = plan(world, rater, section.cadre.external_id)
            answers[section.cadre.id] = CadreAnswers(
                items={
                    item.key: different.get(item.key, usual)
                    for dimension in section.dimensions
                    for item in dimension.items
                },
                vote=vote if section.votes else None,
                comment=comments(world, rater, section.cadre.external_id),
            )
        submit_ballot(session=session, token=token, answers=answers, now=now)
        session.commit()
    first = session.exec(
        select(Cadre).where(Cadre.roster_id == campaign.roster_id, Cadre.external_id == "C1")
    ).one()
    channel = create_channel(
        session=session, campaign=campaign, name="窗口", cadre_ids=["C1"], rotating=False
    )
    for _ in range(2):
        section = open_public(session=session, slug=channel.slug, now=now).sections[0]
        items = {item.key: "fairly_good" for d in section.dimensions for item in d.items}
        submit_public(
            session=session,
            slug=channel.slug,
            cadre_id=first.id,
            answers=CadreAnswers(items=items, vote="competent" if section.votes else None),
            now=now,
        )
        session.commit()
    opened_responses(session)
    return campaign

"""Factories for test data: small rosters, campaigns and invitations in a real database."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from storage.models import Campaign, Response
from surveys.collection.ballots import CadreAnswers, open_ballot
from surveys.results.opening import open_with_key_file
from surveys.rules.questionnaire import load_questionnaire
from surveys.setup.campaigns import KeyFileCustody, create_campaign
from surveys.setup.invitations import issue_invitations, named_links
from surveys.setup.roster import RosterRows, import_roster

# The columns a stored response may have: nothing that points at a rater or an invitation.
RESPONSE_COLUMNS = {
    "id",
    "campaign_id",
    "cadre_id",
    "group",
    "answers",
    "vote",
    "comment",
    "ballot_id",
}
# The items peers answer in the built-in annual template, in order.
ANNUAL_PEER_ITEMS = [
    "de_stance",
    "de_ethics",
    "neng_expertise",
    "qin_dedication",
    "qin_style",
    "ji_targets",
    "lian_rules",
]
SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
OPENS = datetime(2026, 11, 20, tzinfo=UTC)
CLOSES = datetime(2026, 12, 1, tzinfo=UTC)
# Where the test campaigns' ballot-box secrets and the ledger's signing key live.
KEYS = Path(tempfile.mkdtemp(prefix="cadre-test-keys-"))
BOX_KEYS = KEYS / "box-keys"
LEDGER_KEY = KEYS / "ledger-signing-key.pem"


def roster_rows(cadres: list[dict], raters: list[dict], assignments: list[tuple]) -> RosterRows:
    """Build RosterRows as the readers would, numbering rows from 2 (after the header)."""

    def numbered(rows):
        return [(number, dict(row)) for number, row in enumerate(rows, start=2)]

    links = [{"rater_id": r, "cadre_id": c, "group": g} for r, c, g in assignments]
    return RosterRows(
        {"cadres": numbered(cadres), "raters": numbered(raters), "assignments": numbered(links)}
    )


def small_roster_rows() -> RosterRows:
    """Two cadres in one unit; one superior, two peers and three subordinates."""
    cadres = [
        {"id": "C1", "name": "王伟", "unit": "市发展改革委", "post": "主任"},
        {"id": "C2", "name": "李娜", "unit": "市发展改革委", "post": "副主任"},
    ]
    raters = [
        {"id": f"R{n}", "name": f"测评人{n}", "phone": "", "telegram": ""} for n in range(1, 7)
    ]
    assignments = [
        ("R1", "C1", "superior"),
        ("R1", "C2", "superior"),
        ("R2", "C1", "peer"),
        ("R3", "C2", "peer"),
        ("R4", "C1", "subordinate"),
        ("R4", "C2", "subordinate"),
        ("R5", "C1", "subordinate"),
        ("R6", "C2", "subordinate"),
    ]
    return roster_rows(cadres, raters, assignments)


def make_campaign(
    session: Session,
    *,
    now: datetime,
    rows: RosterRows | None = None,
    opens_at: datetime = OPENS,
    closes_at: datetime = CLOSES,
    public: bool = True,
    invitations: bool = True,
) -> Campaign:
    """A committed annual campaign (with the public form merged in) and its invitations."""
    roster = import_roster(
        session=session, rows=rows or small_roster_rows(), name="测试名册", now=now
    )
    questionnaire = load_questionnaire("annual")
    if public:
        questionnaire = questionnaire.with_public_form(load_questionnaire("public-service"))
    campaign = create_campaign(
        session=session,
        name="2026年度考核",
        kind="annual",
        roster_id=roster.id,
        questionnaire=questionnaire,
        opens_at=opens_at,
        closes_at=closes_at,
        now=now,
        custody=KeyFileCustody(BOX_KEYS),
    )
    if invitations:
        issue_invitations(session=session, campaign=campaign, secret_key=SECRET)
    session.commit()
    return campaign


def later(moment: datetime, **delta) -> datetime:
    """A moment shifted by ``timedelta(**delta)``."""
    return moment + timedelta(**delta)


# A workbook-shaped roster (sheet -> rows) for tests that go through files:
# two cadres; R1 superior of both, R2 peer of C1, R3 subordinate of both, R4 of C1.
ROSTER = {
    "cadres": [
        {"id": "C1", "name": "王伟", "unit": "审批局", "post": "局长"},
        {"id": "C2", "name": "李娜", "unit": "审批局", "post": "副局长"},
    ],
    "raters": [{"id": f"R{n}", "name": f"测评人{n}"} for n in range(1, 5)],
    "assignments": [
        {"rater_id": "R1", "cadre_id": "C1", "group": "superior"},
        {"rater_id": "R1", "cadre_id": "C2", "group": "superior"},
        {"rater_id": "R2", "cadre_id": "C1", "group": "peer"},
        {"rater_id": "R3", "cadre_id": "C1", "group": "subordinate"},
        {"rater_id": "R3", "cadre_id": "C2", "group": "subordinate"},
        {"rater_id": "R4", "cadre_id": "C1", "group": "subordinate"},
    ],
}


def open_boxes(session: Session) -> None:
    """Open every campaign's ballot box that is still sealed, as the scheduler does at close."""
    for campaign in session.exec(select(Campaign)).all():
        if campaign.box_opened_at is None and campaign.box_custody == "keyfile":
            open_with_key_file(
                session=session, campaign=campaign, key_folder=BOX_KEYS, ledger_key=LEDGER_KEY,
                now=max(campaign.closes_at, CLOSES),
            )  # fmt: skip
    session.commit()


def opened_responses(session: Session) -> list[Response]:
    """Every response, once every ballot box has been opened (as at close)."""
    open_boxes(session)
    return list(session.exec(select(Response)).all())


def tokens(session: Session, campaign: Campaign) -> dict[str, str]:
    """Each named rater's token, by the rater's roster id."""
    links = named_links(session=session, campaign=campaign, secret_key=SECRET, base_url="http://x")
    return {link.rater_id: link.url.rsplit("/", 1)[1] for link in links}


def complete_answers(
    session: Session,
    token: str,
    now: datetime,
    value: str = "good",
    vote: str = "excellent",
    comment: str | None = None,
) -> dict:
    """Valid answers for every cadre and every item on the token's form."""
    form = open_ballot(session=session, token=token, now=now)
    return {
        section.cadre.id: CadreAnswers(
            items={item.key: value for d in section.dimensions for item in d.items},
            vote=vote if section.votes else None,
            comment=comment,
        )
        for section in form.sections
    }

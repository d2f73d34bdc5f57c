"""Campaigns: an assessment round with its roster and frozen questionnaire."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from storage.models import Cadre, Campaign, Roster
from storage.queries import Row, by_id_or_prefix, prefix_candidates
from surveys.rules.messages import N_
from surveys.rules.questionnaire import Questionnaire
from surveys.sealing.ballot_box import Share, new_box, share_digest, split_secret, write_key_file

KINDS = ("annual", "term", "special", "regular")
# "regular" is 平时考核: light quarterly check-ins, which may feed the annual
# assessment's composite (a template's ``feeds``, see ``surveys.rules.feeding``).
KIND_LABELS = {
    "annual": N_("Annual"),
    "term": N_("End of term"),
    "special": N_("Special"),
    "regular": N_("Regular check-in"),
}
# Bounds the CLI and the console share: the smallest group shown, and the scrutineers.
MAX_ANONYMITY_K = 50
MIN_SCRUTINEERS = 2
MAX_SCRUTINEERS = 255


class CampaignError(ValueError):
    """A campaign request that cannot be carried out (message id and values)."""

    def __init__(self, message: str, values: dict | None = None):
        self.message = message
        self.values = values or {}
        super().__init__(message % self.values if self.values else message)


@dataclass(frozen=True)
class KeyFileCustody:
    """The box secret is kept in a file in ``folder`` (the scheduler opens the box itself)."""

    folder: Path


@dataclass
class ScrutineerCustody:
    """The box secret is split among ``scrutineers``, ``quorum`` of whom open the box.

    ``shares`` is filled once by ``create_campaign``: the caller prints them
    and they are kept nowhere else.
    """

    scrutineers: int
    quorum: int
    shares: list[Share] = field(default_factory=list)


def time_zone(name: str) -> ZoneInfo:
    """The time zone of that name, or a CampaignError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CampaignError(N_("unknown time zone %(zone)s"), {"zone": name}) from exc


def read_moment(text: str, zone: str) -> datetime:
    """Read '2026-12-01 18:00' (in the campaign's zone) or an ISO time with an offset.

    The CLI and the console read times HR types the same way, so a time
    without an offset always means the campaign's own zone.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CampaignError(
            N_("Cannot read the time %(text)s; write it like 2026-12-01 18:00."), {"text": text}
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=time_zone(zone))


def choose_custody(
    *, scrutineers: int | None, quorum: int | None, key_folder: Path
) -> KeyFileCustody | ScrutineerCustody:
    """Who will hold the ballot box's secret: a key file, or scrutineers with a quorum.

    One rule for every edge: a quorum needs scrutineers, and can never be
    larger than their number (the box could then never be opened).
    """
    if scrutineers is None:
        if quorum is not None:
            raise CampaignError(N_("A quorum goes with scrutineers."))
        return KeyFileCustody(key_folder)
    if quorum is None:
        raise CampaignError(N_("Scrutineers need a quorum."))
    if not MIN_SCRUTINEERS <= scrutineers <= MAX_SCRUTINEERS:
        raise CampaignError(
            N_("The number of scrutineers must be between %(low)s and %(high)s."),
            {"low": MIN_SCRUTINEERS, "high": MAX_SCRUTINEERS},
        )
    if not quorum >= MIN_SCRUTINEERS:
        raise CampaignError(N_("The quorum must be at least %(low)s."), {"low": MIN_SCRUTINEERS})
    if quorum > scrutineers:
        raise CampaignError(N_("The quorum cannot be larger than the number of scrutineers."))
    return ScrutineerCustody(scrutineers=scrutineers, quorum=quorum)


def campaign_state(campaign: Campaign, now: datetime) -> str:
    """Return 'not_open', 'open' or 'closed' for the given moment."""
    if now < campaign.opens_at:
        return "not_open"
    if now >= campaign.closes_at:
        return "closed"
    return "open"


def local_time(campaign: Campaign, moment: datetime) -> str:
    """A moment in the campaign's time zone, as people write it."""
    return moment.astimezone(ZoneInfo(campaign.timezone)).strftime("%Y-%m-%d %H:%M")


_SNAPSHOTS: dict[str, Questionnaire] = {}


def snapshot(campaign: Campaign) -> Questionnaire:
    """The questionnaire as frozen into the campaign.

    A campaign's questionnaire never changes once created, so it is parsed
    once per process and kept (validating it took about a millisecond on
    every form shown and every ballot submitted).
    """
    parsed = _SNAPSHOTS.get(campaign.id)
    if parsed is None:
        if len(_SNAPSHOTS) >= 256:
            _SNAPSHOTS.clear()
        parsed = _SNAPSHOTS[campaign.id] = Questionnaire.model_validate(campaign.questionnaire)
    return parsed


def create_campaign(
    *,
    session: Session,
    name: str,
    kind: str,
    roster_id: str,
    questionnaire: Questionnaire,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    timezone: str = "Asia/Shanghai",
    anonymity_k: int = 3,
    custody: KeyFileCustody | ScrutineerCustody,
) -> Campaign:
    """Create a campaign, snapshotting the questionnaire so later edits never reach it.

    Every campaign gets its own sealed ballot box (``surveys.sealing.ballot_box``):
    the public key is stored with it, the secret goes to ``custody`` only.
    """
    if kind not in KINDS:
        raise CampaignError(
            N_("unknown kind %(kind)s; use annual, term, special or regular"), {"kind": kind}
        )
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise CampaignError(N_("opening time and deadline need a time zone"))
    if closes_at <= opens_at:
        raise CampaignError(N_("the deadline must be after the opening time"))
    if not 1 <= anonymity_k <= MAX_ANONYMITY_K:
        raise CampaignError(
            N_("the smallest rater group shown must be between 1 and %(high)s"),
            {"high": MAX_ANONYMITY_K},
        )
    roster_id = get_roster(session=session, roster_id=roster_id).id
    time_zone(timezone)
    campaign = Campaign(
        name=name,
        kind=kind,
        roster_id=roster_id,
        questionnaire=questionnaire.model_dump(),
        opens_at=opens_at,
        closes_at=closes_at,
        timezone=timezone,
        anonymity_k=anonymity_k,
        created_at=now,
    )
    box = new_box()
    campaign.box_public_key = box.public_text
    if isinstance(custody, ScrutineerCustody):
        shares = split_secret(box, campaign.id, shares=custody.scrutineers, quorum=custody.quorum)
        campaign.box_custody = "scrutineers"
        campaign.box_quorum = custody.quorum
        campaign.box_share_digests = [share_digest(share.text) for share in shares]
        custody.shares = shares
    session.add(campaign)
    session.flush()
    if isinstance(custody, KeyFileCustody):
        write_key_file(custody.folder, campaign.id, box)
    return campaign


def get_campaign(*, session: Session, campaign_id: str) -> Campaign:
    """Find a campaign by id, or by a unique id prefix as HR types it."""
    return by_typed_id(session, Campaign, campaign_id, N_("no campaign with id %(id)s"))


def get_roster(*, session: Session, roster_id: str) -> Roster:
    """Find a roster by id, or by a unique id prefix, as campaigns are found."""
    return by_typed_id(session, Roster, roster_id, N_("no roster with id %(id)s"))


def by_typed_id(session: Session, model: type[Row], key: str, missing: str) -> Row:
    """The row an id or unique prefix names; an ambiguous prefix is refused with the ids it
    could mean, so HR types a few more characters instead of guessing."""
    row = by_id_or_prefix(session, model, key)
    if row is not None:
        return row
    candidates = prefix_candidates(session, model, key)
    if len(candidates) > 1:
        raise CampaignError(
            N_("%(id)s could mean several ids: %(candidates)s"),
            {"id": key, "candidates": ", ".join(candidates)},
        )
    raise CampaignError(missing, {"id": key})


def list_campaigns(*, session: Session) -> list[Campaign]:
    """All campaigns, newest first."""
    return list(session.exec(select(Campaign).order_by(Campaign.created_at.desc())))


def campaign_cadres(*, session: Session, campaign: Campaign) -> list[Cadre]:
    """Every cadre of the campaign's roster, by unit and roster id."""
    return list(
        session.exec(
            select(Cadre)
            .where(Cadre.roster_id == campaign.roster_id)
            .order_by(Cadre.unit, Cadre.external_id)
        )
    )

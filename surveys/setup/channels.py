"""Public QR channels: a service window's code that members of the public scan.

Stuffing (one person rating a window again and again, or from home) is
resisted in three ways, none of which records who rated:

- **Rotating codes.**  A rotating channel (the default) accepts only a short
  code in its URL (``/p/<slug>?c=<code>``): an HMAC, with the secret key, of
  the slug and the number of the current time window (5 minutes by
  default).  The window's screen shows the code as a QR image on a display
  page, whose address carries another HMAC of the slug (the display key),
  so only HR can put it on a screen.  A code from the current or the
  previous window is accepted, so a scan just before the code turns still
  works.  Static channels (``rotating=False``) take no code: their printed
  QR code stays valid, as before.
- **One scan, one ballot.**  Each window has a series of codes (serial 0,
  1, 2, …, each its own HMAC).  The first phone that opens a code claims it
  (``PublicCodeUse``, server-side) and the ballot it sends spends it; the
  screen then shows the next serial.  A phone that keeps its session cookie,
  drops its other cookies or changes network still needs a new scan at the
  window for each ballot, and a code passed on to someone else is refused.
- **Per-device and per-address limits** live in the web forms
  (``webforms/public.py``): one rating of a cadre per device and day, and
  a generous number of posts per address and hour (a service hall behind
  one NAT address must not reach it).
- **Tallies.**  Each channel counts accepted and refused public submissions
  per clock hour (``ChannelTally``; counts only, never who or what).  A
  channel is flagged for HR when at least ``minimum`` submissions (accepted
  and refused together, default 20, well below every limit, so a stuffer
  who stays just under a limit is still seen) arrive within one clock hour;
  consecutive flagged hours form one episode.  Refused attempts count too:
  a flood that the limits stopped is still something HR should know about.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Cadre, Campaign, ChannelTally, PublicChannel, PublicCodeUse
from surveys.rules.messages import N_
from surveys.setup.campaigns import CampaignError, snapshot, time_zone

CODE_LENGTH = 10  # base32 characters: 50 bits, for a code that lives ten minutes at most
DISPLAY_KEY_BYTES = 16
WINDOW_MINUTES = 5
# Far more codes than a window can hand out in five minutes; a bound keeps typed serials short.
MAX_SERIAL = 99_999
BURST_MINIMUM = 20
HOUR = timedelta(hours=1)

BURST = N_(
    "%(count)s public submissions (%(refused)s refused) on channel %(channel)s "
    "from %(start)s to %(end)s: at least %(minimum)s within one hour"
)


def public_url(base_url: str, slug: str) -> str:
    """The public form's address for a channel (a static channel's printed code)."""
    return f"{base_url.rstrip('/')}/p/{slug}"


def create_channel(
    *,
    session: Session,
    campaign: Campaign,
    name: str,
    cadre_ids: list[str],
    rotating: bool = True,
) -> PublicChannel:
    """Open a public channel for one cadre or a service window of several.

    ``cadre_ids`` are the roster's own ids (as HR knows them).  Channels
    rotate their codes unless ``rotating`` is False (a printed, static code).
    """
    if not cadre_ids:
        raise CampaignError(N_("a channel needs at least one cadre"))
    cadres = session.exec(
        select(Cadre).where(Cadre.roster_id == campaign.roster_id, Cadre.external_id.in_(cadre_ids))
    ).all()  # type: ignore
    unknown = sorted(set(cadre_ids) - {cadre.external_id for cadre in cadres})
    if unknown:
        raise CampaignError(N_("unknown cadre id(s): %(ids)s"), {"ids": ", ".join(unknown)})
    if not snapshot(campaign).items_for("public"):
        raise CampaignError(N_("this campaign's questionnaire has no public form"))
    channel = PublicChannel(
        campaign_id=campaign.id,
        slug=secrets.token_urlsafe(9),
        name=name,
        cadre_ids=[cadre.id for cadre in cadres],
        rotating=rotating,
    )
    session.add(channel)
    session.flush()
    return channel


def find_channel(*, session: Session, slug: str) -> PublicChannel | None:
    """The channel behind a public QR code, or None."""
    return session.exec(select(PublicChannel).where(PublicChannel.slug == slug)).first()


def list_channels(*, session: Session, campaign: Campaign) -> list[PublicChannel]:
    """A campaign's public channels, by name."""
    return list(
        session.exec(
            select(PublicChannel)
            .where(PublicChannel.campaign_id == campaign.id)
            .order_by(PublicChannel.name)
        )
    )


# --- rotating codes ---------------------------------------------------------------------------


def _mac(secret_key: str, label: str) -> bytes:
    """HMAC-SHA256 of a label; every derived value names its purpose in the label."""
    return hmac.new(secret_key.encode(), label.encode(), hashlib.sha256).digest()


def window_number(now: datetime, minutes: int = WINDOW_MINUTES) -> int:
    """The number of the time window ``now`` falls in (windows count from the epoch, in UTC)."""
    return int(now.timestamp()) // (minutes * 60)


def window_start(window: int, minutes: int = WINDOW_MINUTES) -> datetime:
    """The moment a window begins."""
    return datetime.fromtimestamp(window * minutes * 60, UTC)


def rotating_code(secret_key: str, slug: str, window: int, serial: int = 0) -> str:
    """The channel's code number ``serial`` of one window: short for a small QR code, unguessable.

    The first code of a window (serial 0) is the bare HMAC; later ones carry
    their serial after a dash, so the server knows which code to check.
    """
    if serial == 0:
        digest = _mac(secret_key, f"channel-code:{slug}:{window}")
        return base64.b32encode(digest).decode()[:CODE_LENGTH]
    digest = _mac(secret_key, f"channel-code:{slug}:{window}:{serial}")
    return f"{base64.b32encode(digest).decode()[:CODE_LENGTH]}-{serial}"


def read_code(
    secret_key: str, slug: str, code: str, now: datetime, minutes: int = WINDOW_MINUTES
) -> tuple[int, int] | None:
    """The (window, serial) of a code that is still accepted (current or previous window).

    The previous window is accepted so that a person who scans just before
    the code turns is not refused.  Case is ignored: some scanners shout.
    """
    given = code.strip().upper()
    _mac_part, dash, number = given.partition("-")
    serial = 0
    if dash:
        if not number.isdigit() or len(number) > len(str(MAX_SERIAL)):
            return None
        serial = int(number)
    current = window_number(now, minutes)
    for window in (current, current - 1):
        expected = rotating_code(secret_key, slug, window, serial).encode()
        if hmac.compare_digest(given.encode(), expected):
            return window, serial
    return None


def window_accepted(window: int, now: datetime, minutes: int = WINDOW_MINUTES) -> bool:
    """Whether a window's code would still open the form now (current or previous window)."""
    return window_number(now, minutes) - window in (0, 1)


def form_accepted(
    window: int, now: datetime, form_minutes: int, minutes: int = WINDOW_MINUTES
) -> bool:
    """Whether a form opened with a code of ``window`` may still be sent.

    Filling in takes longer than a code lives, so the form is accepted
    until ``form_minutes`` after the window began (never less than the
    code's own two windows).
    """
    lifetime = max(timedelta(minutes=form_minutes), timedelta(minutes=2 * minutes))
    start = window_start(window, minutes)
    return start <= now < start + lifetime


def code_url(base_url: str, slug: str, code: str) -> str:
    """The address a rotating channel's QR code opens."""
    return f"{public_url(base_url, slug)}?c={code}"


def current_url(
    base_url: str,
    secret_key: str,
    channel: PublicChannel,
    now: datetime,
    minutes: int,
    serial: int = 0,
) -> str:
    """What the window shows: code ``serial`` of this window, or a static channel's address."""
    if not channel.rotating:
        return public_url(base_url, channel.slug)
    code = rotating_code(secret_key, channel.slug, window_number(now, minutes), serial)
    return code_url(base_url, channel.slug, code)


# --- one scan, one ballot -------------------------------------------------------------------


def next_serial(*, session: Session, channel: PublicChannel, window: int) -> int:
    """The serial of the code the screen should show: the one after the last claimed."""
    highest = session.exec(
        select(sa.func.max(PublicCodeUse.serial)).where(
            PublicCodeUse.channel_id == channel.id, PublicCodeUse.window == window
        )
    ).one()
    return 0 if highest is None else min(highest + 1, MAX_SERIAL)


def code_claimed(*, session: Session, channel: PublicChannel, window: int, serial: int) -> bool:
    """Whether a phone has already opened this code (the screen should move on)."""
    return session.get(PublicCodeUse, (channel.id, window, serial)) is not None


def claim_code(
    *, session: Session, channel: PublicChannel, window: int, serial: int, oldest: int
) -> bool:
    """Claim a code for the phone that opened it; False when another phone (or visit) did.

    Claims of windows before ``oldest`` (whose forms can no longer be sent)
    are deleted on the way, so the table stays small.  The insert runs in a
    savepoint: of two phones racing for one code, exactly one wins.  The
    caller commits.
    """
    session.exec(
        sa.delete(PublicCodeUse).where(
            PublicCodeUse.channel_id == channel.id, PublicCodeUse.window < oldest
        )
    )
    if code_claimed(session=session, channel=channel, window=window, serial=serial):
        return False
    try:
        with session.begin_nested():
            session.add(PublicCodeUse(channel_id=channel.id, window=window, serial=serial))
    except sa.exc.IntegrityError:
        return False
    return True


def code_spent(*, session: Session, channel: PublicChannel, window: int, serial: int) -> bool:
    """Whether the ballot this code admitted was stored already (or its claim is gone)."""
    use = session.get(PublicCodeUse, (channel.id, window, serial))
    return use is None or use.spent


def spend_code(*, session: Session, channel: PublicChannel, window: int, serial: int) -> bool:
    """Mark a claimed code spent, atomically; False when it was spent (or never claimed).

    One conditional UPDATE, so two posts of the same form (two tabs, a
    replayed request) store one ballot between them.  The caller stores the
    ballot in the same transaction and commits.
    """
    result = session.exec(
        sa.update(PublicCodeUse)
        .where(
            PublicCodeUse.channel_id == channel.id,
            PublicCodeUse.window == window,
            PublicCodeUse.serial == serial,
            col(PublicCodeUse.spent).is_(False),
        )
        .values(spent=True)
    )
    return result.rowcount == 1


def display_key(secret_key: str, slug: str) -> str:
    """The key of a channel's display page: whoever has it can show the current codes."""
    digest = _mac(secret_key, f"channel-display:{slug}")
    return base64.urlsafe_b64encode(digest[:DISPLAY_KEY_BYTES]).decode().rstrip("=")


def display_key_valid(secret_key: str, slug: str, key: str) -> bool:
    """Check a display key in constant time."""
    return hmac.compare_digest(key.encode(), display_key(secret_key, slug).encode())


def display_url(base_url: str, secret_key: str, slug: str) -> str:
    """The display page for the window's screen (it refreshes itself with each new code)."""
    return f"{public_url(base_url, slug)}/display?key={display_key(secret_key, slug)}"


# --- days, for the per-device limit ---------------------------------------------------------


def local_day(campaign: Campaign, now: datetime) -> date:
    """Today in the campaign's time zone: "once a day" means the people's own day."""
    return now.astimezone(time_zone(campaign.timezone)).date()


def next_day_start(campaign: Campaign, now: datetime) -> datetime:
    """When tomorrow begins in the campaign's time zone, so a refusal can say when to return."""
    zone = time_zone(campaign.timezone)
    tomorrow = local_day(campaign, now) + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone)


# --- tallies and flags ----------------------------------------------------------------------


def tally_hour(now: datetime) -> datetime:
    """The clock hour (UTC) a submission is counted in."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def record_tally(
    *, session: Session, channel: PublicChannel, now: datetime, accepted: bool
) -> None:
    """Count one public submission, accepted or refused, in its channel's hour.

    An atomic upsert, so several web processes count correctly; nothing
    about the person or the answers is kept.  The caller commits.
    """
    hour = tally_hour(now)
    column = "count" if accepted else "refused"
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        _count_slowly(session, channel.id, hour, column)
        return
    statement = insert(ChannelTally).values(
        channel_id=channel.id, hour=hour, count=int(accepted), refused=int(not accepted)
    )
    statement = statement.on_conflict_do_update(
        index_elements=["channel_id", "hour"],
        set_={column: getattr(ChannelTally.__table__.c, column) + 1},
    )
    session.exec(statement)


def _count_slowly(session: Session, channel_id: str, hour: datetime, column: str) -> None:
    """Read-then-write counting for databases without an upsert (not used by SQLite or PG)."""
    tally = session.get(ChannelTally, (channel_id, hour))
    if tally is None:
        tally = ChannelTally(channel_id=channel_id, hour=hour)
        session.add(tally)
    setattr(tally, column, getattr(tally, column) + 1)
    session.flush()


@dataclass(frozen=True)
class ChannelHour:
    """One channel's counts in one clock hour."""

    channel: PublicChannel
    hour: datetime
    accepted: int
    refused: int

    @property
    def total(self) -> int:
        """Accepted and refused submissions together."""
        return self.accepted + self.refused


@dataclass(frozen=True)
class ChannelFlag:
    """A burst on one channel for HR: a message id and the values to fill it with."""

    channel: PublicChannel
    start: datetime
    end: datetime
    accepted: int
    refused: int
    message: str
    values: dict


def channel_tallies(
    *, session: Session, campaign: Campaign, now: datetime | None = None
) -> list[ChannelHour]:
    """A campaign's hourly counts, by channel name then hour (up to ``now`` when given)."""
    channels = {
        channel.id: channel for channel in list_channels(session=session, campaign=campaign)
    }
    if not channels:
        return []
    query = select(ChannelTally).where(col(ChannelTally.channel_id).in_(channels))
    if now is not None:
        query = query.where(col(ChannelTally.hour) <= now)
    rows = [
        ChannelHour(channels[row.channel_id], row.hour, row.count, row.refused)
        for row in session.exec(query)
    ]
    return sorted(rows, key=lambda row: (row.channel.name, row.channel.id, row.hour))


def channel_flags(
    *, session: Session, campaign: Campaign, now: datetime, minimum: int = BURST_MINIMUM
) -> list[ChannelFlag]:
    """Channels with at least ``minimum`` submissions within one clock hour, as episodes.

    Consecutive flagged hours of a channel merge into one flag, so HR sees
    each episode once.  Times in the message are the campaign's local time.
    """
    flags: list[ChannelFlag] = []
    episode: list[ChannelHour] = []
    for row in channel_tallies(session=session, campaign=campaign, now=now):
        if row.total < minimum:
            continue
        if episode and (
            episode[-1].channel.id != row.channel.id or row.hour - episode[-1].hour > HOUR
        ):
            flags.append(_flag(campaign, episode, minimum))
            episode = []
        episode.append(row)
    if episode:
        flags.append(_flag(campaign, episode, minimum))
    return flags


def _flag(campaign: Campaign, episode: list[ChannelHour], minimum: int) -> ChannelFlag:
    """One episode of consecutive busy hours as a flag with its message values."""
    zone = time_zone(campaign.timezone)
    start, end = episode[0].hour, episode[-1].hour + HOUR
    accepted = sum(row.accepted for row in episode)
    refused = sum(row.refused for row in episode)
    values = {
        "count": accepted + refused,
        "refused": refused,
        "channel": episode[0].channel.name,
        "start": start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "end": end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "minimum": minimum,
    }
    return ChannelFlag(episode[0].channel, start, end, accepted, refused, BURST, values)

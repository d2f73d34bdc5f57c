"""SQLModel tables of the assessment database.

Identifiers are random UUID strings, never sequential, so that row ids do not
reveal the order in which things were created.  Datetimes are stored in UTC
and always time-zone aware when they leave this module.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint


def new_id() -> str:
    """Return a random identifier (UUID4 hex): unguessable and unordered."""
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator):
    """A DateTime that refuses naive values and always comes back in UTC.

    SQLite has no time-zone type, so values are normalised to UTC on the way
    in and tagged as UTC on the way out; PostgreSQL stores timestamptz.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass a time-zone aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_column(nullable: bool = False) -> Any:
    """Return a fresh UTC datetime column (SQLAlchemy columns cannot be shared)."""
    return Column(UTCDateTime(), nullable=nullable)


class Roster(SQLModel, table=True):
    """One imported roster: the cadres, their raters and who rates whom."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    imported_at: datetime = Field(sa_column=utc_column())


class Cadre(SQLModel, table=True):
    """A person in a leadership post who is assessed."""

    __table_args__ = (UniqueConstraint("roster_id", "external_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    roster_id: str = Field(foreign_key="roster.id", index=True, max_length=32)
    external_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=200)
    post: str = Field(max_length=200)


class Rater(SQLModel, table=True):
    """A named person who rates one or more cadres."""

    __table_args__ = (UniqueConstraint("roster_id", "external_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    roster_id: str = Field(foreign_key="roster.id", index=True, max_length=32)
    external_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    telegram: str | None = Field(default=None, max_length=64)


class Assignment(SQLModel, table=True):
    """A rater rates a cadre as a member of one rater group."""

    __table_args__ = (UniqueConstraint("rater_id", "cadre_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    roster_id: str = Field(foreign_key="roster.id", index=True, max_length=32)
    rater_id: str = Field(foreign_key="rater.id", index=True, max_length=32)
    cadre_id: str = Field(foreign_key="cadre.id", index=True, max_length=32)
    group: str = Field(max_length=20)


class Campaign(SQLModel, table=True):
    """One assessment round with its frozen questionnaire."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    roster_id: str = Field(foreign_key="roster.id", index=True, max_length=32)
    questionnaire: dict = Field(sa_column=Column(JSON, nullable=False))
    opens_at: datetime = Field(sa_column=utc_column())
    closes_at: datetime = Field(sa_column=utc_column())
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    anonymity_k: int = Field(default=3)
    created_at: datetime = Field(sa_column=utc_column())
    results_due_on: date | None = Field(default=None)
    published_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    publicity_until: date | None = Field(default=None)
    appeal_days: int = Field(default=7)
    opened_noted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    summaries_pushed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # The sealed ballot box (surveys/sealing/ballot_box.py): its public key, who holds the secret,
    # the SHA-256 of each scrutineer's share, and when it was opened (once).
    box_public_key: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    box_custody: str = Field(default="keyfile", max_length=20)
    box_quorum: int | None = Field(default=None)
    box_share_digests: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    box_opened_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Invitation(SQLModel, table=True):
    """One rater's one-time access to a campaign, or an unnamed meeting slip.

    Only a hash of the token is stored.  ``nonce`` is the random seed from
    which the named token is derived with the server's secret key, so HR can
    print a link again without the database ever holding it.
    """

    # Campaign first, then status: the campaign's pending raters (a reminder wave) are
    # found without reading its completed invitations; campaign-only lookups use it too.
    __table_args__ = (sa.Index("ix_invitation_campaign_id_status", "campaign_id", "status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", max_length=32)
    rater_id: str | None = Field(default=None, foreign_key="rater.id", max_length=32)
    group: str | None = Field(default=None, max_length=20)
    nonce: str | None = Field(default=None, max_length=64)
    token_hash: str = Field(unique=True, max_length=64)
    status: str = Field(default="pending", max_length=20)


class BallotFields(SQLModel):
    """What a ballot says about one cadre: the answers, and nothing about who or when."""

    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    cadre_id: str = Field(foreign_key="cadre.id", index=True, max_length=32)
    group: str = Field(max_length=20)
    answers: dict = Field(sa_type=JSON, nullable=False)
    vote: str | None = Field(default=None, max_length=32)
    comment: str | None = Field(default=None, max_length=2000)


class SealedBallot(SQLModel, table=True):
    """One submitted ballot, encrypted to the campaign's ballot box until it is opened.

    Written in the transaction that consumes the invitation, so a ballot is
    never lost nor counted twice; only ciphertext, padded to its form's
    length, with a random id and no time.  Opening the box (at close)
    decrypts every row, writes the responses in shuffled order and deletes
    these rows, all in one transaction.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    ciphertext: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))


class Response(BallotFields, table=True):
    """One rater's answers about one cadre, as the opening of the ballot box stored it.

    It carries no rater, invitation, token, chat or time.  ``ballot_id`` (a
    fresh random id) links the rows of one ballot only where at least k
    raters of the campaign share the same cadres and groups, so the link
    cannot single anybody out; otherwise it is empty.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    ballot_id: str | None = Field(default=None, max_length=32, index=True)


class PublicChannel(SQLModel, table=True):
    """A public QR code at a service window, rating one or several cadres."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    cadre_ids: list = Field(sa_column=Column(JSON, nullable=False))
    rotating: bool = Field(default=True)


def chat_column(**kwargs: Any) -> Any:
    """A Telegram chat id: 64-bit, since chat ids outgrow 32 bits."""
    return Column(sa.BigInteger(), **kwargs)


class TelegramChat(SQLModel, table=True):
    """What the bot remembers about a chat: its language and whether it is reachable.

    ``locale`` is what the chat chose with /language; ``language`` is the
    language code Telegram last reported for its user, so messages the bot
    starts itself (reminders, result notices) come in the right language.
    """

    chat_id: int = Field(sa_column=chat_column(primary_key=True, autoincrement=False))
    locale: str | None = Field(default=None, max_length=8)
    language: str | None = Field(default=None, max_length=16)
    unreachable: bool = Field(default=False)


class RaterChat(SQLModel, table=True):
    """The one-time bot binding code of a named invitation, and the chat it bound.

    The binding exists only to remind the rater and to know who has finished;
    responses never point back to it.  ``code_hash`` is the SHA-256 of the
    deep-link code, which the secret key rebuilds from the invitation's nonce.
    """

    invitation_id: str = Field(foreign_key="invitation.id", primary_key=True, max_length=32)
    code_hash: str = Field(unique=True, max_length=64)
    chat_id: int | None = Field(default=None, sa_column=chat_column(nullable=True, index=True))


class CadreChat(SQLModel, table=True):
    """A cadre's one-time bot code and the chat it bound, for result notices."""

    cadre_id: str = Field(foreign_key="cadre.id", primary_key=True, max_length=32)
    nonce: str = Field(max_length=64)
    code_hash: str = Field(unique=True, max_length=64)
    chat_id: int | None = Field(default=None, sa_column=chat_column(nullable=True, index=True))


class ChatDraft(SQLModel, table=True):
    """Answers given in the chat so far, kept until they are submitted (then deleted).

    The answers are encrypted (``sealed``) with a key derived from the
    server's secret key, which is not in the database: a copy of the
    database and its log shows that a chat is half-way, never what it said.
    """

    invitation_id: str = Field(foreign_key="invitation.id", primary_key=True, max_length=32)
    chat_id: int = Field(sa_column=chat_column(nullable=False, index=True))
    position: int = Field(default=0)
    sealed: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    updated_at: datetime = Field(sa_column=utc_column())


class HrUser(SQLModel, table=True):
    """An HR account for the web admin: admin, HR officer or read-only auditor."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(sa_column=utc_column())
    # A second factor, when the person turned it on: the TOTP secret (base32),
    # the last time step used (a code is never taken twice) and the SHA-256
    # hashes of the one-time recovery codes still unused.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = Field(default=None, sa_column=Column(sa.BigInteger()))
    recovery_hashes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class AuditEvent(SQLModel, table=True):
    """One recorded step: who did what, when (publication, appeals, accounts)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    at: datetime = Field(sa_column=utc_column())
    actor: str = Field(max_length=100)
    action: str = Field(max_length=50)
    campaign_id: str | None = Field(default=None, max_length=32, index=True)
    cadre_id: str | None = Field(default=None, max_length=32)
    detail: dict = Field(sa_type=JSON, nullable=False, default_factory=dict)


class Appeal(SQLModel, table=True):
    """A cadre's appeal against a published result, and HR's written decision."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    cadre_id: str = Field(foreign_key="cadre.id", index=True, max_length=32)
    filed_at: datetime = Field(sa_column=utc_column())
    reason: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=20)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_by: str | None = Field(default=None, max_length=100)
    decision: str | None = Field(default=None, max_length=2000)
    revised_grade: str | None = Field(default=None, max_length=32)


class LedgerLeaf(SQLModel, table=True):
    """One accepted ballot row in a campaign's append-only Merkle ledger.

    Leaves are appended only when the ballot box is opened, in shuffled order, so their
    positions say nothing about who submitted when; ``leaf_hash`` is what
    the row hashed to when it was appended.
    """

    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    position: int
    response_id: str = Field(max_length=32, unique=True)
    leaf_hash: str = Field(max_length=64)


class LedgerCheckpoint(SQLModel, table=True):
    """A signed (size, root) of a campaign's ledger, written at close and at publication."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    kind: str = Field(max_length=20)
    size: int
    root: str = Field(max_length=64)
    signature: str = Field(max_length=200)
    key_id: str = Field(max_length=64)
    written_at: datetime = Field(sa_column=utc_column())


class ChannelTally(SQLModel, table=True):
    """How many public ratings a channel took in one hour (for burst checks, not per rater)."""

    channel_id: str = Field(foreign_key="publicchannel.id", primary_key=True, max_length=32)
    hour: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    count: int = Field(default=0)
    refused: int = Field(default=0)


class PublicCodeUse(SQLModel, table=True):
    """One rotating code of a public channel that a phone scanned: it admits one ballot.

    A code is named by its window and its serial number within the window;
    ``spent`` turns true when the ballot it admitted is stored.  Rows of
    windows whose forms can no longer be sent are deleted.
    """

    channel_id: str = Field(foreign_key="publicchannel.id", primary_key=True, max_length=32)
    window: int = Field(sa_column=Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    serial: int = Field(primary_key=True)
    spent: bool = Field(default=False)


class CadreMark(SQLModel, table=True):
    """What HR set about one cadre for one campaign's rules: barring situations and tier.

    ``flags`` are keys of the rules' barring situations (under investigation,
    a sanction in effect...); ``tier`` is the tier of post whose Excellent
    quota the cadre counts in when the quota is per tier.
    """

    campaign_id: str = Field(foreign_key="campaign.id", primary_key=True, max_length=32)
    cadre_id: str = Field(foreign_key="cadre.id", primary_key=True, max_length=32)
    flags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tier: str = Field(default="", max_length=100)
    updated_at: datetime = Field(sa_column=utc_column())
    updated_by: str = Field(max_length=100)


class ReminderWave(SQLModel, table=True):
    """A planned reminder to every rater of a campaign who has not finished yet.

    ``planned_at`` is what HR asked for; ``send_at`` is when it goes out
    once moved out of quiet hours.  Status: planned, sending, done or
    cancelled.  Who is reminded is decided when the wave starts, one
    ``OutboxMessage`` per recipient.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    planned_at: datetime = Field(sa_column=utc_column())
    send_at: datetime = Field(sa_column=utc_column())
    message: str | None = Field(default=None, max_length=1000)
    origin: str = Field(default="hr", max_length=20)
    status: str = Field(default="planned", max_length=20, index=True)
    created_at: datetime = Field(sa_column=utc_column())
    started_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class OutboxMessage(SQLModel, table=True):
    """One message the bot is to send on its own: a reminder or a result notice.

    The row is written before anything is sent and ``key`` is unique, so
    each recipient of a wave (or each cadre of a publication) has exactly
    one row.  ``state`` moves from planned to sending to sent, skipped,
    unreachable or failed; a row left in sending by a crash becomes
    uncertain and is never sent again.  No time is kept per row.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    key: str = Field(unique=True, max_length=120)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    wave_id: str | None = Field(
        default=None, foreign_key="reminderwave.id", index=True, max_length=32
    )
    purpose: str = Field(max_length=20)
    invitation_id: str | None = Field(default=None, max_length=32)
    cadre_id: str | None = Field(default=None, max_length=32)
    chat_id: int = Field(sa_column=chat_column(nullable=False))
    state: str = Field(default="planned", max_length=20, index=True)
    reason: str | None = Field(default=None, max_length=40)
    attempts: int = Field(default=0)


class PerformanceIndicator(SQLModel, table=True):
    """One performance indicator (实绩) of one cadre in one campaign, as HR imported it.

    HR's own figures, not a rater's: no anonymity rule applies to them.  An
    import replaces every indicator of the campaign, so ``imported_at`` is
    the same on all of a campaign's rows.
    """

    __table_args__ = (UniqueConstraint("campaign_id", "cadre_id", "name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    cadre_id: str = Field(foreign_key="cadre.id", index=True, max_length=32)
    name: str = Field(max_length=200)
    target: float
    actual: float
    unit: str = Field(default="", max_length=32)
    weight: float = Field(default=1.0)
    direction: str = Field(default="higher", max_length=10)
    imported_at: datetime = Field(sa_column=utc_column())


class EarlyWarning(SQLModel, table=True):
    """An early warning that fired for a campaign (``surveys.results.warnings``), kept once.

    ``fingerprint`` (the campaign, the rule, the subject and its detail) is
    unique, so a warning found again on a later check is the same row and is
    never sent twice.  ``detail`` holds the figures and the threshold as they
    were first seen: shown figures only, never a withheld one.  ``sent_at``
    is when the warning was handed to the outbox for HR's chats.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    campaign_id: str = Field(foreign_key="campaign.id", index=True, max_length=32)
    rule: str = Field(max_length=40)
    subject: str = Field(max_length=200)
    fingerprint: str = Field(unique=True, max_length=64)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    first_seen_at: datetime = Field(sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

"""The outbox: messages the bot sends on its own, each written down before it is sent.

Reminders (one row per recipient of a wave), result notices (one row per
bound cadre of a published campaign) and early warnings (one row per kept
warning and HR chat, ``queue_warnings``) share one protocol, which is what makes
delivery exactly once:

1. ``claim`` moves a row from planned to sending with a conditional UPDATE and
   commits, so two senders can never both take it.  It checks again that the
   message is still wanted (the rater may have finished a minute ago) and
   composes it in the chat's language.
2. The sender calls Telegram, then ``record`` stores sent, unreachable or
   failed.  A refusal that proves nothing was sent (flood control, a stop)
   goes back to planned with ``release``.
3. A row found in sending when a sender starts was cut off by a crash: it may
   or may not have reached Telegram, so ``mark_interrupted`` sets it
   uncertain and it is never sent again.  That trades one possibly lost
   reminder for never sending one twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import (
    CadreChat,
    Campaign,
    EarlyWarning,
    Invitation,
    OutboxMessage,
    RaterChat,
    ReminderWave,
    TelegramChat,
    new_id,
)
from surveys.collection.chats import chat_locale, chat_settings, form_link, set_reachable
from surveys.results.outcomes import grade_label, shown_results
from surveys.results.warnings import describe_warning, rule_label, subject_text
from surveys.rules.messages import N_, translate
from surveys.setup.campaigns import campaign_cadres, campaign_state, local_time, snapshot
from surveys.setup.invitations import cadre_counts


@dataclass(frozen=True)
class MessageButton:
    """An inline button: callback data, a link or a Mini App (exactly one)."""

    text: str
    data: str | None = None
    url: str | None = None
    web_app: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """One claimed outbox row, composed and ready for Telegram."""

    row_id: str
    chat_id: int
    text: str
    buttons: tuple[tuple[MessageButton, ...], ...] = ()


@dataclass
class MessageContext:
    """What composing needs beyond the row: links, and per-campaign facts read once per run."""

    secret_key: str
    base_url: str
    _cadres_left: dict[str, dict[str, int]] = field(default_factory=dict)
    _grades: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def cadres_left(self, session: Session, campaign: Campaign, rater_id: str | None) -> int:
        """How many cadres a pending named rater still has to rate (all of theirs)."""
        if campaign.id not in self._cadres_left:
            self._cadres_left[campaign.id] = cadre_counts(session, campaign)
        return self._cadres_left[campaign.id].get(rater_id or "", 0)

    def grade(self, session: Session, campaign: Campaign, cadre_id: str) -> str | None:
        """A cadre's grade as it may be shown (None when withheld or not graded)."""
        if campaign.id not in self._grades:
            results = shown_results(session=session, campaign=campaign)
            self._grades[campaign.id] = {r.cadre.id: r.decision.grade for r in results}
        return self._grades[campaign.id].get(cadre_id)


def planned_rows(
    *,
    session: Session,
    wave_id: str | None = None,
    campaign_id: str | None = None,
    purpose: str = "result",
) -> list[str]:
    """Ids of rows still to send: a wave's, or a campaign's result notices (or warnings)."""
    query = select(OutboxMessage.id).where(OutboxMessage.state == "planned")
    if wave_id is not None:
        query = query.where(OutboxMessage.wave_id == wave_id)
    else:
        query = query.where(
            OutboxMessage.campaign_id == campaign_id, OutboxMessage.purpose == purpose
        )
    return list(session.exec(query.order_by(OutboxMessage.id)))


def mark_interrupted(
    *,
    session: Session,
    wave_id: str | None = None,
    campaign_id: str | None = None,
    purpose: str = "result",
) -> int:
    """Rows left in sending by a crashed sender become uncertain (never resent); returns them."""
    query = sa.update(OutboxMessage).where(col(OutboxMessage.state) == "sending")
    if wave_id is not None:
        query = query.where(col(OutboxMessage.wave_id) == wave_id)
    else:
        query = query.where(
            col(OutboxMessage.campaign_id) == campaign_id, col(OutboxMessage.purpose) == purpose
        )
    return session.execute(query.values(state="uncertain", reason="interrupted")).rowcount


def claim(
    *, session: Session, row_id: str, now: datetime, context: MessageContext
) -> OutgoingMessage | None:
    """Take a planned row for sending; None if another sender has it or it is no longer wanted."""
    taken = session.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.state) == "planned")
        .values(state="sending", attempts=OutboxMessage.attempts + 1)
    ).rowcount
    if taken != 1:
        return None
    row = session.get(OutboxMessage, row_id)
    campaign = session.get(Campaign, row.campaign_id)
    if row.purpose == "reminder":
        obstacle = _reminder_obstacle(session, row, campaign, now)
    elif row.purpose == WARNING:
        obstacle = "unreachable" if _unreachable(session, row.chat_id) else None
    else:
        obstacle = _notice_obstacle(session, row, campaign)
    if obstacle is not None:
        row.state, row.reason = "skipped", obstacle
        session.add(row)
        session.flush()
        return None
    locale = chat_locale(chat_settings(session=session, chat_id=row.chat_id))
    if row.purpose == "reminder":
        return _reminder(session, row, campaign, locale, context)
    if row.purpose == WARNING:
        return _warning(session, row, campaign, locale)
    return _notice(session, row, campaign, locale, context)


def record(*, session: Session, row_id: str, state: str, reason: str | None = None) -> None:
    """Store what Telegram answered; an unreachable chat is remembered for every later message.

    'uncertain' is for a request cut off in flight (it may have arrived).
    """
    assert state in ("sent", "unreachable", "failed", "uncertain")
    updated = session.execute(
        sa.update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state).in_(("sending", "uncertain")),
        )
        .values(state=state, reason=reason)
    ).rowcount
    if updated and state == "unreachable":
        chat_id = session.get(OutboxMessage, row_id).chat_id
        set_reachable(session=session, chat_id=chat_id, reachable=False)


def release(*, session: Session, row_id: str) -> None:
    """Put a claimed row back to planned: Telegram provably did not take it.

    Also from uncertain: another sender may have judged the row cut off
    while this one still held it.
    """
    session.execute(
        sa.update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.state).in_(("sending", "uncertain")),
        )
        .values(state="planned")
    )


def wave_counts(*, session: Session, wave_ids: list[str]) -> dict[str, Counter]:
    """Per wave: rows by state, and skipped rows by reason ('skipped:completed')."""
    counts: dict[str, Counter] = {wave_id: Counter() for wave_id in wave_ids}
    rows = session.exec(
        select(OutboxMessage.wave_id, OutboxMessage.state, OutboxMessage.reason, sa.func.count())
        .where(col(OutboxMessage.wave_id).in_(wave_ids))
        .group_by(OutboxMessage.wave_id, OutboxMessage.state, OutboxMessage.reason)
    ).all()
    for wave_id, state, reason, count in rows:
        counts[wave_id]["total"] += count
        counts[wave_id][state] += count
        if state == "skipped":
            counts[wave_id][f"skipped:{reason}"] += count
    return counts


def result_notice_chats(*, session: Session, campaign: Campaign) -> dict[str, int]:
    """The chat each cadre's result notice goes to, by cadre id; cadres without one are absent.

    Publication queues exactly these, and the console's confirmation lists
    them before HR publishes, so both read the rule here.
    """
    cadre_ids = [cadre.id for cadre in campaign_cadres(session=session, campaign=campaign)]
    bound = session.exec(
        select(CadreChat.cadre_id, CadreChat.chat_id).where(
            col(CadreChat.cadre_id).in_(cadre_ids), col(CadreChat.chat_id).is_not(None)
        )
    ).all()
    return dict(bound)


def queue_result_notices(*, session: Session, campaign: Campaign) -> int:
    """One notice row per cadre of the campaign with a bound chat (once); returns new rows."""
    bound = result_notice_chats(session=session, campaign=campaign).items()
    known = set(
        session.exec(
            select(OutboxMessage.cadre_id).where(
                OutboxMessage.campaign_id == campaign.id, OutboxMessage.purpose == "result"
            )
        )
    )
    rows = [
        {
            "id": new_id(),
            "key": f"result:{campaign.id}:{cadre_id}",
            "campaign_id": campaign.id,
            "purpose": "result",
            "cadre_id": cadre_id,
            "chat_id": chat_id,
            "state": "planned",
            "attempts": 0,
        }
        for cadre_id, chat_id in bound
        if cadre_id not in known
    ]
    if rows:
        session.execute(sa.insert(OutboxMessage), rows)
    return len(rows)


def campaigns_with_notices(*, session: Session, purpose: str = "result") -> list[str]:
    """Campaigns whose result notices (or early warnings) are still to send."""
    return list(
        session.exec(
            select(OutboxMessage.campaign_id)
            .where(OutboxMessage.purpose == purpose, OutboxMessage.state == "planned")
            .distinct()
        )
    )


WARNING = "warning"
"""The outbox purpose of an early warning to an HR chat."""


def warning_key(warning_id: str, chat_id: int) -> str:
    """The outbox key of one warning to one HR chat: each pair has one row, ever."""
    return f"{WARNING}:{warning_id}:{chat_id}"


def queue_warnings(*, session: Session, chat_ids: frozenset[int] | set[int], now: datetime) -> int:
    """One outbox row per kept warning not yet sent and HR chat; returns the new rows.

    A warning is marked sent when queued, so it never goes out again, even
    to a chat added later; without HR chats nothing is queued or marked, and
    the warnings wait for a chat.
    """
    if not chat_ids:
        return 0
    waiting = session.exec(
        select(EarlyWarning)
        .where(col(EarlyWarning.sent_at).is_(None))
        .order_by(EarlyWarning.first_seen_at, EarlyWarning.id)
    ).all()
    if not waiting:
        return 0
    keys = [warning_key(w.id, chat) for w in waiting for chat in sorted(chat_ids)]
    known = set(session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(keys))))
    rows = [
        {
            "id": new_id(),
            "key": warning_key(warning.id, chat_id),
            "campaign_id": warning.campaign_id,
            "purpose": WARNING,
            "chat_id": chat_id,
            "state": "planned",
            "attempts": 0,
        }
        for warning in waiting
        for chat_id in sorted(chat_ids)
        if warning_key(warning.id, chat_id) not in known
    ]
    if rows:
        session.execute(sa.insert(OutboxMessage), rows)
    session.execute(
        sa.update(EarlyWarning)
        .where(col(EarlyWarning.id).in_([w.id for w in waiting]))
        .where(col(EarlyWarning.sent_at).is_(None))
        .values(sent_at=now)
    )
    return len(rows)


def _unreachable(session: Session, chat_id: int) -> bool:
    settings = session.get(TelegramChat, chat_id)
    return bool(settings and settings.unreachable)


def _reminder_obstacle(
    session: Session, row: OutboxMessage, campaign: Campaign, now: datetime
) -> str | None:
    """Why a reminder should no longer go out, checked at the moment of sending."""
    wave = session.get(ReminderWave, row.wave_id)
    if wave is None or wave.status == "cancelled":
        return "cancelled"
    if campaign_state(campaign, now) != "open":
        return "closed"
    invitation = session.get(Invitation, row.invitation_id)
    if invitation is None or invitation.status != "pending":
        return "completed"
    binding = session.get(RaterChat, row.invitation_id)
    if binding is None or binding.chat_id != row.chat_id:
        return "unbound"
    if _unreachable(session, row.chat_id):
        return "unreachable"
    return None


def _notice_obstacle(session: Session, row: OutboxMessage, campaign: Campaign) -> str | None:
    """Why a result notice should no longer go out."""
    if campaign.published_at is None:
        return "unpublished"
    binding = session.get(CadreChat, row.cadre_id)
    if binding is None or binding.chat_id != row.chat_id:
        return "unbound"
    if _unreachable(session, row.chat_id):
        return "unreachable"
    return None


def _reminder(
    session: Session, row: OutboxMessage, campaign: Campaign, locale: str, context: MessageContext
) -> OutgoingMessage:
    """Campaign, HR's words (or ours), cadres left, deadline; buttons to continue."""
    invitation = session.get(Invitation, row.invitation_id)
    wave = session.get(ReminderWave, row.wave_id)

    def _(message: str, **values) -> str:
        return translate(message, values or None, locale=locale)

    lines = [
        campaign.name,
        wave.message or _(N_("A reminder: your assessment is not finished yet.")),
        _(
            N_("Cadres to rate: %(count)s"),
            count=context.cadres_left(session, campaign, invitation.rater_id),
        ),
        _(N_("Deadline: %(when)s"), when=local_time(campaign, campaign.closes_at)),
    ]
    kind, link = form_link(
        base_url=context.base_url, secret_key=context.secret_key, invitation=invitation
    )
    buttons = (
        (MessageButton(_(N_("Continue here")), data=f"go:{invitation.id}"),),
        (MessageButton(_(N_("Open the form")), **{kind: link}),),
    )
    return OutgoingMessage(row.id, row.chat_id, "\n".join(lines), buttons)


def _notice(
    session: Session, row: OutboxMessage, campaign: Campaign, locale: str, context: MessageContext
) -> OutgoingMessage:
    """The campaign, that results are out, the grade if it may be shown, and how to see more."""

    def _(message: str, **values) -> str:
        return translate(message, values or None, locale=locale)

    lines = [campaign.name, _(N_("Your assessment results have been published."))]
    grade = context.grade(session, campaign, row.cadre_id)
    if grade is not None:
        lines.append(_(N_("Grade: %(grade)s"), grade=grade_label(grade, locale)))
    lines.append(_(N_("Send /results to see the details.")))
    return OutgoingMessage(row.id, row.chat_id, "\n".join(lines))


def _warning(
    session: Session, row: OutboxMessage, campaign: Campaign, locale: str
) -> OutgoingMessage:
    """The campaign, the rule that fired, on whom or what, and its figures and threshold."""
    warning = session.get(EarlyWarning, row.key.split(":")[1])
    detail = warning.detail
    lines = [
        campaign.name,
        translate(
            N_("Early warning: %(rule)s"),
            {"rule": rule_label(warning.rule, locale)},
            locale=locale,
        ),
        subject_text(detail, warning.subject),
        describe_warning(warning.rule, detail.get("values", {}), locale, snapshot(campaign)),
    ]
    return OutgoingMessage(row.id, row.chat_id, "\n".join(lines))

"""Telegram chats: one-time binding codes, bound chats, chat language and drafts.

A rater's deep link carries a binding code, not the form token: the code is
derived from the invitation's nonce with the secret key (like the form
token, under another label), and the database keeps only its hash.  Binding
a chat records which chat may answer and be reminded for that invitation;
responses never point back to it.  Cadres bind their chat with a code of
their own to receive their results.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, col, select

from storage.models import (
    Cadre,
    CadreChat,
    Campaign,
    ChatDraft,
    Invitation,
    Rater,
    RaterChat,
    TelegramChat,
)
from surveys.rules.messages import best_locale
from surveys.setup.campaigns import campaign_cadres, campaign_state
from surveys.setup.invitations import (
    InvitationLink,
    assigned_cadres,
    cadre_counts,
    derive_token,
    form_url,
    hash_token,
)

RATER_PREFIX = "r"
CADRE_PREFIX = "c"
CODE_BYTES = 24
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BindRefused(Exception):
    """A deep-link code that cannot bind this chat: 'unknown', 'used', 'expired' or 'taken'."""

    def __init__(self, reason: str, campaign: Campaign | None = None):
        self.reason = reason
        self.campaign = campaign
        super().__init__(reason)


@dataclass(frozen=True)
class RaterBinding:
    """A chat now bound to a rater's invitation."""

    invitation: Invitation
    campaign: Campaign


@dataclass(frozen=True)
class CadreBinding:
    """A chat now bound to a cadre."""

    cadre: Cadre


@dataclass(frozen=True)
class OpenEvaluation:
    """One evaluation a chat still has to answer."""

    invitation: Invitation
    campaign: Campaign
    cadres: int
    state: str


def _code(secret_key: str, label: str) -> str:
    digest = hmac.new(secret_key.encode(), label.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:CODE_BYTES]).decode().rstrip("=")


def rater_payload(secret_key: str, invitation: Invitation) -> str:
    """The deep-link payload of a named invitation (33 characters of A-Za-z0-9_-)."""
    return RATER_PREFIX + _code(secret_key, f"telegram:{invitation.id}:{invitation.nonce}")


def cadre_payload(secret_key: str, binding: CadreChat) -> str:
    """The deep-link payload that binds a cadre's chat."""
    return CADRE_PREFIX + _code(secret_key, f"cadre:{binding.cadre_id}:{binding.nonce}")


def deep_link(bot_username: str, payload: str) -> str:
    """The ``t.me`` link that opens the bot with ``/start <payload>``."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


def telegram_links(
    *, session: Session, campaign: Campaign, secret_key: str, bot_username: str
) -> list[InvitationLink]:
    """Every named rater's bot deep link, creating binding codes on first export."""
    rows = session.exec(
        select(Invitation, Rater)
        .join(Rater, col(Rater.id) == Invitation.rater_id)
        .where(Invitation.campaign_id == campaign.id)
        .order_by(Rater.external_id)
    ).all()
    known = set(
        session.exec(
            select(RaterChat.invitation_id)
            .join(Invitation, col(Invitation.id) == RaterChat.invitation_id)
            .where(Invitation.campaign_id == campaign.id)
        ).all()
    )
    counts = cadre_counts(session, campaign)
    links = []
    for invitation, rater in rows:
        payload = rater_payload(secret_key, invitation)
        if invitation.id not in known:
            session.add(RaterChat(invitation_id=invitation.id, code_hash=hash_token(payload)))
        url = deep_link(bot_username, payload)
        links.append(InvitationLink.of(invitation, rater, counts.get(rater.id, 0), url))
    session.flush()
    return links


def cadre_links(
    *, session: Session, campaign: Campaign, secret_key: str, bot_username: str
) -> list[tuple[Cadre, str]]:
    """Each cadre of the campaign with the deep link that binds their chat."""
    links = []
    for cadre in campaign_cadres(session=session, campaign=campaign):
        binding = session.get(CadreChat, cadre.id)
        if binding is None:
            binding = CadreChat(cadre_id=cadre.id, nonce=secrets.token_hex(16), code_hash="")
            binding.code_hash = hash_token(cadre_payload(secret_key, binding))
            session.add(binding)
        links.append((cadre, deep_link(bot_username, cadre_payload(secret_key, binding))))
    session.flush()
    return links


def bind_chat(
    *, session: Session, payload: str, chat_id: int, now: datetime
) -> RaterBinding | CadreBinding:
    """Bind a chat with a deep-link payload, or raise BindRefused saying why not."""
    if not PAYLOAD.match(payload or ""):
        raise BindRefused("unknown")
    if payload.startswith(CADRE_PREFIX):
        return _bind_cadre(session, payload, chat_id)
    if payload.startswith(RATER_PREFIX):
        return _bind_rater(session, payload, chat_id, now)
    raise BindRefused("unknown")


def _find(session: Session, table: type, payload: str):
    wanted = hash_token(payload)
    row = session.exec(select(table).where(table.code_hash == wanted)).first()
    if row is None or not hmac.compare_digest(row.code_hash, wanted):
        raise BindRefused("unknown")
    return row


def _claim(session: Session, table: type, key_column, key: str, chat_id: int) -> None:
    """Set the chat only where none is set yet (one UPDATE, so two chats cannot both win)."""
    claimed = session.execute(
        sa.update(table)
        .where(key_column == key, sa.or_(table.chat_id.is_(None), table.chat_id == chat_id))
        .values(chat_id=chat_id)
    )
    if claimed.rowcount != 1:
        raise BindRefused("taken")


def _bind_rater(session: Session, payload: str, chat_id: int, now: datetime) -> RaterBinding:
    binding = _find(session, RaterChat, payload)
    invitation = session.get(Invitation, binding.invitation_id)
    campaign = session.get(Campaign, invitation.campaign_id)
    if invitation.status != "pending":
        raise BindRefused("used", campaign)
    if campaign_state(campaign, now) == "closed":
        raise BindRefused("expired", campaign)
    _claim(session, RaterChat, RaterChat.invitation_id, invitation.id, chat_id)
    return RaterBinding(invitation=invitation, campaign=campaign)


def _bind_cadre(session: Session, payload: str, chat_id: int) -> CadreBinding:
    binding = _find(session, CadreChat, payload)
    _claim(session, CadreChat, CadreChat.cadre_id, binding.cadre_id, chat_id)
    return CadreBinding(cadre=session.get(Cadre, binding.cadre_id))


def form_link(*, base_url: str, secret_key: str, invitation: Invitation) -> tuple[str, str]:
    """How a chat opens the web form: ("web_app", Mini App URL) under HTTPS, else ("url", link).

    Telegram opens Mini Apps only over HTTPS; elsewhere the button is the
    rater's ordinary form link.
    """
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        return "web_app", f"{base}/app/{invitation.id}"
    return "url", form_url(base, derive_token(secret_key, invitation.id, invitation.nonce))


def open_evaluations(*, session: Session, chat_id: int, now: datetime) -> list[OpenEvaluation]:
    """The chat's pending evaluations of campaigns that have not closed, soonest deadline first."""
    rows = session.exec(
        select(Invitation, Campaign)
        .join(RaterChat, col(RaterChat.invitation_id) == Invitation.id)
        .join(Campaign, col(Campaign.id) == Invitation.campaign_id)
        .where(RaterChat.chat_id == chat_id, Invitation.status == "pending")
        .order_by(Campaign.closes_at, Campaign.name)
    ).all()
    found = []
    for invitation, campaign in rows:
        state = campaign_state(campaign, now)
        if state == "closed":
            continue
        count = len(assigned_cadres(session=session, invitation=invitation, campaign=campaign))
        found.append(OpenEvaluation(invitation, campaign, count, state))
    return found


def chat_invitation(*, session: Session, chat_id: int, invitation_id: str) -> Invitation | None:
    """The invitation, if this chat is the one bound to it."""
    binding = session.get(RaterChat, invitation_id)
    if binding is None or binding.chat_id != chat_id:
        return None
    return session.get(Invitation, invitation_id)


def bound_chat(*, session: Session, invitation_id: str) -> int | None:
    """The chat bound to an invitation, if any (the Mini App checks the Telegram user)."""
    binding = session.get(RaterChat, invitation_id)
    return binding.chat_id if binding else None


def chat_cadres(*, session: Session, chat_id: int) -> list[Cadre]:
    """The cadres whose results this chat receives."""
    return list(
        session.exec(
            select(Cadre)
            .join(CadreChat, col(CadreChat.cadre_id) == Cadre.id)
            .where(CadreChat.chat_id == chat_id)
            .order_by(Cadre.external_id)
        ).all()
    )


def chat_settings(*, session: Session, chat_id: int) -> TelegramChat:
    """The chat's stored settings (a fresh, unsaved row when the chat is new)."""
    return session.get(TelegramChat, chat_id) or TelegramChat(chat_id=chat_id)


def set_chat_locale(*, session: Session, chat_id: int, locale: str) -> None:
    """Remember the language the chat chose with /language."""
    settings = chat_settings(session=session, chat_id=chat_id)
    settings.locale = locale
    session.add(settings)
    session.flush()


def remember_language(*, session: Session, chat_id: int, language: str | None) -> None:
    """Keep the language Telegram reports for the chat's user, for messages the bot starts."""
    if not language:
        return
    settings = chat_settings(session=session, chat_id=chat_id)
    if settings.language == language[:16]:
        return
    settings.language = language[:16]
    session.add(settings)
    session.flush()


def chat_locale(settings: TelegramChat) -> str:
    """The chat's language: the one it chose, else its user's Telegram language, else zh."""
    return settings.locale or best_locale(settings.language)


def set_reachable(*, session: Session, chat_id: int, reachable: bool) -> None:
    """Mark a chat unreachable (it blocked the bot) or reachable again (it wrote to us)."""
    settings = chat_settings(session=session, chat_id=chat_id)
    if settings.unreachable == (not reachable) and session.get(TelegramChat, chat_id):
        return
    settings.unreachable = not reachable
    session.add(settings)
    session.flush()


@dataclass(frozen=True)
class Draft:
    """Answers given in the chat so far, as the bot reads them (decrypted)."""

    invitation_id: str
    chat_id: int
    position: int
    answers: dict


def _draft_cipher(secret_key: str) -> ChaCha20Poly1305:
    """The drafts' cipher, keyed from the server's secret key (never in the database)."""
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"cadre chat drafts").derive(
        secret_key.encode()
    )
    return ChaCha20Poly1305(key)


def _opened(row: ChatDraft | None, secret_key: str) -> Draft | None:
    """A stored draft decrypted; one that no longer opens (a new secret key) is none."""
    if row is None:
        return None
    try:
        plain = _draft_cipher(secret_key).decrypt(
            row.sealed[:12], row.sealed[12:], row.invitation_id.encode()
        )
    except (InvalidTag, ValueError):
        return None
    return Draft(row.invitation_id, row.chat_id, row.position, json.loads(plain))


def load_draft(*, session: Session, invitation_id: str, secret_key: str) -> Draft | None:
    """The answers given in the chat so far for an invitation."""
    return _opened(session.get(ChatDraft, invitation_id), secret_key)


def has_draft(*, session: Session, invitation_id: str) -> bool:
    """Whether the chat has begun answering this invitation (nothing decrypted)."""
    return session.get(ChatDraft, invitation_id) is not None


def save_draft(
    *,
    session: Session,
    invitation_id: str,
    chat_id: int,
    position: int,
    answers: dict,
    now: datetime,
    secret_key: str,
) -> None:
    """Store the chat's answers (encrypted) and position, so a restart of the bot loses nothing."""
    nonce = secrets.token_bytes(12)
    plain = json.dumps(answers, ensure_ascii=False).encode()
    sealed = nonce + _draft_cipher(secret_key).encrypt(nonce, plain, invitation_id.encode())
    draft = session.get(ChatDraft, invitation_id) or ChatDraft(
        invitation_id=invitation_id, chat_id=chat_id, sealed=b"", updated_at=now
    )
    draft.position = position
    draft.sealed = sealed
    draft.updated_at = now
    session.add(draft)
    session.flush()


def latest_draft(*, session: Session, chat_id: int, secret_key: str) -> Draft | None:
    """The draft the chat touched last: where a typed comment belongs."""
    row = session.exec(
        select(ChatDraft)
        .where(ChatDraft.chat_id == chat_id)
        .order_by(col(ChatDraft.updated_at).desc())
    ).first()
    return _opened(row, secret_key)


def delete_draft(*, session: Session, invitation_id: str) -> None:
    """Forget the chat's answers once they are submitted (or abandoned)."""
    session.execute(sa.delete(ChatDraft).where(col(ChatDraft.invitation_id) == invitation_id))

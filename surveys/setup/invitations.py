"""Invitations: anonymous one-time links for named raters and meeting slips.

A named rater's token is derived from a random 128-bit nonce with the
server's secret key (HMAC-SHA256, 192 bits kept), so HR can print the same
link again while the database holds only the token's SHA-256 hash.  Anyone
holding the database but not the key can neither read nor rebuild a link.
Slip tokens are purely random and exist only on the printed slip.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from storage.models import Assignment, Cadre, Campaign, Invitation, Rater
from surveys.rules.messages import N_
from surveys.rules.rater_groups import UNKNOWN_GROUP, named_choices, named_group
from surveys.setup.campaigns import CampaignError, campaign_cadres

TOKEN_BYTES = 24


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derive_token(secret_key: str, invitation_id: str, nonce: str) -> str:
    """Rebuild a named invitation's token from its nonce and the secret key."""
    digest = hmac.new(
        secret_key.encode(), f"invitation:{invitation_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")


def random_token() -> str:
    """A fresh random token (192 bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def form_url(base_url: str, token: str) -> str:
    """The rater form's address for a token."""
    return f"{base_url.rstrip('/')}/r/{token}"


@dataclass(frozen=True)
class InvitationLink:
    """What HR needs to hand one link to one rater."""

    rater_id: str
    rater_name: str
    phone: str | None
    telegram: str | None
    cadres: int
    status: str
    url: str

    @classmethod
    def of(cls, invitation: Invitation, rater: Rater, cadres: int, url: str) -> InvitationLink:
        """The link of one rater's invitation, by web form or bot (the url differs)."""
        return cls(
            rater_id=rater.external_id,
            rater_name=rater.name,
            phone=rater.phone,
            telegram=rater.telegram,
            cadres=cadres,
            status=invitation.status,
            url=url,
        )


def issue_invitations(*, session: Session, campaign: Campaign, secret_key: str) -> int:
    """Create one invitation per assigned rater who has none yet; return how many."""
    raters = session.exec(
        select(Assignment.rater_id).where(Assignment.roster_id == campaign.roster_id).distinct()
    ).all()
    existing = set(
        session.exec(select(Invitation.rater_id).where(Invitation.campaign_id == campaign.id)).all()
    )
    created = 0
    for rater_id in sorted(set(raters) - existing):
        invitation = Invitation(
            campaign_id=campaign.id, rater_id=rater_id, nonce=secrets.token_hex(16), token_hash=""
        )
        token = derive_token(secret_key, invitation.id, invitation.nonce)
        invitation.token_hash = hash_token(token)
        session.add(invitation)
        created += 1
    session.flush()
    return created


def named_links(
    *, session: Session, campaign: Campaign, secret_key: str, base_url: str
) -> list[InvitationLink]:
    """Every named rater's link, rebuilt from the secret key, sorted by rater id."""
    rows = session.exec(
        select(Invitation, Rater)
        .join(Rater, Rater.id == Invitation.rater_id)
        .where(Invitation.campaign_id == campaign.id)
        .order_by(Rater.external_id)
    ).all()
    counts = cadre_counts(session, campaign)
    links = []
    for invitation, rater in rows:
        token = derive_token(secret_key, invitation.id, invitation.nonce)
        if not hmac.compare_digest(hash_token(token), invitation.token_hash):
            raise CampaignError(N_("the secret key has changed since the invitations were issued"))
        links.append(
            InvitationLink.of(invitation, rater, counts.get(rater.id, 0), form_url(base_url, token))
        )
    return links


def cadre_counts(session: Session, campaign: Campaign) -> dict[str, int]:
    """How many cadres each named rater of the campaign's roster rates, by rater id."""
    assignments = session.exec(
        select(Assignment.rater_id).where(Assignment.roster_id == campaign.roster_id)
    ).all()
    counts: dict[str, int] = {}
    for rater_id in assignments:
        counts[rater_id] = counts.get(rater_id, 0) + 1
    return counts


def issue_slips(*, session: Session, campaign: Campaign, group: str, count: int) -> list[str]:
    """Create ``count`` unnamed slips for a rater group; return their tokens once.

    Nothing links a slip to a person: the tokens are random, only their hashes
    are stored, and they are never shown again after printing.
    """
    key = named_group(group)
    if key is None:
        raise CampaignError(UNKNOWN_GROUP, {"group": group, "groups": named_choices()})
    group = key
    if not 1 <= count <= 2000:
        raise CampaignError(N_("the number of slips must be between 1 and 2000"))
    tokens = [random_token() for _ in range(count)]
    session.add_all(
        Invitation(campaign_id=campaign.id, group=group, token_hash=hash_token(token))
        for token in tokens
    )
    session.flush()
    return tokens


def find_invitation(*, session: Session, token: str) -> Invitation | None:
    """Look an invitation up by token; the hash is compared in constant time."""
    if not token or len(token) > 64:
        return None
    wanted = hash_token(token)
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == wanted)).first()
    if invitation is None or not hmac.compare_digest(invitation.token_hash, wanted):
        return None
    return invitation


def assigned_cadres(
    *, session: Session, invitation: Invitation, campaign: Campaign
) -> list[tuple[Cadre, str]]:
    """The cadres an invitation covers, each with the rater group to answer as.

    A slip covers every cadre of the roster in its group's name, which is
    how a meeting's democratic evaluation works.
    """
    if invitation.rater_id is None:
        cadres = campaign_cadres(session=session, campaign=campaign)
        return [(cadre, invitation.group or "subordinate") for cadre in cadres]
    rows = session.exec(
        select(Cadre, Assignment.group)
        .join(Assignment, Assignment.cadre_id == Cadre.id)
        .where(Assignment.rater_id == invitation.rater_id)
        .order_by(Cadre.unit, Cadre.external_id)
    ).all()
    return [(cadre, group) for cadre, group in rows]


def invitation_counts(*, session: Session, campaign: Campaign) -> dict[tuple[str, str], int]:
    """How many invitations per (kind, status); kind is 'named' or a slip's group."""
    return campaigns_invitation_counts(session=session, campaign_ids=[campaign.id]).get(
        campaign.id, {}
    )


def campaigns_invitation_counts(
    *, session: Session, campaign_ids: list[str]
) -> dict[str, dict[tuple[str, str], int]]:
    """``invitation_counts`` of several campaigns in one grouped query, by campaign id.

    The dashboard lists every campaign; one query each would grow with them.
    """
    if not campaign_ids:
        return {}
    is_slip = col(Invitation.rater_id).is_(None)
    rows = session.exec(
        select(Invitation.campaign_id, is_slip, Invitation.group, Invitation.status, func.count())
        .where(col(Invitation.campaign_id).in_(campaign_ids))
        .group_by(Invitation.campaign_id, is_slip, Invitation.group, Invitation.status)
    ).all()
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for campaign_id, slip, group, status, number in rows:
        key = (group if slip else "named", status)
        per_campaign = counts.setdefault(campaign_id, {})
        per_campaign[key] = per_campaign.get(key, 0) + number
    return counts

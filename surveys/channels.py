"""Public QR channels: a service window's code that members of the public scan."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from storage.models import Cadre, Campaign, PublicChannel
from surveys.campaigns import CampaignError, snapshot
from surveys.messages import N_


def public_url(base_url: str, slug: str) -> str:
    """The public form's address for a channel."""
    return f"{base_url.rstrip('/')}/p/{slug}"


def create_channel(
    *, session: Session, campaign: Campaign, name: str, cadre_ids: list[str]
) -> PublicChannel:
    """Open a public channel for one cadre or a service window of several.

    ``cadre_ids`` are the roster's own ids (as HR knows them).
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

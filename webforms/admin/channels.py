"""The HR console's window channels: open public QR channels, list them, print static codes.

Does what ``cadre channels create``, ``list``, ``display``, ``qr`` and
``status`` do, through ``surveys.setup.channels`` and ``surveys.setup.cards``:
the tallies page shows each window's submissions per hour and the bursts
``channel_flags`` finds, for every role (counts only, never who or what).
The CLI cannot disable a channel, so neither can the console (one rule,
two edges).

A static channel's public link carries no secret and is shown to every
role.  A rotating channel's display page link does carry one (whoever has
it can show the window's current code anywhere, and so rate), so only
writers see display links, as only ``create`` and ``display`` print them.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext

from storage.models import PublicChannel
from surveys.documents.qrcodes import FORMATS, write_qr_files
from surveys.setup.accounts import WRITERS
from surveys.setup.campaigns import CampaignError, campaign_state, time_zone
from surveys.setup.cards import channel_cards
from surveys.setup.channels import (
    BURST_MINIMUM,
    channel_cadre_labels,
    channel_flags,
    channel_tallies,
    create_channel,
    display_url,
    list_channels,
    parse_cadre_ids,
    public_url,
)
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required, roles_required
from webforms.admin.reports import campaign_message, campaign_or_404, download, file_stem
from webforms.admin.setup import PDF, cards_pdf, invitations_problem
from webforms.clock import current_time
from webforms.db import get_session

IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
# The largest --minimum the page takes: a burst threshold beyond it flags nothing anyway.
MAX_BURST_MINIMUM = 100_000


@dataclass(frozen=True)
class ChannelRow:
    """One channel as the page lists it."""

    channel: PublicChannel
    cadres: str
    public_link: str | None
    display_link: str


def channel_rows(campaign) -> list[ChannelRow]:
    """The campaign's channels with their cadres, public link (static only) and display link."""
    config = current_app.config
    db = get_session()
    labels = channel_cadre_labels(session=db, campaign=campaign)
    return [
        ChannelRow(
            channel=channel,
            cadres=", ".join(labels.get(i, "?") for i in channel.cadre_ids),
            public_link=None if channel.rotating else public_url(config["BASE_URL"], channel.slug),
            display_link=display_url(config["BASE_URL"], config["SECRET_KEY"], channel.slug),
        )
        for channel in list_channels(session=db, campaign=campaign)
    ]


def channels_page(campaign, status: int = 200, error: str | None = None, entered=None):
    """The channels page, with a creation problem and what was typed when there is one."""
    return admin_page(
        "admin/setup_channels.html",
        status,
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        rows=channel_rows(campaign),
        cadre_labels=sorted(
            channel_cadre_labels(session=get_session(), campaign=campaign).values()
        ),
        error=error,
        entered=entered or {"name": "", "cadres": "", "static": ""},
    )


@bp.get("/campaigns/<campaign_id>/channels", endpoint="channels")
@login_required
def channels(campaign_id: str):
    """The campaign's window channels; writers also get the creation form and display links."""
    return channels_page(campaign_or_404(campaign_id))


@bp.post("/campaigns/<campaign_id>/channels", endpoint="create_channel")
@roles_required(*WRITERS)
def create(campaign_id: str):
    """Open a public channel for one cadre or a window of several (``cadre channels create``)."""
    campaign = campaign_or_404(campaign_id)
    entered = {key: request.form.get(key, "") for key in ("name", "cadres", "static")}
    db = get_session()
    try:
        channel = create_channel(
            session=db,
            campaign=campaign,
            name=entered["name"],
            cadre_ids=parse_cadre_ids(entered["cadres"]),
            rotating=not entered["static"],
        )
    except CampaignError as error:
        db.rollback()
        return channels_page(campaign, 422, campaign_message(error), entered)
    db.commit()
    flash(gettext("Created the public channel %(name)s.", name=channel.name))
    return redirect(url_for("admin.channels", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<campaign_id>/channels/cards.pdf", endpoint="channel_cards")
@roles_required(*WRITERS)
def cards(campaign_id: str):
    """The static channels' QR codes (``cadre channels qr [--channel X] --out x.pdf|folder``).

    ``format`` is ``pdf`` (a sheet of cards, the default), ``png`` or ``svg``
    (one image, or a zip of one per channel, as the CLI's folder); ``channel``
    picks one channel by its code.
    """
    campaign = campaign_or_404(campaign_id)
    fmt = request.form.get("format", "pdf") or "pdf"
    if fmt not in ("pdf", *FORMATS):
        return invitations_problem(
            campaign, 400, gettext("Unknown format %(format)s.", format=fmt[:20])
        )
    channels_ = list_channels(session=get_session(), campaign=campaign)
    slug = request.form.get("channel", "").strip()
    if slug:
        channels_ = [channel for channel in channels_ if channel.slug == slug]
        if not channels_:
            return invitations_problem(
                campaign,
                404,
                gettext("This campaign has no public channel %(slug)s.", slug=slug[:40]),
            )
    base_url = current_app.config["BASE_URL"]
    printed = channel_cards(gettext, campaign, channels_, base_url)
    if not printed:
        return invitations_problem(
            campaign,
            422,
            gettext(
                "These channels' codes change every few minutes, so there is nothing to print: "
                "show their display pages at the windows, or open a static channel for a "
                "printed code."
            ),
        )
    stem = f"{file_stem(campaign)}-channels"
    if fmt == "pdf":
        return download(cards_pdf(printed), PDF, f"{stem}.pdf")
    named = [
        (channel.name, public_url(base_url, channel.slug))
        for channel in channels_
        if not channel.rotating
    ]
    return image_download(named, fmt, stem)


def image_download(named: list[tuple[str, str]], fmt: str, stem: str):
    """One QR image, or a zip of one per channel (the files ``write_qr_files`` writes)."""
    with tempfile.TemporaryDirectory() as folder:
        paths = write_qr_files(Path(folder), named, fmt)
        if len(paths) == 1:
            return download(paths[0].read_bytes(), IMAGE_TYPES[fmt], f"{stem}.{fmt}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in paths:
                archive.write(file, file.name)
    return download(buffer.getvalue(), "application/zip", f"{stem}-{fmt}.zip")


# --- tallies and bursts (``cadre channels status``) -----------------------------------------


def burst_minimum(text: str | None) -> int:
    """The ``minimum`` HR typed (default ``BURST_MINIMUM``); ValueError with a message if bad."""
    if text is None or not text.strip():
        return BURST_MINIMUM
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_BURST_MINIMUM:
        raise ValueError(
            gettext(
                "The burst threshold must be a whole number from 1 to %(largest)s.",
                largest=MAX_BURST_MINIMUM,
            )
        )
    return int(text)


@bp.get("/campaigns/<campaign_id>/channels/tallies", endpoint="channel_tallies")
@login_required
def tallies(campaign_id: str):
    """Public submissions per channel and hour and the bursts to check, as the CLI prints them."""
    campaign = campaign_or_404(campaign_id)
    entered = request.args.get("minimum", "")[:12]
    status, error = 200, None
    try:
        minimum = burst_minimum(entered)
    except ValueError as problem:
        status, error, minimum = 400, str(problem), BURST_MINIMUM
    now = current_time()
    db = get_session()
    rows = channel_tallies(session=db, campaign=campaign, now=now)
    flags = channel_flags(session=db, campaign=campaign, now=now, minimum=minimum)
    zone = time_zone(campaign.timezone)
    return admin_page(
        "admin/channel_tallies.html",
        status,
        campaign=campaign,
        state=campaign_state(campaign, now),
        states=state_labels(),
        rows=[(row, f"{row.hour.astimezone(zone):%Y-%m-%d %H:00}") for row in rows],
        bursts=[gettext(flag.message, **flag.values) for flag in flags],
        minimum=minimum,
        entered=entered if error else str(minimum),
        error=error,
    )

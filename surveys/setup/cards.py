"""What gets printed or exported for a campaign: invitation cards, meeting slips, links CSV.

The CLI and the HR console both build their files here, so a QR sheet or
a links file looks the same whichever made it.  Texts are translated by
the caller's ``_`` (``_(message, **values)``: the CLI's ``ctx._`` or
Flask-Babel's ``gettext``), since each edge knows its reader's language.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.models import Campaign, PublicChannel
from surveys.documents.qrcodes import Card
from surveys.rules.cells import cell_text, printable
from surveys.rules.rater_groups import label_id, named_keys
from surveys.setup.channels import public_url
from surveys.setup.invitations import InvitationLink, form_url, issue_slips

Translate = Callable[..., str]
SLIP_GROUPS = named_keys()  # meeting slips: for named groups only
CSV_COLUMNS = ("rater_id", "rater_name", "phone", "telegram", "cadres", "status", "link")
# Excel reads a UTF-8 file without it as the local code page, garbling Chinese names.
UTF8_BOM = "\ufeff"


def group_label(_: Translate, group: str) -> str:
    """A rater group's name in the reader's language."""
    return _(label_id(group))


def deadline_text(_: Translate, campaign: Campaign) -> str:
    """'Deadline: 2026-12-10 18:00', in the campaign's own time zone."""
    closes = campaign.closes_at.astimezone(ZoneInfo(campaign.timezone))
    return _("Deadline: %(when)s", when=f"{closes:%Y-%m-%d %H:%M}")


def campaign_footer(_: Translate, campaign: Campaign) -> str:
    """The footer of a printed invitation card: campaign name and deadline."""
    return f"{campaign.name} · {deadline_text(_, campaign)}"


def rater_card(_: Translate, campaign: Campaign, link: InvitationLink) -> Card:
    """A named rater's card: who it is for, how many cadres, the link."""
    return Card(
        title=f"{link.rater_name} ({link.rater_id})",
        subtitle=_("Cadres to rate: %(count)s", count=link.cadres),
        url=link.url,
        footer=campaign_footer(_, campaign),
    )


def slip_cards(_: Translate, campaign: Campaign, group: str, urls: list[str]) -> list[Card]:
    """Numbered slip cards; the numbers only help count them at the meeting."""
    label = group_label(_, group)
    return [
        Card(
            title=_("Anonymous ballot slip %(number)s", number=number),
            subtitle=_("Rater group: %(group)s", group=label),
            url=url,
            footer=campaign_footer(_, campaign),
        )
        for number, url in enumerate(urls, start=1)
    ]


def channel_cards(
    _: Translate, campaign: Campaign, channels: list[PublicChannel], base_url: str
) -> list[Card]:
    """Printed cards of static channels (a rotating channel's code would be refused)."""
    return [
        Card(
            title=channel.name,
            subtitle=_("Scan to rate our service"),
            url=public_url(base_url, channel.slug),
            footer=campaign.name,
        )
        for channel in channels
        if not channel.rotating
    ]


def issue_slip_urls(
    *, session: Session, campaign: Campaign, group: str, count: int, base_url: str
) -> list[str]:
    """Issue ``count`` slips and return their form addresses in a random order.

    The printed numbers then say nothing of the order the slips were stored
    in.  The addresses exist only in what the caller prints.
    """
    tokens = issue_slips(session=session, campaign=campaign, group=group, count=count)
    secrets.SystemRandom().shuffle(tokens)
    return [form_url(base_url, token) for token in tokens]


def links_csv(links: list[InvitationLink]) -> str:
    """The links as CSV text with a header row (Excel's CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for link in links:
        writer.writerow(
            [
                cell_text(link.rater_id),
                cell_text(link.rater_name),
                printable(link.phone or ""),  # +86 stays a phone number
                cell_text(link.telegram or ""),
                link.cadres,
                link.status,
                link.url,
            ]
        )
    return buffer.getvalue()

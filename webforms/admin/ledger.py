"""The HR console's ledger status and audit trail pages.

The ledger page shows what ``cadre ledger checkpoint`` and ``cadre ledger
verify`` print, from the same ``surveys.sealing.ballot_ledger.verify_campaign``
with this server's own key: the ledger's size and root, each signed
checkpoint, whom they name as signer, and every ballot that no longer
matches.  Like the command without ``--public-key``, it says that the
server's own key is not an independent pin.  The audit trail page is the
campaign's recorded steps, as on the results page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from storage.models import Campaign, LedgerCheckpoint
from surveys.rules.messages import N_
from surveys.sealing.ballot_ledger import checkpoints, server_public_key, verify_campaign
from surveys.setup.campaigns import campaign_state
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required
from webforms.admin.reports import campaign_or_404, event_rows, ledger_key
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale

# The words of ``cadre ledger verify`` for each kind of change and for the key's verdict.
KINDS = {
    "edited": N_("edited"),
    "deleted": N_("deleted"),
    "inserted": N_("inserted"),
    "reordered": N_("reordered"),
}
KEY_VERDICTS = {
    True: N_("Every checkpoint was signed by this key."),
    False: N_("Not every checkpoint was signed by this key."),
    None: N_("There is no checkpoint to check this key against."),
}
CHECKPOINT_KINDS = {"close": N_("At the opening"), "publication": N_("At publication")}


@dataclass(frozen=True)
class LedgerStatus:
    """The verification as HR reads it: figures, sentences, and whether all is well."""

    size: int
    root: str
    fingerprint: str | None
    verdict: str | None
    findings: list[str]
    checkpoints: list[LedgerCheckpoint]
    intact: bool
    key_problem: str | None = None


def server_key() -> tuple[bytes | None, str | None]:
    """This server's public key, or the reason there is none (never created here).

    A key made on the spot has signed nothing, so, as ``cadre ledger verify``
    does, the page reads the key without creating it.
    """
    path = ledger_key()
    if path is None:
        return None, gettext("This server has no ledger signing key configured.")
    try:
        key = server_public_key(path)
    except (OSError, ValueError) as error:
        return None, gettext("Cannot read the ledger key %(path)s: %(error)s", path=str(path),
                             error=str(error))  # fmt: skip
    if key is None:
        return None, gettext("There is no ledger key at %(path)s.", path=str(path))
    return key, None


def ledger_status(campaign: Campaign) -> LedgerStatus:
    """Verify the campaign's ballots against its ledger and put the outcome into words."""
    session = get_session()
    key, problem = server_key()
    report = verify_campaign(session=session, campaign=campaign, public_key_pem=key)
    findings = [gettext(note, **getattr(note, "values", {})) for note in report.notes]
    findings += [
        f"{gettext(KINDS[item.kind])}: {gettext(item.detail, **item.values)}"
        for item in report.problems
    ]
    return LedgerStatus(
        size=report.size,
        root=report.root,
        fingerprint=report.key_fingerprint,
        verdict=gettext(KEY_VERDICTS[report.key_matches]) if key is not None else None,
        findings=findings,
        checkpoints=checkpoints(session=session, campaign_id=campaign.id),
        intact=report.intact,
        key_problem=problem,
    )


@bp.get("/campaigns/<campaign_id>/ledger", endpoint="ledger")
@login_required
def ledger_view(campaign_id: str):
    """The ledger's status: what ``cadre ledger verify`` reports, for reading only."""
    campaign = campaign_or_404(campaign_id)
    return admin_page(
        "admin/ledger.html",
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        ledger=ledger_status(campaign),
        checkpoint_kinds={kind: gettext(label) for kind, label in CHECKPOINT_KINDS.items()},
    )


@bp.get("/campaigns/<campaign_id>/audit", endpoint="audit")
@login_required
def audit_view(campaign_id: str):
    """Every recorded step of the campaign, oldest first, whether the box is open or not."""
    campaign = campaign_or_404(campaign_id)
    return admin_page(
        "admin/audit.html",
        campaign=campaign,
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        events=event_rows(get_session(), campaign, current_locale()),
    )

"""The HR console's ledger status and audit trail pages.

The ledger page shows what ``cadre ledger checkpoint`` and ``cadre ledger
verify`` print, from the same ``surveys.sealing.ballot_ledger.verify_campaign``
with this server's own key: the ledger's size and root, each signed
checkpoint, whom they name as signer, and every ballot that no longer
matches.  Like the command without ``--public-key``, it says that the
server's own key is not an independent pin.  The audit trail page is the
campaign's recorded steps, as on the results page.

It also does the rest of ``cadre ledger``: the export to publish with the
results (``export``) and this server's public key with its fingerprint
(``key``) are downloads for every role; creating the key pair before the
first checkpoint (so it can be published at the campaign's start) is for
writers.  The ledger check is ``verify --published --public-key --shared``:
HR or an auditor uploads the published export and the published key, and
asks for the shared database's summary (the one the server is configured
with, as ``CADRE_SHARED_DATABASE_URL`` names it for the CLI, or an
uploaded SQLite copy of it); the page shows each check passed or failed
with its reasons.  The check only reads, so auditors may run it
(``READ_ONLY_POSTS``).  Files are read by ``surveys.sealing.ledger_files``;
a file that is not what it claims to be is refused with a 4xx and its
reason.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext

from storage.engine import make_engine
from storage.models import Campaign, LedgerCheckpoint
from storage.shared import read_summaries
from surveys.results.summaries import audit_shared
from surveys.rules.messages import N_
from surveys.sealing.ballot_box import BoxSealed
from surveys.sealing.ballot_ledger import (
    KEY_VERDICTS,
    PROBLEM_KINDS,
    checkpoints,
    export_ledger,
    server_public_key,
    signing_key,
    verify_campaign,
)
from surveys.sealing.ledger import key_fingerprint
from surveys.sealing.ledger_files import (
    LedgerFileError,
    PublishedLedger,
    read_public_key,
    read_published,
)
from surveys.setup.accounts import WRITERS
from surveys.setup.campaigns import campaign_state
from webforms.admin.accounts import admin_page, bp, state_labels
from webforms.admin.hr_auth import login_required, roles_required
from webforms.admin.reports import campaign_or_404, download, event_rows, file_stem, ledger_key
from webforms.clock import current_time
from webforms.db import get_session
from webforms.i18n import current_locale

CHECKPOINT_KINDS = {"close": N_("At the opening"), "publication": N_("At publication")}
# Posts that only read (every signed-in role may make them); every other post needs a writer.
READ_ONLY_POSTS = frozenset({"admin.ledger_check"})
# An export is ~70 bytes a ballot: room for over a million ballots, far beyond the answers' limit.
MAX_LEDGER_UPLOAD = 96 * 1024 * 1024
JSON = "application/json"
PEM = "application/x-pem-file"
SQLITE_HEADER = b"SQLite format 3\x00"


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
        f"{gettext(PROBLEM_KINDS[item.kind])}: {gettext(item.detail, **item.values)}"
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


def ledger_page(campaign: Campaign, status: int = 200, **more):
    """The ledger page, with a check's outcome or a refused upload when there is one."""
    key, _problem = server_key()
    return admin_page(
        "admin/ledger.html",
        status,
        campaign=campaign,
        server_fingerprint=key_fingerprint(key) if key is not None else None,
        can_create_key=key is None and ledger_key() is not None,
        shared_configured=bool(current_app.config.get("SHARED_DATABASE_URL")),
        state=campaign_state(campaign, current_time()),
        states=state_labels(),
        ledger=ledger_status(campaign),
        checkpoint_kinds={kind: gettext(label) for kind, label in CHECKPOINT_KINDS.items()},
        **more,
    )


@bp.get("/campaigns/<campaign_id>/ledger", endpoint="ledger")
@login_required
def ledger_view(campaign_id: str):
    """The ledger's status: what ``cadre ledger verify`` reports, for reading only."""
    return ledger_page(campaign_or_404(campaign_id))


# --- downloads and the key (``cadre ledger export``, ``cadre ledger key``) -----------------


@bp.get("/campaigns/<campaign_id>/ledger/export.json", endpoint="ledger_export")
@login_required
def ledger_export(campaign_id: str):
    """The ledger's leaves and latest checkpoint as JSON, to publish with the results."""
    campaign = campaign_or_404(campaign_id)
    data = export_ledger(session=get_session(), campaign=campaign)
    body = json.dumps(data, indent=1).encode("utf-8")
    return download(body, JSON, f"{file_stem(campaign)}-ledger.json")


@bp.get("/campaigns/<campaign_id>/ledger/key.pem", endpoint="ledger_public_key")
@login_required
def ledger_public_key(campaign_id: str):
    """This server's public key, as ``cadre ledger key`` prints it (never created here)."""
    campaign = campaign_or_404(campaign_id)
    key, problem = server_key()
    if key is None:
        return ledger_page(campaign, 404, error=problem)
    return download(key, PEM, "ledger-public-key.pem")


@bp.post("/campaigns/<campaign_id>/ledger/key", endpoint="create_ledger_key")
@roles_required(*WRITERS)
def create_ledger_key(campaign_id: str):
    """Make the signing key pair before any checkpoint, so its public half can be published."""
    campaign = campaign_or_404(campaign_id)
    path = ledger_key()
    if path is None:
        return ledger_page(
            campaign, 409, error=gettext("This server has no ledger signing key configured.")
        )
    try:
        existed = server_public_key(path) is not None
        public = signing_key(path)
    except (OSError, ValueError) as error:
        return ledger_page(
            campaign,
            409,
            error=gettext(
                "Cannot read the ledger key %(path)s: %(error)s", path=str(path), error=str(error)
            ),
        )
    if existed:
        flash(gettext("The ledger key already exists; it was not replaced."))
    flash(gettext("Fingerprint (SHA-256): %(fingerprint)s", fingerprint=key_fingerprint(public)))
    return redirect(url_for("admin.ledger", campaign_id=campaign.id) + "#key", code=303)


# --- the check (``cadre ledger verify --published --public-key --shared``) -----------------


class UploadRefused(ValueError):
    """A file the check cannot use; the message is already in the reader's language."""


@dataclass
class Check:
    """One check as HR reads it: what was checked, whether it passed, and why not."""

    title: str
    passed: bool
    reasons: list[str] = field(default_factory=list)
    verdict: str = ""


@dataclass
class CheckOutcome:
    """Every check of one run, and what was given to it."""

    checks: list[Check]
    size: int
    root: str
    fingerprint: str | None
    pinned: bool

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(check.passed for check in self.checks)


def allow_ledger_uploads(state) -> None:
    """Let the ledger check receive exports larger than answers, before anything reads the form.

    The CSRF and NUL checks read the form in their own request hooks under
    the app's 256 KB limit for answers; this hook runs before them.
    """
    state.app.before_request_funcs.setdefault(None, []).insert(0, raise_ledger_limit)


def raise_ledger_limit() -> None:
    """The ledger check alone may receive up to ``MAX_LEDGER_UPLOAD``."""
    if request.endpoint == "admin.ledger_check":
        request.max_content_length = MAX_LEDGER_UPLOAD


bp.record_once(allow_ledger_uploads)


def uploaded(name: str) -> bytes | None:
    """The bytes of an uploaded file field, or None when none was chosen."""
    storage = request.files.get(name)
    if storage is None or not storage.filename:
        return None
    return storage.read()


def refused(error: LedgerFileError) -> UploadRefused:
    """A domain refusal of a file, in the reader's language."""
    return UploadRefused(gettext(error.message, **error.values))


def read_uploads(campaign: Campaign) -> tuple[PublishedLedger | None, bytes | None]:
    """The published export and the pinned key, if given; ``UploadRefused`` when unusable."""
    try:
        published = uploaded("published")
        key = uploaded("public_key")
        ledger = None if published is None else read_published(published, campaign_id=campaign.id)
        pinned = None if key is None else read_public_key(key)
    except LedgerFileError as error:
        raise refused(error) from None
    return ledger, pinned


def shared_check(campaign: Campaign) -> Check | None:
    """The shared summary against the ballots, when asked for; ``UploadRefused`` if unusable.

    An uploaded SQLite copy is opened read-only from a private temporary
    file; otherwise the configured shared database is read, as the CLI does.
    """
    copy = uploaded("shared_copy")
    if copy is None and not request.form.get("shared"):
        return None
    title = gettext("The shared database's summary against these ballots")
    if copy is not None:
        differences = copy_differences(campaign, copy)
    else:
        url = current_app.config.get("SHARED_DATABASE_URL")
        if not url:
            raise UploadRefused(
                gettext(
                    "This server has no shared database configured (CADRE_SHARED_DATABASE_URL); "
                    "upload a copy of it instead."
                )
            )
        engine = make_engine(url)
        try:
            differences = summary_differences(campaign, engine)
        except sa.exc.SQLAlchemyError:
            raise UploadRefused(
                gettext("The shared database cannot be read; check CADRE_SHARED_DATABASE_URL.")
            ) from None
        finally:
            engine.dispose()
    reasons = [
        gettext(
            "Shared summary of %(cadre)s: %(field)s is %(stored)s; ballots give %(computed)s",
            cadre=cadre_id,
            field=name,
            stored=stored,
            computed=recomputed,
        )
        for cadre_id, name, stored, recomputed in differences
    ]
    return Check(
        title=title,
        passed=not reasons,
        reasons=reasons,
        verdict=gettext("The shared summary was computed from exactly these ballots."),
    )


def summary_differences(campaign: Campaign, engine: sa.Engine) -> list[tuple]:
    """``audit_shared`` against one shared database; ``UploadRefused`` while the box is sealed."""
    try:
        return audit_shared(session=get_session(), campaign=campaign, shared_engine=engine)
    except BoxSealed as error:
        raise UploadRefused(gettext(error.message, **error.values)) from None


def copy_differences(campaign: Campaign, copy: bytes) -> list[tuple]:
    """The differences against an uploaded SQLite copy of the shared database."""
    not_a_copy = gettext(
        "The shared database copy is not a SQLite database with the shared summary table "
        "(cadre_summary)."
    )
    if not copy.startswith(SQLITE_HEADER):
        raise UploadRefused(not_a_copy)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shared.sqlite"
        path.write_bytes(copy)
        engine = sa.create_engine(
            "sqlite://", creator=lambda: untrusted_sqlite(path), poolclass=sa.NullPool
        )
        try:
            if not read_summaries(engine, campaign.id):
                raise UploadRefused(
                    gettext(
                        "The shared database copy holds no summary of this campaign: it is "
                        "another campaign's, or the results were not pushed to it."
                    )
                )
            return summary_differences(campaign, engine)
        except sa.exc.SQLAlchemyError:
            raise UploadRefused(not_a_copy) from None
        finally:
            engine.dispose()


def untrusted_sqlite(path: Path) -> sqlite3.Connection:
    """A read-only connection to an uploaded file whose schema may not run any function.

    ``trusted_schema=OFF`` stops views and triggers in a hostile file from
    calling functions with side effects; the file is opened read-only.
    """
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    connection.execute("PRAGMA trusted_schema=OFF")
    return connection


def run_checks(campaign: Campaign) -> CheckOutcome:
    """Verify the ballots as ``cadre ledger verify`` does, with what was uploaded."""
    published, pinned = read_uploads(campaign)
    server, _problem = server_key()
    key = pinned if pinned is not None else server
    known = [server] if pinned is not None and server is not None else []
    report = verify_campaign(
        session=get_session(),
        campaign=campaign,
        public_key_pem=key,
        published=published.leaves if published is not None else None,
        known_keys=known,
    )
    key_reasons = [gettext(note, **getattr(note, "values", {})) for note in report.notes]
    checks = [
        Check(
            title=gettext("The signed checkpoints and their key"),
            passed=not key_reasons and report.key_matches is not False,
            reasons=key_reasons,
            verdict=gettext(KEY_VERDICTS[report.key_matches]),
        )
    ]
    ballot_reasons = []
    if published is not None and (finding := published.finding()) is not None:
        message, values = finding
        ballot_reasons.append(gettext(message, **values))
    ballot_reasons += [
        f"{gettext(PROBLEM_KINDS[item.kind])}: {gettext(item.detail, **item.values)}"
        for item in report.problems
    ]
    checks.append(
        Check(
            title=gettext("The stored ballots against the published ledger file")
            if published is not None
            else gettext("The stored ballots against the ledger"),
            passed=not ballot_reasons,
            reasons=ballot_reasons,
            verdict=gettext("Every ballot matches the ledger."),
        )
    )
    shared = shared_check(campaign)
    if shared is not None:
        checks.append(shared)
    return CheckOutcome(
        checks=checks,
        size=report.size,
        root=report.root,
        fingerprint=report.key_fingerprint,
        pinned=pinned is not None,
    )


@bp.post("/campaigns/<campaign_id>/ledger/check", endpoint="ledger_check")
@login_required
def ledger_check(campaign_id: str):
    """Check the ballots against uploaded files; it only reads, so every role may run it."""
    campaign = campaign_or_404(campaign_id)
    try:
        outcome = run_checks(campaign)
    except UploadRefused as problem:
        get_session().rollback()
        return ledger_page(campaign, 422, error=str(problem))
    return ledger_page(campaign, check=outcome)


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

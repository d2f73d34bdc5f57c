"""``cadre ledger``: the tamper-evident record of a campaign's ballots."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cadre.cli import Context, fail, pass_context
from cadre.commands.invitations import cannot_write
from surveys.notification.publication import close_checkpoint
from surveys.results.summaries import audit_shared
from surveys.sealing.ballot_ledger import (
    KEY_VERDICTS,
    PROBLEM_KINDS,
    export_ledger,
    server_public_key,
    signing_key,
    verify_campaign,
)
from surveys.sealing.ledger import key_fingerprint
from surveys.sealing.ledger_files import LedgerFileError, read_published
from surveys.setup.campaigns import get_campaign


@click.group("ledger")
def ledger_group() -> None:
    """The campaign ledger: signed checkpoints, export and verification."""


@ledger_group.command("key")
@pass_context
def key_command(ctx: Context) -> None:
    """Print the public key that verifies checkpoints (creating the key pair on first use).

    The PEM goes to standard output, so ``cadre ledger key > key.pem`` gives
    the file an auditor passes to ``verify --public-key``; the fingerprint
    goes to standard error, for reading out or printing with the results.
    """
    public = signing_key(ctx.settings.resolved_ledger_key())
    click.echo(public.decode("ascii"), nl=False)
    click.echo(
        ctx._("Fingerprint (SHA-256): %(fingerprint)s", fingerprint=key_fingerprint(public)),
        err=True,
    )


@ledger_group.command("checkpoint")
@click.argument("campaign_id", metavar="CAMPAIGN")
@pass_context
def checkpoint_command(ctx: Context, campaign_id: str) -> None:
    """Show the checkpoint signed when the campaign's ballot box was opened."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        row = close_checkpoint(session=session, campaign=campaign)
        if row is None:
            raise fail(ctx, "The ballot box is still sealed; its ledger is signed when it opens.")
        click.echo(
            ctx._("Checkpoint: %(size)s ballots, root %(root)s", size=row.size, root=row.root)
        )


@ledger_group.command("export")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def export_command(ctx: Context, campaign_id: str, out: Path) -> None:
    """Write the ledger's leaves and latest checkpoint as JSON, to publish with the results."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        data = export_ledger(session=session, campaign=campaign)
    try:
        out.write_text(json.dumps(data, indent=1), encoding="utf-8")
    except OSError as error:
        raise cannot_write(ctx, out, error) from None
    click.echo(
        ctx._("Wrote the ledger of %(size)s ballots to %(path)s", size=data["size"], path=str(out))
    )


def published_leaves(ctx: Context, path: Path, campaign_id: str) -> list[bytes]:
    """The leaves of a published export of this campaign, read as the console reads it.

    A file that is not this campaign's export exits 2; one whose own root no
    longer matches its leaves (changed after export) exits 1 with the reason.
    """
    try:
        ledger = read_published(path.read_bytes(), campaign_id=campaign_id)
    except LedgerFileError as error:
        raise fail(ctx, error.message, **error.values) from None
    finding = ledger.finding()
    if finding is not None:
        message, values = finding
        click.echo(ctx._(message, **values))
        raise SystemExit(1)
    return ledger.leaves


@ledger_group.command("verify")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option(
    "--published",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A ledger file published with the results, to compare against.",
)
@click.option(
    "--shared",
    is_flag=True,
    help="Also check that the shared database's summary was computed from these ballots.",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The public key PEM published for the campaign, to pin (default: this server's key).",
)
@pass_context
def verify_command(
    ctx: Context, campaign_id: str, published: Path | None, shared: bool, public_key: Path | None
) -> None:
    """Check every stored ballot against the ledger; exit code 1 names what changed.

    Pass the key published at campaign creation with --public-key: this
    server's own key proves nothing to an auditor if the server is what was
    tampered with (someone could have replaced the key and re-signed).
    """
    key, known = verifying_keys(ctx, public_key)
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        baseline = published_leaves(ctx, published, campaign.id) if published else None
        report = verify_campaign(
            session=session,
            campaign=campaign,
            public_key_pem=key,
            published=baseline,
            known_keys=known,
        )
        differences = shared_differences(ctx, session, campaign) if shared else []
    click.echo(ctx._("Ledger: %(size)s ballots, root %(root)s", size=report.size, root=report.root))
    fingerprint = report.key_fingerprint
    if public_key is not None:
        click.echo(
            ctx._(
                "Checkpoint key %(fingerprint)s, pinned with --public-key.", fingerprint=fingerprint
            )
        )
    else:
        click.echo(
            ctx._(
                "Checkpoint key %(fingerprint)s: this server's own key, not independently pinned; "
                "compare it with the key published for the campaign, or pass that key with "
                "--public-key.",
                fingerprint=fingerprint,
            )
        )
    click.echo(ctx._(KEY_VERDICTS[report.key_matches]))
    for note in report.notes:
        click.echo(ctx._(note, **getattr(note, "values", {})))
    for problem in report.problems:
        kind = ctx._(PROBLEM_KINDS[problem.kind])
        click.echo(f"{kind}: {ctx._(problem.detail, **problem.values)}")
    for cadre_id, name, stored, recomputed in differences:
        click.echo(
            ctx._(
                "Shared summary of %(cadre)s: %(field)s is %(stored)s; ballots give %(computed)s",
                cadre=cadre_id,
                field=name,
                stored=stored,
                computed=recomputed,
            )
        )
    if not report.intact or differences:
        raise SystemExit(1)
    click.echo(ctx._("Every ballot matches the ledger."))
    if shared:
        click.echo(ctx._("The shared summary was computed from exactly these ballots."))


def verifying_keys(ctx: Context, public_key: Path | None) -> tuple[bytes, list[bytes]]:
    """The key to verify with, and other keys that may name a checkpoint's signer.

    With --public-key the auditor's copy is pinned and this server's key,
    when readable, only names the signer of a checkpoint it did sign.
    Without it, the server's key is used as it is, never created here: a
    key made on the spot has signed nothing.
    """
    path = ctx.settings.resolved_ledger_key()
    try:
        server = server_public_key(path)
    except (OSError, ValueError) as error:
        if public_key is None:
            raise fail(
                ctx,
                "Cannot read the ledger key %(path)s: %(error)s",
                path=str(path),
                error=str(error),
            ) from None
        server = None
    if public_key is None:
        if server is None:
            raise fail(
                ctx,
                "There is no ledger key at %(path)s; pass the key published for the campaign "
                "with --public-key.",
                path=str(path),
            )
        return server, []
    pinned = public_key.read_bytes()
    try:
        key_fingerprint(pinned)
    except ValueError:
        raise fail(
            ctx,
            "%(path)s does not hold an Ed25519 public key in PEM form (as printed by "
            "`cadre ledger key`).",
            path=str(public_key),
        ) from None
    return pinned, [server] if server is not None else []


def shared_differences(ctx: Context, session, campaign) -> list[tuple]:
    """Differences between the shared summary and a recomputation from the ballots."""
    url = ctx.settings.shared_database_url
    if not url:
        raise fail(ctx, "Set CADRE_SHARED_DATABASE_URL to the shared database first.")
    return audit_shared(session=session, campaign=campaign, shared_engine=ctx.engine_for(url))


def register(cli: click.Group) -> None:
    """Attach ``cadre ledger``."""
    cli.add_command(ledger_group)

"""``cadre bot``: run the Telegram bot, chat with it in a terminal, export cadre codes."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import click

from bot.conversation import BotConfig
from bot.core import BotCore
from bot.help import MENU
from cadre.cli import Context, fail, pass_context
from cadre.commands.invitations import (
    bot_username,
    campaign_footer,
    emit_csv,
    image_format_option,
    write_codes,
)
from surveys.collection.chats import cadre_links
from surveys.documents.qrcodes import Card
from surveys.rules.cells import cell_text
from surveys.setup.campaigns import get_campaign

RUNTIMES = ("ptb", "aiogram")


@click.group("bot")
def bot_group() -> None:
    """The Telegram bot: run it, try it in a terminal, export cadre codes."""


def bot_core(ctx: Context) -> BotCore:
    """The transport-neutral core, configured from the settings."""
    settings = ctx.settings
    config = BotConfig(
        secret_key=settings.resolved_secret_key(),
        base_url=settings.base_url,
        hr_chats=frozenset(settings.telegram_hr_chats),
        bot_username=settings.telegram_bot,
    )
    return BotCore(engine=ctx.engine, config=config)


def runtime_module(ctx: Context, runtime: str):
    """The adapter module of a runtime; aiogram is an optional extra."""
    if runtime == "aiogram":
        try:
            from bot import aiogram_runtime
        except ImportError:
            raise fail(ctx, "aiogram is not installed: pip install 'cadre[aiogram]'") from None
        return aiogram_runtime
    from bot import ptb_runtime

    return ptb_runtime


@bot_group.command("run")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="ptb", show_default=True)
@click.option(
    "--webhook", metavar="URL", help="Receive updates at this HTTPS URL instead of polling."
)
@click.option("--listen", default="0.0.0.0", show_default=True, help="Webhook listening address.")
@click.option("--port", default=8443, show_default=True, type=click.IntRange(1, 65535))
@pass_context
def run_command(ctx: Context, runtime: str, webhook: str | None, listen: str, port: int) -> None:
    """Run the bot by long polling, or by webhook with Telegram's secret-token header checked."""
    token = ctx.settings.telegram_token_value()
    if not token:
        raise fail(ctx, "Set CADRE_TELEGRAM_TOKEN to the token BotFather gave you.")
    module = runtime_module(ctx, runtime)
    core = bot_core(ctx)
    api_url = ctx.settings.telegram_api_url
    click.echo(ctx._("The bot is running (press Ctrl+C to stop)."), err=True)
    if not webhook:
        module.run_polling(core, token=token, api_url=api_url, commands=list(MENU))
        return
    secret = ctx.settings.telegram_webhook_secret
    module.run_webhook(
        core,
        token=token,
        api_url=api_url,
        webhook_url=webhook,
        secret_token=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
        listen=listen,
        port=port,
        commands=list(MENU),
    )


@bot_group.command("console")
@click.option("--chat", "chat_id", default=1, show_default=True, type=int, help="Chat id to use.")
@click.option("--language", type=click.Choice(("zh", "en")), help="The chat's Telegram language.")
@pass_context
def console_command(ctx: Context, chat_id: int, language: str | None) -> None:
    """Chat with the bot in this terminal, without Telegram (buttons by number)."""
    from bot.console import run_console

    run_console(bot_core(ctx), chat_id=chat_id, language=language or ctx.locale)


@bot_group.command("cadre-links")
@click.argument("campaign_id", metavar="CAMPAIGN")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (default: standard output).",
)
@click.option(
    "--qr",
    type=click.Path(path_type=Path),
    help="Also write QR codes: a .pdf of cards or a folder of images.",
)
@image_format_option
@pass_context
def cadre_links_command(
    ctx: Context, campaign_id: str, out: Path | None, qr: Path | None, fmt: str
) -> None:
    """Each cadre's one-time link that binds their chat to receive results."""
    with ctx.session() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        links = cadre_links(
            session=session,
            campaign=campaign,
            secret_key=ctx.settings.resolved_secret_key(),
            bot_username=bot_username(ctx),
        )
        rows = [(c.external_id, c.name, c.unit, c.post, url) for c, url in links]
    if qr is not None:
        cards = [
            Card(
                title=f"{name} ({cid})",
                subtitle=post,
                url=url,
                footer=campaign_footer(ctx, campaign),
            )
            for cid, name, _unit, post, url in rows
        ]
        named = [(f"{cid}-{name}", url) for cid, name, _unit, _post, url in rows]
        click.echo(write_codes(ctx, qr, fmt, named, cards), err=True)
    write_cadre_csv(ctx, rows, out)


def write_cadre_csv(ctx: Context, rows: list[tuple], out: Path | None) -> None:
    """The cadre links as CSV on standard output or in a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("cadre_id", "name", "unit", "post", "link"))
    writer.writerows([cell_text(c or "") for c in row[:4]] + [row[4]] for row in rows)
    if emit_csv(ctx, buffer.getvalue(), out):
        message = ctx._("Wrote %(count)s cadre links to %(path)s", count=len(rows), path=str(out))
        click.echo(message, err=True)


def register(cli: click.Group) -> None:
    """Attach ``cadre bot``."""
    cli.add_command(bot_group)

"""``cadre serve``: the web forms under waitress, a production WSGI server."""

from __future__ import annotations

import click
import waitress

from cadre.cli import Context, pass_context
from cadre.commands.admin import ensure_first_admin
from cadre.commands.demo import ensure_demo, print_summary
from cadre.commands.scheduler import scheduler_runtime, start_in_thread


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 lets phones on the network connect.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--demo", is_flag=True, help="Load the demo campaign first (once) and print links.")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also run the scheduler role here (turn off where it runs as its own process).",
)
@pass_context
def serve_command(
    ctx: Context, host: str, port: int, threads: int, demo: bool, scheduler: bool
) -> None:
    """Serve the rater and public forms, creating or upgrading the schema first.

    On a single machine the scheduler role (reminders, closing, notices)
    runs in this process too; with several web servers, pass --no-scheduler
    and run `cadre scheduler run` on its own.
    """
    ctx.engine  # noqa: B018  (creates or upgrades the schema before serving)
    base_url = _base_url(ctx, host, port)
    if demo:
        print_summary(ctx, ensure_demo(ctx, base_url), base_url)
        click.echo()
    if ensure_first_admin(ctx, base_url) is not None:
        click.echo()
    from webforms import create_app  # Flask loads only for the command that serves

    app = create_app(ctx.settings.flask_config() | {"BASE_URL": base_url})
    server = waitress.create_server(app, host=host, port=port, threads=threads)
    role = scheduler_runtime(ctx) if scheduler else None
    thread = start_in_thread(role) if role else None
    click.echo(ctx._("Serving on %(url)s (press Ctrl+C to stop)", url=base_url), err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if role is not None and thread is not None:
            role.stop.set()
            thread.join(timeout=30)


def _base_url(ctx: Context, host: str, port: int) -> str:
    """CADRE_BASE_URL when set, else the address being served."""
    if "base_url" in ctx.settings.model_fields_set:
        return ctx.settings.base_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def register(cli: click.Group) -> None:
    """Attach ``cadre serve``."""
    cli.add_command(serve_command)

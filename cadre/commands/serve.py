"""``cadre serve``: the web forms under waitress, a production WSGI server."""

from __future__ import annotations

import contextlib

import click
import waitress

from cadre.cli import Context, pass_context
from cadre.commands.admin import ensure_first_admin
from cadre.commands.demo import ensure_demo, print_summary
from cadre.commands.scheduler import scheduler_runtime, start_in_thread
from cadre.settings import SERVED_URL_FILE, Settings


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 lets phones on the network connect.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    help="Requests handled at once (default: CADRE_SERVE_THREADS, 8).",
)
@click.option("--demo", is_flag=True, help="Load the demo campaign first (once) and print links.")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also run the scheduler role here (turn off where it runs as its own process).",
)
@pass_context
def serve_command(
    ctx: Context, host: str, port: int, threads: int | None, demo: bool, scheduler: bool
) -> None:
    """Serve the rater and public forms, creating or upgrading the schema first.

    On a single machine the scheduler role (reminders, closing, notices)
    runs in this process too; with several web servers, pass --no-scheduler
    and run `cadre scheduler run` on its own.
    """
    ctx.engine  # noqa: B018  (creates or upgrades the schema before serving)
    base_url = _base_url(ctx, host, port)
    # Links printed here, by the scheduler in this process and by later commands on this
    # data folder (`cadre invitations export`) then point at the port really served.
    ctx.settings = ctx.settings.model_copy(update={"base_url": base_url})
    if demo:
        print_summary(ctx, ensure_demo(ctx, base_url), base_url)
        click.echo()
    if ensure_first_admin(ctx, base_url) is not None:
        click.echo()
    from webforms import create_app  # Flask loads only for the command that serves

    app = create_app(ctx.settings.flask_config())
    server = waitress.create_server(
        app, host=host, port=port, **crowd_options(ctx.settings, threads)
    )
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


def crowd_options(settings: Settings, threads: int | None = None) -> dict:
    """Waitress options that hold a morning rush of phones instead of its defaults.

    Waitress's own defaults (100 connections, select()) make the 101st phone
    wait while 100 others merely keep their connection alive reading a form.
    Idle keep-alive connections cost a socket and no thread, so the limit is
    set in thousands, poll() replaces select() (whose sets stop at 1,024
    descriptors), the process's descriptor limit is raised to what the limit
    needs, and the idle timeout frees connections a phone left behind.
    """
    limit = settings.serve_connection_limit
    _raise_descriptor_limit(limit + 256)  # the database pool, log files, the listening socket
    options = {
        "threads": threads or settings.serve_threads,
        "connection_limit": limit,
        "channel_timeout": settings.serve_idle_seconds,
        "backlog": settings.serve_backlog,
        "asyncore_use_poll": True,
        "ident": "waitress",
    }
    if settings.serve_trusted_proxy:
        # Behind the proxy every request comes from its address: the per-address limits
        # need the phone's address, which only the proxy's own header may tell.
        options |= {
            "trusted_proxy": settings.serve_trusted_proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            "clear_untrusted_proxy_headers": True,
        }
    return options


def _raise_descriptor_limit(wanted: int) -> None:
    """Lift the soft limit on open files towards ``wanted`` (never above the hard limit)."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _base_url(ctx: Context, host: str, port: int) -> str:
    """CADRE_BASE_URL when set, else the address being served (remembered in the data folder).

    Without CADRE_BASE_URL, `cadre invitations export` and the other commands
    read the remembered address, so exported links follow --port instead of
    pointing at 8000.
    """
    if ctx.settings.base_url_given:
        return ctx.settings.base_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}"
    with contextlib.suppress(OSError):
        ctx.settings.data_dir.mkdir(parents=True, exist_ok=True)
        (ctx.settings.data_dir / SERVED_URL_FILE).write_text(url + "\n")
    return url


def register(cli: click.Group) -> None:
    """Attach ``cadre serve``."""
    cli.add_command(serve_command)

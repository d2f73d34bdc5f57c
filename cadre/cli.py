"""The ``cadre`` command: one group, one module per area under ``cadre/commands``.

Every command gets a ``Context`` (settings, engine, language) from ``click``'s
context object; user errors are printed in the user's language with exit
code 2, never as a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import click
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from cadre.cli_language import localized, use_catalogs
from cadre.settings import Settings
from storage.engine import make_engine, session_scope
from storage.migrate import upgrade
from surveys.collection.ballots import BallotInvalid
from surveys.rules.messages import best_locale, translate
from surveys.rules.questionnaire import TemplateError
from surveys.sealing.ballot_box import BoxError
from surveys.setup.campaigns import CampaignError
from surveys.setup.roster import RosterError


@dataclass
class Context:
    """What every command needs: settings, a language, a lazily made engine."""

    settings: Settings
    locale: str
    _engines: dict[str, sa.Engine] = field(default_factory=dict)

    def _(self, message: str, **values) -> str:
        """Translate a message into the user's language."""
        return translate(message, values or None, locale=self.locale)

    def engine_for(self, url: str) -> sa.Engine:
        """An engine per URL, made on first use."""
        if url not in self._engines:
            self._engines[url] = make_engine(url)
        return self._engines[url]

    @cached_property
    def engine(self) -> sa.Engine:
        """The assessment database, upgraded to the newest schema on first use."""
        engine = self.engine_for(self.settings.resolved_database_url())
        upgrade(engine)
        return engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the command succeeds."""
        with session_scope(self.engine) as session:
            yield session

    def now(self) -> datetime:
        """The current moment, time-zone aware."""
        return datetime.now(UTC)

    def close(self) -> None:
        """Dispose of every engine (connection pools)."""
        for engine in self._engines.values():
            engine.dispose()


pass_context = click.make_pass_decorator(Context)


class UserError(click.ClickException):
    """A translated message for the user; exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        """Print the message alone: it is already in the user's language."""
        click.echo(self.format_message(), file=file, err=file is None)


def fail(ctx: Context, message: str, **values) -> UserError:
    """Build a UserError in the user's language (``raise fail(...)``)."""
    return UserError(ctx._(message, **values))


def explain(ctx: Context, error: Exception) -> str:
    """Render a domain error for the terminal, in the user's language."""
    if isinstance(error, RosterError):
        lines = [ctx._("The roster was not imported; fix these rows and try again:")]
        for problem in error.problems:
            where = (
                ctx._("sheet %(sheet)s, row %(row)s", sheet=problem.sheet, row=problem.row)
                if problem.row
                else ctx._("sheet %(sheet)s", sheet=problem.sheet)
            )
            lines.append(f"  {where}: {ctx._(problem.message, **problem.values)}")
        return "\n".join(lines)
    if isinstance(error, TemplateError):
        return ctx._("The questionnaire template is not valid:") + "\n" + str(error)
    if isinstance(error, CampaignError):
        return ctx._(error.message, **error.values)
    if isinstance(error, BoxError):
        return ctx._(error.message, **error.values)
    if isinstance(error, BallotInvalid):
        return "\n".join(ctx._(message) for message in error.problems.values())
    return str(error)


class CadreGroup(click.Group):
    """The top-level group: turns domain errors into messages and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (RosterError, TemplateError, CampaignError, BallotInvalid, BoxError) as error:
            raise UserError(explain(ctx.find_object(Context), error)) from error
        except (sa.exc.OperationalError, sa.exc.ArgumentError) as error:
            context = ctx.find_object(Context)
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise fail(context, "Cannot use the database: %(error)s", error=detail) from error


def build_context() -> Context:
    """Settings and language for one run; a bad setting is a UserError."""
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"CADRE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        raise UserError(problems) from error
    return Context(
        settings=settings, locale=best_locale(settings.locale, *_environment_languages())
    )


@click.group(cls=CadreGroup)
@click.pass_context
def cli(click_ctx: click.Context) -> None:
    """Cadre assessment: rosters, campaigns, invitations, forms and results."""
    if click_ctx.obj is None:  # invoked directly (tests) rather than through main()
        click_ctx.obj = build_context()
    click_ctx.call_on_close(click_ctx.obj.close)


def _environment_languages() -> list[str | None]:
    """The terminal's language settings, as the locale tools set them."""
    import os

    return [os.environ.get(name) for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]


def _register() -> None:
    """Attach each area's commands (imported here so ``cli`` stays the only root)."""
    from cadre.commands import (
        admin,
        appeals,
        bot,
        box,
        campaigns,
        channels,
        db,
        demo,
        indicators,
        invitations,
        ledger,
        official_forms,
        results,
        roster,
        scheduler,
        serve,
        themes,
        warnings,
        waves,
    )

    modules = (db, roster, campaigns, invitations, channels, results, demo, serve, bot, ledger)
    for module in (*modules, admin, appeals, scheduler, waves, box, themes, indicators, warnings):
        module.register(cli)
    official_forms.register(cli)


_register()


def main() -> None:
    """Console entry point: settings first, then the commands in the user's language."""
    try:
        context = build_context()
    except UserError as error:
        error.show()
        sys.exit(error.exit_code)
    use_catalogs(context.locale)
    localized(cli, context.locale).main(prog_name="cadre", obj=context)

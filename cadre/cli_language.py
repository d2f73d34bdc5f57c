"""The command line in the user's language: our help texts and click's own words.

Click writes its help from docstrings and ``help=`` texts, and its own words
("Usage:", "Missing option") through the standard ``gettext`` module.  Both
come from the shared catalogs: ``localized`` returns a translated copy of
the command tree, ``use_catalogs`` points click's ``gettext`` at them, and
``extract_help`` lets ``pybabel extract`` collect every help text.
"""

from __future__ import annotations

import copy
import gettext
import os
from collections.abc import Iterator

import click

from surveys.rules.messages import N_, TRANSLATIONS_DIR, translate

# Click's own messages that users meet most; the rest stay in English.
CLICK_MESSAGES = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("default: {default}"),
    N_("required"),
    N_("{name} {filename!r} does not exist."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("Aborted!"),
)


def commands(root: click.Command) -> Iterator[click.Command]:
    """Every command of a tree, the root first."""
    yield root
    if isinstance(root, click.Group):
        for command in root.commands.values():
            yield from commands(command)


def help_texts(root: click.Command) -> Iterator[str]:
    """Every help text a user can see: commands' and options'."""
    for command in commands(root):
        if command.help:
            yield command.help
        for parameter in command.params:
            if isinstance(parameter, click.Option) and parameter.help:
                yield parameter.help


def localized(root: click.Group, locale: str) -> click.Group:
    """A copy of the command tree with every help text translated (the original is kept)."""
    tree = copy.deepcopy(root)
    for command in commands(tree):
        if command.help:
            command.help = translate(command.help, locale=locale)
        for parameter in command.params:
            if isinstance(parameter, click.Option) and parameter.help:
                parameter.help = translate(parameter.help, locale=locale)
    return tree


def use_catalogs(locale: str) -> None:
    """Let click's ``gettext`` calls find our catalogs in the chosen language.

    The standard ``gettext`` picks the language from ``LANGUAGE`` at each call;
    this is the entry point's own process, so setting it here is safe.
    """
    gettext.bindtextdomain("messages", str(TRANSLATIONS_DIR))
    os.environ["LANGUAGE"] = locale


def extract_help(fileobj, keywords, comment_tags, options):
    """A Babel extractor: this file's marked messages plus every help text of ``cadre``."""
    from babel.messages.extract import extract_python

    from cadre.cli import cli

    yield from extract_python(fileobj, keywords, comment_tags, options)
    for text in dict.fromkeys(help_texts(cli)):
        yield 0, "_", text, []

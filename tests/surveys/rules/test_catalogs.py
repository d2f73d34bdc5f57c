"""Every user-facing string is in the catalogs, translated to Chinese, and compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from surveys.rules.messages import LOCALES, TRANSLATIONS_DIR, translate

ROOT = Path(__file__).resolve().parents[3]
METHODS = [
    ("webforms/templates/**.html", "jinja2"),
    ("tests/**.py", "ignore"),
    ("cadre/cli_language.py", "cadre.cli_language:extract_help"),
    ("**.py", "python"),
]
# ``fail(ctx, message, ...)`` in the CLI takes its message as the second argument.
KEYWORDS = {**DEFAULT_KEYWORDS, "fail": (2,)}


def source_messages() -> set[str]:
    """The message ids the code and templates use, as pybabel would extract them."""
    return {message for message, _context in source_entries()}


def source_entries() -> set[tuple[str, str | None]]:
    """(message id, context) pairs: ``pgettext("campaign state", "Open")`` is its own entry."""
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT),
        method_map=METHODS,
        keywords=KEYWORDS,
        options_map={"webforms/templates/**.html": {}},
    ):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


def frozen(value):
    """Plural ids and strings come back as lists or tuples: make them comparable."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def catalog(locale: str):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def test_every_message_has_a_chinese_translation():
    zh = catalog("zh")
    missing = sorted(
        (m, c) for m, c in source_entries() if not (zh.get(m, c) and zh.get(m, c).string)
    )
    assert missing == []


def test_no_fuzzy_or_obsolete_guesswork_in_chinese():
    fuzzy = [message.id for message in catalog("zh") if message.id and message.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogs_match_the_sources(locale):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = {(m.context, frozen(m.id)): frozen(m.string) for m in read_mo(handle) if m.id}
    written = {
        (m.context, frozen(m.id)): frozen(m.string)
        for m in catalog(locale)
        if m.id and any(frozen(m.string)) and not m.fuzzy
    }
    assert compiled == written


def test_translate_fills_values_in_both_languages():
    message = "Pushed %(count)s cadre summaries to the shared database."
    assert translate(message, {"count": 3}, locale="en") == message % {"count": 3}
    assert "3" in translate(message, {"count": 3}, locale="zh")
    assert translate(message, {"count": 3}, locale="zh") != message % {"count": 3}

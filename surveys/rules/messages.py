"""Message catalogs (gettext) shared by the web forms, the bot and the CLI.

Domain code marks user-facing messages with ``N_`` and raises them with their
values; each edge translates them into the user's language, so no rule ever
produces already-translated text.  Catalogs live in ``surveys/translations``
(zh and en) and Flask-Babel reads the same folder.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent.parent / "translations"
LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for a locale (falls back to the message ids)."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def translate(message: str, values: dict | None = None, *, locale: str) -> str:
    """Translate a marked message and fill in its values."""
    text = translations(locale).gettext(message)
    return text % values if values else text


def best_locale(*preferences: str | None) -> str:
    """Pick zh or en from language tags such as 'en-US', 'zh_CN.UTF-8' or 'zh-hans'."""
    for preference in preferences:
        if not preference:
            continue
        tag = preference.split(".")[0].replace("-", "_")
        try:
            language = Locale.parse(tag).language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


def cli_locale() -> str:
    """The CLI's language: CADRE_LOCALE, then the usual LANGUAGE/LC_ALL/LANG."""
    names = ("CADRE_LOCALE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    return best_locale(*(os.environ.get(name) for name in names))

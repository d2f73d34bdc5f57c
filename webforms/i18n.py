"""Languages of the web forms: Chinese by default, English on request.

UI strings are English message ids translated through the shared catalogs
in ``surveys/translations``; questionnaire texts are bilingual data and are
picked with ``Text.get(locale)`` instead.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format, get_timezone_location
from flask import Flask, Response, request
from flask_babel import Babel, get_locale

from surveys.rules.messages import DEFAULT_LOCALE, LOCALES, TRANSLATIONS_DIR

LANG_COOKIE = "lang"
LANG_COOKIE_AGE = 365 * 24 * 3600
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def init_app(app: Flask) -> None:
    """Wire Flask-Babel to the shared catalogs and expose language helpers to templates."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR.resolve()))
    Babel(app, locale_selector=select_locale)
    app.after_request(remember_language)
    app.context_processor(_template_helpers)


def select_locale() -> str:
    """``?lang=``, then the remembered choice, then the browser's languages, then Chinese."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LOCALES:
        return remembered
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def current_locale() -> str:
    """The request's language as 'zh' or 'en'."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def remember_language(response: Response) -> Response:
    """Keep a ``?lang=`` choice in a cookie so the next pages (and the POST) stay in it."""
    asked = request.args.get("lang")
    if asked in LOCALES and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(
            LANG_COOKIE,
            asked,
            max_age=LANG_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def local_time(moment: datetime, zone: str) -> str:
    """A moment as people in the campaign's time zone read it, e.g. '2026年12月1日 08:00'.

    The zone's name is added because a rater may be travelling, and "closes
    at 8:00" means nothing without knowing whose 8:00.
    """
    tzinfo = ZoneInfo(zone)
    locale = current_locale()
    local = moment.astimezone(tzinfo)
    date_text = format_date(local, "medium" if locale == "en" else "long", locale=locale)
    time_text = format_time(local, "short", locale=locale)
    when = get_datetime_format("medium", locale=locale).format(time_text, date_text)
    return f"{when} {get_timezone_location(tzinfo, locale=locale)}"


def _template_helpers() -> dict:
    """What every template needs to speak the request's language."""
    locale = current_locale()
    return {
        "locale": locale,
        "html_lang": HTML_LANG[locale],
        "local_time": local_time,
        "this_page": this_page(),
    }


def this_page() -> str:
    """The current path for the language links, never a '//host' link to another site.

    A request for ``//example.com`` has that as its path; echoed into a link
    it would lead away from the forms, so leading slashes are collapsed.
    """
    return "/" + request.path.lstrip("/")

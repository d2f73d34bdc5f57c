"""The Flask web forms: rater forms, public QR forms and the HR pages under ``/admin``.

``create_app`` builds one application from a plain configuration dict (see
``cadre.settings.Settings.flask_config``); nothing is read from the
environment here and no scheduler is ever started, so the same factory serves
the WSGI server, the tests and the browser test alike.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_compress import Compress

from surveys.setup.accounts import MIN_SECRET_LENGTH, weak_secret
from webforms import db, errors, i18n, miniapp, public, publicity, rater, security, site
from webforms.admin import (  # each adds its pages to the console's blueprint (accounts.bp)
    accounts,
    channels,  # noqa: F401
    indicators,  # noqa: F401
    ledger,  # noqa: F401
    marks,  # noqa: F401
    official_forms,  # noqa: F401
    progress,  # noqa: F401
    publication,  # noqa: F401
    reports,  # noqa: F401
    roster,  # noqa: F401
    rules,  # noqa: F401
    setup,  # noqa: F401
    warnings,  # noqa: F401
    waves,  # noqa: F401
)
from webforms.clock import utc_now
from webforms.forms import anchor
from webforms.sessions import SkewTolerantSessions

MAX_FORM_BYTES = 256 * 1024
# A working day: an HR sign-in ends after this, however busy the session was.
HR_SESSION_LIFETIME = timedelta(hours=8)


class InsecureConfiguration(RuntimeError):
    """The app would run in production with a secret key anybody could guess."""


def create_app(config: dict) -> Flask:
    """Build the web application; ``config`` needs SECRET_KEY, DATABASE_URL and BASE_URL.

    The composition root builds ``config`` from the settings (``cadre serve``,
    or ``cadre.wsgi:build_app()`` for another WSGI server); tests pass their own.
    """
    refuse_weak_secret(config)
    app = Flask(__name__)
    app.session_interface = SkewTolerantSessions()  # several web processes share the cookies
    app.config.from_mapping(_defaults(config["BASE_URL"]))
    app.config.from_mapping(config)
    db.init_app(app)
    errors.refuse_nul(app)  # first of the request hooks
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    for blueprint in (site.bp, rater.bp, public.bp, miniapp.bp, accounts.bp, publicity.bp):
        app.register_blueprint(blueprint)
    # Forms for eight cadres are ~70 KB of HTML but ~4 KB compressed: it matters on 2G.
    Compress(app)
    app.add_template_filter(anchor)
    # Pages travel over weak mobile networks: drop the blank lines Jinja's tags leave.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    return app


def refuse_weak_secret(config: dict) -> None:
    """In production, refuse to build the app with a missing, default or short secret key.

    The key signs the HR session cookies and derives every rater's link: with
    a guessable key anyone could forge an HR session or rebuild the links.
    """
    if not config.get("PRODUCTION"):
        return
    secret = config.get("SECRET_KEY")
    if not isinstance(secret, str) or weak_secret(secret):
        raise InsecureConfiguration(
            "refusing to start in production: SECRET_KEY (CADRE_SECRET_KEY) must be a random "
            f"string of at least {MIN_SECRET_LENGTH} characters, not a default or a word"
        )


def _defaults(base_url: str) -> dict:
    """Safe defaults; the request limit fits a slip covering a large roster.

    A meeting slip lists every cadre of the roster, and a 500-character
    Chinese comment is about 4.5 KB once URL-encoded, so 64 KB would refuse
    honest answers about a dozen cadres; 256 KB still stops abuse.  The
    session cookie (the CSRF secret, a rater's token, an HR sign-in) is
    Secure behind HTTPS.  HR sign-ins end after ``HR_SESSION_LIFETIME``; the
    cookie's own lifetime is left alone so a rater's form open since the
    morning still works in the evening.
    """
    return {
        "MAX_CONTENT_LENGTH": MAX_FORM_BYTES,
        "MAX_FORM_MEMORY_SIZE": MAX_FORM_BYTES,
        "MAX_FORM_PARTS": 5000,
        "SESSION_COOKIE_NAME": "cadre_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "CLOCK": utc_now,
        "PRODUCTION": False,
        "HR_SESSION_LIFETIME": HR_SESSION_LIFETIME,
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "SEND_FILE_MAX_AGE_DEFAULT": 7 * 24 * 3600,
        "STYLE_VERSION": _style_version(),
        # Path of the ledger's signing key; without one, publishing signs no checkpoint.
        "LEDGER_KEY": None,
    }


def _style_version() -> str:
    """A short hash of the style sheet, put in its URL so phones may cache it for a week.

    A changed file gets a new URL, so nobody keeps an old look after an update.
    """
    css = Path(__file__).parent / "static" / "style.css"
    return hashlib.sha256(css.read_bytes()).hexdigest()[:10]

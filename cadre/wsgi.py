"""For WSGI servers other than ``cadre serve``: ``gunicorn 'cadre.wsgi:build_app()'``.

The settings are read when the server calls the factory, not at import time.
Run ``cadre db upgrade`` first: web workers never change the schema.
"""

from flask import Flask

from cadre.settings import Settings
from webforms import create_app


def build_app() -> Flask:
    """The web forms configured from ``CADRE_*`` environment variables."""
    return create_app(Settings().flask_config())

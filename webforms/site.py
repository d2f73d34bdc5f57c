"""The pages around the forms: a neutral landing page, the thank-you page, the health check."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from webforms.db import database_answers

bp = Blueprint("site", __name__)


@bp.get("/")
def index():
    """Say what this is and nothing more; every form is reached through its own link."""
    return render_template("index.html")


@bp.get("/done")
def done():
    """The thank-you page after a rater form, with no token in its address."""
    return render_template("done.html")


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: 'ok' only when the database answers."""
    if not database_answers():
        return Response("unavailable", status=503, mimetype="text/plain")
    return Response("ok", mimetype="text/plain")

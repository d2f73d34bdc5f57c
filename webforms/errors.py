"""Friendly, translated error pages that keep their status codes and reveal nothing."""

from __future__ import annotations

from flask import Flask, abort, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from storage.models import Campaign
from surveys.collection.ballots import BallotUnavailable
from webforms.i18n import local_time


def init_app(app: Flask) -> None:
    """Register the pages shown instead of Werkzeug's English defaults."""
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(400, bad_request)
    app.register_error_handler(404, not_found)
    app.register_error_handler(MethodNotAllowed, method_not_allowed)
    app.register_error_handler(413, too_large)
    app.register_error_handler(500, server_error)


def refuse_nul(app: Flask) -> None:
    """Answer a request that carries a NUL character with 400 before any view sees it.

    Hook it in before CSRF and sign-in so that it runs first.  PostgreSQL
    refuses NUL in text ("A string literal cannot contain NUL"), so a token,
    slug, login or comment with one reached the database as a 500 there
    while SQLite took it quietly.  No honest link, form or name has one.
    """
    app.before_request(nul_in_request)


def nul_in_request():
    """The 400 page if the path, query, form or JSON body has a NUL; None to go on."""
    fields = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += [*request.form.keys(), *request.form.values()]
    elif request.is_json and b"\\u0000" in request.get_data(cache=True):
        fields.append("\x00")
    if any("\x00" in field for field in fields):
        return message_page(
            400,
            gettext("Something went wrong"),
            gettext(
                "The address or what you typed contains a NUL character, which cannot be "
                "stored. Please check the link you received or remove that character."
            ),
        )
    return None


def message_page(status: int, title: str, text: str, headers: dict | None = None):
    """A plain page with a title and one paragraph, with the given status."""
    return render_template("message.html", title=title, text=text), status, headers or {}


def form_expired(_error: CSRFError):
    """A post without a valid CSRF token: tell the person to reload, never show a traceback."""
    return message_page(
        400,
        gettext("This form has expired"),
        gettext(
            "The form was open too long or your browser lost its session. "
            "Please reload the page and try again."
        ),
    )


def bad_request(_error: HTTPException):
    """Any other malformed request."""
    return message_page(
        400,
        gettext("Something went wrong"),
        gettext("The request could not be understood. Please reload the page and try again."),
    )


def not_found(_error: HTTPException):
    """Unknown pages and unknown links look exactly alike, so links cannot be probed."""
    return message_page(
        404,
        gettext("Page not found"),
        gettext("There is nothing at this address. Please check the link you received."),
    )


def method_not_allowed(error: MethodNotAllowed):
    """A wrong method, keeping the Allow header HTTP requires."""
    headers = {"Allow": ", ".join(sorted(error.valid_methods or []))}
    return message_page(
        405,
        gettext("Not allowed"),
        gettext("This page cannot be used that way. Please open the link you received."),
        headers,
    )


def too_large(_error: HTTPException):
    """A post bigger than any honest form."""
    return message_page(
        413,
        gettext("Too much text"),
        gettext("What you sent is too long. Please shorten your comments and try again."),
    )


def server_error(_error: Exception):
    """An unexpected failure; the details go to the log, not to the person."""
    return message_page(
        500,
        gettext("Something went wrong"),
        gettext("The server could not finish your request. Please try again in a few minutes."),
    )


def unavailable(error: BallotUnavailable):
    """The page for a form that cannot be used now, by the reason the domain gave."""
    campaign: Campaign | None = error.campaign
    if error.reason == "used":
        return message_page(
            409,
            gettext("These answers were already submitted"),
            gettext("Each link can be used once. Thank you for taking part."),
        )
    if error.reason == "not_open" and campaign is not None:
        when = local_time(campaign.opens_at, campaign.timezone)
        return message_page(
            403,
            gettext("Not open yet"),
            gettext("This assessment has not opened yet; it opens at %(time)s.", time=when),
        )
    if error.reason == "closed" and campaign is not None:
        when = local_time(campaign.closes_at, campaign.timezone)
        return message_page(
            403, gettext("Closed"), gettext("This assessment closed at %(time)s.", time=when)
        )
    abort(404)

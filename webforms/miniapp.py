"""The rater form as a Telegram Mini App, opened from the bot's "Open the form" button.

Telegram hands the page signed ``initData`` in the URL fragment (never sent
to a server by the browser).  A small vendored script posts it here; we
check its HMAC-SHA256 signature with the bot token (Telegram's "WebAppData"
scheme) and its age, check that the Telegram user is the chat bound to the
invitation, and only then send the phone on to the invitation's form.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext

from storage.models import Invitation
from surveys.collection.chats import bound_chat
from surveys.rules.messages import best_locale
from surveys.setup.invitations import derive_token
from webforms.clock import current_time
from webforms.db import get_session
from webforms.errors import message_page
from webforms.security import csrf

bp = Blueprint("miniapp", __name__)

MINIAPP_FRAMERS = "https://web.telegram.org"


class InitDataRefused(ValueError):
    """initData that is unsigned, tampered with, signed for another bot, or too old."""


def check_init_data(init_data: str, *, bot_token: str, now: datetime, max_age: int) -> dict:
    """The verified fields of Telegram Mini App ``initData``, ``user`` decoded.

    The data-check string is every field but ``hash``, sorted by key, as
    ``key=value`` lines; the key is HMAC-SHA256("WebAppData", bot token).
    """
    fields = dict(parse_qsl(init_data or "", keep_blank_values=True, strict_parsing=False))
    received = fields.pop("hash", "")
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not received or not hmac.compare_digest(expected, received):
        raise InitDataRefused("bad signature")
    try:
        signed_at = datetime.fromtimestamp(int(fields.get("auth_date", "")), UTC)
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as error:
        raise InitDataRefused("incomplete") from error
    age = (now - signed_at).total_seconds()
    if age > max_age or age < -300:
        raise InitDataRefused("expired")
    return {**fields, "user": user, "user_id": user_id}


@bp.get("/app/<invitation_id>")
def opening(invitation_id: str):
    """A tiny page whose script posts the Mini App's signed data back to us."""
    if not current_app.config.get("TELEGRAM_TOKEN"):
        abort(404)
    return render_template("miniapp.html", invitation_id=invitation_id)


@bp.post("/app/<invitation_id>")
@csrf.exempt  # the signed initData is the credential; no cookie is trusted here
def open_form(invitation_id: str):
    """Verify initData and the bound chat, then go to the invitation's form."""
    token = current_app.config.get("TELEGRAM_TOKEN")
    if not token:
        abort(404)
    try:
        data = check_init_data(
            request.form.get("init_data", ""),
            bot_token=token,
            now=current_time(),
            max_age=current_app.config.get("MINIAPP_MAX_AGE", 3600),
        )
    except InitDataRefused:
        return refused()
    session = get_session()
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.nonce is None:
        return refused()
    if bound_chat(session=session, invitation_id=invitation_id) != data["user_id"]:
        return refused()
    form_token = derive_token(current_app.config["SECRET_KEY"], invitation.id, invitation.nonce)
    language = best_locale(data["user"].get("language_code"))
    return redirect(url_for("rater.arrive", token=form_token, lang=language), code=303)


def refused():
    """One answer for every refusal, so it reveals nothing about which check failed."""
    return message_page(
        403,
        gettext("Please open the form from the bot"),
        gettext(
            "This page only opens from the bot's button in Telegram, and only for a short "
            "time. Go back to the chat and press the button again."
        ),
    )

"""CSRF protection, rate limits and the response headers every page carries."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()
# Per-address limits (login, public channels).  Storage comes from
# RATELIMIT_STORAGE_URI: memory for one process, Redis when several serve.
limiter = Limiter(key_func=get_remote_address)


def content_security_policy(scripts: str = "'none'", framers: str = "'none'") -> str:
    """The policy every page gets; only named pages may run our own script or be framed."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {framers}",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()
# Telegram's web client shows Mini Apps in a frame: the Mini App page and the
# rater form it leads to may be framed by it, and the opening page runs the
# one vendored script that reads Telegram's signed data (no inline script).
TELEGRAM_WEB = "https://web.telegram.org"
PAGE_POLICIES = {
    "miniapp.opening": content_security_policy("'self'", TELEGRAM_WEB),
    "miniapp.open_form": content_security_policy(framers=TELEGRAM_WEB),
    "rater.arrive": content_security_policy(framers=TELEGRAM_WEB),
    # The rater form keeps its answers in the browser, the thank-you page removes them.
    "rater.form": content_security_policy("'self'", TELEGRAM_WEB),
    "site.done": content_security_policy("'self'"),
    # The window's screen asks whether its code was taken (our own file, no inline script).
    "public.display": content_security_policy("'self'"),
}


def init_app(app: Flask) -> None:
    """Turn on CSRF checks and the security headers."""
    # A rater may open the link in the morning and send it after lunch; the
    # token is bound to the session cookie anyway, so half a day is enough.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    # The pages send no Referer (the token is in the URL), so Flask-WTF's
    # HTTPS referrer check would refuse every honest form behind HTTPS; the
    # session-bound token and the SameSite cookie still stop cross-site posts.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    app.after_request(add_security_headers)


def csrf_passed() -> bool:
    """Check the CSRF token by hand, for views that show the form again when it expired.

    Those views are exempt from the automatic check so that a rater whose
    form sat open too long gets their answers back instead of losing them.
    """
    try:
        csrf.protect()
    except CSRFError:
        return False
    return True


def add_security_headers(response: Response) -> Response:
    """No referrer (links carry tokens), no caching of pages, no sniffing, no framing."""
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    policy = PAGE_POLICIES.get(request.endpoint or "")
    if policy is None:
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", policy or CONTENT_SECURITY_POLICY)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response

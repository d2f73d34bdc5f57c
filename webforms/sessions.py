"""Session cookies that survive a hop to another web process whose clock is a little behind.

Flask signs the session cookie with a timestamp in whole seconds, and
itsdangerous refuses a signature dated in the future.  With several web
processes (or machines, see the README's Deployment), a rater's link is
opened on one and the redirect to ``/r/`` often lands on another within the
same second: if the second one's clock is even a millisecond behind across a
second boundary, the cookie is "from the future" and the rater is told to
open the link again.  A few seconds of skew are accepted; anything further
ahead is still refused, and the lifetime limit is unchanged.
"""

from __future__ import annotations

import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, SignatureExpired

CLOCK_SKEW_SECONDS = 5
"""How far ahead another process's clock may be (NTP keeps machines within milliseconds)."""


class SkewTolerantSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, accepting cookies signed up to a few seconds ahead."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            return self.session_class(serializer.loads(value, max_age=max_age))
        except SignatureExpired as expired:
            signed = expired.date_signed.timestamp() if expired.date_signed else None
            if signed is not None and 0 < signed - time.time() <= CLOCK_SKEW_SECONDS:
                return self.session_class(serializer.load_payload(expired.payload))
            return self.session_class()
        except BadSignature:
            return self.session_class()

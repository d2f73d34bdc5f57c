"""A session cookie signed by a web process whose clock runs a little ahead still opens the form.

With several web processes, a rater's link (``/r/<token>``) is answered by
one and the redirect to ``/r/`` often by another within the same second;
its cookie then carries a timestamp up to a second "in the future" for the
second process whenever that one's clock is a millisecond behind.  Such a
cookie must open the form; one dated minutes ahead is still refused.
"""

from __future__ import annotations

import time

import pytest

from tests.factories import make_campaign
from tests.web import FORM, app_fixture, client_fixture, rater_paths  # noqa: F401


def cookie_signed_ahead(app, token: str, seconds: int) -> str:
    """The session cookie another process would set, its clock ``seconds`` ahead of ours."""
    serializer = app.session_interface.get_signing_serializer(app)
    signer = serializer.make_signer(serializer.salt)
    signer.get_timestamp = lambda: int(time.time()) + seconds
    return signer.sign(serializer.dump_payload({"ballot_token": token})).decode()


@pytest.mark.parametrize(("ahead", "status"), [(0, 200), (2, 200), (5, 200), (120, 400)])
def test_a_cookie_from_a_clock_slightly_ahead_opens_the_form(
    app, client, session, engine, now, ahead, status
):
    campaign = make_campaign(session, now=now)
    token = rater_paths(engine, campaign)["R1"].rsplit("/", 1)[1]
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie_signed_ahead(app, token, ahead))
    response = client.get(FORM)
    assert response.status_code == status
    if status == 400:
        assert b"open your link again" in response.data

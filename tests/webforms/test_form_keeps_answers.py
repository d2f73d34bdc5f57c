"""The rater form keeps answers in the browser (issue 15, item 2), seen through the real app.

What the server must give the script: a draft key that names this form
session and nothing else (never the token, never the same for two links or
two browsers), the script itself under a policy that lets it run, and the
thank-you page that removes the draft.  The browser side is proven in
``test_browser_form.py``; here the plain form post (no JavaScript) must
still store a ballot.
"""

from __future__ import annotations

import re

from sqlmodel import Session

from tests.factories import make_campaign, tokens
from tests.web import FORM, ZH, parse, rater_paths, responses


def draft_key(body: bytes) -> str:
    """The draft key the form page hands its script."""
    found = re.search(r'<form [^>]*id="ballot" data-draft="([^"]+)"', body.decode())
    assert found, "the rater form carries no draft key"
    return found.group(1)


def test_the_draft_key_is_random_per_form_session_and_never_the_token(
    app, client, session, engine, now
):
    campaign = make_campaign(session, now=now)
    paths = rater_paths(engine, campaign)
    token = tokens(session, campaign)["R1"]
    first = client.get(paths["R1"], follow_redirects=True)
    key = draft_key(first.data)
    assert len(key) >= 16 and token not in first.data.decode()
    assert key not in token and token not in key
    # A reload, a language switch and the link opened again keep the same draft.
    assert draft_key(client.get(FORM).data) == key
    assert draft_key(client.get(FORM + "?lang=zh").data) == key
    assert draft_key(client.get(paths["R1"], follow_redirects=True).data) == key
    # Another link in the same browser starts an empty draft of its own.
    other = draft_key(client.get(paths["R4"], follow_redirects=True).data)
    assert other != key
    # The same link in another browser gets another key: it is not made from the token.
    phone = app.test_client()
    assert draft_key(phone.get(paths["R1"], follow_redirects=True).data) not in (key, other)


def test_the_form_and_the_thank_you_page_may_run_the_draft_script(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    form = client.get(rater_paths(engine, campaign)["R1"], follow_redirects=True, headers=ZH)
    body = form.data.decode()
    script = re.search(r'<script src="(/static/draft\.js\?v=\w+)" defer></script>', body)
    assert script and "<script>" not in body  # our own file, no inline script
    assert "script-src 'self'" in form.headers["Content-Security-Policy"]
    asset = client.get(script.group(1))
    assert asset.status_code == 200 and b"cadre-draft:" in asset.data
    asset.close()
    # The progress line's words come translated, with the numbers left to the script.
    assert 'data-questions="已答 {done}/{total} 题"' in body
    done = client.post(FORM, data=parse(form.data).valid_answers(), follow_redirects=True)
    assert done.request.path == "/done"
    assert script.group(1) in done.data.decode()
    assert "script-src 'self'" in done.headers["Content-Security-Policy"]


def test_without_javascript_a_plain_post_stores_the_ballot(any_app, any_engine, now):
    with Session(any_engine, expire_on_commit=False) as session:
        campaign = make_campaign(session, now=now)
    engine = any_engine
    client = any_app.test_client()
    page = parse(client.get(rater_paths(engine, campaign)["R4"], follow_redirects=True).data)
    answers = page.valid_answers(choice=1, comment="没有脚本")
    response = client.post(FORM, data=answers)
    assert response.status_code == 303 and response.headers["Location"].endswith("/done")
    rows = responses(engine)
    assert len(rows) == 2 and {row.group for row in rows} == {"subordinate"}
    assert {row.comment for row in rows} == {"没有脚本"}

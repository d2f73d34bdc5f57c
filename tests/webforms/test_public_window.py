"""The service window (issue 15, item 3): refusals before the form, a screen for the public.

A person who rated a cadre today sees that cadre greyed out and cannot pick
it, and a phone that rated everyone at the window is told so before any
form, without taking a code from the screen; a used code is refused when it
is opened, not after the form was filled.  The screen's page has nothing
for HR and no menus.  The browser side (sizes on a wall screen) is in
``test_browser_form.py``.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from storage.models import Cadre, PublicCodeUse
from surveys.setup.channels import create_channel, display_key
from tests.factories import SECRET, make_campaign
from tests.web import ZH, parse, responses, visible
from tests.webforms.test_public_form import scanned

RATED = "You rated this person today"


def window(session, now, cadres: list[str]) -> str:
    """A committed rotating channel at one window; its form's path."""
    campaign = make_campaign(session, now=now)
    channel = create_channel(session=session, campaign=campaign, name="1号窗口", cadre_ids=cadres)
    session.commit()
    return f"/p/{channel.slug}"


def cadre_id(session, external_id: str) -> str:
    """A cadre's database id from its roster id."""
    return session.exec(select(Cadre).where(Cadre.external_id == external_id)).one().id


def rate(client, path: str, now, cadre: str):
    """Scan a fresh code, fill in the whole form about ``cadre`` and send it."""
    page = parse(client.get(scanned(path, now)).data)
    return client.post(path, data=page.valid_answers() | {"cadre": cadre})


def claimed_codes(engine) -> int:
    """How many of the screen's codes phones have claimed."""
    with Session(engine) as session:
        return len(session.exec(select(PublicCodeUse)).all())


def test_a_cadre_rated_today_cannot_be_picked_again(client, session, engine, now):
    path = window(session, now, ["C1", "C2"])
    wang, li = cadre_id(session, "C1"), cadre_id(session, "C2")
    assert rate(client, path, now, wang).status_code == 303
    response = client.get(scanned(path, now))
    assert response.status_code == 200
    body = response.data.decode()
    # 王伟 is shown, greyed out and disabled; only 李娜 can be chosen.
    wang_option = re.search(rf'<label class="opt rated"><input [^>]*value="{wang}"[^>]*>', body)
    assert wang_option and " disabled" in wang_option.group(0)
    assert not re.search(rf'value="{li}"[^>]* disabled', body)
    assert RATED in visible(body)
    # The post is still checked: a forged choice of 王伟 is refused and nothing is stored.
    page = parse(body)
    again = client.post(path, data=page.valid_answers() | {"cadre": wang})
    assert again.status_code == 403 and "Already rated today" in visible(again.data)
    assert len(responses(engine)) == 1


def test_a_phone_that_rated_everyone_is_told_before_the_form_and_takes_no_code(
    client, session, engine, now
):
    path = window(session, now, ["C1", "C2"])
    for external_id in ("C1", "C2"):
        assert rate(client, path, now, cadre_id(session, external_id)).status_code == 303
    assert claimed_codes(engine) == 2
    response = client.get(scanned(path, now))
    assert response.status_code == 403
    assert "You have already rated 王伟, 李娜 today on this device." in visible(response.data)
    assert not parse(response.data).radios
    assert claimed_codes(engine) == 2  # the code on the screen stays free for the next person


def test_a_used_code_is_refused_when_it_is_opened(app, client, session, engine, now):
    path = window(session, now, ["C1", "C2"])
    code = scanned(path, now)
    first = client.get(code)
    assert first.status_code == 200
    neighbour = app.test_client()
    neighbour.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    refused = neighbour.get(code)  # the same code, photographed over a shoulder
    assert refused.status_code == 403
    text = visible(refused.data)
    assert "This code was already used" in text and "scan the new code" in text
    assert not parse(refused.data).radios


def test_the_wall_screen_has_nothing_for_hr_and_no_menus(client, session, now):
    path = window(session, now, ["C1"])
    slug = path.rsplit("/", 1)[1]
    response = client.get(f"{path}/display?key={display_key(SECRET, slug)}", headers=ZH)
    assert response.status_code == 200
    body = response.data.decode()
    assert '<body class="wall">' in body
    assert "<header" not in body and "<nav" not in body and "<a " not in body
    assert "干部考核测评" not in visible(body)  # no brand bar
    assert "扫码评价我们的服务" in visible(body)
    assert re.search(r'<p id="code" data-used="[^"]+"><img src="[^"]+qr\.png', body)

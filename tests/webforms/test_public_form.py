"""The public QR form through the real app: one cadre, a service window, and refusals.

Channels rotate their codes by default, so a visit starts as a scan does:
with the code the window's screen shows now (``scanned``).
"""

from __future__ import annotations

import itertools

from sqlmodel import select

from storage.models import Cadre
from surveys.setup.channels import create_channel, rotating_code, window_number
from tests.factories import SECRET, later, make_campaign
from tests.web import ZH, parse, responses, visible

ZH_ATTITUDE = "服务态度热情、耐心"
PUBLIC_ITEMS = {"pub_attitude", "pub_efficiency", "pub_overall", "pub_clean"}


def channel_path(session, campaign, cadres: list[str], name: str = "政务服务大厅3号窗口") -> str:
    """Open a public channel for roster cadres and return its form's path."""
    channel = create_channel(session=session, campaign=campaign, name=name, cadre_ids=cadres)
    session.commit()
    return f"/p/{channel.slug}"


SCANS = itertools.count(1)


def scanned(path: str, now, windows_ago: int = 0) -> str:
    """A fresh scan of the screen ``windows_ago`` windows before ``now``: a code nobody used.

    Each code admits one ballot, so every call gives the next serial, as the
    screen does once a phone has taken the code it showed.
    """
    slug = path.rsplit("/", 1)[1]
    code = rotating_code(SECRET, slug, window_number(now) - windows_ago, next(SCANS))
    return f"{path}?c={code}"


def cadre_id(session, external_id: str) -> str:
    """A cadre's database id from its roster id."""
    return session.exec(select(Cadre).where(Cadre.external_id == external_id)).one().id


def test_one_cadre_channel_needs_no_choice(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1"])
    response = client.get(scanned(path, now), headers=ZH)
    assert response.status_code == 200
    page = parse(response.data)
    text = visible(response.data)
    assert "王伟" in text and "主任" in text and "政务服务大厅3号窗口" in text
    assert ZH_ATTITUDE in text and "政治立场坚定" not in text
    assert page.hidden["cadre"] == cadre_id(session, "C1")
    assert set(page.radios) == PUBLIC_ITEMS and set(page.textareas) == {"comment"}
    assert response.headers["Cache-Control"] == "no-store"


def test_valid_public_answers_are_stored_as_the_public_group(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1"])
    page = parse(client.get(scanned(path, now)).data)
    response = client.post(path, data=page.valid_answers(choice=1, comment="办事很快"))
    assert response.status_code == 303 and response.headers["Location"] == f"{path}/thanks"
    thanks = client.get(f"{path}/thanks")
    assert thanks.status_code == 200
    assert "Thank you, your answers were recorded anonymously." in visible(thanks.data)
    # The code was spent on this rating: another person needs a new scan, not a link.
    assert "scan the new code on the screen" in visible(thanks.data)
    assert path not in parse(thanks.data).links
    (row,) = responses(engine)
    assert row.campaign_id == campaign.id and row.cadre_id == cadre_id(session, "C1")
    assert row.group == "public" and row.vote is None and row.comment == "办事很快"
    assert row.answers == dict.fromkeys(PUBLIC_ITEMS, "fairly_good")


def test_every_person_served_may_answer(app, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1"])
    for _ in range(2):  # two phones; one phone rates a cadre once a day (test_public_channels)
        phone = app.test_client()
        page = parse(phone.get(scanned(path, now)).data)
        assert phone.post(path, data=page.valid_answers()).status_code == 303
    assert len(responses(engine)) == 2


def test_service_window_asks_who_served(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1", "C2"])
    response = client.get(scanned(path, now))
    page = parse(response.data)
    text = visible(response.data)
    assert "Who served you?" in text
    assert "王伟 主任" in text and "李娜 副主任" in text
    assert page.radios["cadre"] == [cadre_id(session, "C1"), cadre_id(session, "C2")]
    assert "cadre" not in page.hidden
    data = page.valid_answers() | {"cadre": cadre_id(session, "C2")}
    assert client.post(path, data=data).status_code == 303
    (row,) = responses(engine)
    assert row.cadre_id == cadre_id(session, "C2") and row.group == "public"


def test_missing_choice_of_cadre_is_marked_with_the_other_problems(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1", "C2"])
    page = parse(client.get(scanned(path, now)).data)
    data = page.valid_answers(comment="没人接待")
    del data["cadre"], data["pub_clean"]
    response = client.post(path, data=data)
    assert response.status_code == 422
    text = visible(response.data)
    assert "Please choose who served you." in text and "2 questions need an answer." in text
    again = parse(response.data)
    assert again.marked == ["q-cadre", "q-pub_clean"]
    assert again.checked == {name: data[name] for name in PUBLIC_ITEMS - {"pub_clean"}}
    assert again.textareas["comment"] == "没人接待"
    assert responses(engine) == []


def test_a_cadre_outside_the_channel_cannot_be_chosen(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1", "C2"])
    page = parse(client.get(scanned(path, now)).data)
    response = client.post(path, data=page.valid_answers() | {"cadre": "0" * 32})
    assert response.status_code == 422
    assert "Please choose who served you." in visible(response.data)
    assert responses(engine) == []


def test_public_answers_off_the_scale_are_refused(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1"])
    page = parse(client.get(scanned(path, now)).data)
    response = client.post(path, data=page.valid_answers() | {"pub_overall": "999"})
    assert response.status_code == 422
    assert parse(response.data).marked == ["q-pub_overall"]
    assert responses(engine) == []


def test_unknown_channel_is_404(client, session, now):
    make_campaign(session, now=now)
    assert client.get("/p/nope").status_code == 404
    assert client.post("/p/nope", data={}).status_code == 404
    assert client.get("/p/nope/thanks").status_code == 404


def test_closed_and_unopened_channels_say_when(client, session, engine, now):
    closed = make_campaign(
        session, now=now, opens_at=later(now, days=-10), closes_at=later(now, hours=-1)
    )
    closed_path = channel_path(session, closed, ["C1"])
    response = client.get(closed_path)
    assert response.status_code == 403
    assert "This assessment closed at Nov 25, 2026, 11:00 AM" in visible(response.data)
    assert client.post(closed_path, data={}).status_code == 403


def test_unopened_channel_says_when_it_opens(client, session, engine, now):
    campaign = make_campaign(session, now=now, opens_at=later(now, days=2))
    response = client.get(
        channel_path(session, campaign, ["C1"]), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 403
    assert "it opens at Nov 27, 2026, 12:00 PM" in visible(response.data)


def test_public_post_without_csrf_token_keeps_the_answers(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = channel_path(session, campaign, ["C1"])
    page = parse(client.get(scanned(path, now)).data)
    data = page.valid_answers(comment="态度好")
    del data["csrf_token"]
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert parse(response.data).textareas["comment"] == "态度好"
    assert responses(engine) == []


def test_public_form_in_english(client, session, now):
    campaign = make_campaign(session, now=now)
    response = client.get(scanned(channel_path(session, campaign, ["C1"]), now) + "&lang=en")
    text = visible(response.data)
    assert "Friendly and patient service" in text and ZH_ATTITUDE not in text

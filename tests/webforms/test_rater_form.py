"""The rater form through the real app: what a rater sees, and what the database keeps."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlmodel import select

from storage.models import Cadre, Invitation
from tests.factories import RESPONSE_COLUMNS, later, make_campaign
from tests.web import FORM, ZH, invitation_statuses, parse, rater_paths, responses, visible

ZH_STANCE = "政治立场坚定，坚决贯彻上级决策部署"
EN_STANCE = "Firm political stance; carries out decisions of higher authorities"
ZH_LEADERSHIP = "组织协调和解决复杂问题能力强"  # superiors and subordinates only
ZH_FRONT_LINE = "深入基层，作风务实，联系群众"  # peers and subordinates only


def open_form(client, path, **kwargs):
    """GET a form and return the response with its parsed page."""
    response = client.get(path, follow_redirects=True, **kwargs)
    return response, parse(response.data)


def cadre_ids(session) -> dict[str, str]:
    """Cadre ids by roster id."""
    return {cadre.external_id: cadre.id for cadre in session.exec(select(Cadre)).all()}


def test_superior_sees_every_assigned_cadre_with_the_superior_items(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    response, page = open_form(client, path, headers=ZH)
    assert response.status_code == 200
    text = visible(response.data)
    for cadre in ("王伟", "市发展改革委", "主任", "李娜", "副主任"):
        assert cadre in text
    ids = cadre_ids(session)
    items = [name for name in page.radios if not name.endswith(":vote")]
    assert len(items) == 18
    assert {name.split(":")[0] for name in items} == {ids["C1"], ids["C2"]}
    assert f"{ids['C1']}:vote" in page.radios and f"{ids['C2']}:vote" in page.radios
    assert set(page.textareas) == {f"{ids['C1']}:comment", f"{ids['C2']}:comment"}
    assert ZH_STANCE in text and ZH_LEADERSHIP in text and ZH_FRONT_LINE not in text
    assert "德（政治素质）" in text and "好" in text and "较好" in text
    assert "2026年12月1日 08:00 中国（上海）时间" in text
    english = visible(client.get(path, follow_redirects=True).data)
    assert "2 people to assess" in english and "18 questions in all" in english
    assert "Open until Dec 1, 2026, 8:00 AM China (Shanghai) Time" in english


def test_peer_sees_fewer_items_than_a_superior(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    response, page = open_form(client, rater_paths(engine, campaign)["R2"], headers=ZH)
    text = visible(response.data)
    assert "王伟" in text and "李娜" not in text
    items = [name for name in page.radios if not name.endswith(":vote")]
    assert len(items) == 7
    assert ZH_FRONT_LINE in text and ZH_LEADERSHIP not in text


def test_points_are_never_shown(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    response, page = open_form(client, rater_paths(engine, campaign)["R2"])
    values = {value for options in page.radios.values() for value in options}
    assert values == {
        "good",
        "fairly_good",
        "fair",
        "poor",
        "excellent",
        "competent",
        "basically_competent",
        "incompetent",
    }
    assert "100" not in visible(response.data)


def test_valid_submission_is_stored_without_the_rater(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    _, page = open_form(client, path)
    response = client.post(FORM, data=page.valid_answers(comment="工作认真"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/done"
    thanks = client.get("/done")
    assert thanks.status_code == 200
    assert "Thank you, your answers were recorded anonymously." in visible(thanks.data)
    rows = responses(engine)
    ids = cadre_ids(session)
    assert sorted(row.cadre_id for row in rows) == sorted([ids["C1"], ids["C2"]])
    for row in rows:
        assert row.campaign_id == campaign.id and row.group == "superior"
        assert len(row.answers) == 9 and set(row.answers.values()) == {"good"}
        assert row.vote == "excellent" and row.comment == "工作认真"
    assert invitation_statuses(engine) == ["completed"] + ["pending"] * 5


def test_response_rows_hold_no_rater_invitation_or_token(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    _, page = open_form(client, path)
    client.post(FORM, data=page.valid_answers())
    columns = {column["name"] for column in sa.inspect(engine).get_columns("response")}
    assert columns == RESPONSE_COLUMNS
    invitation = session.exec(select(Invitation).where(Invitation.status == "completed")).one()
    token = path.rsplit("/", 1)[1]
    with engine.connect() as connection:
        stored = json.dumps(
            [list(row) for row in connection.execute(sa.text("SELECT * FROM response"))],
            default=str,
        )
    for secret in (token, invitation.id, invitation.rater_id, invitation.token_hash):
        assert secret not in stored


def test_resubmission_is_refused_and_stores_nothing(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    _, page = open_form(client, path)
    assert client.post(FORM, data=page.valid_answers()).status_code == 303
    again = client.post(FORM, data=page.valid_answers(choice=3))
    assert again.status_code == 409
    assert "These answers were already submitted" in visible(again.data)
    reopened = client.get(path, follow_redirects=True)
    assert reopened.status_code == 409
    assert "radio" not in reopened.get_data(as_text=True)
    rows = responses(engine)
    assert len(rows) == 2 and all(set(row.answers.values()) == {"good"} for row in rows)


def test_unknown_token_is_an_ordinary_404(client, session, engine, now):
    make_campaign(session, now=now)
    unknown = client.get("/r/not-a-real-token")
    other = client.get("/no/such/page")
    assert unknown.status_code == other.status_code == 404
    assert unknown.get_data(as_text=True).replace("/r/not-a-real-token", "PATH") == other.get_data(
        as_text=True
    ).replace("/no/such/page", "PATH")
    text = visible(unknown.data)
    for hint in ("2026年度考核", "campaign", "closed", "submitted", "open"):
        assert hint not in text.lower()
    assert client.post("/r/not-a-real-token", data={}).status_code == 405


def test_not_yet_open_campaign_says_when_it_opens(client, session, engine, now):
    campaign = make_campaign(session, now=now, opens_at=later(now, days=2))
    path = rater_paths(engine, campaign)["R1"]
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 403
    assert (
        "This assessment has not opened yet; it opens at Nov 27, 2026, 12:00 PM"
        " China (Shanghai) Time." in visible(response.data)
    )
    chinese = client.get(path, follow_redirects=True, headers=ZH)
    assert chinese.status_code == 403
    assert "2026年11月27日 12:00 中国（上海）时间" in visible(chinese.data)


def test_closed_campaign_says_when_it_closed_and_takes_nothing(client, session, engine, now):
    campaign = make_campaign(
        session, now=now, opens_at=later(now, days=-10), closes_at=later(now, hours=-1)
    )
    path = rater_paths(engine, campaign)["R1"]
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 403
    assert "This assessment closed at Nov 25, 2026, 11:00 AM" in visible(response.data)
    assert "2026年11月25日 11:00" in visible(
        client.get(path, follow_redirects=True, headers=ZH).data
    )
    posted = client.post(FORM, data={"anything": "good"})  # a closed link never reaches /r/
    assert posted.status_code == 400
    assert "Please open your link again" in visible(posted.data)
    assert responses(engine) == []


def test_the_form_closes_while_the_clock_moves_on(app, client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    _, page = open_form(client, path)
    app.config["CLOCK"] = lambda: later(now, days=30)
    response = client.post(FORM, data=page.valid_answers())
    assert response.status_code == 403
    assert responses(engine) == [] and set(invitation_statuses(engine)) == {"pending"}


def test_missing_answers_are_marked_and_the_given_ones_kept(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    ids = cadre_ids(session)
    _, page = open_form(client, path)
    data = {
        name: value
        for name, value in page.valid_answers(choice=1, comment="很好").items()
        if not name.startswith(ids["C2"])
    }
    response = client.post(FORM, data=data)
    assert response.status_code == 422
    text = visible(response.data)
    assert "10 questions need an answer." in text
    assert "Please answer this question." in text and "Please choose an overall grade." in text
    again = parse(response.data)
    kept = {name: value for name, value in data.items() if name in again.radios}
    assert again.checked == kept
    assert again.textareas[f"{ids['C1']}:comment"] == "很好"
    assert len(again.marked) == 10
    assert all(mark.startswith(f"q-{ids['C2']}-") for mark in again.marked)
    problem_links = [link for link in again.links if link.startswith("#q-")]
    assert problem_links == [f"#{mark}" for mark in again.marked[:5]]
    assert "…and 5 more, marked in red below." in text
    assert again.csrf_token
    assert responses(engine) == [] and set(invitation_statuses(engine)) == {"pending"}


def test_out_of_scale_answers_are_refused(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R2"]
    ids = cadre_ids(session)
    _, page = open_form(client, path)
    data = page.valid_answers()
    data[f"{ids['C1']}:de_stance"] = "excellent"
    data[f"{ids['C1']}:lian_rules"] = "999"
    response = client.post(FORM, data=data)
    assert response.status_code == 422
    text = visible(response.data)
    assert "2 answers need to be corrected." in text
    assert text.count("This answer is not on the scale.") == 4  # summary and question
    assert sorted(parse(response.data).marked) == [
        f"q-{ids['C1']}-de_stance",
        f"q-{ids['C1']}-lian_rules",
    ]
    assert responses(engine) == []


def test_a_grade_off_the_list_is_refused(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R2"]
    ids = cadre_ids(session)
    _, page = open_form(client, path)
    data = page.valid_answers() | {f"{ids['C1']}:vote": "outstanding"}
    response = client.post(FORM, data=data)
    assert response.status_code == 422
    assert "This grade is not one of the choices." in visible(response.data)
    assert parse(response.data).marked == [f"q-{ids['C1']}-vote"]
    assert responses(engine) == []


def test_an_overlong_comment_is_refused_and_kept_for_editing(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R2"]
    ids = cadre_ids(session)
    _, page = open_form(client, path)
    comment = "意" * 501
    response = client.post(FORM, data=page.valid_answers(comment=comment))
    assert response.status_code == 422
    assert "The comment is too long." in visible(response.data)
    assert parse(response.data).textareas[f"{ids['C1']}:comment"] == comment
    assert responses(engine) == []


def test_browser_line_ends_count_once_against_the_comment_limit(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R2"]
    _, page = open_form(client, path)
    comment = "意" * 250 + "\r\n" + "见" * 249
    response = client.post(FORM, data=page.valid_answers(comment=comment))
    assert response.status_code == 303
    assert responses(engine)[0].comment == "意" * 250 + "\n" + "见" * 249


def test_fields_of_other_cadres_and_items_are_ignored(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R2"]
    ids = cadre_ids(session)
    _, page = open_form(client, path)
    data = page.valid_answers() | {
        f"{ids['C2']}:de_stance": "poor",
        f"{ids['C1']}:neng_leadership": "poor",
    }
    assert client.post(FORM, data=data).status_code == 303
    (row,) = responses(engine)
    assert row.cadre_id == ids["C1"] and row.group == "peer"
    assert "neng_leadership" not in row.answers and len(row.answers) == 7


def test_missing_csrf_token_keeps_the_answers_and_stores_nothing(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R2"]
    ids = cadre_ids(session)
    _, page = open_form(client, path)
    data = page.valid_answers(comment="保留")
    del data["csrf_token"]
    response = client.post(FORM, data=data)
    assert response.status_code == 400
    text = visible(response.data)
    assert "This form had expired, so nothing was saved yet." in text
    again = parse(response.data)
    assert again.checked[f"{ids['C1']}:vote"] == "excellent"
    assert again.textareas[f"{ids['C1']}:comment"] == "保留"
    assert responses(engine) == [] and set(invitation_statuses(engine)) == {"pending"}
    assert client.post(FORM, data=again.valid_answers()).status_code == 303


def test_a_forged_csrf_token_is_refused(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R2"]
    _, page = open_form(client, path)
    data = page.valid_answers() | {"csrf_token": "forged"}
    assert client.post(FORM, data=data).status_code == 400
    fresh = client.application.test_client()
    assert fresh.post(FORM, data=page.valid_answers()).status_code == 400
    assert responses(engine) == []


def test_language_follows_the_browser(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    english = client.get(path, follow_redirects=True, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert EN_STANCE in visible(english.data) and ZH_STANCE not in visible(english.data)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Good" in visible(english.data) and "Fairly good" in visible(english.data)
    chinese = client.get(
        path, follow_redirects=True, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    )
    assert ZH_STANCE in visible(chinese.data)
    assert '<html lang="zh-CN">' in chinese.get_data(as_text=True)
    assert ZH_STANCE in visible(
        client.get(path, follow_redirects=True, headers={"Accept-Language": "fr"}).data
    )
    fresh = client.application.test_client()
    assert ZH_STANCE in visible(fresh.get(path, follow_redirects=True).data)


def test_language_chosen_by_link_is_remembered(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    chinese_browser = {"Accept-Language": "zh-CN"}
    english = client.get(path + "?lang=en", follow_redirects=True, headers=chinese_browser)
    assert EN_STANCE in visible(english.data)
    assert f'href="{FORM}?lang=zh"' in english.get_data(as_text=True)
    assert EN_STANCE in visible(
        client.get(path, follow_redirects=True, headers=chinese_browser).data
    )
    chinese = client.get(
        path + "?lang=zh", follow_redirects=True, headers={"Accept-Language": "en"}
    )
    assert ZH_STANCE in visible(chinese.data)
    assert ZH_STANCE in visible(
        client.get(path, follow_redirects=True, headers={"Accept-Language": "en"}).data
    )
    assert ZH_STANCE in visible(client.get(path + "?lang=xx", follow_redirects=True).data)


def test_language_links_stay_on_this_site(client):
    response = client.get("/", environ_overrides={"PATH_INFO": "//elsewhere.example/x"})
    assert response.status_code == 404
    assert set(parse(response.data).links) == {
        "/elsewhere.example/x?lang=zh",
        "/elsewhere.example/x?lang=en",
    }


def test_form_pages_carry_privacy_headers(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    response = client.get(rater_paths(engine, campaign)["R1"])
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'none'" in policy
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    body = response.get_data(as_text=True)
    assert "<script" not in body and "http://" not in body and "https://" not in body


def test_the_style_sheet_is_served_and_cached(client):
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    style = client.get(href)
    assert style.status_code == 200 and style.mimetype == "text/css"
    assert "max-age" in style.headers["Cache-Control"]
    style.close()


def test_landing_page_is_neutral(client, session, now):
    make_campaign(session, now=now)
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    text = visible(response.data)
    assert "Cadre assessment" in text and "open the link" in text
    assert "2026年度考核" not in text and "王伟" not in text


def test_health_check_asks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and response.get_data(as_text=True) == "ok"


def test_health_check_reports_a_database_that_does_not_answer(tmp_path):
    from webforms import create_app

    broken = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "BASE_URL": "http://localhost",
            "DATABASE_URL": f"sqlite:///{tmp_path}",
        }
    )  # a folder, not a file
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_data(as_text=True) == "unavailable"
    broken.extensions["cadre_engine"].dispose()


def test_the_token_is_swapped_for_a_cookie_and_leaves_the_address(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    token = path.rsplit("/", 1)[1]
    arrival = client.get(path)
    assert arrival.status_code == 303 and arrival.headers["Location"] == FORM
    assert token not in arrival.headers["Location"]
    cookie = client.get_cookie("cadre_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    page = client.get(FORM)
    assert page.status_code == 200 and token not in page.get_data(as_text=True)
    assert 'action="/r/"' in page.get_data(as_text=True)
    stranger = client.application.test_client()
    assert stranger.get(FORM).status_code == 400


def test_wrong_method_and_oversized_posts_get_friendly_pages(client, session, engine, now):
    campaign = make_campaign(session, now=now)
    wrong = client.post("/done")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "This page cannot be used that way." in visible(wrong.data)
    client.get(rater_paths(engine, campaign)["R1"])  # the link puts the token in the session
    huge = client.post(FORM, data={"comment": "x" * 300_000})
    assert huge.status_code == 413
    assert "What you sent is too long." in visible(huge.data)
    assert responses(engine) == []


def test_server_errors_get_a_friendly_page(app):
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", view_func=broken)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    response = app.test_client().get("/broken", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    text = visible(response.data)
    assert "Something went wrong" in text and "boom" not in text and "Traceback" not in text


def test_other_posts_without_csrf_token_get_the_expired_page(app):
    app.add_url_rule("/echo", view_func=lambda: "stored", methods=["POST"])
    response = app.test_client().post("/echo", data={"x": "1"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This form has expired" in visible(response.data)


def test_forms_work_behind_https_without_a_referrer(engine, sqlite_url, session, now):
    from tests.factories import SECRET
    from webforms import create_app

    campaign = make_campaign(session, now=now)
    secure = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": sqlite_url,
            "BASE_URL": "https://forms.example.org",
            "CLOCK": lambda: now,
        }
    )
    client = secure.test_client()
    path = rater_paths(engine, campaign)["R1"]
    response = client.get(path, follow_redirects=True, base_url="https://forms.example.org")
    assert "Secure" in response.headers["Set-Cookie"]
    data = parse(response.data).valid_answers()
    posted = client.post(FORM, data=data, base_url="https://forms.example.org")
    assert posted.status_code == 303
    secure.extensions["cadre_engine"].dispose()


def test_form_pages_travel_compressed_to_phones_that_accept_it(client, session, engine, now):
    import gzip

    campaign = make_campaign(session, now=now)
    path = rater_paths(engine, campaign)["R1"]
    plain = client.get(path, follow_redirects=True, headers=ZH)
    packed = client.get(path, follow_redirects=True, headers={**ZH, "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert visible(gzip.decompress(packed.data)) == visible(plain.data)  # CSRF value may differ
    assert len(packed.data) * 5 < len(plain.data)

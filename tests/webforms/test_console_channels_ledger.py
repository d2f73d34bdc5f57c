"""The HR console does what ``cadre channels status`` and ``cadre ledger`` do.

Window tallies and bursts come from the same ``surveys.setup.channels``
functions the CLI prints; the ledger check runs ``verify_campaign`` with the
files HR or an auditor uploads (the published export, the published key, a
copy of the shared database), and refuses files that are not what they claim
to be with a 4xx and a reason.  Every test drives the real app through its
test client, signed in through the login page, once on SQLite and once on
PostgreSQL.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from storage.engine import make_engine
from storage.models import Campaign
from surveys.documents.qrcodes import qr_matrix
from surveys.results.summaries import push_results
from surveys.sealing.ballot_ledger import export_ledger, server_public_key
from surveys.sealing.ledger import key_fingerprint
from surveys.setup.accounts import AUDITOR, OFFICER
from surveys.setup.channels import (
    BURST,
    channel_flags,
    channel_tallies,
    create_channel,
    public_url,
    record_tally,
)
from tests.browser import screenshot, serving
from tests.cli import png_matrix
from tests.factories import LEDGER_KEY, make_campaign
from tests.hr import form_token, hr_client, hr_post, make_hr_user
from tests.report_campaign import report_campaign
from tests.web import BASE_URL, ZH, visible
from tests.webforms.test_browser_console import (
    PHONE,
    assert_page_does_not_scroll_sideways,
    sign_in,
)
from webforms.admin.ledger import READ_ONLY_POSTS


@pytest.fixture
def engine(any_engine):
    """This run's database: SQLite, then PostgreSQL."""
    return any_engine


@pytest.fixture
def app(any_app):
    """The real application on this run's database, standing at ``now``."""
    return any_app


def path(campaign: Campaign, page: str = "") -> str:
    return f"/admin/campaigns/{campaign.id}{page}"


def stand_at(app: Flask, moment: datetime) -> None:
    app.config["CLOCK"] = lambda: moment


# -- window tallies and bursts (``cadre channels status``) ----------------------------------


def busy_windows(session: Session, campaign: Campaign, now: datetime) -> None:
    """31 submissions (one refused) at 1号窗口 within an hour, one at Desk 4."""
    window = create_channel(session=session, campaign=campaign, name="1号窗口", cadre_ids=["C1"])
    desk = create_channel(
        session=session, campaign=campaign, name="Desk 4", cadre_ids=["C2"], rotating=False
    )
    for minute in range(30):
        moment = now + timedelta(minutes=minute)
        record_tally(session=session, channel=window, now=moment, accepted=True)
    record_tally(session=session, channel=window, now=now, accepted=False)
    record_tally(session=session, channel=desk, now=now, accepted=True)
    session.commit()


def test_tallies_page_shows_the_hours_and_the_bursts_the_cli_reports(app, session, now):
    campaign = make_campaign(session, now=now)
    auditor = hr_client(app, AUDITOR)
    empty = auditor.get(path(campaign, "/channels/tallies"))
    assert empty.status_code == 200 and "No public submissions yet." in visible(empty.data)
    busy_windows(session, campaign, now)
    later = now + timedelta(hours=2)
    stand_at(app, later)
    page = visible(auditor.get(path(campaign, "/channels/tallies")).data)
    # The same rows and flags the CLI prints, from the same functions at the same moment.
    rows = channel_tallies(session=session, campaign=campaign, now=later)
    assert [(row.channel.name, row.accepted, row.refused) for row in rows] == [
        ("1号窗口", 30, 1),
        ("Desk 4", 1, 0),
    ]
    assert "1号窗口 2026-11-25 12:00 30 1" in page and "Desk 4 2026-11-25 12:00 1 0" in page
    (flag,) = channel_flags(session=session, campaign=campaign, now=later)
    burst = BURST % flag.values
    assert burst == (
        "31 public submissions (1 refused) on channel 1号窗口 from 2026-11-25 12:00 "
        "to 2026-11-25 13:00: at least 20 within one hour"
    )
    assert burst in page
    quiet = visible(auditor.get(path(campaign, "/channels/tallies?minimum=40")).data)
    assert "No bursts: no channel took 40 submissions within one hour." in quiet
    assert "31 public submissions" not in quiet
    for bad in ("abc", "0", "-3", "1e3", "9999999", "²", "%EF%BC%93"):
        refused = auditor.get(path(campaign, f"/channels/tallies?minimum={bad}"))
        assert refused.status_code == 400, bad
        assert "whole number from 1 to" in visible(refused.data)
    assert auditor.get("/admin/campaigns/nosuchcampaign/channels/tallies").status_code == 404


def test_tallies_page_speaks_chinese_and_is_in_the_campaign_navigation(app, session, now):
    campaign = make_campaign(session, now=now)
    busy_windows(session, campaign, now)
    stand_at(app, now + timedelta(hours=2))
    officer = hr_client(app, OFFICER)
    for page in ("/ledger", "/channels"):
        links = officer.get(path(campaign, page)).data.decode()
        assert f'href="{path(campaign, "/channels/tallies")}"' in links, page
    officer.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    page = visible(officer.get(path(campaign, "/channels/tallies")).data)
    assert "1号窗口" in page and "窗口" in page
    for english in ("Bursts to check", "Accepted", "Refused", "public submissions", "Channel"):
        assert english not in page, english


# -- the ledger: downloads ---------------------------------------------------------------


@pytest.fixture
def opened(app, session, now) -> Campaign:
    """The report campaign: every ballot submitted, the box opened and its ledger signed."""
    return report_campaign(session, now)


def test_export_and_key_downloads_are_what_the_cli_writes(app, session, opened):
    auditor = hr_client(app, AUDITOR)
    exported = auditor.get(path(opened, "/ledger/export.json"))
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    assert json.loads(exported.data) == export_ledger(session=session, campaign=opened)
    assert json.loads(exported.data)["size"] > 0
    key = auditor.get(path(opened, "/ledger/key.pem"))
    assert key.status_code == 200 and key.data == server_public_key(LEDGER_KEY)
    page = visible(auditor.get(path(opened, "/ledger")).data)
    assert key_fingerprint(key.data) in page
    assert "Create the key now" not in page


def test_a_writer_creates_the_key_before_the_box_opens_and_an_auditor_cannot(
    app, session, now, tmp_path
):
    campaign = make_campaign(session, now=now)
    app.config["LEDGER_KEY"] = str(tmp_path / "keys" / "ledger.pem")
    auditor = hr_client(app, AUDITOR)
    assert "Create the key now" not in visible(auditor.get(path(campaign, "/ledger")).data)
    missing = auditor.get(path(campaign, "/ledger/key.pem"))
    assert missing.status_code == 404 and "There is no ledger key at" in visible(missing.data)
    denied = hr_post(auditor, path(campaign, "/ledger/key"))
    assert denied.status_code == 403 and not (tmp_path / "keys" / "ledger.pem").exists()
    officer = hr_client(app, OFFICER)
    assert "Create the key now" in visible(officer.get(path(campaign, "/ledger")).data)
    made = hr_post(officer, path(campaign, "/ledger/key"))
    assert made.status_code == 303
    public = server_public_key(tmp_path / "keys" / "ledger.pem")
    page = visible(officer.get(path(campaign, "/ledger")).data)
    assert f"Fingerprint (SHA-256): {key_fingerprint(public)}" in page
    assert officer.get(path(campaign, "/ledger/key.pem")).data == public
    again = hr_post(officer, path(campaign, "/ledger/key"))
    assert (
        again.status_code == 303 and server_public_key(tmp_path / "keys" / "ledger.pem") == public
    )


# -- the ledger check (``cadre ledger verify --published --public-key --shared``) -------------


def check(client: FlaskClient, campaign: Campaign, files: dict[str, bytes], **fields: str):
    """Post the check form with these files (field name -> bytes) and fields."""
    data: dict = {"csrf_token": form_token(client, path(campaign, "/ledger")), **fields}
    for name, content in files.items():
        data[name] = (io.BytesIO(content), f"{name}.bin")
    return client.post(
        path(campaign, "/ledger/check"), data=data, content_type="multipart/form-data"
    )


def exported(session: Session, campaign: Campaign) -> dict:
    return export_ledger(session=session, campaign=campaign)


def as_file(data: dict) -> bytes:
    return json.dumps(data, indent=1).encode()


def other_key() -> bytes:
    return (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def test_the_check_passes_for_the_published_export_and_key(app, session, opened):
    officer = hr_client(app, OFFICER)
    published = officer.get(path(opened, "/ledger/export.json")).data
    key = officer.get(path(opened, "/ledger/key.pem")).data
    response = check(officer, opened, {"published": published, "public_key": key})
    assert response.status_code == 200
    page = visible(response.data)
    assert "Passed: The signed checkpoints and their key" in page
    assert "Passed: The stored ballots against the published ledger file" in page
    assert "pinned with the key file you gave" in page and key_fingerprint(key) in page
    assert "Every check passed." in page and "Failed" not in page
    # An auditor checks too: the check only reads.
    auditor = hr_client(app, AUDITOR)
    assert "admin.ledger_check" in READ_ONLY_POSTS
    by_auditor = check(auditor, opened, {"published": published, "public_key": key})
    assert by_auditor.status_code == 200 and "Every check passed." in visible(by_auditor.data)
    # Without files it checks against this server's own key, as the CLI does.
    plain = visible(check(auditor, opened, {}).data)
    assert "Every check passed." in plain and "not independently pinned" in plain


def test_a_flipped_byte_in_the_published_file_fails_with_its_position(app, session, opened):
    data = exported(session, opened)
    leaf = data["leaves"][3]
    data["leaves"][3] = ("1" if leaf[0] != "1" else "2") + leaf[1:]
    officer = hr_client(app, OFFICER)
    page = visible(check(officer, opened, {"published": as_file(data)}).data)
    assert "Failed: The stored ballots against the published ledger file" in page
    assert "edited:" in page and "the file was changed after it was exported" in page
    assert "Passed: The signed checkpoints and their key" in page
    assert "At least one check failed" in page and "Every check passed." not in page


def test_a_dropped_leaf_fails(app, session, opened):
    data = exported(session, opened)
    del data["leaves"][0]
    officer = hr_client(app, OFFICER)
    response = check(officer, opened, {"published": as_file(data)})
    page = visible(response.data)
    assert response.status_code == 200
    assert "Failed: The stored ballots against the published ledger file" in page
    assert "inserted:" in page and "the file was changed after it was exported" in page


def test_a_wrong_public_key_fails_the_key_check(app, session, opened):
    officer = hr_client(app, OFFICER)
    pinned = other_key()
    page = visible(check(officer, opened, {"public_key": pinned}).data)
    assert "Failed: The signed checkpoints and their key" in page
    assert "Not every checkpoint was signed by this key." not in page  # reasons, not the verdict
    assert f"not by the pinned key {key_fingerprint(pinned)}" in page
    assert key_fingerprint(server_public_key(LEDGER_KEY)) in page  # names the real signer
    assert "Passed: The stored ballots against the ledger" in page


@pytest.mark.parametrize(
    ("field", "content", "reason"),
    [
        ("published", b"", "The ledger file is empty."),
        ("published", b"   \n", "The ledger file is empty."),
        ("published", bytes(range(256)) * 4, "is not a ledger export"),
        ("published", b'{"leaves": [], "campaign_id": "x\x00"}', "is not a ledger export"),
        ("published", b"[1, 2, 3]", "is not a ledger export"),
        ("published", b"\xff\xfe{}", "is not a ledger export"),
        ("public_key", b"", "The key file is empty."),
        ("public_key", b"\x00\x01\x02junk", "does not hold an Ed25519 public key"),
        ("shared_copy", b"not a database", "is not a SQLite database"),
        ("shared_copy", b"SQLite format 3\x00" + bytes(200), "is not a SQLite database"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(app, session, opened, field, content, reason):
    officer = hr_client(app, OFFICER)
    response = check(officer, opened, {field: content})
    assert response.status_code == 422
    page = visible(response.data)
    assert reason in page and "Every check passed." not in page


def test_another_campaigns_export_and_a_bad_leaf_are_refused(app, session, opened):
    officer = hr_client(app, OFFICER)
    data = exported(session, opened)
    other = {**data, "campaign_id": "0" * 32}
    response = check(officer, opened, {"published": as_file(other)})
    assert response.status_code == 422
    assert "belongs to another campaign" in visible(response.data)
    bad = {**data, "leaves": [*data["leaves"][:2], "zz" * 32]}
    response = check(officer, opened, {"published": as_file(bad)})
    assert response.status_code == 422
    assert "Leaf 2 of the ledger file is not a SHA-256 hash" in visible(response.data)
    private = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    response = check(officer, opened, {"public_key": private})
    assert response.status_code == 422
    assert "does not hold an Ed25519 public key" in visible(response.data)


def shared_copy(session: Session, campaign: Campaign, folder: Path, now: datetime) -> Path:
    """A SQLite shared database with the campaign's summary pushed into it."""
    file = folder / "shared.sqlite"
    shared = make_engine(f"sqlite:///{file}")
    push_results(session=session, campaign=campaign, shared_engine=shared, now=now)
    shared.dispose()
    change(file)
    return file


def change(file: Path, statement: str | None = None) -> None:
    """Run a statement on a SQLite file and leave everything in the one file, to copy it."""
    connection = sqlite3.connect(file)
    try:
        if statement:
            connection.execute(statement)
            connection.commit()
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def test_the_shared_summary_check_passes_and_names_a_changed_composite(
    app, session, opened, now, tmp_path
):
    file = shared_copy(session, opened, tmp_path, now)
    auditor = hr_client(app, AUDITOR)
    page = visible(check(auditor, opened, {"shared_copy": file.read_bytes()}).data)
    assert "Passed: The shared database's summary against these ballots" in page
    assert "Every check passed." in page
    not_configured = check(auditor, opened, {}, shared="1")
    assert not_configured.status_code == 422
    assert "no shared database configured" in visible(not_configured.data)
    app.config["SHARED_DATABASE_URL"] = f"sqlite:///{file}"
    configured = visible(check(auditor, opened, {}, shared="1").data)
    assert "Passed: The shared database's summary against these ballots" in configured
    change(file, "UPDATE cadre_summary SET composite = 99 WHERE cadre_id = 'C1'")
    for response in (
        check(auditor, opened, {"shared_copy": file.read_bytes()}),
        check(auditor, opened, {}, shared="1"),
    ):
        assert response.status_code == 200
        page = visible(response.data)
        assert "Failed: The shared database's summary against these ballots" in page
        assert "Shared summary of C1: composite is 99" in page


def test_a_shared_copy_of_another_campaign_is_refused(app, session, opened, now, tmp_path):
    file = shared_copy(session, opened, tmp_path, now)
    change(file, "UPDATE cadre_summary SET campaign_id = 'another'")
    response = check(hr_client(app, OFFICER), opened, {"shared_copy": file.read_bytes()})
    assert response.status_code == 422
    assert "holds no summary of this campaign" in visible(response.data)


def test_the_ledger_check_speaks_chinese(app, session, opened):
    officer = hr_client(app, OFFICER)
    officer.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    data = exported(session, opened)
    del data["leaves"][0]
    page = visible(check(officer, opened, {"published": as_file(data)}).data)
    for english in ("Passed", "Failed", "The stored ballots", "exported", "Check the ledger"):
        assert english not in page, english
    refused = visible(check(officer, opened, {"published": b""}).data)
    assert "The ledger file is empty." not in refused and "账本" in refused


def test_an_auditor_cannot_print_channel_cards_or_make_keys(app, session, now):
    campaign = make_campaign(session, now=now)
    create_channel(
        session=session, campaign=campaign, name="Desk 4", cadre_ids=["C2"], rotating=False
    )
    session.commit()
    auditor = hr_client(app, AUDITOR)
    for page in ("/channels/cards.pdf", "/ledger/key"):
        response = hr_post(auditor, path(campaign, page))
        assert response.status_code == 403, page


# -- the rest of ``cadre channels qr``: one channel, images ----------------------------------


def test_qr_codes_of_one_channel_or_all_as_images(app, session, now):
    campaign = make_campaign(session, now=now)
    desks = [
        create_channel(
            session=session, campaign=campaign, name=name, cadre_ids=["C2"], rotating=False
        )
        for name in ("Desk 4", "Desk 5")
    ]
    rotating = create_channel(session=session, campaign=campaign, name="1号窗口", cadre_ids=["C1"])
    session.commit()
    officer = hr_client(app, OFFICER)
    page = officer.get(path(campaign, "/channels")).data.decode()
    assert f'value="{desks[0].slug}"' in page and f'value="{rotating.slug}"' not in page
    cards = path(campaign, "/channels/cards.pdf")
    one = hr_post(officer, cards, {"channel": desks[0].slug, "format": "png"})
    assert one.status_code == 200 and one.mimetype == "image/png"
    assert png_matrix(one.data) == qr_matrix(public_url(BASE_URL, desks[0].slug))
    svg = hr_post(officer, cards, {"channel": desks[1].slug, "format": "svg"})
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    both = hr_post(officer, cards, {"format": "png"})
    assert both.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(both.data)) as archive:
        assert sorted(archive.namelist()) == ["Desk-4.png", "Desk-5.png"]
    pdf = hr_post(officer, cards, {"channel": desks[1].slug})
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    nothing = hr_post(officer, cards, {"channel": rotating.slug, "format": "png"})
    assert nothing.status_code == 422 and "nothing to print" in visible(nothing.data)
    unknown = hr_post(officer, cards, {"channel": "nosuchchannel"})
    assert unknown.status_code == 404 and "no public channel nosuchchannel" in visible(unknown.data)
    bad = hr_post(officer, cards, {"format": "gif"})
    assert bad.status_code == 400 and "Unknown format gif" in visible(bad.data)


# -- in a real browser ---------------------------------------------------------------------


def test_an_auditor_downloads_the_export_and_checks_it_in_the_browser(
    browser, app, session, opened, now, tmp_path
):
    busy_windows(session, opened, now)
    stand_at(app, now + timedelta(hours=2))
    make_hr_user(app, AUDITOR, "li.audit")
    with serving(app) as base:
        context = browser.new_context(locale="zh-CN", **PHONE)
        page = context.new_page()
        sign_in(page, base, "li.audit")
        page.goto(base + path(opened, "/channels/tallies"))
        assert "31" in page.inner_text("#bursts") and "1号窗口" in page.inner_text("#tallies")
        assert_page_does_not_scroll_sideways(page, PHONE["viewport"]["width"])
        screenshot(page, "console-phone-zh-channel-tallies", full_page=True)
        page.goto(base + path(opened, "/ledger"))
        with page.expect_download() as downloaded:
            page.click(f"a[href$='{path(opened, '/ledger/export.json')}']")
        export = tmp_path / "ledger.json"
        downloaded.value.save_as(export)
        assert json.loads(export.read_text())["campaign_id"] == opened.id
        page.set_input_files("#published", str(export))
        page.click("#check button[type=submit]")
        page.wait_for_selector("#check-outcome")
        assert "所有核查均已通过。" in page.inner_text("#check-verdict")
        assert_page_does_not_scroll_sideways(page, PHONE["viewport"]["width"])
        screenshot(page, "console-phone-zh-ledger-check", full_page=True)
        context.close()

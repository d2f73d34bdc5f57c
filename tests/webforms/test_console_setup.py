"""The HR console sets a campaign up: roster upload with preview, campaign, downloads, channels.

Everything runs through the real app with the Flask test client, on real
SQLite files and (``any_app``) the PostgreSQL server; files are read back
as a person would: the CSV with ``csv``, the PDFs with pypdf.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlmodel import Session, func, select

from storage.models import Cadre, Campaign, Invitation, PublicChannel, ReminderWave, Roster
from surveys.sealing.ballot_box import ShareBasket, key_file
from surveys.setup.roster import write_workbook
from tests.factories import BOX_KEYS, make_campaign
from tests.hr import hr_client, hr_post
from tests.web import BASE_URL, any_app_fixture, app_fixture, visible  # noqa: F401
from webforms.admin import held_files

ZONE = "Asia/Shanghai"
CADRES = [
    {"id": "C1", "name": "王伟", "unit": "市发展改革委", "post": "主任"},
    {"id": "C2", "name": "李娜", "unit": "市发展改革委", "post": "副主任"},
]
RATERS = [{"id": f"R{n}", "name": f"测评人{n}", "phone": "", "telegram": ""} for n in range(1, 7)]
ASSIGNMENTS = [
    {"rater_id": rater, "cadre_id": cadre, "group": group}
    for rater, cadre, group in [
        ("R1", "C1", "superior"),
        ("R1", "C2", "上级"),
        ("R2", "C1", "peer"),
        ("R3", "C2", "peer"),
        ("R4", "C1", "subordinate"),
        ("R4", "C2", "subordinate"),
        ("R5", "C1", "subordinate"),
        ("R6", "C2", "subordinate"),
    ]
]
# Row 4 of the assignments sheet names a rater the roster does not have.
BAD_ASSIGNMENTS = [*ASSIGNMENTS[:2], {"rater_id": "R9", "cadre_id": "C1", "group": "peer"}]


def workbook(tmp_path: Path, assignments: list[dict] = ASSIGNMENTS, name="roster.xlsx") -> bytes:
    """A roster workbook in the import format, as HR would save it from Excel."""
    path = tmp_path / name
    write_workbook(path, {"cadres": CADRES, "raters": RATERS, "assignments": assignments})
    return path.read_bytes()


def csv_bytes(rows: list[dict]) -> bytes:
    """One roster sheet as a UTF-8 CSV file with a BOM, as Excel writes it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def upload(client, files: dict[str, tuple[bytes, str]], name: str = ""):
    """Post the roster form with files (field → (bytes, file name)) and a fresh CSRF token."""
    from tests.hr import form_token

    data = {"csrf_token": form_token(client, "/admin/roster"), "name": name}
    data |= {field: (io.BytesIO(body), filename) for field, (body, filename) in files.items()}
    return client.post("/admin/roster/preview", data=data, content_type="multipart/form-data")


def held_id(body: bytes) -> str:
    """The preview's hidden upload id (what the confirm button posts)."""
    return re.search(rb'name="upload" value="([^"]+)"', body).group(1).decode()


def count(app: Flask, model, *where) -> int:
    """Rows of a table in the app's database."""
    with Session(app.extensions["cadre_engine"]) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture(name="held")
def held_fixture(tmp_path) -> Path:
    """A private folder for the console's held files."""
    return tmp_path / "held"


@pytest.fixture(name="console")
def console_fixture(any_app, held):
    """The app on SQLite and PostgreSQL, holding uploads in the test's own folder."""
    any_app.config["HELD_FILES"] = str(held)
    return any_app


@pytest.fixture(name="officer")
def officer_fixture(console):
    """An HR officer signed in to the console."""
    return hr_client(console, "officer")


def import_through_console(client, tmp_path) -> str:
    """Upload the good roster, confirm it, and return the stored roster's id."""
    preview = upload(client, {"workbook": (workbook(tmp_path), "考核名单.xlsx")})
    assert preview.status_code == 200, visible(preview.data)
    done = hr_post(client, "/admin/roster/confirm", {"upload": held_id(preview.data)})
    assert done.status_code == 303
    return re.search(r"roster=([0-9a-f]+)", done.headers["Location"]).group(1)


# --- roster upload ------------------------------------------------------------------------------


def test_a_bad_roster_shows_its_error_table_and_stores_nothing_until_confirmed(
    console, officer, tmp_path
):
    bad = upload(officer, {"workbook": (workbook(tmp_path, BAD_ASSIGNMENTS), "名单.xlsx")})
    assert bad.status_code == 422
    text = visible(bad.data)
    assert "The roster was not imported: 1 problem(s) to fix. Nothing was stored." in text
    assert "assignments 4 unknown rater id R9" in text  # sheet, row number, reason
    assert 'class="bad"' in bad.data.decode()  # the bad row is marked in the preview
    assert 'name="upload"' not in bad.data.decode()  # no confirm button for a bad roster
    assert count(console, Roster) == 0

    good = upload(officer, {"workbook": (workbook(tmp_path), "名单.xlsx")})
    assert good.status_code == 200
    text = visible(good.data)
    assert "No problems found" in text and "王伟" in text and "测评人6" in text
    assert "cadres (2 rows)" in text and "assignments (8 rows)" in text
    assert count(console, Roster) == 0  # a preview stores nothing

    done = hr_post(officer, "/admin/roster/confirm", {"upload": held_id(good.data)})
    assert done.status_code == 303
    assert count(console, Roster) == 1 and count(console, Cadre) == 2
    with Session(console.extensions["cadre_engine"]) as session:
        assert session.exec(select(Roster.name)).one() == "名单"
    page = officer.get(done.headers["Location"])
    assert "Imported roster 名单: 2 cadres, 6 raters, 8 assignments." in visible(page.data)


def test_the_confirm_step_imports_only_the_held_upload_once(console, officer, held, tmp_path):
    good = upload(officer, {"workbook": (workbook(tmp_path), "a.xlsx")})
    upload_id = held_id(good.data)
    assert [p.name for p in held.iterdir()] == [upload_id]
    # Another HR account cannot confirm it, even knowing the id.
    other = hr_client(console, "officer", "other")
    assert hr_post(other, "/admin/roster/confirm", {"upload": upload_id}).status_code == 410
    assert hr_post(officer, "/admin/roster/confirm", {"upload": "x" * 32}).status_code == 410
    assert count(console, Roster) == 0
    assert hr_post(officer, "/admin/roster/confirm", {"upload": upload_id}).status_code == 303
    again = hr_post(officer, "/admin/roster/confirm", {"upload": upload_id})
    assert again.status_code == 410 and "expired or was already imported" in visible(again.data)
    assert count(console, Roster) == 1
    assert list(held.iterdir()) == []  # the held file is gone once imported


def test_a_held_upload_expires(console, officer, held, tmp_path, monkeypatch):
    good = upload(officer, {"workbook": (workbook(tmp_path), "a.xlsx")})
    monkeypatch.setattr(held_files, "HELD_FOR", -1)
    response = hr_post(officer, "/admin/roster/confirm", {"upload": held_id(good.data)})
    assert response.status_code == 410
    assert count(console, Roster) == 0


def test_three_csv_files_are_a_roster_too(console, officer):
    files = {
        "cadres": (csv_bytes(CADRES), "cadres.csv"),
        "raters": (csv_bytes(RATERS), "raters.csv"),
        "assignments": (csv_bytes(ASSIGNMENTS), "assignments.csv"),
    }
    preview = upload(officer, files, name="2026 干部名单")
    assert preview.status_code == 200, visible(preview.data)
    assert (
        hr_post(officer, "/admin/roster/confirm", {"upload": held_id(preview.data)}).status_code
        == 303
    )
    with Session(console.extensions["cadre_engine"]) as session:
        assert session.exec(select(Roster.name)).one() == "2026 干部名单"


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ({}, 400, "Choose a roster file"),
        ({"workbook": (b"PK old excel", "roster.xls")}, 400, "roster.xls is not an .xlsx workbook"),
        ({"workbook": (b"not a zip at all", "roster.xlsx")}, 422, "not a readable .xlsx workbook"),
        ({"cadres": (b"id,name\n", "cadres.csv")}, 400, "The CSV file for raters is missing."),
        (
            {"cadres": (b"x", "c.pdf"), "raters": (b"x", "r.csv"), "assignments": (b"x", "a.csv")},
            400,
            "c.pdf is not a .csv file.",
        ),
        (
            {
                "cadres": (b"\xff\xfe\x00bad", "cadres.csv"),
                "raters": (b"id,name\n", "raters.csv"),
                "assignments": (b"rater_id,cadre_id,group\n", "assignments.csv"),
            },
            422,
            "file cadres.csv is not UTF-8 text",
        ),
    ],
)
def test_a_wrong_file_gets_a_clear_message(console, officer, files, status, message):
    response = upload(officer, files)
    assert response.status_code == status
    assert message in visible(response.data)
    assert count(console, Roster) == 0


def test_the_empty_roster_workbook_downloads(console, officer):
    response = officer.get("/admin/roster/template.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


# --- campaign creation --------------------------------------------------------------------------


def local(moment) -> str:
    """A moment as the browser's datetime-local field sends it, in the campaign's zone."""
    return moment.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def campaign_form(roster_id: str, now, **changes) -> dict:
    """A complete new-campaign form, open from a day before ``now`` for a week."""
    return {
        "name": "2026年度考核",
        "kind": "annual",
        "roster": roster_id,
        "template": "annual",
        "public_template": "public-service",
        "opens": local(now - timedelta(days=1)),
        "deadline": local(now + timedelta(days=7)),
        "timezone": ZONE,
        "anonymity_k": "3",
        "custody": "key_file",
        "scrutineers": "",
        "quorum": "",
    } | changes


def create(client, data: dict):
    """Post the new-campaign form (multipart, as the browser does) with a fresh CSRF token."""
    from tests.hr import form_token

    data = {**data, "csrf_token": form_token(client, "/admin/campaigns/new")}
    return client.post("/admin/campaigns/new", data=data, content_type="multipart/form-data")


def only_campaign(app: Flask) -> Campaign:
    """The one campaign the console created."""
    with Session(app.extensions["cadre_engine"], expire_on_commit=False) as session:
        return session.exec(select(Campaign)).one()


def test_a_campaign_with_a_key_file(console, officer, tmp_path, now):
    roster_id = import_through_console(officer, tmp_path)
    form = officer.get(f"/admin/campaigns/new?roster={roster_id}")
    assert f'<option value="{roster_id}" selected>' in form.data.decode()
    response = create(officer, campaign_form(roster_id, now, weight_public="0.5"))
    assert response.status_code == 303, visible(response.data)
    campaign = only_campaign(console)
    assert campaign.box_custody != "scrutineers"
    assert key_file(BOX_KEYS, campaign.id).is_file()
    assert campaign.questionnaire["group_weights"]["public"] == 0.5
    assert campaign.opens_at == (now - timedelta(days=1)).replace(second=0)
    assert count(console, Invitation, Invitation.campaign_id == campaign.id) == 6
    assert count(console, ReminderWave, ReminderWave.campaign_id == campaign.id) > 0
    page = officer.get(response.headers["Location"])
    text = visible(page.data)
    assert "Created campaign 2026年度考核 with 6 invitations" in text
    assert "Named invitations 6 0" in text
    assert "share cards" not in text


def test_a_campaign_with_scrutineers_offers_their_share_cards_once(console, officer, tmp_path, now):
    roster_id = import_through_console(officer, tmp_path)
    form = campaign_form(roster_id, now, custody="scrutineers", scrutineers="3", quorum="2")
    response = create(officer, form)
    assert response.status_code == 303, visible(response.data)
    campaign = only_campaign(console)
    assert (campaign.box_custody, campaign.box_quorum) == ("scrutineers", 2)
    assert not key_file(BOX_KEYS, campaign.id).exists()
    path = f"/admin/campaigns/{campaign.id}/share-cards.pdf"
    # Another account, even an admin, is not offered the cards and cannot fetch them.
    admin = hr_client(console, "admin")
    offered = admin.get(response.headers["Location"])
    assert "Download the share cards" not in visible(offered.data)
    assert hr_post(admin, path).status_code == 410
    assert "Download the share cards (once)" in visible(
        officer.get(response.headers["Location"]).data
    )

    cards = hr_post(officer, path)
    assert cards.status_code == 200 and cards.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(cards.data)).pages)
    text = re.sub(r"\s+", " ", text)  # card lines wrap
    assert "Scrutineer share 1 of 3" in text and "Scrutineer share 3 of 3" in text
    shares = re.findall(rf"(CB1-{campaign.id[:8]}-\d+-[A-Z0-9 ]+?) Keep it secret", text)
    assert len(shares) == 3
    basket = ShareBasket.for_campaign(campaign)
    for number, share in enumerate(shares[:2], start=1):
        assert basket.add(share, f"scrutineer {number}") == number  # the real shares
    assert hr_post(officer, path).status_code == 410  # once only
    assert "Download the share cards" not in visible(officer.get(response.headers["Location"]).data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opens": "next monday"}, "Cannot read the time next monday"),
        ({"deadline": "2026-13-45T10:00"}, "Cannot read the time 2026-13-45T10:00"),
        ({"anonymity_k": "0"}, "must be between 1 and 50"),
        ({"anonymity_k": "three"}, "must be a whole number, not three"),
        ({"weight_peer": "abc"}, "The weight of the peer group must be a number from 0 to"),
        ({"weight_peer": "inf"}, "The weight of the peer group must be a number from 0 to"),
        ({"weight_peer": "nan"}, "The weight of the peer group must be a number from 0 to"),
        ({"weight_peer": "1e400"}, "The weight of the peer group must be a number from 0 to"),
        (
            {
                "weight_superior": "0",
                "weight_peer": "0",
                "weight_subordinate": "0",
                "weight_public": "0",
            },
            "At least one group weight must be more than 0.",
        ),  # fmt: skip
        (
            {"template": "public-service", "public_template": "none", "weight_peer": "1"},
            "The questionnaire has no peer group to weigh.",
        ),
        (
            {"custody": "scrutineers", "scrutineers": "3", "quorum": "4"},
            "The quorum cannot be larger than the number of scrutineers.",
        ),
        ({"custody": "scrutineers", "scrutineers": "1", "quorum": "1"}, "between 2 and 255"),
        ({"custody": "scrutineers", "scrutineers": "", "quorum": "2"}, "must be a whole number"),
        ({"custody": "vault"}, "Choose who keeps the ballot box"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone Mars/Olympus"),
        ({"name": "  "}, "A campaign needs a name."),
        ({"name": "考" * 201}, "at most 200 characters"),
        ({"kind": "weekly"}, "unknown kind weekly"),
        ({"roster": "0" * 32}, "no roster with id"),
        ({"template": "../../etc/passwd"}, "Choose a questionnaire template."),
        ({"public_template": "nonesuch"}, "Choose a public form, or none."),
    ],
)
def test_bad_campaign_input_gets_a_clear_message_and_stores_nothing(
    console, officer, tmp_path, now, changes, message
):
    roster_id = import_through_console(officer, tmp_path)
    keys = set(BOX_KEYS.glob("*.key"))
    response = create(officer, campaign_form(roster_id, now, **changes))
    assert 400 <= response.status_code < 500
    assert message in visible(response.data)
    assert count(console, Campaign) == 0
    assert set(BOX_KEYS.glob("*.key")) == keys  # no box key left behind either


def test_a_deadline_before_the_opening_is_refused(console, officer, tmp_path, now):
    roster_id = import_through_console(officer, tmp_path)
    form = campaign_form(roster_id, now, deadline=local(now - timedelta(days=2)))
    response = create(officer, form)
    assert response.status_code == 422
    assert "the deadline must be after the opening time" in visible(response.data)
    assert count(console, Campaign) == 0


def test_an_uploaded_template_file_counts_like_the_clis(console, officer, tmp_path, now):
    roster_id = import_through_console(officer, tmp_path)
    form = campaign_form(roster_id, now)
    form["template_file"] = (io.BytesIO(b"key: x\ntitle: [unclosed"), "mine.yaml")
    response = create(officer, form)
    assert response.status_code == 422
    assert "The questionnaire template is not valid:" in visible(response.data)
    assert count(console, Campaign) == 0


# --- downloads ----------------------------------------------------------------------------------


@pytest.fixture(name="campaign")
def campaign_fixture(app, session, now) -> Campaign:
    """A campaign open at ``now`` with six named raters, in the app's SQLite database."""
    app.config["HELD_FILES"] = str(Path(app.config["BOX_KEYS"]).parent / "held")
    return make_campaign(
        session, now=now, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7)
    )


def test_the_links_csv_is_every_raters_real_link(app, campaign):
    officer = hr_client(app, "officer")
    response = hr_post(officer, f"/admin/campaigns/{campaign.id}/links.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads Chinese names
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert sorted(row["rater_id"] for row in rows) == [f"R{n}" for n in range(1, 7)]
    client = app.test_client()
    for row in rows:
        assert row["link"].startswith(f"{BASE_URL}/r/")
        # Each link opens its rater's form.
        arrive = client.get(row["link"].removeprefix(BASE_URL), follow_redirects=True)
        assert arrive.status_code == 200


def test_the_qr_card_sheet_and_the_slips_are_real_pdfs(app, campaign):
    officer = hr_client(app, "officer")
    sheet = hr_post(officer, f"/admin/campaigns/{campaign.id}/cards.pdf")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    pdf = PdfReader(io.BytesIO(sheet.data))
    assert len(pdf.pages) == 1  # six cards, eight to a page
    text = pdf.pages[0].extract_text()
    assert all(f"(R{n})" in text for n in range(1, 7)) and "Cadres to rate" in text

    slips = hr_post(
        officer, f"/admin/campaigns/{campaign.id}/slips.pdf", {"group": "peer", "count": "10"}
    )
    assert slips.status_code == 200
    pdf = PdfReader(io.BytesIO(slips.data))
    assert len(pdf.pages) == 2
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pdf.pages))
    assert "Anonymous ballot slip 10" in text and "Rater group: Peer" in text
    assert count(app, Invitation, Invitation.group == "peer", Invitation.rater_id.is_(None)) == 10
    page = officer.get(f"/admin/campaigns/{campaign.id}/invitations")
    assert "Slips (Peer) 10 0" in visible(page.data)
    # The page carries the campaign's navigation, as every campaign page does.
    assert f'href="/admin/campaigns/{campaign.id}/waves"'.encode() in page.data


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"group": "peer", "count": "0"}, 422, "between 1 and 2000"),
        ({"group": "peer", "count": "2001"}, 422, "between 1 and 2000"),
        ({"group": "peer", "count": "ten"}, 400, "must be a whole number, not ten"),
        ({"group": "public", "count": "5"}, 422, "unknown group public"),
    ],
)
def test_bad_slip_requests_store_no_slip(app, campaign, data, status, message):
    officer = hr_client(app, "officer")
    before = count(app, Invitation)
    response = hr_post(officer, f"/admin/campaigns/{campaign.id}/slips.pdf", data)
    assert response.status_code == status
    assert message in visible(response.data)
    assert count(app, Invitation) == before


def test_an_auditor_reads_the_pages_but_gets_no_links(app, campaign):
    auditor = hr_client(app, "auditor")
    page = auditor.get(f"/admin/campaigns/{campaign.id}/invitations")
    assert page.status_code == 200 and "Download the links" not in visible(page.data)
    for path in ("links.csv", "cards.pdf", "slips.pdf"):
        response = hr_post(auditor, f"/admin/campaigns/{campaign.id}/{path}", {"count": "3"})
        assert response.status_code == 403


# --- window channels ----------------------------------------------------------------------------


def test_window_channels_are_created_and_listed_with_their_display_pages(app, campaign):
    officer = hr_client(app, "officer")
    path = f"/admin/campaigns/{campaign.id}/channels"
    assert "no public channels yet" in visible(officer.get(path).data)
    made = hr_post(officer, path, {"name": "政务服务大厅3号窗口", "cadres": "C1，C2"})
    assert made.status_code == 303
    static = hr_post(officer, path, {"name": "窗口4", "cadres": "C2", "static": "1"})
    assert static.status_code == 303
    with Session(app.extensions["cadre_engine"]) as session:
        channels = {c.name: c for c in session.exec(select(PublicChannel)).all()}
    assert channels["政务服务大厅3号窗口"].rotating and not channels["窗口4"].rotating
    assert len(channels["政务服务大厅3号窗口"].cadre_ids) == 2

    page = officer.get(path).data.decode()
    rotating_slug = channels["政务服务大厅3号窗口"].slug
    display = re.search(rf'href="({BASE_URL}/p/{rotating_slug}/display[^"]*)"', page).group(1)
    screen = app.test_client().get(display.removeprefix(BASE_URL).replace("&amp;", "&"))
    assert screen.status_code == 200  # the display page really shows the window's code
    assert f"{BASE_URL}/p/{channels['窗口4'].slug}" in page
    assert "C1 王伟, C2 李娜" in visible(page)

    auditor = hr_client(app, "auditor")
    assert "/display" not in auditor.get(path).data.decode()  # display links carry a secret

    sheet = hr_post(officer, f"{path}/cards.pdf")
    assert sheet.status_code == 200
    text = PdfReader(io.BytesIO(sheet.data)).pages[0].extract_text()
    assert "Scan to rate our service" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "窗口", "cadres": "C1,C9"}, "unknown cadre id(s): C9"),
        ({"name": "窗口", "cadres": " ， "}, "a channel needs at least one cadre"),
        ({"name": "", "cadres": "C1"}, "A channel needs a name of 1 to 200 characters."),
        ({"name": "窗" * 201, "cadres": "C1"}, "A channel needs a name of 1 to 200 characters."),
    ],
)
def test_bad_channels_are_refused_with_a_message(app, campaign, data, message):
    officer = hr_client(app, "officer")
    response = hr_post(officer, f"/admin/campaigns/{campaign.id}/channels", data)
    assert response.status_code == 422
    assert message in visible(response.data)
    assert count(app, PublicChannel) == 0


def test_only_rotating_channels_leave_no_sheet_to_print(app, campaign):
    officer = hr_client(app, "officer")
    path = f"/admin/campaigns/{campaign.id}/channels"
    assert hr_post(officer, path, {"name": "窗口", "cadres": "C1"}).status_code == 303
    response = hr_post(officer, f"{path}/cards.pdf")
    assert response.status_code == 422
    assert "nothing to print" in visible(response.data)


RATERS_MANY = 6000


def test_a_large_roster_is_not_refused_as_too_long_but_a_huge_file_is(app, tmp_path):
    app.config["HELD_FILES"] = str(tmp_path / "held")
    officer = hr_client(app, "officer")
    raters = [
        {"id": f"R{n}", "name": f"测评人{n}", "phone": f"+86 138{n:08d}"}
        for n in range(RATERS_MANY)
    ]
    assignments = [
        {"rater_id": f"R{n}", "cadre_id": f"C{1 + j}", "group": "peer"}
        for n in range(RATERS_MANY)
        for j in range(2)
    ]
    files = {
        "cadres": (csv_bytes(CADRES), "cadres.csv"),
        "raters": (csv_bytes(raters), "raters.csv"),
        "assignments": (csv_bytes(assignments), "assignments.csv"),
    }
    assert sum(len(body) for body, _ in files.values()) > 256 * 1024  # above the answers' limit
    response = upload(officer, files)
    assert response.status_code == 200, visible(response.data)
    assert f"raters ({RATERS_MANY} rows)" in visible(response.data)
    assert f"and {RATERS_MANY - 200} more rows" in visible(response.data)
    huge = officer.post(
        "/admin/roster/preview",
        data=b"x" * (9 * 1024 * 1024),  # a body in memory: the test client spools none to disk
        content_type="multipart/form-data; boundary=b",
    )
    assert huge.status_code == 413
    assert count(app, Roster) == 0

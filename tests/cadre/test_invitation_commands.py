"""``cadre invitations`` and ``cadre channels``, run as HR runs them, on a real SQLite file."""

from __future__ import annotations

import csv
import io
import re

import pytest
from PIL import Image
from sqlmodel import select

from storage.models import Invitation
from surveys.collection.ballots import CadreAnswers, open_ballot, submit_ballot
from surveys.documents.qrcodes import qr_matrix
from surveys.setup import invitations as invitation_rules
from surveys.setup.campaigns import CampaignError
from surveys.setup.invitations import find_invitation, hash_token, issue_slips
from tests.cli import BASE_URL, OPEN_DURING, CadreCli, pdf_pages, png_matrix, terminal_matrix
from tests.factories import make_campaign, roster_rows

INSIDE_WINDOW = OPEN_DURING  # the campaigns below are open then


@pytest.fixture
def cadre(tmp_path) -> CadreCli:
    """The ``cadre`` command with its own data folder."""
    return CadreCli(tmp_path)


@pytest.fixture
def campaign_id(cadre) -> str:
    """A campaign with six named raters, made with ``roster import`` and ``campaign create``."""
    return cadre.create_campaign()


def exported(cadre: CadreCli, campaign_id: str) -> list[dict[str, str]]:
    """The CSV rows that ``invitations export`` writes to standard output."""
    return list(csv.DictReader(io.StringIO(cadre("invitations", "export", campaign_id).stdout)))


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def slip_count(cadre: CadreCli) -> int:
    with cadre.session() as session:
        return len(session.exec(select(Invitation).where(Invitation.rater_id.is_(None))).all())


# --- export -----------------------------------------------------------------------------------


def slips(cadre: CadreCli, campaign: str, out, *, group="peer", count="5", code=0):
    """Run ``cadre invitations slips`` with the usual options."""
    return cadre(
        "invitations",
        "slips",
        campaign,
        "--group",
        group,
        "--count",
        count,
        "--out",
        str(out),
        code=code,
    )


def test_export_lists_every_rater_with_a_working_link(cadre, campaign_id):
    rows = exported(cadre, campaign_id)
    assert list(rows[0]) == [
        "rater_id",
        "rater_name",
        "phone",
        "telegram",
        "cadres",
        "status",
        "link",
    ]
    assert [row["rater_id"] for row in rows] == [f"R{n}" for n in range(1, 7)]
    assert rows[0]["rater_name"] == "测评人1" and rows[0]["cadres"] == "2"
    assert {row["status"] for row in rows} == {"pending"}
    with cadre.session() as session:
        for row in rows:
            assert row["link"].startswith(f"{BASE_URL}/r/")
            invitation = find_invitation(session=session, token=token_of(row["link"]))
            assert invitation is not None and invitation.rater_id is not None


def test_export_links_are_stable_and_the_file_opens_in_excel(cadre, campaign_id, tmp_path):
    out = tmp_path / "links.csv"
    result = cadre("invitations", "export", campaign_id, "--out", str(out))
    assert "Wrote 6 invitation links" in result.stderr and result.stdout == ""
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    again = cadre("invitations", "export", campaign_id).stdout  # the runner reads \r\n as \n
    assert data.count(b"\r\n") == 7
    assert data.decode("utf-8-sig").replace("\r\n", "\n") == again
    assert "测评人1" in again


def test_export_refuses_an_unknown_campaign_and_an_unwritable_file(cadre, campaign_id, tmp_path):
    result = cadre("invitations", "export", "feedbeef", code=2)
    assert "no campaign with id feedbeef" in result.output
    assert "Traceback" not in result.output
    result = cadre(
        "invitations",
        "export",
        campaign_id,
        "--out",
        str(tmp_path / "missing" / "links.csv"),
        code=2,
    )
    assert "Cannot write" in result.output


def test_campaign_can_be_named_by_a_prefix_of_its_id(cadre, campaign_id):
    assert len(exported(cadre, campaign_id[:8])) == 6


# --- qr ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_qr_folder_has_one_code_per_rater(cadre, campaign_id, tmp_path, fmt):
    links = {row["rater_id"]: row["link"] for row in exported(cadre, campaign_id)}
    out = tmp_path / "codes"
    result = cadre("invitations", "qr", campaign_id, "--out", str(out), "--format", fmt)
    assert "Wrote 6 QR code files" in result.output
    files = sorted(path.name for path in out.iterdir())
    assert files == [f"R{n}-测评人{n}.{fmt}" for n in range(1, 7)]
    if fmt == "png":
        path = out / "R3-测评人3.png"
        with Image.open(path) as image:
            assert image.format == "PNG"
        assert png_matrix(path.read_bytes()) == qr_matrix(links["R3"])


def test_qr_pdf_prints_a_sheet_of_cards(cadre, tmp_path):
    raters = [{"id": f"R{n}", "name": f"测评人{n}"} for n in range(1, 11)]
    rows = roster_rows(
        [{"id": "C1", "name": "王伟", "unit": "市发展改革委", "post": "主任"}],
        raters,
        [(f"R{n}", "C1", "subordinate") for n in range(1, 11)],
    )
    campaign_id = cadre.create_campaign(rows)
    out = tmp_path / "cards.pdf"
    assert "Wrote 10 QR cards" in cadre("invitations", "qr", campaign_id, "--out", str(out)).output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and pdf_pages(data) == 2


def answer_all(cadre: CadreCli, token: str) -> None:
    """Submit one rater's form through the domain, as the web form would."""
    with cadre.session() as session:
        form = open_ballot(session=session, token=token, now=INSIDE_WINDOW)
        answers = {
            section.cadre.id: CadreAnswers(
                items={item.key: "good" for d in section.dimensions for item in d.items},
                vote="excellent",
            )
            for section in form.sections
        }
        submit_ballot(session=session, token=token, answers=answers, now=INSIDE_WINDOW)
        session.commit()


def test_qr_pending_only_leaves_out_raters_who_answered(cadre, campaign_id, tmp_path):
    rows = exported(cadre, campaign_id)
    answer_all(cadre, token_of(rows[0]["link"]))
    assert [row["status"] for row in exported(cadre, campaign_id)][:2] == ["completed", "pending"]
    out = tmp_path / "pending"
    cadre("invitations", "qr", campaign_id, "--out", str(out), "--pending-only")
    assert sorted(path.stem for path in out.iterdir()) == [f"R{n}-测评人{n}" for n in range(2, 7)]


def test_qr_refuses_an_output_it_cannot_write(cadre, campaign_id, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cadre("invitations", "qr", campaign_id, "--out", str(blocker / "codes"), code=2)
    assert "Cannot write" in result.output


# --- slips ------------------------------------------------------------------------------------


@pytest.fixture
def issued_tokens(monkeypatch) -> list[str]:
    """Every slip token the command makes (they exist nowhere else after the run)."""
    tokens: list[str] = []
    original = invitation_rules.random_token

    def recording() -> str:
        tokens.append(original())
        return tokens[-1]

    monkeypatch.setattr(invitation_rules, "random_token", recording)
    return tokens


def test_slips_store_only_hashes_of_unnamed_tokens(cadre, campaign_id, tmp_path, issued_tokens):
    out = tmp_path / "slips.pdf"
    result = cadre(
        "invitations", "slips", campaign_id, "--group", "peer", "--count", "12", "--out", str(out)
    )
    assert "Wrote 12 anonymous slips for the Peer group" in result.output
    assert "cannot be printed again" in result.output
    assert len(issued_tokens) == 12 and not any(t in result.output for t in issued_tokens)
    assert pdf_pages(out.read_bytes()) == 2
    with cadre.session() as session:
        slips = session.exec(select(Invitation).where(Invitation.rater_id.is_(None))).all()
        assert {(s.group, s.nonce, s.status) for s in slips} == {("peer", None, "pending")}
        assert {s.token_hash for s in slips} == {hash_token(t) for t in issued_tokens}
        assert all(find_invitation(session=session, token=t) for t in issued_tokens)
        dump = "\n".join(session.connection().connection.driver_connection.iterdump())
    assert not any(token in dump for token in issued_tokens)


def test_slips_are_numbered_in_random_order(
    cadre, campaign_id, tmp_path, issued_tokens, monkeypatch
):
    from cadre.commands import invitations as commands

    printed = []
    monkeypatch.setattr(commands, "write_cards_pdf", lambda path, cards: printed.extend(cards))
    slips(cadre, campaign_id, tmp_path / "slips.pdf", group="subordinate", count="40")
    assert [card.title for card in printed] == [f"Anonymous ballot slip {n}" for n in range(1, 41)]
    assert {card.subtitle for card in printed} == {"Rater group: Subordinate"}
    urls = [card.url for card in printed]
    assert sorted(urls) == sorted(f"{BASE_URL}/r/{token}" for token in issued_tokens)
    assert urls != [f"{BASE_URL}/r/{token}" for token in issued_tokens]


@pytest.mark.parametrize("count", ["0", "2001", "-3"])
def test_slips_refuse_a_bad_count(cadre, campaign_id, tmp_path, count):
    out = tmp_path / "slips.pdf"
    result = slips(cadre, campaign_id, out, count=count, code=2)
    assert "between 1 and 2000" in result.output
    assert not out.exists() and slip_count(cadre) == 0


def test_slips_store_nothing_when_the_pdf_cannot_be_written(cadre, campaign_id, tmp_path):
    out = tmp_path / "missing" / "slips.pdf"
    result = slips(cadre, campaign_id, out, code=2)
    assert "Cannot write" in result.output
    assert slip_count(cadre) == 0


def test_slips_never_overwrite_earlier_slips(cadre, campaign_id, tmp_path):
    out = tmp_path / "slips.pdf"
    out.write_bytes(b"%PDF earlier slips")
    result = slips(cadre, campaign_id, out, code=2)
    assert "already exists" in result.output
    assert out.read_bytes() == b"%PDF earlier slips" and slip_count(cadre) == 0
    result = slips(cadre, campaign_id, tmp_path / "slips.txt", code=2)
    assert ".pdf" in result.output


def test_slips_refuse_an_unknown_group_and_campaign(cadre, campaign_id, tmp_path):
    out = str(tmp_path / "slips.pdf")
    slips(cadre, campaign_id, out, group="public", code=2)
    result = cadre(
        "invitations", "slips", "nope", "--group", "peer", "--count", "5", "--out", out, code=2
    )
    assert "no campaign with id nope" in result.output
    assert not (tmp_path / "slips.pdf").exists()


def test_issue_slips_rules(session, now):
    campaign = make_campaign(session, now=now)
    tokens = issue_slips(session=session, campaign=campaign, group="superior", count=3)
    assert len(set(tokens)) == 3
    stored = session.exec(select(Invitation).where(Invitation.rater_id.is_(None))).all()
    assert sorted(s.token_hash for s in stored) == sorted(hash_token(t) for t in tokens)
    assert not any(t in {s.token_hash for s in stored} for t in tokens)
    with pytest.raises(CampaignError):
        issue_slips(session=session, campaign=campaign, group="public", count=3)
    with pytest.raises(CampaignError):
        issue_slips(session=session, campaign=campaign, group="peer", count=0)


# --- status -----------------------------------------------------------------------------------


def test_status_counts_named_invitations_and_slips(cadre, campaign_id, tmp_path):
    slips(cadre, campaign_id, tmp_path / "slips.pdf", count="3")
    answer_all(cadre, token_of(exported(cadre, campaign_id)[0]["link"]))
    lines = cadre("invitations", "status", campaign_id).output.splitlines()
    table = {line.split("  ")[0]: line.split()[-3:] for line in lines[2:]}
    assert table == {
        "Named invitations": ["5", "1", "6"],
        "Slips (Peer)": ["3", "0", "3"],
        "Total": ["8", "1", "9"],
    }
    assert lines[0] == "2026年度考核"


def test_status_in_chinese_locale_still_runs(tmp_path):
    cadre = CadreCli(tmp_path, locale="zh")
    campaign_id = cadre.create_campaign()
    assert "6" in cadre("invitations", "status", campaign_id).output


# --- channels ---------------------------------------------------------------------------------


def create_channel(cadre: CadreCli, campaign_id: str, name: str, cadres: str) -> str:
    """Run ``channels create``; return the public link it printed."""
    output = cadre(
        "channels", "create", campaign_id, "--name", name, "--cadres", cadres, "--static"
    ).output
    return re.search(rf"{re.escape(BASE_URL)}/p/\S+", output).group(0)


def test_channel_create_prints_a_scannable_code(cadre, campaign_id):
    result = cadre(
        "channels",
        "create",
        campaign_id,
        "--name",
        "政务服务大厅3号窗口",
        "--cadres",
        "C1，C2",
        "--static",
    )
    url = re.search(rf"{re.escape(BASE_URL)}/p/\S+", result.output).group(0)
    art = result.output[result.output.index("\n", result.output.index(url)) + 1 :].strip("\n")
    expected = qr_matrix(url, border=2)
    assert terminal_matrix(art)[: len(expected)] == expected


def test_channel_list_shows_names_cadres_and_links(cadre, campaign_id):
    assert "no public channels yet" in cadre("channels", "list", campaign_id).output
    window = create_channel(cadre, campaign_id, "政务服务大厅3号窗口", "C1,C2")
    desk = create_channel(cadre, campaign_id, "Desk 4", "C2")
    lines = cadre("channels", "list", campaign_id).output.splitlines()
    assert lines[0].split() == ["Name", "Code", "Cadres", "Link"]
    assert lines[1].startswith("Desk 4") and lines[1].endswith(desk) and "C2 李娜" in lines[1]
    assert "C1 王伟, C2 李娜" in lines[2] and lines[2].endswith(window)


def test_channel_qr_in_terminal_files_and_pdf(cadre, campaign_id, tmp_path):
    window = create_channel(cadre, campaign_id, "政务服务大厅3号窗口", "C1,C2")
    desk = create_channel(cadre, campaign_id, "Desk 4", "C2")
    output = cadre("channels", "qr", campaign_id).output
    assert window in output and desk in output
    assert sum(1 for line in output.splitlines() if line and set(line) == {"▀"}) == 2
    only = cadre("channels", "qr", campaign_id, "--channel", token_of(desk)).output
    assert desk in only and window not in only
    cadre("channels", "qr", campaign_id, "--out", str(tmp_path / "codes"), "--format", "svg")
    assert sorted(p.name for p in (tmp_path / "codes").iterdir()) == [
        "Desk-4.svg",
        "政务服务大厅3号窗口.svg",
    ]
    pdf = tmp_path / "windows.pdf"
    assert "Wrote 2 QR cards" in cadre("channels", "qr", campaign_id, "--out", str(pdf)).output
    assert pdf_pages(pdf.read_bytes()) == 1


def test_channel_errors_exit_2(cadre, campaign_id):
    result = cadre("channels", "qr", campaign_id, code=2)
    assert "no public channels" in result.output
    result = cadre("channels", "create", campaign_id, "--name", "x", "--cadres", "C9", code=2)
    assert "unknown cadre id(s): C9" in result.output
    create_channel(cadre, campaign_id, "Desk 4", "C2")
    result = cadre("channels", "qr", campaign_id, "--channel", "nope", code=2)
    assert "no public channel nope" in result.output
    assert "no campaign with id nope" in cadre("channels", "list", "nope", code=2).output


def test_export_defuses_spreadsheet_formulas_in_names(cadre):
    rows = roster_rows(
        [{"id": "C1", "name": "王伟", "unit": "局", "post": "局长"}],
        [
            {"id": "R1", "name": "+SUM(1,2)", "phone": "+8613900000000"},
            {"id": "@R2", "name": "李娜", "phone": ""},
        ],
        [("R1", "C1", "peer"), ("@R2", "C1", "subordinate")],
    )
    campaign_id = cadre.create_campaign(rows)
    by_phone = {row["phone"]: row for row in exported(cadre, campaign_id)}
    assert by_phone["+8613900000000"]["rater_name"] == "'+SUM(1,2)"
    assert by_phone[""]["rater_id"] == "'@R2" and by_phone[""]["rater_name"] == "李娜"

"""``cadre box`` and scrutineer custody from the command line, as HR and the scrutineers use it."""

from __future__ import annotations

import re

from click.testing import CliRunner
from pypdf import PdfReader
from sqlmodel import select

from cadre.cli import cli
from storage.models import AuditEvent, Campaign
from surveys.collection.ballots import submit_ballot
from tests.cli import CLOSED_DEADLINE, CLOSED_DURING, CLOSED_OPENS, CadreCli
from tests.factories import complete_answers, tokens


def scrutineer_campaign(cadre: CadreCli, tmp_path) -> tuple[str, list[str]]:
    """A closed January campaign held by 3 scrutineers (quorum 2), two ballots in it."""
    cards = tmp_path / "shares.pdf"
    output = cadre(
        "campaign", "create", "--name", "监票考核", "--roster", cadre.import_roster(),
        "--opens", CLOSED_OPENS, "--deadline", CLOSED_DEADLINE,
        "--scrutineers", "3", "--quorum", "2", "--shares-pdf", str(cards),
    ).output  # fmt: skip
    assert "opens with 2 of 3 scrutineers' shares" in output
    campaign_id = re.search(r"\b([0-9a-f]{32})\b", output).group(1)
    text = " ".join(page.extract_text() for page in PdfReader(cards).pages)
    text = re.sub(r"\s+", " ", text)  # the share is wrapped over lines at its spaces
    shares = re.findall(r"CB1-[0-9a-f]{8}-\d-(?:[A-Z2-7]{4} ){12}[A-Z2-7]{4}", text)
    assert len(shares) == 3 and "Scrutineer share 1 of 3" in text
    with cadre.session() as session:
        campaign = session.get(Campaign, campaign_id)
        for rater in ("R2", "R3"):
            token = tokens(session, campaign)[rater]
            answers = complete_answers(session, token, CLOSED_DURING)
            submit_ballot(session=session, token=token, answers=answers, now=CLOSED_DURING)
            session.commit()
    return campaign_id, [share.strip() for share in shares]


def open_with(cadre: CadreCli, campaign_id: str, typed: str):
    """Run ``cadre box open`` with what the scrutineers type at its prompts."""
    return CliRunner().invoke(cli, ["box", "open", campaign_id], env=cadre.env, input=typed)


def test_scrutineers_open_the_box_by_typing_their_shares(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id, shares = scrutineer_campaign(cadre, tmp_path)
    status = cadre("box", "status", campaign_id).output
    assert "Held by 3 scrutineers; 2 shares open it." in status
    assert "2 sealed ballots" in status and "ML-KEM-768+X25519" in status
    wrong = shares[1][:-1] + ("A" if shares[1][-1] != "A" else "B")
    typed = f"张三\n{shares[0]}\n李四\n{wrong}\n李四\n{shares[2]}\n"
    result = open_with(cadre, campaign_id, typed)
    assert result.exit_code == 0, result.output
    assert "Share 2 is wrong: it is not one of the issued shares." in result.output
    assert "Opened the ballot box: 2 ballots, 2 responses." in result.output
    assert not any(share in result.output for share in shares)  # typed without echo
    with cadre.session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "open_box")).one()
    assert event.detail["scrutineers"] == ["张三", "李四"]
    assert "Opened at" in cadre("box", "status", campaign_id).output
    assert "already been opened" in cadre("box", "open", campaign_id, code=2).output


def test_results_of_a_scrutineer_box_after_the_deadline_say_who_opens_it(tmp_path):
    """Old behaviour: "sealed until the deadline", though the deadline had passed and
    the box waits for the scrutineers, not for the clock."""
    cadre = CadreCli(tmp_path)
    campaign_id, _shares = scrutineer_campaign(cadre, tmp_path)
    output = cadre("results", campaign_id).output
    assert "when 2 of the scrutineers type their shares" in output
    assert "sealed until the deadline" not in output


def test_too_few_or_too_many_wrong_shares_leave_the_box_sealed(tmp_path):
    cadre = CadreCli(tmp_path)
    campaign_id, shares = scrutineer_campaign(cadre, tmp_path)
    only_one = open_with(cadre, campaign_id, f"张三\n{shares[0]}\n")
    assert only_one.exit_code != 0  # the input ends before the quorum: nothing opened
    garbage = "".join(f"某人\nnot a share {n}\n" for n in range(6))
    refused = open_with(cadre, campaign_id, garbage)
    assert refused.exit_code == 2 and "Too many wrong shares" in refused.output
    assert "This is not a scrutineer's share." in refused.output
    assert "2 sealed ballots" in cadre("box", "status", campaign_id).output


def test_custody_options_go_together(tmp_path):
    cadre = CadreCli(tmp_path)
    roster = cadre.import_roster()
    base = ["campaign", "create", "--name", "x", "--roster", roster,
            "--opens", CLOSED_OPENS, "--deadline", CLOSED_DEADLINE]  # fmt: skip
    assert "needs --quorum" in cadre(*base, "--scrutineers", "3", code=2).output
    assert "go with --scrutineers" in cadre(*base, "--quorum", "2", code=2).output
    too_big = cadre(*base, "--scrutineers", "3", "--quorum", "4", "--shares-pdf",
                    str(tmp_path / "s.pdf"), code=2).output  # fmt: skip
    assert "cannot be larger" in too_big
    folder = tmp_path / "missing" / "s.pdf"
    unwritable = cadre(*base, "--scrutineers", "3", "--quorum", "2", "--shares-pdf",
                       str(folder), code=2).output  # fmt: skip
    assert "Cannot write" in unwritable
    assert "No campaigns yet." in cadre("campaign", "list").output  # nothing half made

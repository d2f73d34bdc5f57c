"""One disclosure rule over every output together: subtracting one output from another
derives nothing hidden (issue 14).

The worlds are built in tests/worlds_campaign.py: two campaigns that differ
only in what hidden raters answered and voted, each figure that may be shown
kept the same.  Every output of both (terminal, web tables, workbook, PDF,
bot, shared database, rule texts, counts, ranks, the quota) must be
identical; then no combination of outputs tells the worlds apart.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from io import BytesIO
from types import SimpleNamespace

import openpyxl
import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlmodel import select

from bot.results import result_lines, suggestion_lines, theme_lines
from storage.engine import make_engine
from storage.models import Campaign, Response
from storage.shared import cadre_summary
from surveys.notification.publication import CadreOutcome
from surveys.results.official_forms import FORMS, official_forms
from surveys.results.outcomes import (
    COMMENT,
    RULE_SPLIT,
    SPLIT_LEFT_OUT,
    VOTE,
    shown_results,
    split_answers,
)
from surveys.results.profiles import profile
from surveys.results.report_pdf import write_cadre_report_pdf, write_overview_pdf
from surveys.results.reports import (
    ballot_table,
    cadre_report,
    campaign_overview,
    overview_text,
    report_text,
    vote_table,
    workbook_sheets,
)
from surveys.results.suggestions import shown_comment_pools
from surveys.results.summaries import push_results
from surveys.results.warnings import campaign_warnings
from surveys.rules.disclosure import OTHER, disclose
from surveys.rules.grading import QUOTA_OUTSIDE, QUOTA_WITHIN, count_answers
from surveys.rules.messages import translate
from surveys.rules.quality import form_numbers
from surveys.rules.questionnaire import load_questionnaire
from surveys.rules.scoring import ScoredResponse, score_cadre
from surveys.setup.accounts import AUDITOR
from tests.hr import hr_client
from tests.report_campaign import report_campaign
from tests.web import app_fixture, visible  # noqa: F401
from tests.worlds_campaign import CADRES, SUBORDINATES, plan, worlds_campaign
from webforms.admin.reports import overview_tables

LOCALES = ("en", "zh")


def pdf_text(write, *args) -> str:
    """The text of a PDF written into memory."""
    buffer = BytesIO()
    write(buffer, *args)
    reader = PdfReader(BytesIO(buffer.getvalue()))
    return "\n".join(page.extract_text() for page in reader.pages)


def bot_chat(locale: str) -> SimpleNamespace:
    """What the bot's formatting reads of a conversation: the language and ``_``."""
    return SimpleNamespace(
        locale=locale, _=lambda message, **values: translate(message, values or None, locale=locale)
    )


def bot_text(campaign: Campaign, result, locale: str) -> str:
    """What /results says to the cadre (the bot's own formatting, without a chat)."""
    chat = bot_chat(locale)
    return "\n".join(result_lines(chat, CadreOutcome(campaign, result.cadre, result)))


def bot_development(report, locale: str) -> str:
    """The suggestions and themes /results adds for the cadre after publication."""
    chat = bot_chat(locale)
    return "\n".join(suggestion_lines(chat, report) + theme_lines(chat, report))


def shared_rows(session, campaign: Campaign, tmp_path) -> list[dict]:
    """The rows pushed to a shared database of its own.

    The ledger root is left out: it is a hash committing to the ballots, which
    differ between the worlds by construction; it reveals nothing of them.
    """
    engine = make_engine(f"sqlite:///{tmp_path / f'shared-{campaign.id}.db'}")
    push_results(session=session, campaign=campaign, shared_engine=engine, now=campaign.closes_at)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(cadre_summary)).mappings().all()
    engine.dispose()
    return sorted(
        ({k: v for k, v in row.items() if k != "ledger_root"} for row in rows),
        key=lambda row: row["cadre_id"],
    )


def web_pages(client, campaign: Campaign) -> dict[str, object]:
    """What HR reads on the admin pages (visible text) and downloads as the workbook."""
    base = f"/admin/campaigns/{campaign.id}"
    pages: dict[str, object] = {"web overview": visible(client.get(base).data)}
    for cadre in CADRES:
        pages[f"web {cadre}"] = visible(client.get(f"{base}/cadres/{cadre}").data)
    pages["web themes"] = visible(client.get(f"{base}/themes").data)
    download = client.get(f"{base}/results.xlsx")
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(BytesIO(download.data))
    pages["xlsx"] = [list(sheet.iter_rows(values_only=True)) for sheet in workbook]
    for form in FORMS:
        sheet = client.get(f"{base}/forms/{form}.xlsx")
        assert sheet.status_code == 200, form
        book = openpyxl.load_workbook(BytesIO(sheet.data))
        pages[f"forms {form}"] = [list(s.iter_rows(values_only=True)) for s in book]
    return pages


def later_outputs(session, campaign: Campaign) -> dict[str, object]:
    """The outputs added after the first two-worlds test: the official forms, the early
    warnings and this campaign's row of each person's profile."""
    outputs: dict[str, object] = {}
    for locale in LOCALES:
        for form in FORMS:
            found = official_forms(session=session, campaign=campaign, form=form, locale=locale)
            outputs[f"forms {form} {locale}"] = repr(found)
    after = campaign.closes_at + timedelta(days=1)
    found = campaign_warnings(session=session, campaign=campaign, now=after)
    outputs["warnings"] = sorted(repr((w.rule, w.subject, w.figures)) for w in found)
    for cadre in CADRES:
        rows = profile(session=session, external_id=cadre).entries
        outputs[f"profile {cadre}"] = [
            (e.composite, e.grade, dict(e.dimensions), e.percentile, e.rank, e.ranked)
            for e in rows
            if e.campaign.id == campaign.id
        ]
        assert len(outputs[f"profile {cadre}"]) == 1  # the campaign is on every profile
    assert "干部C1" in outputs["forms registration zh"] and "优秀" in outputs["forms filing zh"]
    return outputs


def every_output(session, campaign: Campaign, tmp_path, client=None) -> str:
    """Every output of the campaign as one text, ids that differ by nature made neutral.

    The campaign id and the form links are random per campaign; they are
    numbered by first appearance, so that which rows share a link still counts.
    ``client``, signed in to the admin pages, adds the pages and the download.
    """
    overview = campaign_overview(session=session, campaign=campaign, shuffler=random.Random(1))
    outputs: dict[str, object] = {"shared": shared_rows(session, campaign, tmp_path)}
    outputs |= later_outputs(session, campaign)
    if client is not None:
        outputs |= web_pages(client, campaign)
    for locale in LOCALES:
        outputs[f"terminal {locale}"] = overview_text(overview, locale)
        outputs[f"workbook {locale}"] = workbook_sheets(overview, locale)
        outputs[f"web {locale}"] = overview_tables(overview, locale)
        for result in overview.results:
            cadre = result.cadre.external_id
            report = cadre_report(
                session=session, campaign=campaign, cadre_id=cadre, shuffler=random.Random(1)
            )
            outputs[f"report {cadre} {locale}"] = report_text(report, locale)
            outputs[f"bot {cadre} {locale}"] = bot_text(campaign, result, locale)
            outputs[f"bot development {cadre} {locale}"] = bot_development(report, locale)
            if locale == "en":
                outputs[f"pdf {cadre}"] = pdf_text(write_cadre_report_pdf, report, locale)
    outputs["pdf overview"] = pdf_text(write_overview_pdf, overview, "en")
    text = repr(outputs).replace(campaign.id, "<campaign>")
    links = session.exec(
        select(Response.ballot_id).where(
            Response.campaign_id == campaign.id, Response.ballot_id.is_not(None)
        )
    ).all()
    shown = sorted({link for link in links if link in text}, key=text.index)
    for number, link in enumerate(shown, start=1):
        text = text.replace(link, f"<form {number}>")
    return text


@pytest.fixture
def worlds(session, now):
    return worlds_campaign(session, now, 1), worlds_campaign(session, now, 2)


def test_two_worlds_differing_in_hidden_answers_give_identical_outputs(
    session, worlds, tmp_path, app
):
    client = hr_client(app, AUDITOR)
    first, second = (every_output(session, world, tmp_path, client) for world in worlds)
    assert "Ranked 2 of 2 for Excellent in 测试局, outside the quota of 1" in first
    assert "This cadre's ballots are not listed" in first
    assert first == second


def test_the_subtraction_attacker_derives_nothing_of_the_findings(session, worlds):
    results = {r.cadre.external_id: r for r in shown_results(session=session, campaign=worlds[0])}
    overview = campaign_overview(session=session, campaign=worlds[0])
    c1 = results["C1"]
    # Finding 1: 6 of the 8 votes are the shown groups'.  Neither the votes cast (8 - 6
    # counts the subordinates) nor the shares (1/8 tells 8) are shown, nor any C1 ballot
    # (6 votes taken from 8 would leave the 2 subordinates'); the other cadres' stay.
    assert sum(c1.score.votes.values()) == 8
    assert c1.votes_cast is None and c1.vote_shares == {}
    assert {VOTE, "lian_rules", "lian_responsibility"} <= c1.split
    votes = {row[0]: row[2:] for row in vote_table(overview, "en")}
    assert votes["C1"] == [None] * 5 and votes["C2"] == [6, 100.0, 0.0, 0.0, 0.0]
    cadres = Counter(row[1] for row in ballot_table(overview, "en")[1:])
    assert cadres == {"C2": 6, "C3": 6, "C4": 6, "C5": 6}
    report = cadre_report(session=session, campaign=worlds[0], cadre_id="C1")
    assert "This cadre's ballots are not listed" in report_text(report, "en")
    assert "No vote count or share is shown" in report_text(report, "en")
    assert "该干部的测评表不予列出" in report_text(report, "zh")
    # Finding 2: the vetoes on split items count the groups shown on their own only: the
    # superiors' and peers' 6 answers to lian_rules (2 Poor) cap the grade; the two
    # subordinates' Poor on lian_responsibility (2 of 5 with the superiors') is left out.
    veto = c1.graded.steps[-1]
    assert (veto.values["item"], veto.values["answered"], veto.values["share"]) == (
        "lian_rules",
        6,
        33.3,
    )
    assert SPLIT_LEFT_OUT in [note.message for note in c1.notes]
    assert c1.decision.grade == "basically_competent"
    assert c1.decision.message == RULE_SPLIT
    assert "answered" not in c1.decision.values
    # Finding 3: C6 (2 responses, nothing shown) neither counts toward nor takes a place.
    c6 = results["C6"]
    assert c6.shown.composite is None and c6.decision.grade is None
    assert c6.graded.grade == "excellent"  # by the rules; never shown (summary_row drops it)
    quota = {*QUOTA_WITHIN.values(), *QUOTA_OUTSIDE.values()}
    assert not [step for step in c6.graded.steps if step.message in quota]
    assert results["C2"].decision.message == QUOTA_WITHIN["unit"]
    assert results["C3"].decision.message == QUOTA_OUTSIDE["unit"]
    assert results["C3"].decision.values == {
        "rank": 2,
        "candidates": 2,
        "unit": "测试局",
        "places": 1,
        "quota": 20.0,
        "graded": 5,
        "result": "competent",
    }
    # Finding 4: no form link reaches a hidden record: C1's ballots are withheld, so the
    # superiors' and peers' forms (C1-C5) lose their links everywhere.
    assert "Form link" not in ballot_table(overview, "en")[0]


def test_form_links_only_on_whole_forms_whose_pattern_k_raters_share(session, now):
    """Finding 4 on the hand-worked campaign: U1-U5's forms (C1, C2 subordinate) are whole
    and five raters share the pattern; S1-S3's C3 ballots lose the link to their hidden
    C1 and C2 records."""
    campaign = report_campaign(session, now)
    overview = campaign_overview(session=session, campaign=campaign)
    rows = ballot_table(overview, "en")
    link = rows[0].index("Form link")
    patterns: dict[str, set] = {}
    for row in rows[1:]:
        if row[link]:
            patterns.setdefault(row[link], set()).add((row[1], row[2]))
    stored = Counter(
        session.exec(
            select(Response.ballot_id).where(
                Response.campaign_id == campaign.id, Response.ballot_id.is_not(None)
            )
        ).all()
    )
    # The sheet numbers the forms (F1, F2, ...) as the quality checks do; back to the links:
    links = {
        number: link
        for link, number in form_numbers(v.ballot.link for v in overview.ballots).items()
    }
    for form, pattern in patterns.items():
        assert stored[links[form]] == len(pattern)  # every record of the form is on the sheet
        sharing = [other for other in patterns.values() if other == pattern]
        assert len(sharing) >= campaign.anonymity_k
    assert len(patterns) == 5


def test_a_veto_text_keeps_its_figures_when_the_shown_ballots_split_off_k_or_more(session, now):
    """The rule texts of the hand-worked campaign are unchanged: C1's other raters (3
    superiors, 2 peers) answer the integrity items together, 5 of them."""
    campaign = report_campaign(session, now)
    results = shown_results(session=session, campaign=campaign)
    assert [result.split for result in results] == [frozenset()] * 3


def test_split_answers_are_those_a_shown_ballot_would_single_out():
    """The annual form with the public's (here without its comment): the public has no
    comment, vote or annual integrity item.  Superiors
    and peers (3 each) are shown; two subordinates and two public raters make the other
    line (4).  Of the integrity items, the vote and the comment, only the subordinates are
    outside the shown ballots: 2 raters, so all four are split."""
    merged = load_questionnaire("annual").with_public_form(load_questionnaire("public-service"))
    comment = merged.comment.model_copy(update={"groups": ["superior", "peer", "subordinate"]})
    questionnaire = merged.model_copy(update={"comment": comment})

    def response(group: str) -> ScoredResponse:
        items = {item.key: "good" for item in questionnaire.items() if group in item.groups}
        vote = "competent" if group != "public" else None
        return ScoredResponse("C1", group, items, vote)

    groups = ["superior"] * 3 + ["peer"] * 3 + ["subordinate"] * 2 + ["public"] * 2
    responses = [response(group) for group in groups]
    score = score_cadre(questionnaire, "C1", responses)
    shown = disclose(score, questionnaire.group_weights, 3)
    assert shown.counts == {"superior": 3, "peer": 3, OTHER: 4}
    answers = count_answers(questionnaire, responses)
    split = split_answers(questionnaire, responses, answers, shown, 3)
    assert split == {"lian_rules", "lian_responsibility", VOTE, COMMENT}
    # A third subordinate is shown on their own: nothing is left to single out.
    responses.append(response("subordinate"))
    score = score_cadre(questionnaire, "C1", responses)
    shown = disclose(score, questionnaire.group_weights, 3)
    answers = count_answers(questionnaire, responses)
    assert split_answers(questionnaire, responses, answers, shown, 3) == frozenset()


def linked_plan(world: int, rater: str, cadre: str) -> tuple[str, dict[str, str], str]:
    """S1 and S2 swap their answers on C1, whose ballots are not listed: Good and Fair in
    world 1, Fair and Good in world 2.  The superiors' figures on C1 stay the same, but
    each one's leniency, measured across their linked form, would not."""
    usual, different, vote = plan(1, rater, cadre)
    if cadre == "C1" and rater in ("S1", "S2"):
        return ("good" if (rater == "S1") == (world == 1) else "fair"), {}, vote
    return usual, different, vote


def test_a_form_link_carries_no_hidden_record_into_the_leniency_checks(session, now, tmp_path):
    """S1-S3's forms cover C1-C5; their C1 records are not listed, so no link is shown and
    no leniency adjustment reads those records (the adjusted composites of C2-C5)."""
    first = worlds_campaign(session, now, 1, linked_plan)
    second = worlds_campaign(session, now, 2, linked_plan)
    assert every_output(session, first, tmp_path) == every_output(session, second, tmp_path)


def extreme_plan(world: int, rater: str, cadre: str) -> tuple[str, dict[str, str], str]:
    """C1's superiors answer Good throughout (their shown integrity mean is 100); the two
    subordinates answer one integrity item Poor: lian_responsibility in world 1 (2 of 5
    answers: the veto caps the grade), lian_rules in world 2 (2 of 8: no veto)."""
    if cadre != "C1" or rater not in (*SUBORDINATES, "S1", "S2", "S3"):
        return plan(world, rater, cadre)
    if rater.startswith("S"):
        return "good", {}, "competent"
    poor = "lian_responsibility" if world == 1 else "lian_rules"
    good = "lian_rules" if world == 1 else "lian_responsibility"
    return "fairly_good", {poor: "poor", good: "good"}, "competent"


def test_a_split_veto_no_longer_moves_the_grade(session, now, tmp_path):
    """Beside shown superiors answering Good throughout, a veto that the two subordinates' Poor
    alone would fire must not cap the grade: the vetoes count the shown groups only."""
    first = worlds_campaign(session, now, 1, extreme_plan)
    second = worlds_campaign(session, now, 2, extreme_plan)
    assert every_output(session, first, tmp_path) == every_output(session, second, tmp_path)


def split_vote_plan(world: int, rater: str, cadre: str) -> tuple[str, dict[str, str], str]:
    """C1's two subordinates vote Incompetent in world 1 and Competent in world 2; of the
    six shown voters only S1 votes Incompetent.  Counting every vote, world 1 has 3 of 8
    Incompetent (more than a third: the grade would be capped at Incompetent) and world 2
    1 of 8; the shown groups alone have 1 of 6 in both."""
    usual, different, vote = plan(1, rater, cadre)
    if cadre == "C1":
        if rater in SUBORDINATES:
            vote = "incompetent" if world == 1 else "competent"
        else:
            vote = "incompetent" if rater == "S1" else "competent"
    return usual, different, vote


def test_a_split_vote_does_not_move_the_grade(session, now, tmp_path):
    """The vote rules count the groups shown on their own when the rest of the voters are
    fewer than k: two subordinates' votes would otherwise cap C1's grade in one world only."""
    first = worlds_campaign(session, now, 1, split_vote_plan)
    second = worlds_campaign(session, now, 2, split_vote_plan)
    c1 = {r.cadre.external_id: r for r in shown_results(session=session, campaign=first)}["C1"]
    assert VOTE in c1.split and c1.score.votes["incompetent"] == 3
    assert c1.decision.grade != "incompetent"
    assert every_output(session, first, tmp_path) == every_output(session, second, tmp_path)


def hidden_comments(world: int, rater: str, cadre: str) -> str | None:
    """On C1, the six shown superiors and peers comment alike in both worlds; the two
    subordinates (outside the groups shown on their own, fewer than k) comment in world 1
    only, on integrity and communication."""
    if cadre != "C1":
        return None
    if rater in SUBORDINATES:
        return (
            {"U1": "廉洁自律，办事公道", "U2": "沟通不够，少听取意见"}[rater]
            if world == 1
            else None
        )
    return f"作风务实，经常深入基层（{rater}）"


def test_a_split_comment_lists_only_the_comments_of_the_groups_shown_alone(session, now, tmp_path):
    """C1's comment is split: the public (two ratings) has no comment box here, so the two
    subordinates are the only commenting raters outside the six shown ballots.  Listing
    their comments among the others, or counting or theming them, would tell what they
    wrote, and whether they wrote at all."""
    first, second = (
        worlds_campaign(session, now, world, comments=hidden_comments, public_comments=False)
        for world in (1, 2)
    )
    c1 = {r.cadre.external_id: r for r in shown_results(session=session, campaign=first)}["C1"]
    assert COMMENT in c1.split
    report = cadre_report(session=session, campaign=first, cadre_id="C1")
    assert sorted(report.comments.comments) == sorted(
        hidden_comments(1, rater, "C1") for rater in ("S1", "S2", "S3", "P1", "P2", "P3")
    )
    assert "Only the comments of the groups shown on their own are listed" in report_text(
        report, "en"
    )
    assert [(t.key, t.count) for t in report.themes.themes] == [("work_style", 6)]
    pools = shown_comment_pools(session=session, campaign=first)
    assert sorted(pools[c1.cadre.id]) == sorted(report.comments.comments)
    assert every_output(session, first, tmp_path) == every_output(session, second, tmp_path)


def hidden_cadre_comments(world: int, rater: str, cadre: str) -> str | None:
    """C6's only raters, H1 and H2 (fewer than k), write one comment in world 1, two in
    world 2; nobody else comments."""
    if cadre != "C6":
        return None
    return "工作认真" if rater == "H1" or world == 2 else None


def test_a_withheld_comment_count_is_not_printed(session, now, tmp_path):
    """Old behaviour: "1 comments, fewer than 5, so none is shown" beside "2 comments, …":
    the count told how many of C6's two hidden raters wrote something."""
    first, second = (
        worlds_campaign(session, now, world, comments=hidden_cadre_comments) for world in (1, 2)
    )
    report = cadre_report(session=session, campaign=first, cadre_id="C6")
    assert "Fewer than 5 comments, so none is shown" in report_text(report, "en")
    assert every_output(session, first, tmp_path) == every_output(session, second, tmp_path)

"""HR reads Chinese, never a raw key (issue 14, finding 12).

A running campaign showed 待处理 ("pending", the appeal's word for the same
English "Open"); the audit trail showed stored keys (open_box, scheduler,
cli:alice); the Chinese cadre report PDF was titled "Assessment report"
(the title sat in an f-string, which extraction skips).  These tests render
what HR sees in Chinese and look for English message ids and raw keys.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from babel.messages.pofile import read_po
from pypdf import PdfReader

from surveys.results.report_pdf import write_cadre_report_pdf
from surveys.results.reports import cadre_report
from surveys.rules.messages import TRANSLATIONS_DIR
from surveys.sealing.audit import record_event
from tests.factories import make_campaign
from tests.hr import hr_client
from tests.report_campaign import report_campaign
from tests.web import ZH, app_fixture, visible  # noqa: F401
from webforms.admin_reports import action_labels, actor_label

ROOT = Path(__file__).resolve().parents[3]


def recorded_actions() -> set[str]:
    """Every audit action the code records: literal ``action="..."`` and the appeal outcomes."""
    actions = set()
    for folder in ("surveys", "webforms", "cadre", "bot", "scheduler"):
        for path in (ROOT / folder).rglob("*.py"):
            actions |= set(re.findall(r'\baction="([a-z_]+)"', path.read_text(encoding="utf-8")))
    return actions | {"appeal_upheld", "appeal_revised"}


def test_every_recorded_action_and_actor_has_chinese_words(app):
    with app.test_request_context(headers=ZH):
        labels = action_labels()
        assert recorded_actions() - set(labels) == set()
        assert all(re.search("[\u4e00-\u9fff]", label) for label in labels.values()), labels
        for actor in ("scheduler", "cli", "cli:alice", "cadre:C1", "first start"):
            assert re.search("[\u4e00-\u9fff]", actor_label(actor)), actor
        assert actor_label("hr_officer") == "hr_officer"


def test_a_running_campaign_is_in_progress_not_pending(app, session, now):
    """The dashboard said 待处理 (pending) for a campaign that was open."""
    make_campaign(session, now=now)
    client = hr_client(app, "officer")
    page = visible(client.get("/admin/", headers=ZH).data)
    assert "进行中" in page and "待处理" not in page


def test_the_audit_trail_reads_in_chinese(app, session, now):
    """The trail showed the stored actor keys (scheduler, cli:alice) as they were."""
    campaign = make_campaign(session, now=now)
    for actor, action in (("scheduler", "open"), ("cli:alice", "publish"), ("cadre:C1", "x")):
        record_event(session=session, actor=actor, action=action, now=now, campaign_id=campaign.id)
    session.commit()
    client = hr_client(app, "officer")
    page = visible(client.get(f"/admin/campaigns/{campaign.id}", headers=ZH).data)
    assert "考核开始" in page and "系统定时任务" in page and "命令行（alice）" in page
    assert "干部 C1" in page
    assert not [raw for raw in ("Campaign opened", "scheduler", "cli:", "open_box") if raw in page]


def test_the_chinese_cadre_report_pdf_has_a_chinese_title(session, now):
    """The zh report was titled "Assessment report"."""
    campaign = report_campaign(session, now)
    buffer = BytesIO()
    report = cadre_report(session=session, campaign=campaign, cadre_id="C1")
    write_cadre_report_pdf(buffer, report, "zh")
    text = "\n".join(page.extract_text() for page in PdfReader(buffer).pages)
    assert "考核测评报告" in text and "Assessment report" not in text
    assert "王伟" in text
    assert not [phrase for phrase in english_message_ids() if phrase in text.replace("\n", " ")]


def english_message_ids() -> list[str]:
    """English message ids a Chinese page must not show: phrases whose Chinese differs."""
    with open(TRANSLATIONS_DIR / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        zh = read_po(handle, locale="zh")
    phrases = []
    for message in zh:
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            continue
        text = message.id.split("%(")[0].strip()  # the words before the first value
        if len(text) >= 12 and " " in text and message.string and text not in message.string:
            phrases.append(text)
    return phrases


def test_chinese_admin_pages_show_no_english_message_or_raw_key(app, session, now):
    """Render what HR reads in Chinese: no English sentence, no snake_case key."""
    campaign = report_campaign(session, now)
    record_event(
        session=session, actor="scheduler", action="open", now=now, campaign_id=campaign.id
    )
    session.commit()
    client = hr_client(app, "admin")
    base = f"/admin/campaigns/{campaign.id}"
    phrases = english_message_ids()
    for path in ("/admin/", "/admin/users", "/admin/password", base, base + "/cadres/C1",
                 base + "/appeals"):  # fmt: skip
        response = client.get(path, headers=ZH)
        assert response.status_code == 200, path
        page = visible(response.data)
        assert not [phrase for phrase in phrases if phrase in page], path
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", page), path

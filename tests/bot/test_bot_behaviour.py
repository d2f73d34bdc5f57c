"""What people do with the bot, run against every runtime: bind, answer, results, HR.

The ``bot`` fixture gives a world (a campaign whose raters and cadres have
deep links) and opens chats through one runtime at a time; see
tests/bot_chat.py for what a chat can do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Appeal, ChatDraft, Invitation, Response, TelegramChat
from surveys.notification.publication import publish_results
from tests.bot_chat import last_text
from tests.bot_world import (  # noqa: F401
    BotWorld,
    bot_world_fixture,
    build_world,
    runtime_bot_fixture,
)
from tests.contestable import contestable_only
from tests.factories import CLOSES, RESPONSE_COLUMNS, later, open_boxes, opened_responses

PEER_STEPS = 9  # R2, a peer of C1: seven items, the overall grade, the comment


def answer_everything(chat, steps: int, choice: str = "好") -> None:
    """Start answering in the chat and press ``choice`` (or skip the comment) to the review."""
    chat.press("在此作答")
    for _ in range(steps):
        text = last_text(chat)
        if "意见和建议" in text:
            chat.press("跳过")
        elif "总体评价" in text:
            chat.press("优秀")
        else:
            chat.press(choice)


def test_deep_link_binds_the_chat_and_lists_the_evaluation(bot: BotWorld):
    chat = bot.chat(1001)
    chat.send(f"/start {bot.rater_payload['R2']}")
    texts = [message.text for message in chat.messages()]
    assert "本聊天已关联您在2026年度考核中的测评。" in texts[0]
    listing = chat.messages()[-1]
    assert "需评价干部：1 人" in listing.text
    assert "截止时间：2026-12-01 08:00" in listing.text
    assert listing.labels() == ["在此作答", "打开网页测评表"]
    form_link = listing.buttons[1]["url"]
    assert urlsplit(form_link).path == bot.form_paths["R2"]


@pytest.mark.parametrize(
    ("payload", "reply"),
    [
        ("r" + "A" * 32, "链接无效"),
        ("not a payload!", "链接无效"),
        ("x" * 65, "链接无效"),
        ("", "本机器人"),
    ],
)
def test_bad_payloads_get_a_clear_reply(bot: BotWorld, payload, reply):
    chat = bot.chat(1002)
    chat.send(f"/start {payload}".strip())
    assert reply in chat.messages()[0].text


def test_a_link_used_in_another_chat_is_refused(bot: BotWorld):
    bot.chat(1003).send(f"/start {bot.rater_payload['R2']}")
    other = bot.chat(1004)
    other.send(f"/start {bot.rater_payload['R2']}")
    assert "已在另一个聊天中使用" in last_text(other)


def test_a_closed_campaign_refuses_the_link(bot: BotWorld):
    bot.clock.now = later(CLOSES, minutes=1)
    chat = bot.chat(1005)
    chat.send(f"/start {bot.rater_payload['R2']}")
    assert "测评已结束" in last_text(chat)


def test_whole_questionnaire_in_the_chat_is_stored_without_telegram_ids(bot: BotWorld):
    chat = bot.chat(777001)
    chat.send(f"/start {bot.rater_payload['R2']}")
    answer_everything(chat, PEER_STEPS)
    review = chat.messages()[-1]
    assert "提交前请检查" in review.text
    assert "王伟：已答 8 / 9" in review.text  # seven items and the grade; comment skipped
    chat.press("提交")
    assert "已匿名保存" in last_text(chat)
    with Session(bot.engine) as session:
        rows = opened_responses(session)
        assert len(rows) == 1
        assert set(Response.model_fields) == RESPONSE_COLUMNS
        stored = rows[0].model_dump()
        assert set(stored["answers"].values()) == {"good"}
        assert stored["vote"] == "excellent"
        assert "777001" not in repr(stored)
        assert session.exec(select(ChatDraft)).all() == []
        statuses = {i.rater_id: i.status for i in session.exec(select(Invitation)).all()}
        assert sorted(statuses.values()).count("completed") == 1


def test_second_submission_is_refused(bot: BotWorld):
    chat = bot.chat(1006)
    chat.send(f"/start {bot.rater_payload['R2']}")
    answer_everything(chat, PEER_STEPS)
    review = chat.messages()[-1]
    chat.press("提交")
    chat.press("提交", review)  # the old review's button, pressed again
    assert "该测评已经提交" in last_text(chat)
    chat.send(f"/start {bot.rater_payload['R2']}")
    assert "已经提交" in last_text(chat)
    chat.send("/pending")
    assert "没有待完成的测评" in last_text(chat)
    with Session(bot.engine) as session:
        assert len(opened_responses(session)) == 1


def test_restart_in_the_middle_resumes_at_the_same_question(bot: BotWorld):
    chat = bot.chat(1007)
    chat.send(f"/start {bot.rater_payload['R2']}")
    chat.press("在此作答")
    for _ in range(3):
        chat.press("较好")
    question = last_text(chat)
    assert "已答 3 / 9" in question
    bot.restart()
    again = bot.chat(1007)
    again.send("/pending")
    again.press("继续作答")
    assert last_text(again) == question
    again.press("较好")
    assert "已答 4 / 9" in last_text(again)


def test_skipped_required_question_is_sent_back_at_review(bot: BotWorld):
    chat = bot.chat(1008)
    chat.send(f"/start {bot.rater_payload['R2']}")
    chat.press("在此作答")
    chat.press("跳过")
    for _ in range(PEER_STEPS - 1):
        text = last_text(chat)
        chat.press("优秀" if "总体评价" in text else ("跳过" if "意见和建议" in text else "一般"))
    chat.press("提交")
    assert "请回答此题" in last_text(chat)
    assert "问题 1 / 9" in last_text(chat)
    chat.press("好")
    assert "提交前请检查" in last_text(chat)
    chat.press("提交")
    assert "已匿名保存" in last_text(chat)


def test_back_changes_an_answer_and_a_typed_comment_is_kept(bot: BotWorld):
    chat = bot.chat(1009)
    chat.send(f"/start {bot.rater_payload['R2']}")
    chat.press("在此作答")
    chat.press("差")
    chat.press("返回")
    assert "✓ 差" in chat.messages()[-1].labels()
    chat.press("好")
    for _ in range(PEER_STEPS - 3):
        chat.press("好")
    chat.press("称职")
    assert "意见和建议" in last_text(chat)
    chat.send("工作认真，希望加强调研。")
    assert "提交前请检查" in last_text(chat)
    chat.press("提交")
    with Session(bot.engine) as session:
        (response,) = opened_responses(session)
    assert response.answers["de_stance"] == "good"
    assert response.vote == "competent"
    assert response.comment == "工作认真，希望加强调研。"


def test_cadre_sees_when_results_are_due_then_the_published_results(bot: BotWorld):
    chat = bot.chat(2001)
    chat.send(f"/start {bot.cadre_payload['C1']}")
    assert "王伟" in last_text(chat)
    chat.send("/results")
    assert "2026年度考核的结果尚未公布，预计于 2026-12-01 公布。" in last_text(chat)
    bot.store_answers(slips_per_group=3)  # C1: 4 superiors, 4 peers, 5 subordinates
    bot.clock.now = later(CLOSES, days=1)
    with Session(bot.engine) as session:
        open_boxes(session)
        publish_results(session=session, campaign=bot.campaign(session), now=bot.clock.now)
        session.commit()
    chat.send("/results")
    report, chart = chat.messages()[-2:]
    assert "综合得分：100.00" in report.text
    assert "等次：称职" in report.text  # 20% of a two-cadre unit leaves no place for 优秀
    assert "名额" in report.text
    assert "上级：100.00（4 份）" in report.text and "下级：100.00（5 份）" in report.text
    assert "德（政治素质）：100.00" in report.text
    assert chart.photo_bytes > 1000 and "王伟" in chart.text


def test_results_hide_groups_below_the_threshold(bot: BotWorld):
    chat = bot.chat(2002)
    chat.send(f"/start {bot.cadre_payload['C1']}")
    bot.store_answers()  # C1: 1 superior, 1 peer, 2 subordinates: no group reaches k = 3
    bot.clock.now = later(CLOSES, days=1)
    with Session(bot.engine) as session:
        open_boxes(session)
        publish_results(session=session, campaign=bot.campaign(session), now=bot.clock.now)
        session.commit()
    chat.send("/results")
    text = "\n".join(message.text for message in chat.messages()[-2:])
    assert "综合得分：100.00" in text
    assert "上级" not in text and "同级" not in text and "下级：" not in text
    assert "其他测评人：100.00（4 份）" in text
    assert "为保护测评人匿名" in text


def test_hr_chat_sees_progress_and_others_are_refused(bot: BotWorld):
    stranger = bot.chat(3001)
    stranger.send("/progress")
    assert "仅供人事部门" in last_text(stranger)
    hr = bot.chat(bot.hr_chat)
    hr.send("/progress")
    assert bot.campaign_id[:8] in last_text(hr)
    hr.send(f"/progress {bot.campaign_id[:8]}")
    assert "王伟: 0/4 · 上级 0/1, 同级 0/1, 下级 0/2" in last_text(hr)
    hr.send("/progress nosuchcampaign")
    assert "nosuchcampaign" in last_text(hr)


def test_language_switch_unknown_commands_and_free_text(bot: BotWorld):
    chat = bot.chat(4001, language="en")
    chat.send("/help")
    assert "/pending" in last_text(chat)
    assert "Evaluations waiting for you" in last_text(chat)
    chat.send("/language")
    chat.press("中文")
    assert "中文" in last_text(chat) and "English" not in last_text(chat)
    chat.send("/frobnicate")
    assert "我不认识这个命令" in last_text(chat)
    chat.send("hello?")
    assert "/pending" in last_text(chat)
    with Session(bot.engine) as session:
        assert session.get(TelegramChat, 4001).locale == "zh"


def test_nothing_stored_links_a_response_to_a_chat(bot: BotWorld):
    chat = bot.chat(987654321)
    chat.send(f"/start {bot.rater_payload['R2']}")
    answer_everything(chat, PEER_STEPS)
    chat.press("提交")
    with bot.engine.connect() as connection:
        waiting = connection.execute(sa.text("SELECT * FROM sealedballot")).all()
    with Session(bot.engine) as session:
        opened_responses(session)
    with bot.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM response")).all()
    assert waiting and rows
    assert all("987654321" not in repr(tuple(row)) for row in waiting + rows)


def test_big_chat_ids_bind_and_answer_on_both_databases(any_engine, now):
    """Chat ids outgrow 32 bits (supergroups, new accounts): PostgreSQL must take them."""
    for world in build_world(any_engine, now, "core"):
        chat = world.chat(2**41 + 7)
        chat.send(f"/start {world.rater_payload['R2']}")
        answer_everything(chat, PEER_STEPS)
        chat.press("提交")
        assert "已匿名保存" in last_text(chat)
        again = world.chat(2**41 + 8)
        again.send(f"/start {world.rater_payload['R2']}")
        assert "已经提交" in last_text(again)


def test_a_chat_that_blocked_the_bot_is_marked_unreachable(runtime_bot: BotWorld):
    bot = runtime_bot
    chat = bot.chat(6001)
    bot.fake.block(6001)
    chat.send("/help")
    with Session(bot.engine) as session:
        assert session.get(TelegramChat, 6001).unreachable
    assert bot.fake.sent_to(6001) == []
    bot.fake.restore(6001)
    chat.send("/help")  # writing to the bot again makes the chat reachable
    with Session(bot.engine) as session:
        assert not session.get(TelegramChat, 6001).unreachable
    assert len(bot.fake.sent_to(6001)) == 1


def test_flood_control_delays_the_reply_but_delivers_it_once(runtime_bot: BotWorld):
    bot = runtime_bot
    chat = bot.chat(6002)
    bot.fake.force_429(1, retry_after=1)
    chat.send("/help")
    assert bot.fake.count_429 == 1
    assert [m["method"] for m in bot.fake.sent_to(6002)] == ["sendMessage"]
    assert "/pending" in last_text(chat)


def test_a_cadre_appeals_within_the_period_and_not_after(bot: BotWorld):
    chat = bot.chat(2003)
    chat.send(f"/start {bot.cadre_payload['C1']}")
    chat.send("/appeal 我认为评分有误")
    assert "没有可以申诉" in last_text(chat)
    bot.store_answers()
    bot.clock.now = later(CLOSES, days=1)
    with Session(bot.engine) as session:
        open_boxes(session)
        publish_results(session=session, campaign=bot.campaign(session), now=bot.clock.now)
        session.commit()
    chat.send("/results")
    assert "可在 2026-12-09 前申诉" in "\n".join(m.text for m in chat.messages()[-2:])
    chat.send("/appeal")
    assert "请在 /appeal 后写明理由" in last_text(chat)
    chat.send("/appeal 我认为评分有误，请复核。")
    assert "已收到您对2026年度考核的申诉" in last_text(chat)
    chat.send("/appeal 再次申诉")
    assert "已有一项申诉" in last_text(chat)
    with Session(bot.engine) as session:
        (appeal,) = session.exec(select(Appeal)).all()
        assert appeal.reason == "我认为评分有误，请复核。" and appeal.status == "open"
    bot.clock.now = later(CLOSES, days=20)
    chat.send("/appeal 太晚了")
    assert "没有可以申诉" in last_text(chat)


def test_a_failure_inside_the_core_gets_an_apology_not_silence(tmp_path, caplog):
    from bot.actions import AnswerCallback, Incoming, SendText
    from bot.conversation import BotConfig
    from bot.core import BotCore
    from storage.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'no-schema.db'}")  # every query fails
    try:
        core = BotCore(engine=engine, config=BotConfig(secret_key="k" * 40, base_url="http://x"))
        pressed = Incoming(chat_id=9, language="en", callback_id="cb", callback_data="go:secret")
        actions = core.handle(pressed)
    finally:
        engine.dispose()
    assert actions[0] == AnswerCallback("cb")
    assert isinstance(actions[1], SendText) and "something went wrong" in actions[1].text
    assert "go:secret" not in caplog.text  # the update itself is never logged


@pytest.mark.parametrize("contestable", [["incompetent"], ["competent", "incompetent"]])
def test_the_bot_offers_an_appeal_only_for_a_grade_that_may_be_contested(
    bot: BotWorld, contestable
):
    chat = bot.chat(2004)
    chat.send(f"/start {bot.cadre_payload['C1']}")
    bot.store_answers()
    bot.clock.now = later(CLOSES, days=1)
    with Session(bot.engine, expire_on_commit=False) as session:
        open_boxes(session)
        campaign = bot.campaign(session)
        contestable_only(session, campaign, contestable)
        publish_results(session=session, campaign=campaign, now=bot.clock.now)
        session.commit()
    chat.send("/results")
    shown = "\n".join(m.text for m in chat.messages()[-2:])
    assert "等次：称职" in shown
    chat.send("/appeal 我认为评分有误")
    if "competent" in contestable:
        assert "可在 2026-12-09 前申诉" in shown
        assert "已收到您对2026年度考核的申诉" in last_text(chat)
        return
    law = "《中华人民共和国公务员法》（2018年修订） 第九十五条"
    assert "可在 2026-12-09 前申诉" not in shown and "/appeal" not in shown
    assert f"只有评为不称职的结果可以申诉（{law}）" in shown
    refusal = last_text(chat)
    assert "称职" in refusal and "不称职" in refusal and law in refusal
    with Session(bot.engine) as session:
        assert session.exec(select(Appeal)).all() == []

"""The Telegram adapters on both runtimes: updates in, Bot API calls out, errors handled.

A scripted stand-in replaces the bot core, so these tests cover only the
transport: python-telegram-bot and aiogram talk through their real HTTP
clients to ``FakeTelegram``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from bot import aiogram_runtime, delivery, ptb_runtime
from bot.actions import (
    Action,
    AnswerCallback,
    Button,
    EditText,
    Incoming,
    SendPhoto,
    SendText,
)
from bot.delivery import Failure, Verdict
from surveys.rules.messages import translate
from tests import bot_fixtures
from tests.fake_telegram import TOKEN, FakeTelegram, message_update

runtime = bot_fixtures.runtime
fake_telegram = bot_fixtures.fake_telegram
bot_harness_factory = bot_fixtures.bot_harness_factory

SECRET = "BIND-7Q2X-SECRET"
WEBHOOK_SECRET = "webhook-secret_0123456789"
COMMANDS = [("start", "Cadres"), ("help", "Cadre assessment")]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40 + b"\r\n--boundary\r\n\r\n"


class ScriptedCore:
    """A stand-in for BotCore: replies come from a function, every call is recorded."""

    def __init__(self, reply: Callable[[Incoming], list[Action]] | None = None, *, fail=False):
        self.reply = reply or (lambda incoming: [])
        self.fail = fail
        self.seen: list[Incoming] = []
        self.unreachable: list[int] = []
        self._lock = threading.Lock()

    def handle(self, incoming: Incoming) -> list[Action]:
        """Record the update, then reply (or raise, quoting the update as a careless bug would)."""
        with self._lock:
            self.seen.append(incoming)
        if self.fail:
            raise ValueError(f"cannot read {incoming.text or incoming.callback_data!r}")
        return self.reply(incoming)

    def chat_unreachable(self, chat_id: int) -> None:
        """Record the chat."""
        with self._lock:
            self.unreachable.append(chat_id)


def echo(incoming: Incoming) -> list[Action]:
    """A one-line reply to the chat the update came from."""
    return [SendText(incoming.chat_id, f"got {len(incoming.text or '')} characters")]


# -- updates in, requests out ---------------------------------------------------------


def test_text_with_callback_link_and_mini_app_buttons(bot_harness_factory, fake_telegram):
    keyboard = (
        (Button("Answer", data="ans:1"), Button("Read", url="https://example.org/guide")),
        (Button("Open form", web_app="https://example.org/app"),),
    )
    harness = bot_harness_factory(ScriptedCore(lambda i: [SendText(i.chat_id, "你好", keyboard)]))

    replies = harness.send(42, "/start")

    assert [(r["method"], r["chat_id"], r["text"]) for r in replies] == [
        ("sendMessage", 42, "你好")
    ]
    assert replies[0]["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "Answer", "callback_data": "ans:1"},
                {"text": "Read", "url": "https://example.org/guide"},
            ],
            [{"text": "Open form", "web_app": {"url": "https://example.org/app"}}],
        ]
    }


def test_updates_become_incoming_events(bot_harness_factory):
    core = ScriptedCore()
    harness = bot_harness_factory(core)

    harness.send(42, "hello", language="en", user_id=7)
    harness.send(-1001, "/help@cadre_test_bot")
    harness.press(42, "lang:zh", message_id=5)

    message, group, press = core.seen
    assert message == Incoming(chat_id=42, user_id=7, language="en", text="hello", private=True)
    assert (group.chat_id, group.text, group.private) == (-1001, "/help@cadre_test_bot", False)
    assert (press.chat_id, press.user_id, press.language) == (42, 42, "zh")
    assert (press.callback_data, press.message_id, press.private) == ("lang:zh", 5, True)
    assert press.callback_id and press.text is None


def test_photo_is_uploaded_as_multipart_with_its_bytes(bot_harness_factory, fake_telegram):
    harness = bot_harness_factory(
        ScriptedCore(lambda i: [SendPhoto(i.chat_id, PNG, "成绩", filename="scores.png")])
    )

    (photo,) = harness.send(42, "/results")

    assert photo["method"] == "sendPhoto" and photo["multipart"] is True
    assert photo["photo_size"] == len(PNG)
    assert photo["photo_sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (photo["caption"], photo["filename"]) == ("成绩", "scores.png")


def test_edit_text_and_answer_callback(bot_harness_factory, fake_telegram):
    def reply(incoming: Incoming) -> list[Action]:
        assert incoming.callback_id and incoming.message_id
        return [
            AnswerCallback(incoming.callback_id, "Saved"),
            EditText(incoming.chat_id, incoming.message_id, "Question 2", ((Button("A", "q:2"),),)),
        ]

    core = ScriptedCore(reply)
    harness = bot_harness_factory(core)

    (edit,) = harness.press(42, "q:1", message_id=9)

    assert (edit["method"], edit["chat_id"], edit["message_id"]) == ("editMessageText", 42, 9)
    assert edit["text"] == "Question 2"
    assert edit["reply_markup"] == {"inline_keyboard": [[{"text": "A", "callback_data": "q:2"}]]}
    assert [(a["callback_query_id"], a["text"]) for a in fake_telegram.answers] == [
        (core.seen[0].callback_id, "Saved")
    ]


def test_an_edit_that_changes_nothing_is_ignored(bot_harness_factory, fake_telegram, caplog):
    caplog.set_level(logging.INFO)
    core = ScriptedCore(lambda i: [SendText(i.chat_id, "Same")])
    harness = bot_harness_factory(core)
    (sent,) = harness.send(42, "/start")
    core.reply = lambda i: [EditText(i.chat_id, sent["message_id"], "Same")]

    assert harness.press(42, "noop", message_id=sent["message_id"]) == []

    assert core.unreachable == []
    assert [
        r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("bot")
    ] == []


# -- error policy -----------------------------------------------------------------------


@pytest.mark.parametrize("refusal", ["block", "forget"])
def test_unreachable_chat_is_reported_once_and_not_retried(
    bot_harness_factory, fake_telegram, refusal
):
    getattr(fake_telegram, refusal)(42)
    core = ScriptedCore(
        lambda i: [
            SendText(42, "first"),
            SendPhoto(42, PNG, "chart"),
            SendText(42, "second"),
            SendText(43, "someone else"),
        ]
    )
    harness = bot_harness_factory(core)

    harness.send(42, "/remind")

    assert core.unreachable == [42]
    assert fake_telegram.requests.count("sendMessage") == 2  # the refused one and chat 43
    assert "sendPhoto" not in fake_telegram.requests
    assert fake_telegram.sent_to(42) == []
    assert [r["text"] for r in fake_telegram.sent_to(43)] == ["someone else"]


def test_flood_control_waits_and_delivers_once(bot_harness_factory, fake_telegram):
    fake_telegram.force_429(2, retry_after=1)
    harness = bot_harness_factory(ScriptedCore(echo))

    started = time.monotonic()
    harness.send(42, "hello")
    elapsed = time.monotonic() - started

    assert elapsed >= 1.9  # two waits of retry_after=1 s
    assert fake_telegram.count_429 == 2
    assert fake_telegram.requests.count("sendMessage") == 3
    assert len(fake_telegram.sent_to(42)) == 1


def test_flood_control_gives_up_after_five_retries(caplog):
    attempts: list[Action] = []
    sleeps: list[float] = []

    async def perform(action: Action) -> None:
        attempts.append(action)
        raise RuntimeError("flood")

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def classify(exc: Exception) -> Verdict:
        return Verdict(Failure.RETRY, "Too Many Requests", retry_after=3)

    action = SendText(42, "hello")
    outcome = asyncio.run(
        delivery.perform_one(action, perform=perform, classify=classify, sleep=sleep)
    )

    assert outcome is Failure.RETRY
    assert len(attempts) == delivery.MAX_RETRIES + 1 == 6
    assert sleeps == [3] * 5
    assert "gave up on SendText in chat 42" in caplog.text


def test_command_menu_is_registered_for_zh_en_and_default(bot_harness_factory, fake_telegram):
    harness = bot_harness_factory(ScriptedCore())

    harness.register_commands(COMMANDS)

    def menu(locale: str) -> list[dict[str, str]]:
        return [{"command": c, "description": translate(m, locale=locale)} for c, m in COMMANDS]

    assert fake_telegram.commands == {"zh": menu("zh"), "en": menu("en"), None: menu("zh")}
    assert menu("zh") != menu("en")


def test_update_text_never_reaches_the_logs(bot_harness_factory, fake_telegram, caplog):
    caplog.set_level(logging.DEBUG)
    failing = bot_harness_factory(ScriptedCore(fail=True))
    failing.send(42, f"/start {SECRET}")
    failing.press(42, f"bind:{SECRET}", message_id=3)
    fake_telegram.fail_chat(43, 400, "Bad Request: can't parse entities")
    refused = bot_harness_factory(ScriptedCore(echo))
    refused.send(43, SECRET)

    assert "ValueError" in caplog.text  # the core's failure is logged ...
    assert "can't parse entities" in caplog.text.lower()  # ... and so is the failed send ...
    assert SECRET not in caplog.text  # ... but never what the user wrote
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert len(fake_telegram.answers) == 1  # the pressed button still stops spinning


# -- webhook and polling modes ------------------------------------------------------------


class Background:
    """A runtime serving in a daemon thread; ``stop()`` ends it and re-raises its error."""

    def __init__(self, target: Callable[[], None], stopper: Callable[[], None]):
        self.error: BaseException | None = None
        self._stopper = stopper
        self._thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self._thread.start()

    def _run(self, target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # re-raised in the test's thread by stop()
            self.error = exc

    def stop(self) -> None:
        """Ask the runtime to stop and wait for its thread."""
        self._stopper()
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "the runtime did not stop"
        if self.error is not None:
            raise self.error


def start_ptb(core: ScriptedCore, fake: FakeTelegram, **webhook: Any) -> Background:
    """python-telegram-bot polling, or its webhook when ``webhook`` options are given."""
    application = ptb_runtime.build_application(
        core, token=TOKEN, api_url=fake.url, commands=COMMANDS
    )
    loop = asyncio.new_event_loop()

    def target() -> None:
        if webhook:
            ptb_runtime.serve_webhook(application, handle_signals=False, loop=loop, **webhook)
        else:
            ptb_runtime.poll(application, handle_signals=False, loop=loop)

    return Background(target, lambda: loop.call_soon_threadsafe(application.stop_running))


def start_aiogram(core: ScriptedCore, fake: FakeTelegram, **webhook: Any) -> Background:
    """aiogram polling, or its webhook when ``webhook`` options are given."""
    bot = aiogram_runtime.build_bot(TOKEN, fake.url)
    dispatcher = aiogram_runtime.build_dispatcher(core)
    started = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
        started.set()
        if webhook:
            await aiogram_runtime.serve_webhook(
                bot,
                dispatcher,
                commands=COMMANDS,
                handle_signals=False,
                stop=state["stop"],
                **webhook,
            )
        else:
            await aiogram_runtime.start_polling(
                bot, dispatcher, commands=COMMANDS, handle_signals=False
            )

    def stopper() -> None:
        started.wait(10)
        if webhook:
            state["loop"].call_soon_threadsafe(state["stop"].set)
        else:
            asyncio.run_coroutine_threadsafe(dispatcher.stop_polling(), state["loop"]).result(10)

    return Background(lambda: asyncio.run(main()), stopper)


STARTERS = {"ptb": start_ptb, "aiogram": start_aiogram}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int, timeout: float = 10.0) -> bool:
    """Wait until something accepts connections on a loopback port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def post(url: str, update: dict[str, Any], secret: str | None) -> int:
    """POST an update as Telegram would; the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        refused.close()
        return refused.code


def test_webhook_refuses_requests_without_the_secret_token(runtime, fake_telegram):
    core = ScriptedCore(echo)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    server = STARTERS[runtime](
        core,
        fake_telegram,
        webhook_url=url,
        secret_token=WEBHOOK_SECRET,
        listen="127.0.0.1",
        port=port,
    )
    try:
        assert fake_telegram.wait_for(lambda: fake_telegram.webhook is not None)
        assert listening(port)
        missing = post(url, message_update(1, chat_id=42, text="no header"), None)
        wrong = post(url, message_update(2, chat_id=42, text="wrong"), "not-the-secret")
        right = post(url, message_update(3, chat_id=42, text="right"), WEBHOOK_SECRET)
        assert fake_telegram.wait_for(lambda: fake_telegram.sent_to(42))
    finally:
        server.stop()

    assert missing in (401, 403) and wrong in (401, 403)
    assert right == 200
    assert [incoming.text for incoming in core.seen] == ["right"]
    assert [r["text"] for r in fake_telegram.sent_to(42)] == ["got 5 characters"]
    assert fake_telegram.webhook == {
        "url": url,
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert set(fake_telegram.commands) == {None, "zh", "en"}


def test_polling_answers_a_queued_update_and_stops_cleanly(runtime, fake_telegram):
    core = ScriptedCore(echo)
    poller = STARTERS[runtime](core, fake_telegram)
    try:
        fake_telegram.push_update(
            message_update(fake_telegram.next_update_id(), chat_id=42, text="hi")
        )
        assert fake_telegram.wait_for(lambda: fake_telegram.sent_to(42))
    finally:
        poller.stop()

    assert [incoming.text for incoming in core.seen] == ["hi"]
    assert [r["text"] for r in fake_telegram.sent_to(42)] == ["got 2 characters"]
    assert "getUpdates" in fake_telegram.requests
    assert set(fake_telegram.commands) == {None, "zh", "en"}

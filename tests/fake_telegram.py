"""A fake Telegram Bot API server for tests and benchmarks (not shipped).

``FakeTelegram`` serves ``/bot<token>/<method>`` on 127.0.0.1 from a daemon
thread and answers the way Telegram does, so python-telegram-bot and aiogram
can talk to it through their real HTTP clients (``api_url=fake.url``)::

    with FakeTelegram() as fake:
        ...  # run a bot against fake.url
        fake.push_update(message_update(1, chat_id=42, text="/start"))
        fake.last(42)["text"]

It records every accepted message, can refuse chats (blocked, not found),
applies a global flood limit (429 with ``retry_after``) and queues updates
for long polling.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import hashlib
import itertools
import json
import math
import socket
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "123456789:TEST-token_for-the-fake-server"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Cadre Test Bot",
    "username": "cadre_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
INTEGER_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout"})
JSON_FIELDS = frozenset({"reply_markup", "commands", "allowed_updates", "scope"})
BOOLEAN_FIELDS = frozenset({"show_alert", "drop_pending_updates"})
BLOCKED = (403, "Forbidden: bot was blocked by the user")
NOT_FOUND = (400, "Bad Request: chat not found")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

Reply = tuple[int, dict[str, Any]]


def ok(result: Any) -> Reply:
    """A successful Bot API answer."""
    return 200, {"ok": True, "result": result}


def error(code: int, description: str, **parameters: Any) -> Reply:
    """A failed Bot API answer, with ``parameters`` such as retry_after."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


def user(user_id: int, language: str | None = "zh") -> dict[str, Any]:
    """A human Telegram user."""
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if language:
        data["language_code"] = language
    return data


def chat(chat_id: int) -> dict[str, Any]:
    """A chat object: private for positive ids, a group otherwise."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    return {"id": chat_id, "type": "group", "title": f"Group{-chat_id}"}


def message_update(
    update_id: int,
    *,
    chat_id: int,
    text: str,
    language: str | None = "zh",
    user_id: int | None = None,
    message_id: int = 1,
) -> dict[str, Any]:
    """A realistic ``message`` update (with a bot_command entity for '/...' texts)."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat(chat_id),
        "from": user(user_id if user_id is not None else abs(chat_id), language),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int,
    *,
    chat_id: int,
    data: str,
    message_id: int,
    language: str | None = "zh",
    user_id: int | None = None,
    callback_id: str | None = None,
) -> dict[str, Any]:
    """A realistic ``callback_query`` update for a button under a bot message."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_id or f"cb{update_id}",
            "from": user(user_id if user_id is not None else abs(chat_id), language),
            "chat_instance": str(chat_id),
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat(chat_id),
                "from": BOT_USER,
                "text": "…",
            },
        },
    }


class _Server(ThreadingHTTPServer):
    """The HTTP server; tracks open connections so closing does not wait for clients."""

    daemon_threads = True
    request_queue_size = 1024  # socketserver's default of 5 resets bursts of new connections
    fake: FakeTelegram

    def __init__(self, fake: FakeTelegram):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        """Remember the connection, then serve it in its own thread."""
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        """Forget the connection and close it."""
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        """Stay quiet when a client hangs up (a cancelled long poll); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        """Hang up on keep-alive clients so their handler threads end."""
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """One keep-alive connection: reads a request body and lets the fake answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server

    def do_POST(self) -> None:
        """Answer a Bot API call."""
        self._answer(self._body())

    def do_GET(self) -> None:
        """Answer a Bot API call made with a query string."""
        self._answer(b"")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep quiet: a benchmark makes thousands of requests."""

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _answer(self, body: bytes) -> None:
        content_type = self.headers.get("Content-Type", "")
        status, payload = self.server.fake.answer(self.path, content_type, body)
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def parse_body(
    content_type: str, body: bytes
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Parameters and uploaded files from a JSON, urlencoded or multipart/form-data body."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        return (json.loads(body) if body else {}), {}
    if kind == "multipart/form-data":
        return parse_multipart(content_type, body)
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}


def parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Fields and files of a multipart/form-data body, with the stdlib email parser."""
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = (filename, payload)
        else:
            fields[str(name)] = payload.decode(part.get_content_charset() or "utf-8")
    return fields, files


def normalise(params: dict[str, Any]) -> dict[str, Any]:
    """Coerce form values the way Telegram does: ids to int, markup and lists from JSON."""
    result = dict(params)
    for key, value in params.items():
        if not isinstance(value, str):
            continue
        if key in INTEGER_FIELDS and value.lstrip("-").isdigit():
            result[key] = int(value)
        elif key in JSON_FIELDS and value:
            result[key] = json.loads(value)
        elif key in BOOLEAN_FIELDS:
            result[key] = value.lower() in ("true", "1")
    return result


class FakeTelegram:
    """A Bot API server on a free loopback port; use as a context manager."""

    def __init__(
        self,
        *,
        token: str | None = None,
        limit_per_second: int = 30,
        poll_wait: float = 1.0,
        latency: float = 0.0,
    ):
        self.token = token
        self.limit_per_second = limit_per_second
        self.latency = latency
        self.poll_wait = poll_wait
        self.messages: list[dict[str, Any]] = []
        self._by_chat: dict[Any, list[dict[str, Any]]] = {}
        self.answers: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.commands: dict[str | None, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.count_429 = 0
        self._lock = threading.Lock()
        self._updates_changed = threading.Condition(self._lock)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, int] = {}
        self._contents: dict[tuple[int, int], tuple[str | None, Any]] = {}
        self._chat_errors: dict[int, tuple[int, str]] = {}
        self._accepted: deque[float] = deque()
        self._forced: deque[int] = deque()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------

    def __enter__(self) -> FakeTelegram:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Start serving in a daemon thread."""
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving, hang up on clients and release the port."""
        if self._server is None:
            return
        with self._updates_changed:
            self._updates_changed.notify_all()
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None, "FakeTelegram is not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The server root, to pass as a runtime's ``api_url``."""
        return f"http://127.0.0.1:{self.port}"

    # -- behaviour switches ----------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: calls to this chat answer 403."""
        self.fail_chat(chat_id, *BLOCKED)

    def forget(self, chat_id: int) -> None:
        """The chat does not exist: calls to it answer 400 chat not found."""
        self.fail_chat(chat_id, *NOT_FOUND)

    def fail_chat(self, chat_id: int, error_code: int, description: str) -> None:
        """Make every call addressed to a chat fail with this error."""
        with self._lock:
            self._chat_errors[chat_id] = (error_code, description)

    def restore(self, chat_id: int) -> None:
        """Let calls to a blocked, forgotten or failing chat succeed again."""
        with self._lock:
            self._chat_errors.pop(chat_id, None)

    def force_429(self, times: int, retry_after: int = 1) -> None:
        """Answer the next ``times`` send* calls with 429 Too Many Requests."""
        with self._lock:
            self._forced.extend([max(1, int(retry_after))] * times)

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (an update_id is given if missing); returns the id."""
        with self._updates_changed:
            update = dict(update)
            update.setdefault("update_id", next(self._update_ids))
            self._updates.append(update)
            self._updates_changed.notify_all()
            return update["update_id"]

    def next_update_id(self) -> int:
        """A fresh update id, for building updates to push."""
        with self._lock:
            return next(self._update_ids)

    # -- records ---------------------------------------------------------------------

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The accepted sends and edits to a chat, oldest first."""
        with self._lock:
            return list(self._by_chat.get(chat_id, ()))

    def last(self, chat_id: int) -> dict[str, Any] | None:
        """The latest accepted send or edit to a chat."""
        with self._lock:
            records = self._by_chat.get(chat_id)
            return records[-1] if records else None

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Poll until ``predicate()`` is true (for runtimes working in other threads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return bool(predicate())

    # -- the API -----------------------------------------------------------------------

    def answer(self, path: str, content_type: str, body: bytes) -> Reply:
        """Answer one HTTP request, ``latency`` seconds late (half before counting it, half after),
        as a real network is: several requests are then in flight at once."""
        if not self.latency:
            return self._respond(path, content_type, body)
        time.sleep(self.latency / 2)
        reply = self._respond(path, content_type, body)
        time.sleep(self.latency / 2)
        return reply

    def _respond(self, path: str, content_type: str, body: bytes) -> Reply:
        split = urlsplit(path)
        parts = split.path.strip("/").split("/")
        if len(parts) < 2 or not parts[0].startswith("bot") or parts[0] == "file":
            return error(404, "Not Found")
        token, method = parts[0][3:], parts[1]
        if self.token is not None and token != self.token:
            return error(401, "Unauthorized")
        try:
            params, files = parse_body(content_type, body)
        except (ValueError, UnicodeDecodeError):
            return error(400, "Bad Request: can't parse request body")
        params.update(parse_qsl(split.query))
        params = normalise(params)
        with self._lock:
            self.requests.append(method)
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return error(404, "Not Found: method not found")
        if method.lower().startswith(("send", "edit")):
            refusal = self._refusal(method, params)
            if refusal is not None:
                return refusal
        return handler(params, files)

    def _refusal(self, method: str, params: dict[str, Any]) -> Reply | None:
        """A forced or flood-limit 429, or the chat's error; None lets the call through."""
        is_send = method.lower().startswith("send")
        now = time.monotonic()
        with self._lock:
            if is_send and self._forced:
                self.count_429 += 1
                wait = self._forced.popleft()
                return error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            failure = self._chat_errors.get(params.get("chat_id"))  # type: ignore[arg-type]
            if failure is not None:
                return error(*failure)
            if not is_send:
                return None
            while self._accepted and self._accepted[0] <= now - 1.0:
                self._accepted.popleft()
            if len(self._accepted) >= self.limit_per_second:
                self.count_429 += 1
                wait = max(1, math.ceil(self._accepted[0] + 1.0 - now))
                return error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            self._accepted.append(now)
        return None

    def _message(self, chat_id: int, **fields: Any) -> tuple[int, dict[str, Any]]:
        """A new Message object from the bot in a chat (caller holds the lock)."""
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat(chat_id),
            "from": BOT_USER,
        }
        message.update({key: value for key, value in fields.items() if value is not None})
        return message_id, message

    def _record(self, method: str, chat_id: int, message_id: int, **fields: Any) -> None:
        """Remember an accepted send or edit (caller holds the lock)."""
        record = {"method": method, "chat_id": chat_id, "message_id": message_id}
        record.update(fields, time=time.time())
        self.messages.append(record)
        self._by_chat.setdefault(chat_id, []).append(record)

    def _api_getme(self, params, files) -> Reply:
        return ok(BOT_USER)

    def _api_sendmessage(self, params, files) -> Reply:
        chat_id, text, markup = (
            params.get("chat_id"),
            params.get("text"),
            params.get("reply_markup"),
        )
        if not isinstance(chat_id, int):
            return error(400, "Bad Request: chat_id is empty")
        if not text:
            return error(400, "Bad Request: message text is empty")
        with self._lock:
            message_id, message = self._message(chat_id, text=text, reply_markup=markup)
            self._contents[(chat_id, message_id)] = (text, markup)
            self._record("sendMessage", chat_id, message_id, text=text, reply_markup=markup)
        return ok(message)

    def _api_sendphoto(self, params, files) -> Reply:
        chat_id, caption, markup = (
            params.get("chat_id"),
            params.get("caption"),
            params.get("reply_markup"),
        )
        if not isinstance(chat_id, int):
            return error(400, "Bad Request: chat_id is empty")
        filename, data, multipart = self._photo(params, files)
        if data is None:
            return error(400, "Bad Request: there is no photo in the request")
        size = len(data)
        photo = [
            {
                "file_id": f"photo-{chat_id}-{size}",
                "file_unique_id": hashlib.sha256(data).hexdigest()[:16],
                "width": 800,
                "height": 600,
                "file_size": size,
            }
        ]
        with self._lock:
            message_id, message = self._message(
                chat_id, photo=photo, caption=caption, reply_markup=markup
            )
            self._record(
                "sendPhoto",
                chat_id,
                message_id,
                caption=caption,
                reply_markup=markup,
                photo_size=size,
                photo_sha256=hashlib.sha256(data).hexdigest(),
                filename=filename,
                multipart=multipart,
            )
        return ok(message)

    @staticmethod
    def _photo(params, files) -> tuple[str | None, bytes | None, bool]:
        """The uploaded photo: a multipart file, an attach:// reference, or a file id."""
        value = params.get("photo")
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value.removeprefix("attach://"))
        elif "photo" in files:
            value = files["photo"]
        if isinstance(value, tuple):
            return value[0], value[1], True
        if isinstance(value, str) and value:
            return None, value.encode(), False
        return None, None, False

    def _api_editmessagetext(self, params, files) -> Reply:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        text, markup = params.get("text"), params.get("reply_markup")
        if params.get("inline_message_id"):
            return ok(True)
        if not isinstance(chat_id, int) or not isinstance(message_id, int):
            return error(400, "Bad Request: message identifier is not specified")
        if not text:
            return error(400, "Bad Request: message text is empty")
        with self._lock:
            if self._contents.get((chat_id, message_id)) == (text, markup):
                return error(400, NOT_MODIFIED)
            self._contents[(chat_id, message_id)] = (text, markup)
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "edit_date": int(time.time()),
                "chat": chat(chat_id),
                "from": BOT_USER,
                "text": text,
            }
            if markup is not None:
                message["reply_markup"] = markup
            self._record("editMessageText", chat_id, message_id, text=text, reply_markup=markup)
        return ok(message)

    def _api_answercallbackquery(self, params, files) -> Reply:
        with self._lock:
            self.answers.append(
                {
                    "callback_query_id": params.get("callback_query_id"),
                    "text": params.get("text"),
                    "show_alert": bool(params.get("show_alert", False)),
                    "time": time.time(),
                }
            )
        return ok(True)

    def _api_setmycommands(self, params, files) -> Reply:
        with self._lock:
            self.commands[params.get("language_code") or None] = list(params.get("commands", []))
        return ok(True)

    def _api_deletemycommands(self, params, files) -> Reply:
        with self._lock:
            self.commands.pop(params.get("language_code") or None, None)
        return ok(True)

    def _api_getmycommands(self, params, files) -> Reply:
        with self._lock:
            return ok(self.commands.get(params.get("language_code") or None, []))

    def _api_setwebhook(self, params, files) -> Reply:
        with self._lock:
            self.webhook = {
                "url": params.get("url", ""),
                "secret_token": params.get("secret_token"),
                "allowed_updates": params.get("allowed_updates"),
            }
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return ok(True)

    def _api_deletewebhook(self, params, files) -> Reply:
        with self._lock:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return ok(True)

    def _api_getwebhookinfo(self, params, files) -> Reply:
        with self._lock:
            return ok(
                {
                    "url": (self.webhook or {}).get("url", ""),
                    "has_custom_certificate": False,
                    "pending_update_count": len(self._updates),
                }
            )

    def _api_close(self, params, files) -> Reply:
        return ok(True)

    def _api_logout(self, params, files) -> Reply:
        return ok(True)

    def _api_getupdates(self, params, files) -> Reply:
        offset = params.get("offset")
        limit = max(1, min(int(params.get("limit") or 100), 100))
        wait = min(float(params.get("timeout") or 0), self.poll_wait)
        deadline = time.monotonic() + wait
        with self._updates_changed:
            if self.webhook is not None and self.webhook.get("url"):
                return error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            while True:
                if isinstance(offset, int) and offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._server is None:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._updates_changed.wait(remaining)
            return ok(list(self._updates[:limit]))

"""``cadre serve`` under a crowd, its settings, and the address its links carry.

* 300 phones that keep their connection open (as phone browsers do while
  the rater reads) do not lock out the next phone: waitress's own default
  limit of 100 did, and the 101st phone was never answered.
* A bad serve setting is a clear message with exit code 2, not a traceback.
* Without CADRE_BASE_URL, links exported after ``cadre serve --port P``
  point at port P; with it, at CADRE_BASE_URL.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadre.cli import cli
from tests.factories import SECRET

IDLE_PHONES = 300
ANSWER_WITHIN = 30.0  # a liveness bound, not a speed figure: locked out means never answered


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CADRE_")}
    return env | {
        "CADRE_DATA_DIR": str(data_dir),
        "CADRE_LOCALE": "en",
        "CADRE_SECRET_KEY": SECRET,
        "PYTHONUNBUFFERED": "1",
    } | settings  # fmt: skip


class Served:
    """``cadre serve`` in a child process, until ``stop``."""

    def __init__(self, data_dir: Path, port: int, *arguments: str, **settings: str):
        self.log = data_dir.parent / f"serve-{port}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cadre", "serve", "--no-scheduler", "--port", str(port),
                 *arguments],
                env=environment(data_dir, **settings),
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while "Serving on" not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.1)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def healthz(connection: socket.socket) -> bytes:
    """One keep-alive GET /healthz on an open socket; the whole response."""
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.endswith(b"ok"):
        chunk = connection.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer


def test_idle_phones_do_not_lock_out_the_next_one(tmp_path):
    port = free_port()
    served = Served(tmp_path / "data", port)
    phones: list[socket.socket] = []
    try:
        for _ in range(IDLE_PHONES):
            phone = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN)
            assert healthz(phone).startswith(b"HTTP/1.1 200"), served.text()
            phones.append(phone)  # kept open and idle, as a phone reading the form
        newcomer = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN)
        with newcomer:
            assert healthz(newcomer).startswith(b"HTTP/1.1 200"), served.text()
        # The idle ones were held, not dropped: each is answered on its own connection.
        for phone in phones:
            assert healthz(phone).startswith(b"HTTP/1.1 200")
    finally:
        for phone in phones:
            phone.close()
        served.stop()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CADRE_SERVE_CONNECTION_LIMIT", "5"), ("CADRE_SERVE_IDLE_SECONDS", "soon")],
)
def test_a_bad_serve_setting_is_a_clear_error(tmp_path, variable, value):
    result = subprocess.run(
        [sys.executable, "-m", "cadre", "serve", "--port", str(free_port())],
        env=environment(tmp_path / "data", **{variable: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert variable in result.stderr and "Traceback" not in result.stderr, result.stderr


def demo_links(data_dir: Path, **settings: str) -> list[str]:
    """The rater links ``cadre demo --json`` prints for this data folder."""
    env = {"CADRE_DATA_DIR": str(data_dir), "CADRE_LOCALE": "en", "CADRE_SECRET_KEY": SECRET}
    env |= {"CADRE_BASE_URL": None, "CADRE_DATABASE_URL": None} | settings
    result = CliRunner().invoke(cli, ["demo", "--json"], env=env)
    assert result.exit_code == 0, result.output
    return [link["url"] for link in json.loads(result.output)["rater_links"]]


def test_links_follow_the_port_served_unless_base_url_is_set(tmp_path):
    data_dir = tmp_path / "data"
    assert demo_links(data_dir)[0].startswith("http://127.0.0.1:8000/r/")  # never served
    for port in (free_port(), free_port()):  # a second serve on another port moves them
        Served(data_dir, port).stop()
        links = demo_links(data_dir)
        assert links and all(link.startswith(f"http://127.0.0.1:{port}/r/") for link in links)
    given = demo_links(data_dir, CADRE_BASE_URL="https://kaohe.example.cn")
    assert all(link.startswith("https://kaohe.example.cn/r/") for link in given)
    # Served with CADRE_BASE_URL: that address, and the remembered one is left alone.
    served = Served(data_dir, free_port(), CADRE_BASE_URL="https://kaohe.example.cn")
    served.stop()
    assert "Serving on https://kaohe.example.cn" in served.text()
    assert demo_links(data_dir)[0].startswith(f"http://127.0.0.1:{port}/r/")

"""The main job: ``cadre serve --demo`` under waitress, reached over real HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """Run the real command in a child process until the test ends."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CADRE_")}
    env |= {"CADRE_DATA_DIR": str(tmp_path), "CADRE_LOCALE": "en"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cadre", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output.append(line)
        if "Serving on" in line or process.poll() is not None:
            break
    try:
        yield port, "".join(output)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def fetch(url: str) -> tuple[int, str]:
    """GET like a browser: cookies kept across the redirect (rater links swap the token)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def test_serve_demo_prints_links_that_open(served):
    port, output = served
    assert f"Serving on http://127.0.0.1:{port}" in output, output
    rater_link = re.search(rf"http://127\.0\.0\.1:{port}/r/[A-Za-z0-9_-]+", output).group(0)
    public_link = re.search(rf"http://127\.0\.0\.1:{port}/p/[A-Za-z0-9_-]+", output).group(0)
    assert fetch(f"http://127.0.0.1:{port}/healthz") == (200, "ok")
    status, page = fetch(rater_link)
    assert status == 200 and "周建国" in page
    status, page = fetch(public_link)
    assert status == 200 and "卫东升" in page  # the first channel listed: 审批服务窗口
    assert "waitress" in fetch_server_header(f"http://127.0.0.1:{port}/healthz")


def fetch_server_header(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get("Server", "")

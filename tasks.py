#!/usr/bin/env python3
"""Set up and run the project with nothing but Python.

    python3 tasks.py serve [cadre serve options]   # install, load the demo, serve it
    python3 tasks.py test [pytest options]         # install dev tools, lint, run every test twice
    python3 tasks.py catalogs                      # refresh the zh/en message catalogs

Both create ./.venv on first use and reinstall only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
# Debian's fonts-noto-cjk: chromium draws Chinese with it (tests/browser.py checks it is used).
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def run(*command: str | Path, **options) -> None:
    """Run a command from the project folder; stop with its exit code if it fails."""
    print("+", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run([str(part) for part in command], cwd=ROOT, **options)
    if result.returncode != 0:
        sys.exit(result.returncode)


def install(extra: str) -> None:
    """Create the virtual environment and install the project (once per pyproject change)."""
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'main'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(digest)


def ensure_chromium() -> None:
    """Install Debian's chromium and a CJK font for the browser tests when missing and we can.

    Without a CJK font chromium draws Chinese pages as boxes (tofu): the zh
    screenshots are unreadable and layout measurements use the wrong widths.
    """
    missing = [] if shutil.which("chromium") else ["chromium"]
    if not Path(CJK_FONT).exists():
        missing.append("fonts-noto-cjk")
    if not missing:
        return
    can_install = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not can_install:
        print(
            f"{' and '.join(missing)} not installed; browser tests will be skipped or show "
            "Chinese as boxes (install Debian's 'chromium' and 'fonts-noto-cjk' packages).",
            flush=True,
        )
        return
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def ensure_nginx() -> None:
    """Install Debian's nginx for the deployment stack test when it is missing and we can.

    The test runs nginx as a child process with a prefix of its own; the
    package's system service is kept from starting (policy-rc.d answers 101),
    so installing it never takes port 80 on a developer's machine.
    """
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return
    can_install = shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0
    if not can_install:
        print(
            "nginx is not installed; the deployment stack test will be skipped "
            "(install Debian's 'nginx' package to run it).",
            flush=True,
        )
        return
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx", env=env)
    finally:
        if ours:
            policy.unlink()


def serve(arguments: list[str]) -> None:
    """Install the product and serve the demo campaign on the embedded SQLite database."""
    install("")
    os.execv(BIN / "cadre", [str(BIN / "cadre"), "serve", "--demo", *arguments])


# The second pass runs on a clock this many days ahead (five years and some hours), so a
# test that mixes a fixed date with a real clock fails now, not on the day it overtakes it.
CLOCK_SHIFT_DAYS = "1900.3"


def test(arguments: list[str]) -> None:
    """Install dev tools, lint and format-check, then run the suite twice: today, and shifted.

    The second pass (``--clock-shift``, tests/clock_shift) moves the clock of
    the tests and of every process they start years ahead: no test may depend
    on today's date.
    """
    install("dev")
    ensure_chromium()
    ensure_nginx()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "python", "-m", "pytest", *arguments)
    print(f"Again with the clock {CLOCK_SHIFT_DAYS} days ahead:", flush=True)
    run(BIN / "python", "-m", "pytest", f"--clock-shift={CLOCK_SHIFT_DAYS}", *arguments)


def catalogs(_arguments: list[str]) -> None:
    """Extract messages, merge them into zh and en, fill en with the ids, compile.

    New Chinese entries are left empty for a person to translate (the catalog
    test fails until they are); English message ids are their own translation.
    """
    install("dev")
    folder = "surveys/translations"
    run(
        BIN / "pybabel",
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "fail:2",
        "--no-location",
        "--sort-output",
        "--omit-header",
        "-o",
        f"{folder}/messages.pot",
        ".",
    )
    run(
        BIN / "pybabel",
        "update",
        "-i",
        f"{folder}/messages.pot",
        "-d",
        folder,
        "--no-fuzzy-matching",
        "-w",
        "100",
        "--ignore-obsolete",
    )
    run(BIN / "python", "-c", FILL_ENGLISH)
    run(BIN / "pybabel", "compile", "-d", folder, "--statistics")


FILL_ENGLISH = """
from babel.messages.pofile import read_po, write_po
path = "surveys/translations/en/LC_MESSAGES/messages.po"
with open(path, "rb") as handle:
    catalog = read_po(handle, locale="en")
for message in catalog:
    if message.id and not any(message.string if isinstance(message.string, tuple)
                              else [message.string]):
        message.string = message.id
with open(path, "wb") as handle:
    write_po(handle, catalog, sort_output=True, width=100, include_lineno=False)
"""


def main() -> None:
    """Dispatch ``serve``, ``test`` or ``catalogs``."""
    tasks = {"serve": serve, "test": test, "catalogs": catalogs}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        print(__doc__)
        sys.exit(2)
    tasks[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()

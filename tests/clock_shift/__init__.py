"""Run the suite on a clock shifted far from today, to prove no test depends on the date.

``pytest --clock-shift=DAYS`` (or ``TESTS_CLOCK_SHIFT=DAYS``) moves this
process's clock, and that of every Python process the tests start, by DAYS
(fractions allowed) with ``time-machine``; time keeps running from there.
A test that mixes a fixed calendar date with a real clock (APScheduler, a
server, a bot framework, the sessions of a browser) fails under the shift,
which is how ``python3 tasks.py test`` catches such a test before the day
it would have started failing on its own.

Child processes inherit the shift through the environment: this folder is
put first on ``PYTHONPATH`` so its ``sitecustomize`` starts the same travel
before anything else runs.  Chromium keeps the machine's clock; the browser
tests are written so that does not matter (cookies carry Max-Age).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

SHIFT_ENV = "TESTS_CLOCK_SHIFT"
FOLDER = Path(__file__).resolve().parent


def start(days: float) -> None:
    """Move this process's clock ``days`` ahead (negative: back), ticking from there."""
    import time_machine

    destination = datetime.now(UTC) + timedelta(days=days)
    time_machine.travel(destination, tick=True).start()


def propagate(days: float) -> None:
    """Make every Python child process start on the same shifted clock."""
    os.environ[SHIFT_ENV] = repr(days)
    inherited = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    paths = [str(FOLDER / "site"), *inherited]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))

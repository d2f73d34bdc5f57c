"""A reminder wave to every rater at once: the rate it goes out at, and that nobody gets two.

    .venv/bin/python bench/waves.py [--recipients 10000] [--rate 25] [--server-limit 30]
                                    [--low-limit 20] [--latency 0]

Two runs, each on a fresh SQLite database with ``--recipients`` raters whose
chats are bound, sending one wave through the real outbox and sender to a
loopback Bot API (``tests.fake_telegram``) that enforces a flood limit:

1. the server allows more than the configured rate (``--server-limit`` >
   ``--rate``): the wave should go out at the configured rate (ratio >= 0.95)
   without a single 429;
2. the server allows less (``--low-limit`` < ``--rate``): the sender meets
   429s and must slow down to the server's limit; the achieved rate is shown
   against the server's limit too.

In both runs no chat may get two messages and no recipient none: those are
the targets that fail the run (exit status 1).  A rate below target only
prints a warning.  Rates are over the sending alone (``send_wave``, which
writes the outbox and sends it); building the world is timed apart.

``--latency`` (milliseconds, 0 by default) delays every Bot API answer, half
before the server counts the request and half after, as a real network
does: several requests are then in flight when a 429 comes back.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from scheduler.waves import send_wave  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from surveys.collection.reminders import QuietHours, add_wave  # noqa: E402
from surveys.notification.outbox import wave_counts  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.wave_world import build_wave_world, chat_of  # noqa: E402

NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)  # inside the factories' campaign (11-20 .. 12-01)
RATE_TARGET = 0.95
ADAPT_TARGET = 0.90
"""Below the configured rate the sender must find the server's limit by its 429s; it settles at
0.97 of the last refused rate and probes upwards every few minutes, so about 0.95 is the most
one can expect, and each probe costs a one-second pause."""


@dataclass
class Outcome:
    """What one run showed, and whether its targets held."""

    rate_ok: bool
    delivery_ok: bool


def verdict(ok: bool, text: str, *, warn: bool = False) -> str:
    """A PASS line, or FAIL (WARN for a target that does not fail the run)."""
    return f"  {'PASS' if ok else ('WARN' if warn else 'FAIL')}  {text}"


def run(
    label: str,
    *,
    recipients: int,
    rate: float,
    server_limit: int,
    latency: float,
    folder: Path,
) -> Outcome:
    """Build a world in ``folder``, send one wave to every rater, print the figures."""
    print(
        f"{label}: {recipients} recipients, rate {rate:g}/s, server limit {server_limit}/s"
        + (f", latency {latency * 1000:g} ms" if latency else "")
    )
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    with FakeTelegram(limit_per_second=server_limit, latency=latency) as fake:
        start = time.perf_counter()
        world = build_wave_world(engine, fake, NOW, raters=recipients)
        with Session(engine, expire_on_commit=False) as session:
            wave = add_wave(
                session=session,
                campaign=world.campaign(session),
                at=NOW,
                now=NOW,
                quiet=QuietHours.parse("none"),
            )
            session.commit()
        print(f"  build       {time.perf_counter() - start:8.1f} s")

        step = max(1, recipients // 10)
        done = [0]
        started = time.perf_counter()

        def progress(count: int) -> None:
            done[0] += count
            if done[0] % step == 0:
                elapsed = time.perf_counter() - started
                print(
                    f"    ... {done[0]:6d} rows in {elapsed:6.1f} s ({done[0] / elapsed:.1f}/s), "
                    f"{fake.count_429} x 429",
                    file=sys.stderr,
                    flush=True,
                )

        runtime = world.runtime(rate=rate, quiet="none")
        start = time.perf_counter()
        report = send_wave(runtime, wave.id, progress=progress)
        wall = time.perf_counter() - start
        received = world.reminded()
        count_429 = fake.count_429
    with Session(engine) as session:
        counts = wave_counts(session=session, wave_ids=[wave.id])[wave.id]
    engine.dispose()

    wanted = {chat_of(f"R{n}") for n in range(1, recipients + 1)}
    duplicates = sum(1 for chat, times in received.items() if times > 1)
    losses = sum(1 for chat in wanted if received.get(chat, 0) == 0)
    strays = sum(times for chat, times in received.items() if chat not in wanted)
    sent = report.sent if report else 0
    seconds = report.seconds if report and report.seconds else wall
    achieved = sent / seconds if seconds else 0.0

    print(f"  send        {wall:8.1f} s wall, {seconds:.1f} s in the sender")
    print(f"  sent        {sent:8d}  achieved {achieved:.2f}/s")
    print(f"  rate ratio  {achieved / rate:8.3f}  (achieved / configured {rate:g}/s)")
    if server_limit < rate:
        print(f"  limit ratio {achieved / server_limit:8.3f}  (achieved / server limit)")
    flood = report.flood_answers if report else 0
    print(f"  429 answers {count_429:8d}  (server); {flood} seen by the sender")
    print(f"  duplicates  {duplicates:8d}  (chats with more than one message)")
    print(f"  losses      {losses:8d}  (recipients with none)")
    if strays:
        print(f"  strays      {strays:8d}  (messages to chats outside the wave)")
    states = ", ".join(f"{state} {count}" for state, count in sorted(counts.items()))
    print(f"  outbox      {states}")

    if server_limit >= rate:
        rate_ok = achieved / rate >= RATE_TARGET
        rate_text = f"achieved / configured rate {achieved / rate:.3f} >= {RATE_TARGET}"
        lines = [
            verdict(rate_ok, rate_text, warn=True),
            verdict(count_429 == 0, f"no 429 answers ({count_429})", warn=True),
        ]
        rate_ok = rate_ok and count_429 == 0
    else:
        rate_ok = achieved / server_limit >= ADAPT_TARGET
        rate_text = f"achieved / server limit {achieved / server_limit:.3f} >= {ADAPT_TARGET}"
        lines = [verdict(rate_ok, rate_text, warn=True)]
    complete = counts["sent"] == recipients == sent and counts["total"] == recipients
    delivery_ok = duplicates == 0 and losses == 0 and strays == 0 and complete
    lines += [
        verdict(duplicates == 0 and strays == 0, f"no duplicates ({duplicates})"),
        verdict(losses == 0, f"no losses ({losses})"),
        verdict(complete, f"outbox: all {recipients} rows sent ({counts['sent']})"),
    ]
    print("\n".join(lines))
    return Outcome(rate_ok=rate_ok, delivery_ok=delivery_ok)


def main() -> None:
    """Run both waves, print the figures, exit 1 if a message was lost or repeated."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--server-limit", type=int, default=30)
    parser.add_argument("--low-limit", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.0, help="milliseconds per answer")
    args = parser.parse_args()
    outcomes = []
    for number, limit in enumerate((args.server_limit, args.low_limit), start=1):
        side = "above" if limit >= args.rate else "below"
        label = f"run {number} (server limit {side} the rate)"
        with tempfile.TemporaryDirectory() as folder:
            outcomes.append(
                run(
                    label,
                    recipients=args.recipients,
                    rate=args.rate,
                    server_limit=limit,
                    latency=args.latency / 1000,
                    folder=Path(folder),
                )
            )
        print()
    if not all(outcome.rate_ok for outcome in outcomes):
        print("WARNING: a rate target was missed (see WARN lines above)")
    if all(outcome.delivery_ok for outcome in outcomes):
        print("PASS: every recipient got exactly one message in both runs")
    else:
        print("FAIL: a message was lost or repeated")
        sys.exit(1)


if __name__ == "__main__":
    main()

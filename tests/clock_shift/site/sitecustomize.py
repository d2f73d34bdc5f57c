"""Started by Python in every child process of a clock-shifted test run (see tests/clock_shift)."""

import os

if os.environ.get("TESTS_CLOCK_SHIFT"):
    from datetime import UTC, datetime, timedelta

    import time_machine

    _days = float(os.environ["TESTS_CLOCK_SHIFT"])
    time_machine.travel(datetime.now(UTC) + timedelta(days=_days), tick=True).start()

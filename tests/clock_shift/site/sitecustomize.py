"""Started by Python in every child process of a clock-shifted test run (see tests/clock_shift)."""

import os

if os.environ.get("CADRE_TEST_CLOCK_SHIFT"):
    from datetime import UTC, datetime, timedelta

    import time_machine

    _days = float(os.environ["CADRE_TEST_CLOCK_SHIFT"])
    time_machine.travel(datetime.now(UTC) + timedelta(days=_days), tick=True).start()

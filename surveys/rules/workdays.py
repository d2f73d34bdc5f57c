"""Deadlines in China's working days and calendar days, with the holiday calendar.

Windows such as the 公示 (publicity) of proposed Excellent cadres are set in
working days (工作日): weekends and the statutory holidays do not count, and
the make-up working days (调休, a Saturday or Sunday worked instead of a
holiday) do.  The State Council publishes each year's holidays and make-up
days late in the year before, so they come from a maintained package
(``chinese_calendar``, updated yearly) rather than from a table here; a day
in a year the package does not know yet is an error that says so, never a
guess.

How a window is counted, the day it starts on not included (期间开始的当日不
计入), in line with the general rule on periods (民法典 第二百零一条):

- ``working``: the end is the n-th working day after the start;
- ``calendar``: the end is the start plus n days; when that day is a rest day
  the period runs to the next working day (民法典 第二百零三条: a period whose
  last day is a statutory holiday ends on the day after the holiday).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import chinese_calendar

from surveys.rules.messages import N_

Counting = Literal["working", "calendar"]
UNKNOWN_YEAR = N_(
    "The holiday calendar does not know %(year)s yet; update the chinesecalendar package "
    "(the State Council publishes each year's holidays late in the year before)."
)
# A window is at most a year long; anything longer is a typo, not a rule.
MAX_WINDOW_DAYS = 366


class CalendarError(ValueError):
    """A day the holiday calendar cannot tell about: its year is not published in the package.

    A message id and its values, like the other domain errors; a use case
    that reads the calendar passes it on as its own refusal.
    """

    def __init__(self, message: str, values: dict):
        self.message = message
        self.values = values
        super().__init__(message % values)


def is_working_day(day: date) -> bool:
    """Whether offices work on ``day``: a weekday that is no holiday, or a make-up day."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise CalendarError(UNKNOWN_YEAR, {"year": day.year}) from None


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    _check_length(days)
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def next_working_day(day: date) -> date:
    """``day`` when offices work on it, or else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def window_end(start: date, days: int, counting: Counting) -> date:
    """The last day of a window of ``days`` counted from ``start`` (see the module text)."""
    if counting == "working":
        return add_working_days(start, days)
    _check_length(days)
    return next_working_day(start + timedelta(days=days))


def _check_length(days: int) -> None:
    """A window of a negative or absurd length is a mistake in the rules."""
    if not 0 <= days <= MAX_WINDOW_DAYS:
        raise ValueError(f"a window is 0 to {MAX_WINDOW_DAYS} days long, not {days}")

"""Working-day and calendar-day deadlines across China's National Day, worked by hand.

2024 (a year the holiday package knows): 国庆 is Tuesday 1 to Monday 7
October; Sunday 29 September and Saturday 12 October are make-up working
days (调休); Saturday 28 September and Sunday 13 October are rest days.

    Sep 27 Fri work | 28 Sat rest | 29 Sun WORK | 30 Mon work
    Oct 1-7 holiday | 8 Tue .. 11 Fri work | 12 Sat WORK | 13 Sun rest | 14 Mon work

Every date is passed in: nothing here depends on today.
"""

from __future__ import annotations

from datetime import date

import pytest

from surveys.rules.workdays import (
    UNKNOWN_YEAR,
    CalendarError,
    add_working_days,
    is_working_day,
    next_working_day,
    window_end,
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 9, 27), True),
        (date(2024, 9, 28), False),  # Saturday, rest
        (date(2024, 9, 29), True),  # Sunday, worked instead of a holiday
        (date(2024, 10, 1), False),
        (date(2024, 10, 7), False),  # Monday, still the holiday
        (date(2024, 10, 8), True),
        (date(2024, 10, 12), True),  # Saturday, worked instead of a holiday
        (date(2024, 10, 13), False),
    ],
)
def test_holidays_and_make_up_days(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        # Published Monday 30 Sep: Oct 8, 9, 10, 11 and the make-up Saturday 12.
        (date(2024, 9, 30), 5, date(2024, 10, 12)),
        # Published Friday 27 Sep: Sun 29 (make-up), Mon 30, then Oct 8, 9, 10.
        (date(2024, 9, 27), 5, date(2024, 10, 10)),
        # Published on the holiday itself: the count starts on Oct 8.
        (date(2024, 10, 3), 5, date(2024, 10, 12)),
        # Published Saturday 12 Oct (a working day, not counted): Mon 14 .. Fri 18.
        (date(2024, 10, 12), 5, date(2024, 10, 18)),
        # An ordinary week: Monday 4 Nov + 5 working days is Monday 11 Nov.
        (date(2024, 11, 4), 5, date(2024, 11, 11)),
        (date(2024, 9, 30), 0, date(2024, 9, 30)),
    ],
)
def test_publicity_in_working_days(start, days, end):
    assert add_working_days(start, days) == end
    assert window_end(start, days, "working") == end


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        # 30 days from 2 Sep is Wed 2 Oct, a holiday: the period runs to Tue 8 Oct.
        (date(2024, 9, 2), 30, date(2024, 10, 8)),
        # 15 days from 22 Sep is Mon 7 Oct, the holiday's last day: Tue 8 Oct.
        (date(2024, 9, 22), 15, date(2024, 10, 8)),
        # 10 days from 19 Sep is Sun 29 Sep, a make-up working day: it stands.
        (date(2024, 9, 19), 10, date(2024, 9, 29)),
        # 30 days from 1 Aug is Sat 31 Aug, a rest day: Monday 2 Sep.
        (date(2024, 8, 1), 30, date(2024, 9, 2)),
        # 15 days from 1 Nov is Sat 16 Nov: Monday 18 Nov.
        (date(2024, 11, 1), 15, date(2024, 11, 18)),
        # 15 days from 4 Nov is Tue 19 Nov, a working day.
        (date(2024, 11, 4), 15, date(2024, 11, 19)),
    ],
)
def test_calendar_days_end_on_a_working_day(start, days, end):
    assert window_end(start, days, "calendar") == end


def test_next_working_day_skips_the_holiday():
    assert next_working_day(date(2024, 10, 1)) == date(2024, 10, 8)
    assert next_working_day(date(2024, 10, 8)) == date(2024, 10, 8)


def test_a_year_the_calendar_does_not_know_is_a_clear_error():
    with pytest.raises(CalendarError) as caught:
        add_working_days(date(2099, 9, 30), 5)
    assert caught.value.message == UNKNOWN_YEAR
    assert caught.value.values == {"year": 2099}
    assert "2099" in str(caught.value)


def test_a_window_crossing_into_an_unknown_year_is_refused_not_guessed():
    with pytest.raises(CalendarError):
        window_end(date(2099, 12, 28), 10, "calendar")


@pytest.mark.parametrize("days", [-1, 367])
def test_absurd_window_lengths_are_refused(days):
    with pytest.raises(ValueError, match="days long"):
        window_end(date(2024, 9, 30), days, "working")

"""PVE calendar events at every limit, on both sides: hours, minutes, seconds, years, months, days, steps,
ranges, weekdays, the order of the parts, and the minutes of a time of day."""

from __future__ import annotations

import pytest
from pvecdk._calendar import check_calendar_event, minutes_of_day

# (what, part written as the event, lowest, highest): each number field of an event, in its place.
FIELDS = [
    ("hour", "{}:00", 0, 23),
    ("minute", "00:{}", 0, 59),
    ("second", "00:00:{}", 0, 59),
    ("minute", "{}", 0, 59),  # a bare number is minutes
    ("year", "{}-01-01", 1970, 9999),
    ("month", "*-{}-01", 1, 12),
    ("day", "*-01-{}", 1, 31),
    ("month", "{}-01", 1, 12),
    ("day", "01-{}", 1, 31),
]
KIND = {"hour": "time", "minute": "time", "second": "time", "year": "date", "month": "date", "day": "date"}


def rejected(event: str) -> str:
    with pytest.raises(ValueError) as excinfo:
        check_calendar_event(event)
    return str(excinfo.value)


@pytest.mark.parametrize(("what", "form", "low", "high"), FIELDS)
def test_every_number_field_at_its_limits(what: str, form: str, low: int, high: int) -> None:
    check_calendar_event(form.format(low))
    check_calendar_event(form.format(high))
    check_calendar_event(form.format(f"{low}..{high}"))
    check_calendar_event(form.format(f"{low},{high}"))
    # Below 0 there is no number to write: a "-" makes the part a date, refused as such.
    for outside in (low - 1, high + 1) if low > 0 else (high + 1,):
        token = form.format(outside)
        if len(str(outside)) > 4:
            expected = f"{KIND[what]} {token!r}: {str(outside)!r} is not a number for the {what}; give {what} " \
                       f"as {low}-{high}"
        else:
            expected = f"{KIND[what]} {token!r}: {what} {outside} is out of range; give {what} as {low}-{high}"
        assert rejected(token) == expected
    if low == 0:
        rejected(form.format(-1))


@pytest.mark.parametrize(("what", "form", "low", "high"), FIELDS)
def test_every_step_at_its_limits(what: str, form: str, low: int, high: int) -> None:
    check_calendar_event(form.format("*/1"))
    check_calendar_event(form.format(f"{low}/1"))
    check_calendar_event(form.format(f"*/{high}"))
    token = form.format("*/0")
    assert rejected(token) == (f"{KIND[what]} {token!r}: {what} step 0 is out of range; give {what} step as "
                               f"1-{high}")
    token = form.format(f"*/{high + 1}")
    assert "out of range" in rejected(token) or "not a number" in rejected(token)


@pytest.mark.parametrize(("what", "form", "low", "high"), FIELDS[:3])
def test_a_range_may_be_one_value_but_never_backwards(what: str, form: str, low: int, high: int) -> None:
    check_calendar_event(form.format(f"{low}..{low}"))
    check_calendar_event(form.format(f"{high}..{high}"))
    token = form.format(f"{low + 1}..{low}")
    assert rejected(token) == (f"{KIND[what]} {token!r}: {what} range '{low + 1}..{low}' runs backwards; write it "
                               "from the lower value")


def test_the_offending_item_of_a_list_is_found_in_the_middle() -> None:
    assert rejected("1,5,61,7") == "time '1,5,61,7': minute 61 is out of range; give minute as 0-59"
    assert rejected("*-01,13,02-01") == "date '*-01,13,02-01': month 13 is out of range; give month as 1-12"
    assert rejected("mon,xyz,fri") == "weekdays 'mon,xyz,fri': 'xyz' is not a weekday; use mon, tue, wed, thu, fri, " \
                                      "sat or sun"
    assert rejected("mon,fri..tue,sun 02:00") == ("weekdays 'mon,fri..tue,sun': weekday range 'fri..tue' runs "
                                                  "backwards; write it from the earlier day, or as a list such as "
                                                  "sat,sun")
    assert rejected("1,,2") == "time '1,,2': '' is not a number for the minute; give minute as 0-59"


@pytest.mark.parametrize("event", ["mon..sun", "sat..sat", "MON..Fri", "Sun", "mon,wed..fri,sun 02:00"])
def test_weekdays_forward_any_case(event: str) -> None:
    check_calendar_event(event)


def test_weekday_ranges_backwards_are_refused() -> None:
    assert "runs backwards" in rejected("sun..mon")
    assert "runs backwards" in rejected("tue..mon")
    assert rejected("mon..funday") == ("weekdays 'mon..funday': 'funday' is not a weekday; use mon, tue, wed, thu, "
                                       "fri, sat or sun")


@pytest.mark.parametrize("event", ["sat sun", "mon 2026-01-01 tue", "2026-01-01 2026-01-02", "02:00 03:00",
                                   "02:00 sat", "2026-01-01 sat", "02:00 2026-01-01"])
def test_a_part_repeated_or_out_of_order_is_refused(event: str) -> None:
    assert rejected(event) == (f"{event!r} repeats or misorders its parts; write [weekdays] [date] [time], such as "
                               "02:00, daily, sat 03:30 or mon..fri 22:00")


@pytest.mark.parametrize("event", ["mon 2026-12-24 02:00", "mon 02:00", "2026-12-24 02:00", "sat", "*-*-01",
                                   "02:00:30", "daily", "Hourly", "semiannually"])
def test_parts_in_order(event: str) -> None:
    check_calendar_event(event)


def test_named_events_stand_alone() -> None:
    assert rejected("daily 02:00") == ("'daily' is a named event and stands alone; give just 'daily', or weekdays, "
                                       "date and time")
    assert rejected("mon weekly") == ("'weekly' is a named event and stands alone; give just 'weekly', or weekdays, "
                                      "date and time")


def test_the_number_of_parts_of_a_date_and_a_time() -> None:
    assert rejected("2026-01-01-01") == ("date '2026-01-01-01': '2026-01-01-01' is not a date; write "
                                         "[years-]months-days, such as 2026-12-24 or *-01")
    assert rejected("01:02:03:04") == ("time '01:02:03:04': '01:02:03:04' is not a time; write "
                                       "hours:minutes[:seconds], such as 02:00")
    assert rejected("   ") == "the schedule is empty; give a calendar event such as 02:00, daily, sat 03:30 or " \
                              "mon..fri 22:00"
    assert rejected("01:") == "time '01:': the minute part is empty; give minute as 0-59, or *"


@pytest.mark.parametrize(("text", "minutes"), [("00:00", 0), ("01:30", 90), ("1:05", 65), ("12:01", 721),
                                               ("23:59", 1439), ("09:09", 549)])
def test_minutes_of_day(text: str, minutes: int) -> None:
    assert minutes_of_day(text) == minutes


@pytest.mark.parametrize("text", ["24:00", "00:60", "001:00", "01:5", "1:2:3", "", "x1:00", "01:00x", "-1:00"])
def test_minutes_of_day_refuses_what_is_not_a_time_of_day(text: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        minutes_of_day(text)
    assert str(excinfo.value) == f"{text!r} is not a time of day; give HH:MM, such as 01:00"


def test_an_item_after_a_star_is_still_checked() -> None:
    assert rejected("*,61") == "time '*,61': minute 61 is out of range; give minute as 0-59"
    assert rejected("*/15,61:00") == "time '*/15,61:00': hour 61 is out of range; give hour as 0-23"


def test_the_end_of_a_range_is_checked_and_named() -> None:
    assert rejected("1..61") == "time '1..61': minute 61 is out of range; give minute as 0-59"
    assert rejected("*-01..13-01") == "date '*-01..13-01': month 13 is out of range; give month as 1-12"


def test_a_token_starting_with_a_letter_is_weekdays() -> None:
    assert rejected("x1") == "weekdays 'x1': 'x1' is not a weekday; use mon, tue, wed, thu, fri, sat or sun"

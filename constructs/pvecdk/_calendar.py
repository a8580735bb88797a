"""PVE calendar events: the schedule syntax of backup and replication jobs, checked before synthesis.

PVE's syntax is a subset of systemd's ``OnCalendar``. This module accepts::

    event    := NAME | [weekdays] [date] [time]          (at least one of the three parts)
    NAME     := minutely | hourly | daily | weekly | monthly | yearly | annually | quarterly | semiannually
    weekdays := day[..day] {"," day[..day]}             day: mon tue wed thu fri sat sun (ranges run forwards)
    date     := [years "-"] months "-" days            e.g. 2026-12-24, *-01, 12-24
    time     := hours ":" minutes [":" seconds]  |  minutes
    each number part := item {"," item}
    item     := "*" | "*/" step | value [".." value] ["/" step]

Hours are 0-23, minutes and seconds 0-59, months 1-12, days 1-31, years 1970-9999; a range must not run
backwards and a step is 1 or more. A bare number part without ``:`` is minutes (``*/15`` is every 15 minutes,
``30`` is half past every hour). Weekday names are matched case-insensitively, as PVE does. Examples:
``02:00``, ``daily``, ``sat 03:30``, ``mon..fri 22:00``, ``mon,wed,fri 1..5:0/30``, ``*-*-01 04:00``.
"""

from __future__ import annotations

import re

from pvecdk._fault import Fault

__all__ = ["NAMED_EVENTS", "WEEKDAYS", "check_calendar_event", "check_weekdays", "minutes_of_day"]

NAMED_EVENTS = frozenset({"minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly",
                          "semiannually"})
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EXAMPLES = "such as 02:00, daily, sat 03:30 or mon..fri 22:00"
_NUMBER = re.compile(r"^\d{1,4}$")


def check_weekdays(token: str) -> None:
    """Check a weekdays part: names ``mon``..``sun`` as a list or forward ranges (``mon..fri``, ``sat,sun``).

    Raises:
        Fault: a ValueError with what is wrong and how to fix it.
    """
    for item in token.split(","):
        first, dots, last = item.partition("..")
        names = [first, last] if dots else [first]
        for name in names:
            if name.lower() not in WEEKDAYS:
                raise Fault(f"{name!r} is not a weekday", "use mon, tue, wed, thu, fri, sat or sun")
        if dots and WEEKDAYS.index(first.lower()) > WEEKDAYS.index(last.lower()):
            raise Fault(f"weekday range {item!r} runs backwards", "write it from the earlier day, "
                        "or as a list such as sat,sun")


def _value(text: str, what: str, low: int, high: int) -> int:
    if not _NUMBER.match(text):
        raise Fault(f"{text!r} is not a number for the {what}", f"give {what} as {low}-{high}")
    value = int(text)
    if not low <= value <= high:
        raise Fault(f"{what} {value} is out of range", f"give {what} as {low}-{high}")
    return value


def _numbers(token: str, what: str, low: int, high: int) -> None:
    if not token:
        raise Fault(f"the {what} part is empty", f"give {what} as {low}-{high}, or *")
    for item in token.split(","):
        base, slash, step = item.partition("/")
        if slash:
            _value(step, f"{what} step", 1, high if high > 1 else 1)
        if base == "*":
            continue
        first, dots, last = base.partition("..")
        start = _value(first, what, low, high)
        if dots and _value(last, what, low, high) < start:
            raise Fault(f"{what} range {base!r} runs backwards", "write it from the lower value")


def _date(token: str) -> None:
    parts = token.split("-")
    if len(parts) not in (2, 3):
        raise Fault(f"{token!r} is not a date", "write [years-]months-days, such as 2026-12-24 or *-01")
    bounds = [("year", 1970, 9999), ("month", 1, 12), ("day", 1, 31)][-len(parts):]
    for part, (what, low, high) in zip(parts, bounds, strict=True):
        _numbers(part, what, low, high)


def _time(token: str) -> None:
    parts = token.split(":")
    if len(parts) > 3:
        raise Fault(f"{token!r} is not a time", "write hours:minutes[:seconds], such as 02:00")
    if len(parts) == 1:
        _numbers(parts[0], "minute", 0, 59)
        return
    for part, (what, low, high) in zip(parts, [("hour", 0, 23), ("minute", 0, 59), ("second", 0, 59)],
                                       strict=False):
        _numbers(part, what, low, high)



def check_calendar_event(text: str) -> None:
    """Check that ``text`` is a calendar event PVE accepts (see the module docstring).

    Raises:
        Fault: a ValueError with what is wrong and how to fix it.
    """
    tokens = text.split()
    if not tokens:
        raise Fault("the schedule is empty", f"give a calendar event {_EXAMPLES}")
    if len(tokens) == 1 and tokens[0].lower() in NAMED_EVENTS:
        return
    order = ("weekdays", "date", "time")
    seen: list[int] = []
    for token in tokens:
        if token.lower() in NAMED_EVENTS:
            raise Fault(f"{token!r} is a named event and stands alone", f"give just {token!r}, "
                        "or weekdays, date and time")
        kind = 0 if token[:1].isalpha() else 1 if "-" in token else 2
        if seen and kind <= seen[-1]:
            raise Fault(f"{text!r} repeats or misorders its parts", f"write [weekdays] [date] [time], "
                        f"{_EXAMPLES}")
        seen.append(kind)
        try:
            (check_weekdays, _date, _time)[kind](token)
        except Fault as exc:
            raise Fault(f"{order[kind]} {token!r}: {exc.what}", exc.fix) from None


def minutes_of_day(text: str) -> int:
    """Minutes after midnight of an ``HH:MM`` time (for window arithmetic).

    Raises:
        ValueError: ``text`` is not ``HH:MM``.
    """
    match = re.match(r"^(\d{1,2}):(\d{2})$", text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise Fault(f"{text!r} is not a time of day", "give HH:MM, such as 01:00")
    return int(match.group(1)) * 60 + int(match.group(2))


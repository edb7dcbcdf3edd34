"""The one rule for dates a person types (``--start``/``--end``, ``--from``/``--to``, the
dashboard's ``from``/``to``/``start``/``end``): within 1900-01-01 .. 2999-12-31.

Python's dates end at 9999-12-31 and begin at 0001-01-01, and every command turns a last day into
the next day's midnight in some time zone: at the edges that is an ``OverflowError`` (a traceback,
an HTTP 500). No health data is that old or that far ahead, so a date outside the range is a
one-line ``ConfigError`` (exit 2, HTTP 400) naming the range, checked where the date is read.

Also the one home of the date helpers the commands share: parsing a typed date (``parse_date`` for
``sync``/``backfill``/``demo``, ``parse_day`` for ``export`` and ``emulator``), the ``sync`` range
checks (``check_range``, ``latest_today``) and local midnight of a day in a zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from fitbit_sync.errors import ConfigError

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
FIRST_MS = int(datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC).timestamp() * 1000)
END_MS = int(datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC).timestamp() * 1000)
#: ``sync``/``backfill``/``demo`` dates start here (no Fitbit data is older)
EARLIEST_DATE = date(2000, 1, 1)


def check_day(day: date, what: str) -> date:
    """``day``, or a ConfigError when it is outside FIRST_DAY..LAST_DAY (``what`` names the input)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ConfigError(f"{what} {day} is out of range: dates go from {FIRST_DAY} to {LAST_DAY}")
    return day


def parse_day(text: str, what: str) -> date:
    """The ISO date ``text`` a person typed, or a one-line ConfigError (``what`` names the input)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what} must be a date like 2026-01-31, not {text!r}") from None
    return check_day(day, what)


def optional_day(text: str | None, what: str) -> date | None:
    """``parse_day`` for an option that may be left out."""
    return None if text is None else parse_day(text, what)


def check_ms(time_ms: int, what: str) -> int:
    """An epoch-ms instant within the same range, or a ConfigError."""
    if not FIRST_MS <= time_ms <= END_MS:
        raise ConfigError(f"{what} {time_ms} is out of range: instants go from {FIRST_DAY} to {LAST_DAY} "
                          "(epoch milliseconds)")
    return time_ms


def parse_date(text: str, what: str) -> date:
    """``YYYY-MM-DD`` of a sync date (``what`` is ``start`` or ``end``), not before EARLIEST_DATE;
    ConfigError naming ``what`` otherwise."""
    try:
        value = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ConfigError(f"{what} date {text!r} is not a date like 2026-01-31") from None
    if len(text.strip()) != 10:
        raise ConfigError(f"{what} date {text!r} is not a date like 2026-01-31")
    if value < EARLIEST_DATE:
        raise ConfigError(f"{what} date {value} is before {EARLIEST_DATE}")
    return check_day(value, f"{what} date")


def latest_today(zone: ZoneInfo | None = None) -> date:
    """Today in ``zone``; without one, the latest "today" anywhere on Earth (UTC+14)."""
    now = datetime.now(UTC)
    return now.astimezone(zone).date() if zone else (now + timedelta(hours=14)).date()


def check_range(start: date, end: date, zone: ZoneInfo | None = None) -> None:
    """A sync range: ``start`` <= ``end``, neither after today (in ``zone``, else anywhere)."""
    if end < start:
        raise ConfigError(f"the end date {end} is before the start date {start}")
    today = latest_today(zone)
    for value, what in ((start, "start"), (end, "end")):
        if value > today:
            raise ConfigError(f"the {what} date {value} is in the future (today is {today})")


def local_midnight_ms(day: date, zone: ZoneInfo) -> int:
    """UTC epoch ms of local midnight starting ``day`` in ``zone``."""
    return int(datetime.combine(day, dtime(), tzinfo=zone).timestamp() * 1000)

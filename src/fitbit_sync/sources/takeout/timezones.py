"""Time in the archive: fast parsers for its timestamp forms and local-day arithmetic in one zone.

The archive mixes UTC instants and local wall-clock times by file family (see docs/takeout.md).
Everything here works on *day numbers* (days since 1970-01-01 of a civil date) and milliseconds,
with caches, because a three-year archive holds tens of millions of timestamps. Local times are
resolved in one IANA zone for the whole history (the archive keeps no zone history).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_MS = 86_400_000
MINUTE_MS = 60_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Plausible data range: anything outside is a malformed row, not data.
MIN_DAY = date(2000, 1, 1).toordinal() - _EPOCH_ORDINAL
MAX_DAY = date(2100, 1, 1).toordinal() - _EPOCH_ORDINAL


class TimeFormatError(ValueError):
    """A timestamp that is not in the expected form or outside 2000–2099."""


def day_number(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a civil date; TimeFormatError outside 2000–2099."""
    try:
        number = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise TimeFormatError(f"no such date {year:04d}-{month:02d}-{day:02d}") from None
    if not MIN_DAY <= number < MAX_DAY:
        raise TimeFormatError(f"date {year:04d}-{month:02d}-{day:02d} outside 2000-2099")
    return number


def date_of(day: int) -> date:
    return date.fromordinal(day + _EPOCH_ORDINAL)


def iso_of(day: int) -> str:
    return date_of(day).isoformat()


_fitbit_dates: dict[str, int] = {}
_iso_dates: dict[str, int] = {}
_clock: dict[str, int] = {}


def _two(text: str, at: int) -> int:
    a, b = text[at], text[at + 1]
    if not ("0" <= a <= "9" and "0" <= b <= "9"):
        raise TimeFormatError(f"bad timestamp {text!r}")
    return (ord(a) - 48) * 10 + ord(b) - 48


def fitbit_day(text: str) -> int:
    """Day number of ``MM/DD/YY`` (the legacy JSON date form)."""
    day = _fitbit_dates.get(text)
    if day is None:
        if len(text) != 8 or text[2] != "/" or text[5] != "/":
            raise TimeFormatError(f"bad date {text!r} (expected MM/DD/YY)")
        day = day_number(2000 + _two(text, 6), _two(text, 0), _two(text, 3))
        _fitbit_dates[text] = day
    return day


def clock_ms(text: str) -> int:
    """Milliseconds since midnight of ``HH:MM:SS`` (or ``HH:MM``)."""
    ms = _clock.get(text)
    if ms is None:
        if len(text) == 8 and text[2] == ":" and text[5] == ":":
            hour, minute, second = _two(text, 0), _two(text, 3), _two(text, 6)
        elif len(text) == 5 and text[2] == ":":
            hour, minute, second = _two(text, 0), _two(text, 3), 0
        else:
            raise TimeFormatError(f"bad time {text!r}")
        if hour > 23 or minute > 59 or second > 60:
            raise TimeFormatError(f"bad time {text!r}")
        ms = (hour * 3600 + minute * 60 + second) * 1000
        if len(_clock) < 200_000:
            _clock[text] = ms
    return ms


_fitbit_day_ms: dict[str, int] = {}
_utc_minutes: dict[str, int] = {}
_SECONDS: dict[str, int] = {f"{s:02d}": s * 1000 for s in range(61)}


def fitbit_naive_ms(text: str) -> int:
    """``MM/DD/YY HH:MM:SS`` as milliseconds on the wall-clock axis (day * DAY_MS + time of day):
    the UTC instant for UTC-stamped families. The fast path of ``fitbit_datetime``."""
    if len(text) != 17 or text[8] != " ":
        raise TimeFormatError(f"bad timestamp {text!r} (expected MM/DD/YY HH:MM:SS)")
    base = _fitbit_day_ms.get(text[:8])
    if base is None:
        base = _fitbit_day_ms[text[:8]] = fitbit_day(text[:8]) * DAY_MS
    clock = _clock.get(text[9:])
    if clock is None:
        clock = clock_ms(text[9:])
    return base + clock


def utc_ms(text: str) -> int | None:
    """Epoch ms of ``YYYY-MM-DDTHH:MM:SSZ`` (the CSV stamp form), None for any other form."""
    if len(text) != 20 or text[19] != "Z" or text[16] != ":":
        return None
    minute = _utc_minutes.get(text[:16])
    if minute is None:
        day, ms, _ = iso_datetime(text[:16])
        minute = day * DAY_MS + ms
        if len(_utc_minutes) > 500_000:
            _utc_minutes.clear()
        _utc_minutes[text[:16]] = minute
    seconds = _SECONDS.get(text[17:19])
    if seconds is None:
        raise TimeFormatError(f"bad timestamp {text!r}")
    return minute + seconds


def fitbit_datetime(text: str) -> tuple[int, int]:
    """``MM/DD/YY HH:MM:SS`` -> (day number, ms since midnight); the zone is the caller's concern."""
    if not isinstance(text, str) or len(text) != 17 or text[8] != " ":
        raise TimeFormatError(f"bad timestamp {text!r} (expected MM/DD/YY HH:MM:SS)")
    return fitbit_day(text[:8]), clock_ms(text[9:])


def iso_day(text: str) -> int:
    """Day number of the ``YYYY-MM-DD`` at the start of ``text``."""
    head = text[:10]
    day = _iso_dates.get(head)
    if day is None:
        if len(head) != 10 or head[4] != "-" or head[7] != "-" or not head[:4].isdigit():
            raise TimeFormatError(f"bad date {text!r} (expected YYYY-MM-DD)")
        day = day_number(int(head[:4]), _two(head, 5), _two(head, 8))
        _iso_dates[head] = day
    return day


def us_or_iso_day(text: str) -> int:
    """Day number of ``YYYY-MM-DD…`` or ``MM/DD/YY…``."""
    if len(text) >= 8 and text[2] == "/":
        return fitbit_day(text[:8])
    return iso_day(text)


def iso_datetime(text: str) -> tuple[int, int, int | None]:
    """ISO 8601 ``YYYY-MM-DD[THH:MM[:SS[.fff…]]][Z|±HH:MM]`` -> (day, ms since midnight, offset ms
    or None when the text has no zone). A bare date is midnight."""
    if not isinstance(text, str):
        raise TimeFormatError(f"bad timestamp {text!r}")
    text = text.strip()
    day = iso_day(text)
    if len(text) == 10:
        return day, 0, None
    if text[10] not in "T ":
        raise TimeFormatError(f"bad timestamp {text!r}")
    rest = text[11:]
    offset: int | None = None
    if rest.endswith("Z"):
        rest, offset = rest[:-1], 0
    elif len(rest) > 6 and rest[-6] in "+-" and rest[-3] == ":":
        sign = -1 if rest[-6] == "-" else 1
        offset = sign * (_two(rest, len(rest) - 5) * 60 + _two(rest, len(rest) - 2)) * MINUTE_MS
        rest = rest[:-6]
    fraction = 0
    if "." in rest:
        rest, frac = rest.split(".", 1)
        if not frac.isdigit():
            raise TimeFormatError(f"bad timestamp {text!r}")
        fraction = int((frac + "000")[:3])
    return day, clock_ms(rest) + fraction, offset


def resolve_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone called ``name`` (None for empty or unknown names)."""
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


class LocalDays:
    """Local-day arithmetic in one zone: midnights, the local day of an instant, wall time -> UTC."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._midnights: dict[int, int] = {}
        self._offsets: dict[int, tuple[int, int]] = {}
        self._iso: dict[int, str] = {}
        self._lo = 0
        self._hi = 0
        self._day = 0

    def _offset_at_wall(self, day: int, ms: int) -> int:
        wall = datetime(1970, 1, 1) + timedelta(days=day, milliseconds=ms)
        offset = self.zone.utcoffset(wall)
        return 0 if offset is None else offset // timedelta(milliseconds=1)

    def midnight(self, day: int) -> int:
        """UTC epoch ms of local midnight starting local day ``day``."""
        ms = self._midnights.get(day)
        if ms is None:
            ms = day * DAY_MS - self._offset_at_wall(day, 0)
            self._midnights[day] = ms
        return ms

    def bounds(self, day: int) -> tuple[int, int]:
        return self.midnight(day), self.midnight(day + 1)

    def wall_to_ms(self, day: int, ms_of_day: int) -> int:
        """UTC epoch ms of local wall time ``ms_of_day`` on local day ``day`` (the earlier
        instant when the clock repeats an hour)."""
        offsets = self._offsets.get(day)
        if offsets is None:
            offsets = (self._offset_at_wall(day, 0), self._offset_at_wall(day + 1, 0))
            self._offsets[day] = offsets
        if offsets[0] == offsets[1]:
            return day * DAY_MS + ms_of_day - offsets[0]
        return day * DAY_MS + ms_of_day - self._offset_at_wall(day, ms_of_day)

    def day_of(self, ms: int) -> int:
        """The local day number of UTC instant ``ms``."""
        if self._lo <= ms < self._hi:
            return self._day
        day = ms // DAY_MS
        while self.midnight(day) > ms:
            day -= 1
        while self.midnight(day + 1) <= ms:
            day += 1
        self._lo, self._hi, self._day = self.midnight(day), self.midnight(day + 1), day
        return day

    def iso(self, day: int) -> str:
        text = self._iso.get(day)
        if text is None:
            text = self._iso[day] = iso_of(day)
        return text

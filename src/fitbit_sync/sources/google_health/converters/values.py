"""Proto3 JSON values of the Google Health API, parsed exactly: RFC 3339 instants, durations
(``"1025s"``), int64 members sent as strings, doubles (also as strings), civil dates and times,
and the instants of a sample time or an interval (its UTC time, else its civil time minus its own
UTC offset). Anything missing or malformed raises ``BadPoint``, which the registry counts as one
skipped point.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

Item = dict[str, Any]
T = TypeVar("T")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = date(1970, 1, 1)
MS = timedelta(milliseconds=1)
DAY_MS = 86_400_000


class BadPoint(ValueError):
    """A point that cannot be converted (missing or malformed member)."""


_minute_cache: dict[str, int] = {}


def exact_ms(moment: datetime) -> int:
    """Epoch ms of an aware datetime, without float rounding."""
    return (moment - EPOCH) // MS


def parse_time_ms(text: Any) -> int:
    """Epoch ms of an RFC 3339 timestamp (``Z`` or an offset, optional fraction), exactly."""
    if not isinstance(text, str):
        raise BadPoint(f"timestamp {text!r} is not a string")
    # Fast path for the common ``YYYY-MM-DDTHH:MM:SSZ``: one dict lookup per minute.
    if len(text) == 20 and text[19] == "Z" and text[16] == ":":
        minute = _minute_cache.get(text[:16])
        if minute is None:
            minute = _slow_ms(text[:16] + ":00Z")
            if len(_minute_cache) > 200_000:
                _minute_cache.clear()
            _minute_cache[text[:16]] = minute
        seconds = text[17:19]
        if not seconds.isdigit():
            raise BadPoint(f"bad timestamp {text!r}")
        return minute + int(seconds) * 1000
    if len(text) == 24 and text[23] == "Z" and text[19] == "." and text[16] == ":":  # ``...:SS.mmmZ``
        return parse_time_ms(text[:19] + "Z") + int(text[20:23])
    return _slow_ms(text)


def _slow_ms(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadPoint(f"bad timestamp {text!r}") from None
    if moment.tzinfo is None:
        raise BadPoint(f"timestamp {text!r} has no UTC offset")
    return exact_ms(moment)


def parse_duration_ms(text: Any) -> int:
    """``"1025s"`` / ``"-14400s"`` / ``"0.5s"`` -> milliseconds."""
    if isinstance(text, str) and text.endswith("s"):
        try:
            value = float(text[:-1])
        except ValueError:
            raise BadPoint(f"bad duration {text!r}") from None
        if math.isfinite(value):
            return round(value * 1000)
    raise BadPoint(f"bad duration {text!r}")


def _omitted(default: T | None, what: str) -> T:
    """The default of a member that was left out, or BadPoint when it is required."""
    if default is None:
        raise BadPoint(f"missing {what}")
    return default


def int64(value: Any, *, default: int | None = None) -> int:
    """An int64 member (a JSON string, or a number); ``default`` when omitted."""
    if value is None:
        return _omitted(default, "integer value")
    if isinstance(value, bool):
        raise BadPoint(f"bad integer {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise BadPoint(f"bad integer {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise BadPoint(f"bad integer {value!r}")


def number(value: Any, *, default: float | None = None) -> float:
    """A double member; ``default`` when omitted (proto3 omits zeros)."""
    if value is None:
        return _omitted(default, "number")
    if isinstance(value, bool):
        raise BadPoint(f"bad number {value!r}")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):  # proto3 JSON also allows numbers as strings ("NaN", "1.5")
        try:
            result = float(value)
        except ValueError:
            raise BadPoint(f"bad number {value!r}") from None
    else:
        raise BadPoint(f"bad number {value!r}")
    if not math.isfinite(result):
        raise BadPoint(f"non-finite number {value!r}")
    return result


def optional_number(value: Any) -> float | None:
    return None if value is None else number(value)


def zero_if_omitted(value: Any, kind: str, scale: float = 1.0) -> int | float:
    """A single ``int`` or ``float`` value (``kind``) times ``scale``; omitted is a true zero (proto3
    omits zero values)."""
    number_: int | float = int64(value, default=0) if kind == "int" else number(value, default=0.0)
    return number_ * scale if scale != 1.0 else number_


def minutes_of(duration: Any) -> int:
    """Whole minutes of a duration member; omitted is zero."""
    return 0 if duration is None else round(parse_duration_ms(duration) / 60_000)


def member(item: Item, key: str) -> Item:
    """The type member ``key`` of a data point (must be an object)."""
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, dict):
        raise BadPoint(f"no {key!r} member")
    return value


def parse_date(value: Any) -> date:
    """``{"year": 2026, "month": 11, "day": 20}`` -> date."""
    if not isinstance(value, dict):
        raise BadPoint(f"bad date {value!r}")
    try:
        return date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, TypeError, ValueError):
        raise BadPoint(f"bad date {value!r}") from None


def civil_ms(civil: Any) -> int:
    """A CivilDateTime on the civil axis (wall-clock time read as UTC)."""
    if not isinstance(civil, dict):
        raise BadPoint("no civil time")
    day = parse_date(civil.get("date"))
    tod = civil.get("time") or {}
    if not isinstance(tod, dict):
        raise BadPoint("bad civil time")
    seconds = int(tod.get("hours", 0)) * 3600 + int(tod.get("minutes", 0)) * 60 + int(tod.get("seconds", 0))
    return (day - EPOCH_DATE).days * DAY_MS + seconds * 1000 + int(tod.get("nanos", 0)) // 1_000_000


def sample_time_ms(value: Any) -> int:
    """Instant of an ObservationSampleTime: ``physicalTime``, else civil time minus its own offset."""
    if not isinstance(value, dict):
        raise BadPoint("no sampleTime")
    physical = value.get("physicalTime")
    if physical is not None:
        return parse_time_ms(physical)
    return civil_ms(value.get("civilTime")) - parse_duration_ms(value.get("utcOffset"))


def interval_ms(value: Any, edge: str = "start") -> int:
    """Start (or end) instant of an interval: the UTC time, else civil time minus its own offset."""
    if not isinstance(value, dict):
        raise BadPoint("no interval")
    physical = value.get(f"{edge}Time")
    if physical is not None:
        return parse_time_ms(physical)
    civil = value.get("civilStartTime" if edge == "start" else "civilEndTime")
    return civil_ms(civil) - parse_duration_ms(value.get(f"{edge}UtcOffset"))


def interval_bounds(value: Any, what: str) -> tuple[int, int]:
    """Start and end instants of a session's interval; BadPoint when it ends before it starts."""
    start, end = interval_ms(value, "start"), interval_ms(value, "end")
    if end < start:
        raise BadPoint(f"{what} ends before it starts")
    return start, end


def interval_civil_ms(value: Any, edge: str = "start") -> int:
    """Start (or end) of an interval on the civil axis: civil time, else UTC time plus its offset."""
    if not isinstance(value, dict):
        raise BadPoint("no interval")
    civil = value.get("civilStartTime" if edge == "start" else "civilEndTime")
    if civil is not None:
        return civil_ms(civil)
    return parse_time_ms(value.get(f"{edge}Time")) + parse_duration_ms(value.get(f"{edge}UtcOffset") or "0s")


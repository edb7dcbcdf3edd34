"""Whole-file decoding of the big, regular legacy JSON families into arrays.

Heart rate (17,000 rows a day) and the per-minute steps, distance, altitude and calories files are
nearly all of a multi-year archive's rows. When every row of such a file is regular, it is decoded
with list comprehensions into (UTC ms ascending, converted value) arrays: compact enough to come
back from a worker process (``prefetch.py``) and cheap to turn into records a day at a time. Any
irregular row makes the decoder return None; the family's row-by-row parser then reads the file,
skipping and counting what is wrong, so results never depend on this path.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from fitbit_sync.sources.takeout.parsers.common import SUM_PREFIX, is_no_data
from fitbit_sync.sources.takeout.timezones import (
    DAY_MS,
    LocalDays,
    _clock,
    _fitbit_day_ms,
    clock_ms,
    fitbit_naive_ms,
)
from fitbit_sync.sources.takeout.units import M_PER_CM, M_PER_FT

#: (measurement, array('q') of UTC ms in ascending order, array of values, the values' typecode)
Bulk = tuple[str, bytes, bytes, str]
Decoder = Callable[[bytes, str], "Bulk | None"]
_zones: dict[str, LocalDays] = {}


def _rows(data: bytes) -> list[Any] | None:
    if not data.strip() or is_no_data(data):
        return None
    rows = orjson.loads(data)
    return rows if isinstance(rows, list) and rows else None


def _naive_ms(stamps: list[Any]) -> list[int] | None:
    """``MM/DD/YY HH:MM:SS`` stamps as wall-clock-axis ms; None if any is irregular."""
    if not all(type(stamp) is str and len(stamp) == 17 and stamp[8] == " " for stamp in stamps):
        return None
    for day in {stamp[:8] for stamp in stamps} - _fitbit_day_ms.keys():
        fitbit_naive_ms(day + " 00:00:00")  # validates the date and fills the cache
    for clock in {stamp[9:] for stamp in stamps} - _clock.keys():
        _clock[clock] = clock_ms(clock)
    days, clocks = _fitbit_day_ms, _clock
    return [days[stamp[:8]] + clocks[stamp[9:]] for stamp in stamps]


def _pack(measurement: str, times: list[int], values: list[Any], typecode: str) -> Bulk:
    if any(later < earlier for earlier, later in pairwise(times)):
        pairs = sorted(zip(times, values, strict=True))  # consumers need time order
        times, values = [t for t, _ in pairs], [v for _, v in pairs]
    return measurement, array("q", times).tobytes(), array(typecode, values).tobytes(), typecode


def _guard(decode: Callable[[bytes, str], Bulk | None]) -> Decoder:
    def guarded(data: bytes, zone: str) -> Bulk | None:
        try:
            return decode(data, zone)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            return None

    return guarded


@_guard
def decode_heart_rate(data: bytes, zone: str) -> Bulk | None:
    """Rows ``{"dateTime": ..., "value": {"bpm": <1..399>, ...}}`` (UTC stamps)."""
    rows = _rows(data)
    if rows is None:
        return None
    bpms = [row["value"]["bpm"] for row in rows]
    if not all(type(bpm) is int and 0 < bpm < 400 for bpm in bpms):
        return None
    times = _naive_ms([row["dateTime"] for row in rows])
    return None if times is None else _pack("HeartRate_Intraday", times, bpms, "H")


def _per_minute(measurement: str, typecode: str, convert: Callable[[float], Any], local: bool = False) -> Decoder:
    """Rows ``{"dateTime": ..., "value": "168"}``: values 0 <= v < 1e7 (UTC stamps unless ``local``)."""

    def decode(data: bytes, zone: str) -> Bulk | None:
        rows = _rows(data)
        if rows is None:
            return None
        raw = [row["value"] for row in rows]
        if not all(type(value) is str for value in raw):
            return None
        values = [float(value) for value in raw]
        if not all(0 <= value < 1e7 for value in values):  # NaN fails too
            return None
        times = _naive_ms([row["dateTime"] for row in rows])
        if times is None:
            return None
        if local:
            days = _zones.get(zone) or _zones.setdefault(zone, LocalDays(ZoneInfo(zone)))
            wall_to_ms = days.wall_to_ms
            times = [wall_to_ms(t // DAY_MS, t % DAY_MS) for t in times]
        return _pack(measurement, times, [convert(v) for v in values], typecode)

    return _guard(decode)


#: family key -> whole-file decoder
DECODERS: dict[str, Decoder] = {
    "json:heart_rate": decode_heart_rate,
    "json:steps": _per_minute("Steps_Intraday", "q", round),
    "json:distance": _per_minute("Distance_Intraday", "d", lambda cm: round(cm * M_PER_CM, 4)),
    "json:altitude": _per_minute("Elevation_Intraday", "d", lambda feet: round(feet * M_PER_FT, 4)),
    "json:calories": _per_minute(SUM_PREFIX + "calories", "d", float, local=True),
}


def unpack(bulk: Bulk) -> tuple[str, array[int], array[Any]]:
    measurement, times_bytes, values_bytes, typecode = bulk
    times, values = array("q"), array(typecode)
    times.frombytes(times_bytes)
    values.frombytes(values_bytes)
    return measurement, times, values

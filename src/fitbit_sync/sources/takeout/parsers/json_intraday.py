"""Legacy per-minute and per-sample JSON (``Global Export Data/*.json``): heart rate, steps,
distance, altitude and calories.

Rows are ``{"dateTime": "MM/DD/YY HH:MM:SS", "value": ...}``. Heart rate, steps and distance are
stamped in UTC; calories in local wall time (it is summed into the daily ``calories`` total, since
it includes BMR and so is not the API's active-energy stream); altitude is taken as UTC like its
steps/distance siblings and its values as feet of climb (10 per floor).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from itertools import pairwise, repeat
from typing import Any

import orjson

from fitbit_sync.records import FieldValue, Record
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import (
    SUM_PREFIX,
    ParseContext,
    is_no_data,
    json_array,
    load_json_array,
)
from fitbit_sync.sources.takeout.timezones import DAY_MS, _clock, _fitbit_day_ms, clock_ms, fitbit_naive_ms
from fitbit_sync.sources.takeout.units import M_PER_CM, M_PER_FT, number

HEART_RATE = "HeartRate_Intraday"
STEPS = "Steps_Intraday"
DISTANCE = "Distance_Intraday"
ELEVATION = "Elevation_Intraday"
CALORIES_SUM = SUM_PREFIX + "calories"


Decoded = tuple[bytes, bytes]  # array('q') of UTC ms and array('H') of bpm, as bytes


def parse_heart_rate(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    """The hot path of a multi-year import (17,000 rows a day): a file whose rows are all regular
    is converted in bulk; otherwise row by row, skipping and counting bad rows."""
    data = entry.read_bytes()
    decoded = decode_heart_rate(data)
    if decoded is not None:
        return iter(heart_rate_records(decoded, ctx)[1])
    return _heart_rate_rows(json_array(data), ctx)


def decode_heart_rate(data: bytes) -> Decoded | None:
    """Arrays of a file whose every row is ``{"dateTime": "MM/DD/YY HH:MM:SS", "value": {"bpm":
    <1..399>, ...}}``, in time order; None for anything else (the row-by-row path handles it)."""
    if not data.strip() or is_no_data(data):
        return None
    try:
        rows = orjson.loads(data)
        if not isinstance(rows, list) or not rows:
            return None
        stamps = [row["dateTime"] for row in rows]
        bpms = [row["value"]["bpm"] for row in rows]
        if not all(type(bpm) is int and 0 < bpm < 400 for bpm in bpms):
            return None
        if not all(type(stamp) is str and len(stamp) == 17 and stamp[8] == " " for stamp in stamps):
            return None
        for day in {stamp[:8] for stamp in stamps} - _fitbit_day_ms.keys():
            fitbit_naive_ms(day + " 00:00:00")  # validates the date and fills the cache
        for clock in {stamp[9:] for stamp in stamps} - _clock.keys():
            _clock[clock] = clock_ms(clock)
        days, clocks = _fitbit_day_ms, _clock
        times = [days[stamp[:8]] + clocks[stamp[9:]] for stamp in stamps]
        if any(later < earlier for earlier, later in pairwise(times)):
            pairs = sorted(zip(times, bpms, strict=True))  # the bulk path needs time order
            times, bpms = [t for t, _ in pairs], [b for _, b in pairs]
        return array("q", times).tobytes(), array("H", bpms).tobytes()
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
        return None


def heart_rate_records(decoded: Decoded, ctx: ParseContext) -> tuple[array[int], list[Record]]:
    """The times (UTC ms, ascending) and the records of a decoded file."""
    times, bpms = array("q"), array("H")
    times.frombytes(decoded[0])
    bpms.frombytes(decoded[1])
    count = len(times)
    fields: list[dict[str, FieldValue]] = [{"value": bpm} for bpm in bpms]
    return times, list(map(Record, repeat(HEART_RATE, count), times, fields, repeat(ctx.tags, count)))


def _heart_rate_rows(rows: list[Any], ctx: ParseContext) -> Iterator[Record]:
    tags = ctx.tags
    for row in rows:
        try:
            when = fitbit_naive_ms(row["dateTime"])
            bpm = row["value"]["bpm"]
            if type(bpm) is not int:
                if isinstance(bpm, bool) or not isinstance(bpm, float):
                    raise ValueError(f"bpm {bpm!r} is not a number")
                bpm = round(bpm) if bpm == bpm else 0
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            ctx.bad_row(exc)
            continue
        if 0 < bpm < 400:
            yield Record(HEART_RATE, when, {"value": bpm}, tags)
        else:
            ctx.junk += 1


def _per_minute(entry: Entry, ctx: ParseContext, measurement: str, convert: Callable[[float], FieldValue],
                local: bool = False) -> Iterator[Record]:
    """Rows ``{"dateTime": "MM/DD/YY HH:MM:SS", "value": "168"}``; junk and malformed rows counted."""
    tags = ctx.tags
    wall_to_ms = ctx.days.wall_to_ms
    for row in load_json_array(entry):
        try:
            when = fitbit_naive_ms(row["dateTime"])
            raw = row["value"]
            value = float(raw) if type(raw) is str else number(raw)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            ctx.bad_row(exc)
            continue
        if value is None or not 0 <= value < 1e7:  # also NaN and infinities
            ctx.junk += 1
            continue
        if local:
            when = wall_to_ms(when // DAY_MS, when % DAY_MS)
        yield Record(measurement, when, {"value": convert(value)}, tags)


def parse_steps(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    return _per_minute(entry, ctx, STEPS, round)


def parse_distance(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    return _per_minute(entry, ctx, DISTANCE, lambda cm: round(cm * M_PER_CM, 4))


def parse_altitude(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    return _per_minute(entry, ctx, ELEVATION, lambda feet: round(feet * M_PER_FT, 4))


def parse_calories(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    return _per_minute(entry, ctx, CALORIES_SUM, float, local=True)

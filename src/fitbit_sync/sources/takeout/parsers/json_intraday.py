"""Legacy per-minute and per-sample JSON (``Global Export Data/*.json``): heart rate, steps,
distance, altitude and calories.

Rows are ``{"dateTime": "MM/DD/YY HH:MM:SS", "value": ...}``. Heart rate, steps and distance are
stamped in UTC; calories in local wall time (it is summed into the daily ``calories`` total, since
it includes BMR and so is not the API's active-energy stream); altitude is taken as UTC like its
steps/distance siblings and its values as feet of climb (10 per floor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fitbit_sync.records import FieldValue, Record
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import SUM_PREFIX, ParseContext, load_json_array
from fitbit_sync.sources.takeout.timezones import DAY_MS, fitbit_naive_ms
from fitbit_sync.sources.takeout.units import M_PER_CM, M_PER_FT, number

HEART_RATE = "HeartRate_Intraday"
STEPS = "Steps_Intraday"
DISTANCE = "Distance_Intraday"
ELEVATION = "Elevation_Intraday"
CALORIES_SUM = SUM_PREFIX + "calories"


def parse_heart_rate(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    """Row by row, skipping and counting bad rows (regular files take ``bulk.decode_heart_rate``)."""
    return _heart_rate_rows(load_json_array(entry), ctx)


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

"""Legacy daily JSON: activity minutes, resting heart rate, time in heart-rate zones, VO2 max.

Their ``dateTime`` (``MM/DD/YY 00:00:00``) is a local-date label, not an instant: records are keyed
by that date, at local midnight. Exports pad these files into the future (sedentary 1440, others
0; resting heart rate ``{"date": null, "value": 0}``): activity-minute rows of that shape after the
export's last day (``ctx.cutoff_day``) and placeholder rows are skipped as junk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import ParseContext, ParseError, load_json_array
from fitbit_sync.sources.takeout.timezones import fitbit_day, us_or_iso_day
from fitbit_sync.sources.takeout.units import integer, number

ACTIVITY_FIELDS = {
    "sedentary_minutes": "minutesSedentary",
    "lightly_active_minutes": "minutesLightlyActive",
    "moderately_active_minutes": "minutesFairlyActive",
    "very_active_minutes": "minutesVeryActive",
}
_ACTIVITY_STEM = re.compile(r"^(" + "|".join(ACTIVITY_FIELDS) + r")", re.IGNORECASE)

#: Fitbit's default zones -> the peer dashboard's zone names (minutes per zone).
ZONE_FIELDS = {
    "BELOW_DEFAULT_ZONE_1": "Normal",
    "IN_DEFAULT_ZONE_1": "Fat Burn",
    "IN_DEFAULT_ZONE_2": "Cardio",
    "IN_DEFAULT_ZONE_3": "Peak",
}


_ROW_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError)


def daily_record(measurement: str, day: int, fields: dict[str, Any], ctx: ParseContext) -> Record:
    """A record keyed by local date ``day``, at local midnight."""
    return Record(measurement, ctx.days.midnight(day), fields, ctx.tags, ctx.days.iso(day))


def _label_day(row: Any) -> int:
    text = row["dateTime"]
    if not isinstance(text, str):
        raise ValueError(f"bad dateTime {text!r}")
    return fitbit_day(text[:8])


def _after_export(day: int, ctx: ParseContext) -> bool:
    return ctx.cutoff_day is not None and day > ctx.cutoff_day


def _daily_rows(entry: Entry, ctx: ParseContext, measurement: str,
                fields_of: Callable[[int, Any], dict[str, Any] | None],
                errors: tuple[type[Exception], ...]) -> Iterator[Record]:
    """Rows ``{"dateTime": <label>, "value": ...}``: a record of ``fields_of(day, value)`` keyed by the
    label's day; no fields is a junk row, one of ``errors`` a malformed one."""
    for row in load_json_array(entry):
        try:
            day = _label_day(row)
            fields = fields_of(day, row["value"])
        except errors as exc:
            ctx.bad_row(exc)
            continue
        if not fields:
            ctx.junk += 1
            continue
        yield daily_record(measurement, day, fields, ctx)


def parse_activity_minutes(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    match = _ACTIVITY_STEM.match(entry.base)
    if match is None:
        raise ParseError(f"unknown activity-minutes file {entry.base!r}")
    name = ACTIVITY_FIELDS[match.group(1).lower()]

    def fields_of(day: int, value: Any) -> dict[str, Any] | None:
        minutes = integer(value)
        padding = minutes == (1440 if name == "minutesSedentary" else 0) and _after_export(day, ctx)
        if minutes is None or not 0 <= minutes <= 1500 or padding:
            return None
        return {name: minutes}

    yield from _daily_rows(entry, ctx, "Activity Minutes", fields_of, (KeyError, TypeError, ValueError, IndexError))


def parse_resting_heart_rate(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    for row in load_json_array(entry):
        try:
            value = row["value"]
            label = value.get("date")
            bpm = number(value.get("value"))
            if label is None or bpm is None or bpm <= 0:
                ctx.junk += 1  # the export's placeholder rows
                continue
            day = us_or_iso_day(label) if isinstance(label, str) else _label_day(row)
        except _ROW_ERRORS as exc:
            ctx.bad_row(exc)
            continue
        if not 20 <= bpm <= 250:
            ctx.junk += 1
            continue
        yield daily_record("RestingHR", day, {"value": round(bpm)}, ctx)


def _zone_minutes(day: int, value: Any) -> dict[str, Any]:
    zones = value["valuesInZones"]
    fields: dict[str, Any] = {}
    for key, name in ZONE_FIELDS.items():
        minutes = integer(zones.get(key))
        if minutes is not None and minutes >= 0:
            fields[name] = minutes
    return fields


def parse_heart_rate_zones(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    yield from _daily_rows(entry, ctx, "HR zones", _zone_minutes, _ROW_ERRORS)


def _vo2_max(day: int, value: Any) -> dict[str, Any] | None:
    vo2 = number(value.get("filteredDemographicVO2Max"))
    if vo2 is None or vo2 <= 0:
        vo2 = number(value.get("demographicVO2Max"))
    if vo2 is None or not 0 < vo2 < 100:
        return None
    return {"vo2Max": round(vo2, 3), "estimated": True}


def parse_demographic_vo2_max(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    yield from _daily_rows(entry, ctx, "VO2 Max", _vo2_max, _ROW_ERRORS)

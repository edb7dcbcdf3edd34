"""Which Google Health API streams an import makes unnecessary to fetch, and for which days.

After an import, ``Coverage(source="google-health", stream, start, end)`` is recorded for a stream
only where the archive held the *same quantity at the same resolution* for whole local days (see
the mapping in docs/takeout.md), so the sync planner skips those days instead of refetching years.
Conservative on purpose: per-source CSV intraday rows (one source kept, the API may hold more),
altitude (unit unconfirmed), exercise (the archive has no GPS) and HR zones (Fitbit's zones are
not Google's) record nothing; the last day of each measurement and days not yet over are never
covered. Intervals are on the planner's axis for the stream: UTC ms for ``physical`` streams,
civil-date ms (UTC midnight of the date) for daily ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from fitbit_sync.catalog import STREAMS_BY_KEY
from fitbit_sync.sources.takeout.timezones import DAY_MS, LocalDays
from fitbit_sync.stores.base import Coverage

SOURCE = "google-health"
SLEEP_END = "_sleep_end"  # presence of a sleep log on its local wake-up day

Requirement = tuple[str, tuple[str, ...]]  # (measurement, fields that must all be present)

RULES: dict[str, tuple[Requirement, ...]] = {
    "heart-rate": (("HeartRate_Intraday", ()),),
    "heart-rate:rollup": (("HeartRate_Intraday", ()),),  # the planner's 1-minute variant: raw is finer
    "steps": (("Steps_Intraday", ()),),
    "steps:daily": (("Total Steps", ("value",)),),
    "distance": (("Distance_Intraday", ()),),
    "distance:daily": (("distance", ("value",)),),
    "total-calories:daily": (("calories", ("value",)),),
    "daily-resting-heart-rate": (("RestingHR", ("value",)),),
    "active-minutes:daily": (("Activity Minutes", ("minutesLightlyActive", "minutesFairlyActive",
                                                   "minutesVeryActive")),),
    "sedentary-period:daily": (("Activity Minutes", ("minutesSedentary",)),),
    "daily-heart-rate-variability": (("HRV", ("dailyRmssd", "deepRmssd")),
                                     ("HRV Details", ("entropy", "nonRemHR"))),
    "daily-oxygen-saturation": (("SPO2", ("avg", "lowerBound", "upperBound", "stddev")),),
    "daily-respiratory-rate": (("BreathingRate", ("value",)),),
    "daily-sleep-temperature-derivations": (("Skin Temperature", ("nightly", "baseline", "stddev30d")),
                                            ("Skin Temperature Variation", ("RelativeValue",))),
    "sleep": ((SLEEP_END, ()),),
}

Axis = Literal["physical", "civil", "date"]


def axis_of(stream_key: str) -> Axis:
    """The planner's time axis of a stream (mirrors ``google_health.planner.axis_of``)."""
    stream = STREAMS_BY_KEY.get(stream_key)
    if stream is None:
        return "physical"
    if stream.method == "dailyRollUp" or stream.kind == "daily":
        return "date"
    return "civil" if ".civil_" in (stream.filter_field or "") else "physical"


def _runs(days: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive day numbers as inclusive (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def covered_days(rule: tuple[Requirement, ...], present: Mapping[str, Mapping[int, set[str]]],
                 last_day: Mapping[str, int], before_day: int) -> set[int]:
    """Days where every requirement of ``rule`` holds, excluding each measurement's last day
    (possibly partial) and days from ``before_day`` on."""
    result: set[int] | None = None
    for measurement, fields in rule:
        seen = present.get(measurement, {})
        limit = min(last_day.get(measurement, before_day), before_day)
        days = {day for day, have in seen.items() if day < limit and all(f in have for f in fields)}
        result = days if result is None else result & days
    return result or set()


def coverage_records(present: Mapping[str, Mapping[int, set[str]]], last_day: Mapping[str, int],
                     before_day: int, days: LocalDays, fetched_at_ms: int) -> list[Coverage]:
    """Coverage rows (merged runs of days) for every stream the archive fully replaces."""
    rows: list[Coverage] = []
    for stream, rule in RULES.items():
        axis = axis_of(stream)
        for first, last in _runs(covered_days(rule, present, last_day, before_day)):
            if axis == "physical":
                start, end = days.midnight(first), days.midnight(last + 1)
            else:
                start, end = first * DAY_MS, (last + 1) * DAY_MS
            rows.append(Coverage(SOURCE, stream, start, end, fetched_at_ms))
    return rows

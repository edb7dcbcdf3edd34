"""Which Google Health API streams an import makes unnecessary to fetch, and for which days.

After an import, ``Coverage(source="google-health", stream, start, end)`` is recorded for a stream
only where the archive held the *same quantity at the same resolution* for whole local days (the
mapping in docs/takeout.md, declared per stream in the catalogue as its ``archive_rule``), so the
sync planner skips those days instead of refetching years.
Conservative on purpose: per-source CSV intraday rows (one source kept, the API may hold more),
altitude (unit unconfirmed), exercise (the archive has no GPS) and HR zones (Fitbit's zones are
not Google's) record nothing; the last day of each measurement and days not yet over are never
covered. Intervals are on the planner's axis for the stream: UTC ms for ``physical`` streams,
civil-date ms (UTC midnight of the date) for daily ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fitbit_sync.catalog import ALL_STREAMS_BY_KEY, ARCHIVE_SLEEP_END, SOURCE, Axis, Requirement
from fitbit_sync.sources.takeout.timezones import DAY_MS, LocalDays
from fitbit_sync.stores.base import Coverage

SLEEP_END = ARCHIVE_SLEEP_END  # presence of a sleep log on its local wake-up day

#: stream key -> what the archive must hold per local day (each stream's ``archive_rule``).
RULES: dict[str, tuple[Requirement, ...]] = {
    s.key: s.archive_rule for s in ALL_STREAMS_BY_KEY.values() if s.archive_rule
}


def axis_of(stream_key: str) -> Axis:
    """The time axis of a stream, as the catalogue declares it."""
    return ALL_STREAMS_BY_KEY[stream_key].axis


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

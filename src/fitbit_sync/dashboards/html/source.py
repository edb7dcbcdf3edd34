"""What the dashboard reads from a store: the ``DashboardSource`` protocol and its row types.

A source answers a handful of questions (aggregated series in time buckets, daily values, sleep
segments and nights, workouts, a GPS track) so that years of 5-second heart rate come back as a
few thousand points. One implementation reads every store through its read side
(``store_source.StoreSource`` over ``stores.base.Reader``); ``sqlite_source`` adds hourly rollups
of the big intraday fields, ``influx_source`` opens an InfluxDB 1.x database by URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from fitbit_sync.stores.base import AGGS, Agg, Series

__all__ = ["AGGS", "Agg", "DashboardSource", "Series", "bucket_for"]

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

#: ``SleepNight.minutes`` keys and the ``Sleep Summary`` fields they come from.
SLEEP_MINUTES = {
    "asleep": "minutesAsleep", "awake": "minutesAwake", "light": "minutesLight", "deep": "minutesDeep",
    "rem": "minutesREM", "inBed": "minutesInBed",
}

#: Bucket sizes a series may be cut into (readable on an axis, aligned to UTC).
NICE_BUCKETS_MS: tuple[int, ...] = (
    SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
    MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
    HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY,
)


def bucket_for(span_ms: int, max_points: int, floor_ms: int = SECOND) -> int:
    """The smallest nice bucket (at least ``floor_ms``) that cuts ``span_ms`` into ``<= max_points``."""
    if max_points < 1:
        raise ValueError("max_points must be positive")
    for size in NICE_BUCKETS_MS:
        if size >= floor_ms and span_ms / size <= max_points:
            return size
    return max(-(-span_ms // max_points), NICE_BUCKETS_MS[-1])


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One local day of a daily measurement (several devices on one day are averaged)."""

    date: str  # YYYY-MM-DD
    values: dict[str, float | str | None]


@dataclass(frozen=True, slots=True)
class SleepSegment:
    """One stretch of one sleep stage (``level``: 0 deep, 1 light/asleep, 2 rem/restless, 3 wake)."""

    start_ms: int
    duration_s: int
    level: int
    stage: str
    main: bool


@dataclass(frozen=True, slots=True)
class SleepNight:
    """One sleep session from ``Sleep Summary``."""

    start_ms: int
    end_ms: int
    main: bool
    minutes: dict[str, int | None]  # asleep, awake, light, deep, rem, inBed
    efficiency: float | None
    sleep_type: str


@dataclass(frozen=True, slots=True)
class Workout:
    """One row of ``Activity Records``."""

    start_ms: int
    name: str
    activity_id: str
    duration_ms: int | None
    calories: float | None
    distance_km: float | None
    steps: int | None
    average_hr: int | None
    elevation_m: float | None
    has_gps: bool


@dataclass(slots=True)
class GpsTrack:
    """A workout's GPS points, oldest first (at most the ``max_points`` asked for)."""

    activity_id: str
    times: list[int] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    altitude: list[float | None] = field(default_factory=list)
    heart_rate: list[int | None] = field(default_factory=list)
    speed_kph: list[float | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.times)


class DashboardSource(Protocol):
    """Read-only questions the dashboard asks a store. Times are UTC epoch ms, ranges ``[start, end)``."""

    name: str

    def bounds(self, measurements: Sequence[str]) -> tuple[int, int] | None:
        """Earliest and latest ``time`` over ``measurements`` (None when all are empty)."""
        ...

    def series(
        self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
        aggs: Sequence[Agg] = ("mean",),
    ) -> Series:
        """``field_name`` aggregated into UTC-aligned buckets of ``bucket_ms``."""
        ...

    def daily(self, measurement: str, fields: Sequence[str], first_date: str, last_date: str) -> list[DailyRow]:
        """Rows of a daily measurement for local dates ``first_date..last_date`` (inclusive), by date."""
        ...

    def latest(self, measurement: str, fields: Sequence[str], before_ms: int) -> tuple[int, dict[str, object]] | None:
        """The newest row before ``before_ms``: its time and ``fields``."""
        ...

    def latest_day(self, measurement: str, fields: Sequence[str], last_date: str) -> DailyRow | None:
        """The newest local date up to ``last_date`` (inclusive) where the daily ``fields[0]`` has a value,
        with its stored date (never a date recomputed from a time in some other zone)."""
        ...

    def stored_zone(self) -> str | None:
        """The user's IANA zone remembered with the data (the sync's state), if the store keeps one."""
        ...

    def sleep_segments(self, start_ms: int, end_ms: int) -> list[SleepSegment]:
        """Sleep-stage segments starting in the range, oldest first."""
        ...

    def sleep_nights(self, start_ms: int, end_ms: int) -> list[SleepNight]:
        """Sleep sessions starting in the range, oldest first."""
        ...

    def workouts(self, start_ms: int, end_ms: int, limit: int) -> list[Workout]:
        """The ``limit`` newest workouts starting in the range, newest first."""
        ...

    def gps_track(self, activity_id: str, start_ms: int, end_ms: int, max_points: int) -> GpsTrack:
        """GPS points of one workout within ``[start_ms, end_ms)``, thinned to ``max_points``."""
        ...

    def close(self) -> None: ...


def thin_indices(count: int, max_points: int) -> range:
    """Every k-th index so that at most ``max_points`` remain (the last point is kept by the caller)."""
    step = max(1, -(-count // max(1, max_points)))
    return range(0, count, step)

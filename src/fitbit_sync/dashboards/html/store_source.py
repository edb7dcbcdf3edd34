"""``DashboardSource`` over any store's read side (``stores.base.Reader``): one reader for all.

Series are the store's bucketed aggregates (SQL per-bucket range queries, ``GROUP BY``,
InfluxQL ``GROUP BY time()``, Flux ``aggregateWindow``, SQL ``date_bin``), so years of 5-second
heart rate come back as a few thousand points. Everything else the dashboard shows (daily values,
sleep, workouts, a GPS track) is a few hundred rows at most, read as records and shaped here,
so every store draws the same dashboard. Daily values are read and grouped by their local date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fitbit_sync.dashboards.html.source import (
    SLEEP_MINUTES,
    Agg,
    DailyRow,
    GpsTrack,
    Series,
    SleepNight,
    SleepSegment,
    Workout,
    thin_indices,
)
from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.stores.base import Reader


def truthy(value: object) -> bool:
    """A tag or field that means yes (tags are text: ``true``, ``True``, ``1``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _close(records: Iterator[Record]) -> None:
    """Close a reader stopped early (a server-side cursor or stream is not left open)."""
    close = getattr(records, "close", None)
    if close is not None:
        close()


def _take(records: Iterator[Record]) -> list[Record]:
    """All of ``records``, the reader closed at once."""
    try:
        return list(records)
    finally:
        _close(records)


class StoreSource:
    """The dashboard's questions answered from ``store`` (opened to read); closing it closes the store."""

    def __init__(self, store: Reader) -> None:
        self.store = store
        self.name = store.name

    def bounds(self, measurements: Sequence[str]) -> tuple[int, int] | None:
        first: int | None = None
        last: int | None = None
        for name in measurements:
            if name not in MEASUREMENTS:
                continue
            for newest in (False, True):
                for r in _take(self.store.read_records(name, newest_first=newest, limit=1)):
                    first = r.time_ms if first is None else min(first, r.time_ms)
                    last = r.time_ms if last is None else max(last, r.time_ms)
        return None if first is None or last is None else (first, last)

    def series(
        self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
        aggs: Sequence[Agg] = ("mean",),
    ) -> Series:
        if bucket_ms <= 0 or end_ms <= start_ms or not aggs:
            return Series(bucket_ms, [], {a: [] for a in aggs})
        return self.store.aggregate(measurement, field_name, start_ms, end_ms, bucket_ms, aggs)

    def daily(self, measurement: str, fields: Sequence[str], first_date: str, last_date: str) -> list[DailyRow]:
        m = MEASUREMENTS.get(measurement)
        if m is None or m.key != "date":
            return []
        texts = [f for f in fields if m.field_types.get(f) == "str"]
        numbers = [f for f in fields if f not in texts]
        sums: dict[str, dict[str, list[float]]] = {}  # date -> field -> [sum, count]
        maxima: dict[str, dict[str, str]] = {}  # date -> text field -> its largest value
        for r in _take(self.store.read_records(measurement, first_date=first_date, last_date=last_date)):
            if r.date is None:
                continue
            values, day_sums = r.fields, sums.get(r.date)
            if day_sums is None:
                day_sums = sums[r.date] = {}
                maxima[r.date] = {}
            for f in numbers:
                v = values.get(f)
                if v is not None:
                    acc = day_sums.get(f)
                    if acc is None:
                        day_sums[f] = [float(v), 1.0]
                    else:
                        acc[0] += float(v)
                        acc[1] += 1.0
            for f in texts:
                v = values.get(f)
                if v is not None and (f not in maxima[r.date] or str(v) > maxima[r.date][f]):
                    maxima[r.date][f] = str(v)
        out = []
        for day in sorted(sums):
            row: dict[str, float | str | None] = {}
            for f in fields:
                acc = sums[day].get(f)
                row[f] = maxima[day].get(f) if f in texts else (acc[0] / acc[1] if acc else None)
            out.append(DailyRow(day, row))
        return out

    def latest(self, measurement: str, fields: Sequence[str], before_ms: int) -> tuple[int, dict[str, object]] | None:
        found = _take(self.store.read_records(measurement, None, before_ms, newest_first=True, limit=1))
        if not found:
            return None
        return found[0].time_ms, {f: found[0].fields.get(f) for f in fields}

    def latest_day(self, measurement: str, fields: Sequence[str], last_date: str) -> DailyRow | None:
        if not fields:
            return None
        records = self.store.read_records(measurement, last_date=last_date, newest_first=True)
        try:
            hit = next((r for r in records if r.date is not None and r.fields.get(fields[0]) is not None), None)
        finally:
            _close(records)
        if hit is None or hit.date is None:
            return None
        rows = self.daily(measurement, fields, hit.date, hit.date)
        return rows[0] if rows else None

    def stored_zone(self) -> str | None:
        """``google-health:time_zone`` from the store's state (written by ``sync``), if it keeps one."""
        from fitbit_sync.sync.runner import STATE_ZONE  # the key sync writes; imported only here

        return self.store.get_state(STATE_ZONE) or None

    def sleep_segments(self, start_ms: int, end_ms: int) -> list[SleepSegment]:
        main: dict[str | None, bool] = {}  # isMainSleep tag value -> truthy: a few distinct values
        segments = []
        for r in _take(self.store.read_records("Sleep Levels", start_ms, end_ms)):
            f, tag = r.fields, r.tags.get("isMainSleep")
            is_main = main.get(tag)
            if is_main is None:
                is_main = main[tag] = truthy(tag)
            level = f.get("level")
            segments.append(SleepSegment(r.time_ms, int(f.get("duration_seconds") or 0),
                                         1 if level is None else int(level), str(f.get("stage") or ""), is_main))
        return segments

    def sleep_nights(self, start_ms: int, end_ms: int) -> list[SleepNight]:
        nights = []
        for r in _take(self.store.read_records("Sleep Summary", start_ms, end_ms)):
            f: dict[str, Any] = r.fields
            minutes: dict[str, int | None] = {k: f.get(v) for k, v in SLEEP_MINUTES.items()}
            end = f.get("endTime")
            if end is None:
                end = r.time_ms + int(minutes.get("inBed") or 0) * 60_000
            nights.append(SleepNight(r.time_ms, int(end), truthy(r.tags.get("isMainSleep")), minutes,
                                     f.get("efficiency"), str(f.get("sleepType") or "")))
        return nights

    def workouts(self, start_ms: int, end_ms: int, limit: int) -> list[Workout]:
        rows = _take(self.store.read_records("Activity Records", start_ms, end_ms, newest_first=True,
                                             limit=int(limit)))
        workouts = []
        for r in rows:
            f: dict[str, Any] = r.fields
            workouts.append(Workout(r.time_ms, str(r.tags.get("ActivityName") or "Workout"),
                                    str(f.get("ActivityID") or ""), f.get("duration"), f.get("calories"),
                                    f.get("distance"), f.get("steps"), f.get("AverageHeartRate"),
                                    f.get("elevationGain"), truthy(f.get("hasGps"))))
        return workouts

    def gps_track(self, activity_id: str, start_ms: int, end_ms: int, max_points: int) -> GpsTrack:
        rows = [r for r in _take(self.store.read_records("GPS", start_ms, end_ms, tags={"ActivityID": activity_id}))
                if r.fields.get("lat") is not None and r.fields.get("lon") is not None]
        track = GpsTrack(activity_id)
        picked = list(thin_indices(len(rows), max_points))
        if rows and picked[-1] != len(rows) - 1:
            picked[-1] = len(rows) - 1  # keep the finish
        for i in picked:
            f: dict[str, Any] = rows[i].fields
            track.times.append(rows[i].time_ms)
            track.lat.append(float(f["lat"]))
            track.lon.append(float(f["lon"]))
            track.altitude.append(f.get("altitude"))
            track.heart_rate.append(f.get("heart_rate"))
            track.speed_kph.append(f.get("speed_kph"))
        return track

    def close(self) -> None:
        self.store.close()


def open_store_source(store: Reader) -> StoreSource:
    """The dashboard reader of a store opened to read (``stores/registry.py``)."""
    return StoreSource(store)

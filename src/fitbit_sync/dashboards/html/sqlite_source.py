"""``DashboardSource`` over the SQLite store's file, read-only, aggregating in SQL.

Every measurement table is keyed by ``time`` (or ``date``) first, so a time range is a range
scan of the primary key and ``GROUP BY time / bucket`` folds millions of 5-second samples into
a few thousand rows without any extra index. The file is opened read-only: the dashboard never
writes to the user's database.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fitbit_sync.dashboards.html.rollup import Cell, RollupCache
from fitbit_sync.dashboards.html.source import (
    DAY,
    HOUR,
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
from fitbit_sync.errors import StoreError
from fitbit_sync.schema import MEASUREMENTS, measurement
from fitbit_sync.stores.sqlite import quote

#: Fields big enough to keep hourly rollups of, and the shortest range that uses them.
ROLLUP_FIELDS = frozenset({("HeartRate_Intraday", "value"), ("Steps_Intraday", "value")})
ROLLUP_MIN_SPAN_MS = 60 * DAY


def truthy(value: object) -> bool:
    """A tag or field that means yes (tags are text: ``true``, ``True``, ``1``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


class SQLiteSource:
    """Reads a fitbit-sync SQLite database (``mode=ro``); safe to share between threads."""

    name = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise StoreError(f"no SQLite database at {self.path}: run `fitbit-sync sync` or `fitbit-sync demo` first")
        try:
            self._conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False, timeout=30
            )
            tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read SQLite database {self.path}: {_reason(exc)}") from None
        self._columns: dict[str, set[str]] = {}
        for name in MEASUREMENTS:
            if name in tables:
                self._columns[name] = {row[1] for row in self._conn.execute(f"PRAGMA table_info({quote(name)})")}
        self._lock = threading.Lock()
        self.rollups = RollupCache(self._connect, self._data_version)

    # --- plumbing --------------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read SQLite database {self.path}: {_reason(exc)}") from None

    def _has(self, table: str, *columns: str) -> bool:
        present = self._columns.get(table)
        return present is not None and all(c in present for c in columns)

    def _col(self, table: str, *names: str) -> str:
        """The first of ``names`` the table has (fields were renamed over time), quoted; else NULL."""
        for name in names:
            if self._has(table, name):
                return quote(name)
        return "NULL"

    # --- DashboardSource -------------------------------------------------------------------------

    def bounds(self, measurements: Sequence[str]) -> tuple[int, int] | None:
        first: int | None = None
        last: int | None = None
        for name in measurements:
            if not self._has(name):
                continue
            # two queries: SQLite answers a lone min() or max() from the index, both together by a scan
            lo = self._query(f"SELECT min(time) FROM {quote(name)}")[0][0]
            hi = self._query(f"SELECT max(time) FROM {quote(name)}")[0][0]
            if lo is None or hi is None:
                continue
            first = lo if first is None else min(first, lo)
            last = hi if last is None else max(last, hi)
        return None if first is None or last is None else (int(first), int(last))

    def series(
        self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
        aggs: Sequence[Agg] = ("mean",),
    ) -> Series:
        """Whole-hour buckets of a long range come from the hourly rollup when it is ready; the rest
        from one primary-key range query per bucket (about three times faster than ``GROUP BY
        time / b``, which makes SQLite sort every row in a temporary b-tree)."""
        out = Series(bucket_ms, [], {a: [] for a in aggs})
        if not self._has(measurement, field_name) or bucket_ms <= 0 or end_ms <= start_ms:
            return out
        table, col, b = quote(measurement), quote(field_name), int(bucket_ms)
        if "last" in aggs:
            return self._series_last(out, table, col, start_ms, end_ms, b, aggs)
        cells: dict[int, Cell] = {}
        raw_start = start_ms
        if b % HOUR == 0 and end_ms - start_ms >= ROLLUP_MIN_SPAN_MS and (measurement, field_name) in ROLLUP_FIELDS:
            rollup = self.rollups.get(table, col)
            if rollup is not None:
                cells = rollup.buckets(start_ms, end_ms, b)
                raw_start = max(start_ms, rollup.upto)
        for k, cell in self._raw_cells(table, col, raw_start, end_ms, b).items():
            if k in cells:
                n, total, small, big = cells[k]
                cells[k] = (n + cell[0], total + cell[1], min(small, cell[2]), max(big, cell[3]))
            else:
                cells[k] = cell
        for k in sorted(cells):
            n, total, small, big = cells[k]
            out.times.append(k)
            for a in aggs:
                out.values[a].append(_pick(a, cells[k]))
        return out

    def _raw_cells(self, table: str, col: str, start_ms: int, end_ms: int, b: int) -> dict[int, Cell]:
        """count, sum, min and max per bucket, one range query each, from the first to the last row."""
        cells: dict[int, Cell] = {}
        if end_ms <= start_ms:
            return cells
        first = self._edge(table, "min", start_ms, end_ms)
        last = self._edge(table, "max", start_ms, end_ms)
        if first is None or last is None:
            return cells
        sql = (f"SELECT count({col}), total({col}), min({col}), max({col}) FROM {table} "
               f"WHERE time >= ? AND time < ? AND {col} IS NOT NULL")
        try:
            with self._lock:
                cursor = self._conn.cursor()
                for k in range(first // b * b, last + 1, b):
                    n, total, small, big = cursor.execute(sql, (max(k, start_ms), min(k + b, end_ms))).fetchone()
                    if n:
                        cells[k] = (int(n), float(total), small, big)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read SQLite database {self.path}: {_reason(exc)}") from None
        return cells

    def _series_last(self, out: Series, table: str, col: str, start_ms: int, end_ms: int, b: int,
                     aggs: Sequence[Agg]) -> Series:
        plain = [a for a in aggs if a != "last"]
        cells = self._raw_cells(table, col, start_ms, end_ms, b) if plain else {}
        sql = f"SELECT {col} FROM {table} WHERE time >= ? AND time < ? AND {col} IS NOT NULL ORDER BY time DESC LIMIT 1"
        first = self._edge(table, "min", start_ms, end_ms)
        last = self._edge(table, "max", start_ms, end_ms)
        if first is None or last is None:
            return out
        try:
            with self._lock:
                cursor = self._conn.cursor()
                for k in range(first // b * b, last + 1, b):
                    row = cursor.execute(sql, (max(k, start_ms), min(k + b, end_ms))).fetchone()
                    if row is None:
                        continue
                    out.times.append(k)
                    out.values["last"].append(row[0])
                    for a in plain:
                        out.values[a].append(_pick(a, cells[k]) if k in cells else None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read SQLite database {self.path}: {_reason(exc)}") from None
        return out

    def warm(self) -> None:
        """Start the hourly rollups of the big intraday fields in the background (server start)."""
        for table, column in ROLLUP_FIELDS:
            if self._has(table, column):
                self.rollups.warm(quote(table), quote(column))

    def _data_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)

    def _edge(self, table: str, which: str, start_ms: int, end_ms: int) -> int | None:
        """The first (``min``) or last (``max``) time in the range: one index seek."""
        order = "ASC" if which == "min" else "DESC"
        rows = self._query(f"SELECT time FROM {table} WHERE time >= ? AND time < ? ORDER BY time {order} LIMIT 1",
                           (start_ms, end_ms))
        return int(rows[0][0]) if rows else None

    def daily(self, measurement_name: str, fields: Sequence[str], first_date: str, last_date: str) -> list[DailyRow]:
        if not self._has(measurement_name, "date"):
            return []
        types = measurement(measurement_name).field_types
        selects = []
        for f in fields:
            col = self._col(measurement_name, f)
            selects.append(f"max({col})" if types.get(f) == "str" else f"avg({col})")
        rows = self._query(
            f"SELECT date, {', '.join(selects)} FROM {quote(measurement_name)} "
            "WHERE date >= ? AND date <= ? GROUP BY date ORDER BY date",
            (first_date, last_date),
        )
        return [DailyRow(r[0], dict(zip(fields, r[1:], strict=True))) for r in rows]

    def latest(
        self, measurement_name: str, fields: Sequence[str], before_ms: int
    ) -> tuple[int, dict[str, object]] | None:
        if not self._has(measurement_name):
            return None
        cols = ", ".join(self._col(measurement_name, f) for f in fields)
        order = "date DESC, time DESC" if self._has(measurement_name, "date") else "time DESC"
        rows = self._query(
            f"SELECT time, {cols} FROM {quote(measurement_name)} WHERE time < ? ORDER BY {order} LIMIT 1",
            (before_ms,),
        )
        if not rows:
            return None
        return int(rows[0][0]), dict(zip(fields, rows[0][1:], strict=True))

    def latest_day(self, measurement_name: str, fields: Sequence[str], last_date: str) -> DailyRow | None:
        if not fields or not self._has(measurement_name, "date", fields[0]):
            return None
        table, first = quote(measurement_name), quote(fields[0])
        found = self._query(f"SELECT max(date) FROM {table} WHERE date <= ? AND {first} IS NOT NULL", (last_date,))
        if not found or found[0][0] is None:
            return None
        rows = self.daily(measurement_name, fields, found[0][0], found[0][0])
        return rows[0] if rows else None

    def stored_zone(self) -> str | None:
        """``google-health:time_zone`` from the store's state table (written by ``sync``)."""
        from fitbit_sync.sync.runner import STATE_ZONE  # the key sync writes; imported only here

        if not self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_state'"):
            return None
        rows = self._query("SELECT value FROM _state WHERE key = ?", (STATE_ZONE,))
        return str(rows[0][0]) if rows and rows[0][0] else None

    def sleep_segments(self, start_ms: int, end_ms: int) -> list[SleepSegment]:
        t = "Sleep Levels"
        if not self._has(t):
            return []
        cols = ", ".join(self._col(t, *c) for c in (("duration_seconds", "duration"), ("level",), ("stage",),
                                                     ("isMainSleep",)))
        rows = self._query(
            f"SELECT time, {cols} FROM {quote(t)} WHERE time >= ? AND time < ? ORDER BY time",
            (start_ms, end_ms),
        )
        return [
            SleepSegment(int(r[0]), int(r[1] or 0), int(r[2]) if r[2] is not None else 1, str(r[3] or ""), truthy(r[4]))
            for r in rows
        ]

    def sleep_nights(self, start_ms: int, end_ms: int) -> list[SleepNight]:
        t = "Sleep Summary"
        if not self._has(t):
            return []
        cols = ", ".join(self._col(t, c) for c in (*SLEEP_MINUTES.values(), "endTime", "efficiency", "sleepType",
                                                    "isMainSleep"))
        rows = self._query(
            f"SELECT time, {cols} FROM {quote(t)} WHERE time >= ? AND time < ? ORDER BY time", (start_ms, end_ms)
        )
        nights = []
        n = len(SLEEP_MINUTES)
        for r in rows:
            minutes = dict(zip(SLEEP_MINUTES, r[1:1 + n], strict=True))
            end = r[1 + n] if r[1 + n] is not None else int(r[0]) + int(minutes.get("inBed") or 0) * 60_000
            nights.append(SleepNight(int(r[0]), int(end), truthy(r[n + 4]), minutes, r[n + 2], str(r[n + 3] or "")))
        return nights

    def workouts(self, start_ms: int, end_ms: int, limit: int) -> list[Workout]:
        t = "Activity Records"
        if not self._has(t):
            return []
        names = (("ActivityName",), ("ActivityID",), ("duration",), ("calories",), ("distance",), ("steps",),
                 ("AverageHeartRate", "averageHeartRate"), ("elevationGain",), ("hasGps",))
        cols = ", ".join(self._col(t, *c) for c in names)
        rows = self._query(
            f"SELECT time, {cols} FROM {quote(t)} WHERE time >= ? AND time < ? ORDER BY time DESC LIMIT ?",
            (start_ms, end_ms, int(limit)),
        )
        return [
            Workout(int(r[0]), str(r[1] or "Workout"), str(r[2] or ""), r[3], r[4], r[5], r[6], r[7], r[8],
                    truthy(r[9]))
            for r in rows
        ]

    def gps_track(self, activity_id: str, start_ms: int, end_ms: int, max_points: int) -> GpsTrack:
        t = "GPS"
        track = GpsTrack(activity_id)
        if not self._has(t, "lat", "lon"):
            return track
        cols = ", ".join(self._col(t, c) for c in ("lat", "lon", "altitude", "heart_rate", "speed_kph"))
        rows = self._query(
            f"SELECT time, {cols} FROM {quote(t)} WHERE time >= ? AND time < ? AND {quote('ActivityID')} = ? "
            "AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY time",
            (start_ms, end_ms, activity_id),
        )
        picked = list(thin_indices(len(rows), max_points))
        if rows and picked[-1] != len(rows) - 1:
            picked[-1] = len(rows) - 1  # keep the finish
        for i in picked:
            r = rows[i]
            track.times.append(int(r[0]))
            track.lat.append(float(r[1]))
            track.lon.append(float(r[2]))
            track.altitude.append(r[3])
            track.heart_rate.append(r[4])
            track.speed_kph.append(r[5])
        return track

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()


def _pick(agg: str, cell: Cell) -> float:
    n, total, small, big = cell
    return {"mean": total / n if n else float("nan"), "sum": total, "min": small, "max": big}[agg]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]

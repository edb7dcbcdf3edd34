"""Hourly rollups of a big intraday field, kept in memory, for the dashboard's long ranges.

Three years of 5-second heart rate are 19 million rows: scanning them for the "1 y" or "all"
view takes seconds. An ``HourlyRollup`` holds count, sum, min and max of one field per UTC hour
(26,000 hours for three years), built once in a background thread on its own read-only
connection; buckets that are whole hours are then answered from it in milliseconds. It is
dropped when the database changes (SQLite's ``data_version``) and rebuilt on the next long view.
"""

from __future__ import annotations

import bisect
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fitbit_sync.dashboards.html.source import HOUR

log = logging.getLogger(__name__)

Cell = tuple[int, float, float, float]  # count, sum, min, max


@dataclass(slots=True)
class HourlyRollup:
    """Per-UTC-hour aggregates of one field for every hour before ``upto`` (exclusive, hour-aligned)."""

    upto: int
    version: int
    hours: list[int] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)

    def buckets(self, start_ms: int, end_ms: int, bucket_ms: int) -> dict[int, Cell]:
        """Aggregates per bucket of the hours in ``[start_ms, min(end_ms, upto))``."""
        out: dict[int, Cell] = {}
        lo = bisect.bisect_left(self.hours, start_ms)
        hi = bisect.bisect_left(self.hours, min(end_ms, self.upto))
        for i in range(lo, hi):
            key = self.hours[i] // bucket_ms * bucket_ms
            n, total, small, big = self.cells[i]
            if key in out:
                n0, t0, s0, b0 = out[key]
                out[key] = (n0 + n, t0 + total, min(s0, small), max(b0, big))
            else:
                out[key] = (n, total, small, big)
        return out


def build(connect: Callable[[], sqlite3.Connection], table: str, column: str, version: int) -> HourlyRollup | None:
    """Scan ``table`` hour by hour (primary-key range queries) up to its newest full hour."""
    conn = connect()
    try:
        newest = conn.execute(f"SELECT max(time) FROM {table}").fetchone()[0]
        oldest = conn.execute(f"SELECT min(time) FROM {table}").fetchone()[0]
        if newest is None or oldest is None:
            return None
        rollup = HourlyRollup(upto=int(newest) // HOUR * HOUR, version=version)
        sql = (f"SELECT count({column}), total({column}), min({column}), max({column}) FROM {table} "
               f"WHERE time >= ? AND time < ? AND {column} IS NOT NULL")
        cursor = conn.cursor()
        for hour in range(int(oldest) // HOUR * HOUR, rollup.upto, HOUR):
            n, total, small, big = cursor.execute(sql, (hour, hour + HOUR)).fetchone()
            if n:
                rollup.hours.append(hour)
                rollup.cells.append((int(n), float(total), float(small), float(big)))
        return rollup
    finally:
        conn.close()


class RollupCache:
    """Rollups by (table, column), built in the background on first need, dropped when data changes."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], data_version: Callable[[], int]) -> None:
        self._connect = connect
        self._data_version = data_version
        self._ready: dict[tuple[str, str], HourlyRollup] = {}
        self._building: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def get(self, table: str, column: str) -> HourlyRollup | None:
        """The rollup if it is current; otherwise None, and a (re)build starts in the background."""
        key = (table, column)
        version = self._data_version()
        with self._lock:
            rollup = self._ready.get(key)
            if rollup is not None and rollup.version == version:
                return rollup
            self._ready.pop(key, None)
            if key not in self._building:
                self._building.add(key)
                threading.Thread(target=self._build, args=(key, version), name=f"rollup {table}",
                                 daemon=True).start()
        return None

    def warm(self, table: str, column: str) -> None:
        """Start building now (the server does this at startup for heart rate)."""
        self.get(table, column)

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until no build is running (tests and benchmarks); False on timeout."""
        deadline = threading.Event()
        for _ in range(int(timeout * 20)):
            with self._lock:
                if not self._building:
                    return True
            deadline.wait(0.05)
        return False

    def _build(self, key: tuple[str, str], version: int) -> None:
        try:
            rollup = build(self._connect, key[0], key[1], version)
        except sqlite3.Error as exc:  # the reader falls back to scanning: slower, still right
            log.warning("dashboard: hourly rollup of %s failed: %s", key[0], exc)
            rollup = None
        with self._lock:
            self._building.discard(key)
            if rollup is not None:
                self._ready[key] = rollup

"""The dashboard's reader of a SQLite file: ``StoreSource`` over the store opened ``mode=ro``,
plus hourly rollups of the big intraday fields for long ranges.

The file is opened read-only: the dashboard never writes to the user's database. Every question
goes through the store's read side like any other store's; only the heart-rate and step series
of ranges of two months or more take their whole-hour buckets from an in-memory hourly rollup
(``rollup.py``, built in the background, dropped when the file changes) and the rest from
``aggregate``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from fitbit_sync.dashboards.html.rollup import Cell, RollupCache
from fitbit_sync.dashboards.html.source import DAY, HOUR, Agg, Series
from fitbit_sync.dashboards.html.store_source import StoreSource, truthy
from fitbit_sync.stores.base import Reader, pick
from fitbit_sync.stores.sqlite import SQLiteStore, quote

__all__ = ["ROLLUP_FIELDS", "SQLiteSource", "open_sqlite_source", "truthy"]

#: Fields big enough to keep hourly rollups of, and the shortest range that uses them.
ROLLUP_FIELDS = frozenset({("HeartRate_Intraday", "value"), ("Steps_Intraday", "value")})
ROLLUP_MIN_SPAN_MS = 60 * DAY
CELL_AGGS: tuple[Agg, ...] = ("count", "sum", "min", "max")


class SQLiteSource(StoreSource):
    """Reads a fitbit-sync SQLite database (``mode=ro``); safe to share between threads."""

    store: SQLiteStore

    def __init__(self, path: str | Path, store: SQLiteStore | None = None) -> None:
        super().__init__(store or SQLiteStore(path, read_only=True))
        self.path = Path(path)
        self._conn = self.store.connection
        self.rollups = RollupCache(self._connect, self.store.data_version)

    def series(
        self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
        aggs: Sequence[Agg] = ("mean",),
    ) -> Series:
        """Whole-hour buckets of a long range come from the hourly rollup when it is ready; the rest
        from the store's per-bucket aggregates."""
        b = int(bucket_ms)
        if ("last" in aggs or b <= 0 or b % HOUR or end_ms - start_ms < ROLLUP_MIN_SPAN_MS
                or (measurement, field_name) not in ROLLUP_FIELDS or not self.store.reads.has(measurement, field_name)):
            return super().series(measurement, field_name, start_ms, end_ms, bucket_ms, aggs)
        rollup = self.rollups.get(quote(measurement), quote(field_name))
        if rollup is None:
            return super().series(measurement, field_name, start_ms, end_ms, bucket_ms, aggs)
        cells: dict[int, Cell] = rollup.buckets(start_ms, end_ms, b)
        raw = self.store.aggregate(measurement, field_name, max(start_ms, rollup.upto), end_ms, b, CELL_AGGS)
        for i, k in enumerate(raw.times):
            n, total, small, big = (raw.values[a][i] for a in CELL_AGGS)
            cell: Cell = (int(n or 0), float(total or 0.0), small, big)  # type: ignore[assignment]
            if k in cells:
                n0, t0, s0, b0 = cells[k]
                cells[k] = (n0 + cell[0], t0 + cell[1], min(s0, cell[2]), max(b0, cell[3]))
            else:
                cells[k] = cell
        out = Series(bucket_ms, [], {a: [] for a in aggs})
        for k in sorted(cells):
            out.times.append(k)
            for a in aggs:
                out.values[a].append(pick(a, *cells[k]))
        return out

    def warm(self) -> None:
        """Start the hourly rollups of the big intraday fields in the background (server start)."""
        for table, column in ROLLUP_FIELDS:
            if self.store.reads.has(table, column):
                self.rollups.warm(quote(table), quote(column))

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def open_sqlite_source(store: Reader) -> SQLiteSource:
    """The dashboard reader of a SQLite store opened to read (``stores/registry.py``)."""
    assert isinstance(store, SQLiteStore)
    return SQLiteSource(store.path, store)

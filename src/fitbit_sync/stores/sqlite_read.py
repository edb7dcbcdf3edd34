"""The SQLite store's read side: records over a time range, and per-bucket aggregates.

Every measurement table is keyed by ``time`` (or ``date``) first, so a time range is a range
scan of the primary key. Aggregates are one primary-key range query per bucket (about three
times faster than ``GROUP BY time / bucket``, which makes SQLite sort every row in a temporary
b-tree), from the first to the last row of the range. Columns a table lacks (an older file) read
as NULL; tables it lacks read as empty. The connection is shared between threads under ``lock``,
held only while SQLite works, never while the caller consumes rows.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from fitbit_sync.errors import StoreError
from fitbit_sync.records import Record
from fitbit_sync.schema import FORMER_NAMES, MEASUREMENTS
from fitbit_sync.stores.base import Agg, Series, pick
from fitbit_sync.stores.values import storable_text

FETCH_ROWS = 5_000
NO_START, NO_END = -(1 << 62), 1 << 62

Cell = tuple[int, float, Any, Any]  # count, sum, min, max


def quote(identifier: str) -> str:
    """A SQL identifier, quoted (measurement and field names contain spaces)."""
    return '"' + identifier.replace('"', '""') + '"'


def reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class SQLiteReads:
    """Reads of one SQLite connection; ``columns`` are the measurement tables present and their columns."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock | threading.RLock, path: Path,
                 columns: Mapping[str, set[str]]) -> None:
        self.conn = conn
        self.lock = lock
        self.path = path
        self.columns = columns

    def fail(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(f"cannot read SQLite database {self.path}: {reason(exc)}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self.lock:
                return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.fail(exc) from None

    def has(self, table: str, *columns: str) -> bool:
        present = self.columns.get(table)
        return present is not None and all(c in present for c in columns)

    def column(self, table: str, name: str) -> str:
        """The column of a field (or its former name, ``schema.FORMER_NAMES``), quoted; NULL when absent."""
        for candidate in (name, FORMER_NAMES.get(table, {}).get(name)):
            if candidate and self.has(table, candidate):
                return quote(candidate)
        return "NULL"

    # --- records ---------------------------------------------------------------------------------

    def read_records(self, measurement: str, start_ms: int | None = None, end_ms: int | None = None, *,
                     tags: Mapping[str, str] | None = None, first_date: str | None = None,
                     last_date: str | None = None, newest_first: bool = False,
                     limit: int | None = None) -> Iterator[Record]:
        m = MEASUREMENTS.get(measurement)
        if m is None or not self.has(m.name) or (limit is not None and limit <= 0):
            return
        by_date = m.key == "date"
        if (first_date or last_date) and not by_date:
            return  # only daily records have a date
        columns = ["time"] + (["date"] if by_date else []) + [self.column(m.name, t) for t in m.tags]
        columns += [self.column(m.name, f) for f in m.field_names]
        where = ["time >= ?", "time < ?"]
        params: list[Any] = [NO_START if start_ms is None else start_ms, NO_END if end_ms is None else end_ms]
        for op, day in ((">=", first_date), ("<=", last_date)):
            if day:
                where.append(f"date {op} ?")
                params.append(day)
        for tag, value in (tags or {}).items():
            if tag not in m.tags:
                return  # no row has a tag its measurement does not have
            where.append(f"{quote(tag)} = ?")
            params.append(storable_text(value)[0])  # as it was written
        order = "DESC" if newest_first else "ASC"
        sql = (f"SELECT {', '.join(columns)} FROM {quote(m.name)} WHERE {' AND '.join(where)} "
               f"ORDER BY {f'date {order}, ' if by_date else ''}time {order}")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        first_field = (2 if by_date else 1) + len(m.tags)
        first_tag = first_field - len(m.tags)
        name, tag_names, field_names = m.name, m.tags, m.field_names
        bools = [f.name for f in m.fields if f.type == "bool"]
        record, mapping = Record, dict

        def convert(row: tuple[Any, ...]) -> Record:  # the hot loop of every read: C-level dict(zip())
            tag_values = mapping(zip(tag_names, row[first_tag:first_field], strict=True))
            if "" in tag_values.values():  # a tag column is NOT NULL DEFAULT ''
                tag_values = {t: v for t, v in tag_values.items() if v}
            fields = mapping(zip(field_names, row[first_field:], strict=True))
            if None in fields.values():
                fields = {f: v for f, v in fields.items() if v is not None}
            for b in bools:
                if b in fields:
                    fields[b] = bool(fields[b])
            return record(name, row[0], fields, tag_values, row[1] if by_date else None)

        try:
            with self.lock:
                cursor = self.conn.execute(sql, params)
                rows = cursor.fetchmany(FETCH_ROWS)
            while rows:
                yield from map(convert, rows)
                with self.lock:
                    rows = cursor.fetchmany(FETCH_ROWS)
        except sqlite3.Error as exc:
            raise self.fail(exc) from None

    # --- aggregates ------------------------------------------------------------------------------

    def aggregate(self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg] = ("mean",)) -> Series:
        out = Series(bucket_ms, [], {a: [] for a in aggs})
        if not self.has(measurement, field_name) or bucket_ms <= 0 or end_ms <= start_ms:
            return out
        table, col, b = quote(measurement), quote(field_name), int(bucket_ms)
        plain = [a for a in aggs if a != "last"]
        cells = self.cells(table, col, start_ms, end_ms, b) if plain else {}
        if "last" not in aggs:
            for k in sorted(cells):
                out.times.append(k)
                for a in aggs:
                    out.values[a].append(pick(a, *cells[k]))
            return out
        lasts = self.lasts(table, col, start_ms, end_ms, b)
        for k in sorted(lasts):
            out.times.append(k)
            for a in aggs:
                out.values[a].append(lasts[k] if a == "last" else pick(a, *cells[k]) if k in cells else None)
        return out

    def cells(self, table: str, col: str, start_ms: int, end_ms: int, b: int) -> dict[int, Cell]:
        """count, sum, min and max per bucket holding a value, one range query each."""
        cells: dict[int, Cell] = {}
        sql = (f"SELECT count({col}), total({col}), min({col}), max({col}) FROM {table} "
               f"WHERE time >= ? AND time < ? AND {col} IS NOT NULL")
        for k, row in self._per_bucket(table, sql, start_ms, end_ms, b):
            if row is None:
                continue
            n, total, small, big = row
            if n:
                cells[k] = (int(n), float(total), small, big)
        return cells

    def lasts(self, table: str, col: str, start_ms: int, end_ms: int, b: int) -> dict[int, Any]:
        """The newest value per bucket holding one."""
        sql = f"SELECT {col} FROM {table} WHERE time >= ? AND time < ? AND {col} IS NOT NULL ORDER BY time DESC LIMIT 1"
        return {k: row[0] for k, row in self._per_bucket(table, sql, start_ms, end_ms, b) if row is not None}

    def _per_bucket(self, table: str, sql: str, start_ms: int, end_ms: int, b: int
                    ) -> list[tuple[int, tuple[Any, ...] | None]]:
        if end_ms <= start_ms:
            return []
        first = self.edge(table, "ASC", start_ms, end_ms)
        last = self.edge(table, "DESC", start_ms, end_ms)
        if first is None or last is None:
            return []
        out = []
        try:
            with self.lock:
                cursor = self.conn.cursor()
                for k in range(first // b * b, last + 1, b):
                    out.append((k, cursor.execute(sql, (max(k, start_ms), min(k + b, end_ms))).fetchone()))
        except sqlite3.Error as exc:
            raise self.fail(exc) from None
        return out

    def edge(self, table: str, order: str, start_ms: int, end_ms: int) -> int | None:
        """The first (``ASC``) or last (``DESC``) time in the range: one index seek."""
        rows = self.query(f"SELECT time FROM {table} WHERE time >= ? AND time < ? ORDER BY time {order} LIMIT 1",
                          (start_ms, end_ms))
        return int(rows[0][0]) if rows else None

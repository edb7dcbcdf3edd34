"""The default store: one SQLite file, a table per measurement, upserts, WAL.

Each measurement of ``fitbit_sync.schema`` is a ``WITHOUT ROWID`` table keyed by its time (or
local date, for daily measurements) and tags, so re-runs upsert instead of duplicating. A second
write of the same key merges: fields absent from the new record keep their stored value. Data
and coverage are committed in one transaction. Text (tags and string fields) is stored verbatim
except what ``stores.values`` changes for every store (NUL, lone surrogates, over-long values),
counted in ``text_values.changed``.

Opened with ``read_only=True`` (status, export, the dashboard) the file is opened ``mode=ro``:
nothing is created or changed, a missing file is an error, and missing tables read as empty.
Reads are in ``sqlite_read``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fitbit_sync.closing import Closing
from fitbit_sync.errors import StoreError, reason
from fitbit_sync.files import private_file
from fitbit_sync.records import Record, chunks_by_measurement
from fitbit_sync.schema import MEASUREMENTS, Measurement
from fitbit_sync.stores import state as state_tables
from fitbit_sync.stores.base import Agg, Coverage, MeasurementStats, Series
from fitbit_sync.stores.registry import SQLITE, StoreKind
from fitbit_sync.stores.sqlite_read import SQLiteReads, quote
from fitbit_sync.stores.values import TextValues

if TYPE_CHECKING:
    from fitbit_sync.config import Settings

__all__ = ["SQLiteStore", "open_sqlite_store", "quote", "table_ddl"]

_SQL_TYPES = {"int": "INTEGER", "float": "REAL", "str": "TEXT", "bool": "INTEGER"}
CHUNK_ROWS = 50_000


def table_ddl(m: Measurement) -> str:
    cols = ["time INTEGER NOT NULL"]
    key = ["time"]
    if m.key == "date":
        cols.append("date TEXT NOT NULL")
        key = ["date"]
    for tag in m.tags:
        cols.append(f"{quote(tag)} TEXT NOT NULL DEFAULT ''")
        key.append(quote(tag))
    for f in m.fields:
        cols.append(f"{quote(f.name)} {_SQL_TYPES[f.type]}")
    return (
        f"CREATE TABLE IF NOT EXISTS {quote(m.name)} (\n  " + ",\n  ".join(cols)
        + f",\n  PRIMARY KEY ({', '.join(key)})\n) WITHOUT ROWID"
    )


class _TableWriter:
    """Prepared upsert for one measurement and a row builder matching it."""

    def __init__(self, m: Measurement, text: TextValues) -> None:
        self.m = m
        self.text = text
        key_cols = (["date"] if m.key == "date" else ["time"]) + [quote(t) for t in m.tags]
        cols = ["time"] + (["date"] if m.key == "date" else []) + [quote(t) for t in m.tags]
        cols += [quote(f.name) for f in m.fields]
        updates = [f"{quote(f.name)} = coalesce(excluded.{quote(f.name)}, {quote(f.name)})" for f in m.fields]
        if m.key == "date":
            updates.append("time = excluded.time")
        self.sql = (
            f"INSERT INTO {quote(m.name)} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT ({', '.join(key_cols)}) DO UPDATE SET {', '.join(updates)}"
        )
        self.field_specs = [(f.name, f.type) for f in m.fields]
        self.tags = m.tags
        self.by_date = m.key == "date"
        self.known_fields = set(m.field_types)
        self.build = self._compile()

    def row(self, r: Record) -> tuple[object, ...]:
        extra = r.fields.keys() - self.known_fields
        if extra:
            raise StoreError(f"record for {self.m.name!r} has unknown fields: {', '.join(sorted(extra))}")
        values: list[object] = [r.time_ms]
        if self.by_date:
            if r.date is None:
                raise StoreError(f"daily record for {self.m.name!r} has no date")
            values.append(r.date)
        tags = r.tags
        fix_tag, name_of = self.text.tag, self.m.name
        values.extend(fix_tag(tags.get(t) or "", name_of, t) for t in self.tags)
        fields = r.fields
        for name, type_ in self.field_specs:
            v = fields.get(name)
            try:
                if v is None:
                    values.append(None)
                elif type_ == "int":
                    values.append(int(v))
                elif type_ == "float":
                    values.append(float(v))
                elif type_ == "bool":
                    values.append(1 if v else 0)
                else:
                    values.append(self.text.field(str(v), name_of, name))
            except (TypeError, ValueError, OverflowError):
                raise StoreError(f"record for {self.m.name!r}: field {name!r} is not a valid {type_}") from None
        return tuple(values)

    def _compile(self) -> Callable[[Record], tuple[object, ...]]:
        """The row builder: ``row``, or for the intraday shape (time, one tag, one numeric field
        whose value already has the field's Python type) one tuple built inline, which makes
        bulk writes about twice as fast with the same result."""
        m = self.m
        if self.by_date or len(m.tags) != 1 or len(m.fields) != 1 or m.fields[0].type not in ("int", "float"):
            return self.row
        general = self.row
        field_name, tag = m.fields[0].name, m.tags[0]
        fast_class = float if m.fields[0].type == "float" else int
        same, fix_tag = self.text.same_tag, self.text.tag

        def fast(r: Record) -> tuple[object, ...]:
            fields = r.fields
            if len(fields) == 1:
                value = fields.get(field_name)
                if value.__class__ is fast_class:
                    tag_value = r.tags.get(tag) or ""
                    stored = same.get(tag_value)
                    if stored is None:
                        stored = fix_tag(tag_value, m.name, tag)
                    return (r.time_ms, stored, value)
            return general(r)

        return fast


class SQLiteStore(Closing):
    """Records in one SQLite file (WAL); coverage and state in the same file."""

    name = SQLITE.name

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self.text_values = TextValues(label="SQLite")  # text values changed, counted
        if read_only:
            self._open_to_read()
            return
        try:
            _create_private(self.path)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=OFF")
            self._create_tables()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {_reason(exc)}") from None
        self._writers = {name: _TableWriter(m, self.text_values) for name, m in MEASUREMENTS.items()}
        self._state_tables = True
        self.reads = SQLiteReads(self._conn, self._lock, self.path, {
            m.name: {"time", "date", *m.tags, *m.field_names} for m in MEASUREMENTS.values()})

    def _open_to_read(self) -> None:
        """``mode=ro``: never creates the file, a table or the WAL; what is missing reads as empty."""
        if not self.path.is_file():
            raise StoreError(f"no SQLite database at {self.path}: run `fitbit-sync sync` or `fitbit-sync demo` first")
        try:
            self._conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                                         check_same_thread=False)
            tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            columns = {name: {row[1] for row in self._conn.execute(f"PRAGMA table_info({quote(name)})")}
                       for name in MEASUREMENTS if name in tables}
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read SQLite database {self.path}: {_reason(exc)}") from None
        self._writers = {}
        self._state_tables = "_coverage" in tables and "_state" in tables
        self.reads = SQLiteReads(self._conn, self._lock, self.path, columns)


    def _create_tables(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for m in MEASUREMENTS.values():
                self._conn.execute(table_ddl(m))
                self._add_missing_columns(m)
            state_tables.ensure_state_tables(self._conn)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _add_missing_columns(self, m: Measurement) -> None:
        """Schema growth: a field added in a later version becomes a new nullable column."""
        present = {row[1] for row in self._conn.execute(f"PRAGMA table_info({quote(m.name)})")}
        for f in m.fields:
            if f.name not in present:
                self._conn.execute(f"ALTER TABLE {quote(m.name)} ADD COLUMN {quote(f.name)} {_SQL_TYPES[f.type]}")

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (read-only use: dashboards, export, tests)."""
        return self._conn

    def write(self, records: Iterable[Record], coverage: Sequence[Coverage] = ()) -> int:
        if self.read_only:
            raise StoreError(f"the SQLite database {self.path} is open only to read")
        written = 0
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for measurement_name, chunk in chunks_by_measurement(records, CHUNK_ROWS):
                    writer = self._writers.get(measurement_name)
                    if writer is None:
                        raise StoreError(f"unknown measurement {measurement_name!r}")
                    self._conn.executemany(writer.sql, map(writer.build, chunk))
                    written += len(chunk)
                if coverage:
                    state_tables.insert_coverage(self._conn, coverage)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to SQLite database {self.path}: {_reason(exc)}") from None
        return written

    def coverage(self, source: str, stream: str | None = None) -> list[Coverage]:
        if not self._state_tables:
            return []
        with self._lock:
            return state_tables.read_coverage(self._conn, source, stream)

    def measurement_stats(self) -> list[MeasurementStats]:
        stats = []
        for m in MEASUREMENTS.values():
            if not self.reads.has(m.name):
                continue
            with self._lock:
                rows, first, last = self._conn.execute(
                    f"SELECT count(*), min(time), max(time) FROM {quote(m.name)}"
                ).fetchone()
            if rows:
                stats.append(MeasurementStats(m.name, rows, first, last))
        return stats

    def read_records(self, measurement: str, start_ms: int | None = None, end_ms: int | None = None, *,
                     tags: Mapping[str, str] | None = None, first_date: str | None = None,
                     last_date: str | None = None, newest_first: bool = False,
                     limit: int | None = None) -> Iterator[Record]:
        return self.reads.read_records(measurement, start_ms, end_ms, tags=tags, first_date=first_date,
                                       last_date=last_date, newest_first=newest_first, limit=limit)

    def aggregate(self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg] = ("mean",)) -> Series:
        return self.reads.aggregate(measurement, field_name, start_ms, end_ms, bucket_ms, aggs)

    def data_version(self) -> int:
        """A number that changes when another connection commits to the file."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def get_state(self, key: str) -> str | None:
        if not self._state_tables:
            return None
        with self._lock:
            return state_tables.read_state(self._conn, key)

    def set_state(self, key: str, value: str) -> None:
        if self.read_only:
            raise StoreError(f"the SQLite database {self.path} is open only to read")
        try:
            state_tables.write_state(self._conn, key, value)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to SQLite database {self.path}: {_reason(exc)}") from None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()


def open_sqlite_store(settings: Settings, kind: StoreKind = SQLITE, *, read_only: bool = False) -> SQLiteStore:
    """The settings' database file (``read_only``: it must exist, nothing is created)."""
    return SQLiteStore(settings.database_path, read_only=read_only)


def _reason(exc: BaseException) -> str:
    return reason(exc)


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only (health data, see ``files.py``);
    SQLite gives its -wal and -shm files the same mode. An existing file keeps the mode its owner
    chose."""
    if str(path) == ":memory:" or str(path).startswith("file:"):
        return  # not a file on disk
    private_file(path)

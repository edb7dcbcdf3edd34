"""The PostgreSQL store: a table per measurement with real keys, binary COPY, upserts.

Each measurement of ``fitbit_sync.schema`` is a table in the ``postgres_schema`` schema (default
``fitbit``) named like the measurement, with ``time timestamptz``, ``date date`` for daily
measurements, a ``text`` column per tag and a typed column per field (``bigint``, ``double
precision``, ``text``, ``boolean``); the primary key is (``time`` or ``date``) plus the tags.
When the TimescaleDB extension is installed in the database, time-keyed tables become
hypertables.

A write runs in one transaction with the coverage it covers. Per measurement chunk: when no row
exists yet in the chunk's key range (a backfill, the bulk of all data), the rows are COPYed
straight into the table; otherwise (or when that COPY meets a duplicate key) they are merged,
COPYed into a temporary table and upserted with ``INSERT ... ON CONFLICT DO UPDATE``, where a
field absent from the new row keeps its stored value. Messages never contain the DSN's password.
Text (tags and string fields) is stored verbatim except what ``stores.values`` changes for every
store (NUL, which ``text`` cannot hold, lone surrogates, over-long values, which would overflow a
key's index row), counted in ``text_values.changed``: no value can fail a page.

Opened only to read (``read_only``: status, export, the dashboard), nothing is created: tables
that do not exist read as empty. Aggregates are one ``GROUP BY`` per field in SQL.
"""

from __future__ import annotations

import contextlib
import logging
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from fitbit_sync.closing import Closing
from fitbit_sync.config import Settings
from fitbit_sync.errors import ConfigError, StoreError, reason
from fitbit_sync.records import Record, chunks_by_measurement
from fitbit_sync.redact import redact
from fitbit_sync.schema import MEASUREMENTS, Measurement
from fitbit_sync.stores.base import Agg, Coverage, MeasurementStats, Series
from fitbit_sync.stores.registry import POSTGRES, StoreKind
from fitbit_sync.stores.values import TextValues, storable_text

log = logging.getLogger(__name__)

PG_TYPES = {"int": "bigint", "float": "double precision", "str": "text", "bool": "boolean"}
CHUNK_ROWS = 50_000
_TIME_MS = attrgetter("time_ms")
PG_EPOCH_MS = 946_684_800_000  # 2000-01-01, the origin of PostgreSQL's binary timestamps
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, header extension length
COPY_TRAILER = b"\xff\xff"
COPY_BLOCK_ROWS = 2_000
MIN_MS, MAX_MS = -62_135_596_800_000, 253_402_300_800_000  # datetime's range (years 1 to 9999)

try:  # an optional dependency: pip install 'fitbit-sync[postgres]'
    import psycopg
    from psycopg import sql
    from psycopg.errors import UniqueViolation
except ImportError:  # pragma: no cover - exercised only without the extra
    psycopg = None  # type: ignore[assignment]


def ident(*names: str) -> Any:
    return sql.Identifier(*names)


def _datetime(time_ms: int) -> datetime:
    """The aware UTC datetime of epoch ms (exact: a float second count keeps 1 µs resolution)."""
    if MIN_MS < time_ms < MAX_MS:
        return datetime.fromtimestamp(time_ms / 1000, UTC)
    raise StoreError(f"time {time_ms} ms is out of range")


class _Table:
    """DDL, COPY column list and a row builder for one measurement."""

    def __init__(self, schema: str, m: Measurement, text: TextValues) -> None:
        self.m = m
        self.text = text
        self.name = ident(schema, m.name)
        self.by_date = m.key == "date"
        self.key_columns = (["date"] if self.by_date else ["time"]) + list(m.tags)
        self.columns = ["time"] + (["date"] if self.by_date else []) + list(m.tags) + list(m.field_names)
        self.types = (["timestamptz"] + (["date"] if self.by_date else []) + ["text"] * len(m.tags)
                      + [PG_TYPES[f.type] for f in m.fields])
        self.n_keys = 1 + (1 if self.by_date else 0) + len(m.tags)
        self.row = self._row_builder()
        self.binary_row = self._binary_builder()

    def ddl(self) -> Any:
        cols: list[Any] = [sql.SQL("time timestamptz NOT NULL")]
        if self.by_date:
            cols.append(sql.SQL("date date NOT NULL"))
        cols += [sql.SQL("{} text NOT NULL DEFAULT ''").format(ident(t)) for t in self.m.tags]
        cols += [sql.SQL("{} {}").format(ident(f.name), sql.SQL(PG_TYPES[f.type])) for f in self.m.fields]
        key = sql.SQL(", ").join(ident(c) for c in self.key_columns)
        return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))").format(
            self.name, sql.SQL(", ").join(cols), key)

    def column_list(self) -> Any:
        return sql.SQL(", ").join(ident(c) for c in self.columns)

    def _row_builder(self) -> Callable[[Record], tuple[Any, ...]]:
        m = self.m
        known = frozenset(m.field_types)
        tags = m.tags
        coercers = [(f.name, _coercer(f.type, m.name, f.name, self.text)) for f in m.fields]
        by_date = self.by_date
        same, fix_tag = self.text.same_tag, self.text.tag

        def general(r: Record) -> tuple[Any, ...]:
            fields = r.fields
            if not fields.keys() <= known:
                extra = ", ".join(sorted(fields.keys() - known))
                raise StoreError(f"record for {m.name!r} has unknown fields: {extra}")
            head: tuple[Any, ...]
            if by_date:
                if r.date is None:
                    raise StoreError(f"daily record for {m.name!r} has no date")
                try:
                    head = (_datetime(r.time_ms), date.fromisoformat(r.date))
                except ValueError:
                    raise StoreError(f"daily record for {m.name!r} has an invalid date {r.date!r}") from None
            else:
                head = (_datetime(r.time_ms),)
            tag_values = tuple(fix_tag(r.tags.get(t) or "", m.name, t) for t in tags)
            return (*head, *tag_values, *(conv(fields.get(name)) for name, conv in coercers))

        if by_date or len(tags) != 1 or len(m.fields) != 1 or m.fields[0].type not in ("int", "float"):
            return general
        # the intraday fast path: one tag, one numeric field already of its Python type
        field_name, tag = m.fields[0].name, tags[0]
        fast_class = float if m.fields[0].type == "float" else int
        fromtimestamp = datetime.fromtimestamp

        def fast(r: Record) -> tuple[Any, ...]:
            fields = r.fields
            if len(fields) == 1:
                value = fields.get(field_name)
                if value.__class__ is fast_class and value - value == 0 and MIN_MS < r.time_ms < MAX_MS:
                    tag_value = r.tags.get(tag) or ""
                    stored = same.get(tag_value)
                    if stored is None:
                        stored = fix_tag(tag_value, m.name, tag)
                    return (fromtimestamp(r.time_ms / 1000, UTC), stored, value)
            return general(r)

        return fast

    def _binary_builder(self) -> Callable[[Record], bytes] | None:
        """For the intraday shape (time, one tag, one numeric field): a record straight to a
        binary COPY tuple. Skips building Python datetimes and psycopg's per-row adaptation, the
        bulk of the client's time; same checks and coercions as ``row``."""
        m = self.m
        if self.by_date or len(m.tags) != 1 or len(m.fields) != 1 or m.fields[0].type not in ("int", "float"):
            return None
        field_name, tag = m.fields[0].name, m.tags[0]
        is_float = m.fields[0].type == "float"
        fast_class = float if is_float else int
        coerce = _coercer(m.fields[0].type, m.name, field_name, self.text)
        general = self.row
        fix_tag = self.text.tag
        # per tag value: (pack of a row with a value, pack of a row with NULL, len, UTF-8 bytes)
        packers: dict[Any, tuple[Callable[..., bytes], Callable[..., bytes], int, bytes]] = {}

        def packers_for(tag_value: Any) -> tuple[Callable[..., bytes], Callable[..., bytes], int, bytes]:
            found = packers.get(tag_value)
            if found is None:
                raw = str(tag_value or "")
                stored = fix_tag(raw, m.name, tag)
                data = stored.encode()
                head = f">hiqi{len(data)}s"
                found = (struct.Struct(head + ("id" if is_float else "iq")).pack, struct.Struct(head + "i").pack,
                         len(data), data)
                if stored == raw and len(packers) < 1000:  # a changed value is counted on every row
                    packers[tag_value] = found
            return found

        def encode(r: Record) -> bytes:
            fields = r.fields
            value = fields.get(field_name)
            if len(fields) != 1 or value is None or value.__class__ is not fast_class or value - value != 0:
                general(r)  # raises for unknown fields and bad values
                value = coerce(value)
            time_ms = r.time_ms
            if not MIN_MS < time_ms < MAX_MS:
                raise StoreError(f"time {time_ms} ms is out of range")
            with_value, null, size, data = packers_for(r.tags.get(tag))
            if value is None:
                return null(3, 8, (time_ms - PG_EPOCH_MS) * 1000, size, data, -1)
            return with_value(3, 8, (time_ms - PG_EPOCH_MS) * 1000, size, data, 8, value)

        return encode


def _coercer(type_: str, measurement: str, field: str, text: TextValues) -> Callable[[Any], Any]:
    def coerce(value: Any) -> Any:
        if value is None:
            return None
        try:
            if type_ == "int":
                return value if value.__class__ is int else int(value)
            if type_ == "float":
                number = float(value)
                return number if number == number and number not in (float("inf"), float("-inf")) else None
            if type_ == "bool":
                return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "t", "1", "yes")
            return text.field(str(value), measurement, field)
        except (TypeError, ValueError, OverflowError):
            raise StoreError(f"record for {measurement!r}: field {field!r} is not a valid {type_}") from None

    return coerce


class PostgresStore(Closing):
    """Records, coverage and state in one PostgreSQL schema."""

    name = POSTGRES.name

    def __init__(self, conn: Any, schema: str = "fitbit", *, where: str = "PostgreSQL",
                 read_only: bool = False) -> None:
        self._conn = conn
        self.schema = schema
        self.where = where
        self.text_values = TextValues(label="PostgreSQL")  # text values changed to be storable, counted
        self._tables = {name: _Table(schema, m, self.text_values) for name, m in MEASUREMENTS.items()}
        self._staged: set[str] = set()
        self.timescale = False
        # one connection: calls from several threads (the engine's workers, the daemon) must not
        # interleave inside each other's transactions
        self._lock = threading.RLock()
        self.read_only = read_only
        if read_only:
            self._present = self._guard("reading the tables", self._present_tables)
        else:
            self._guard("creating the tables", self._create_schema)
            self._present = {*self._tables, "_coverage", "_state"}

    def _present_tables(self) -> set[str]:
        rows = self._conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                                  (self.schema,)).fetchall()
        return {str(r[0]) for r in rows}

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.where} is open only to read")

    @property
    def connection(self) -> Any:
        """The open psycopg connection (autocommit; read-only use: export, tests)."""
        return self._conn

    # --- schema ---------------------------------------------------------------------------------

    def _create_schema(self) -> None:
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('fitbit-sync schema'))")
            self._conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident(self.schema)))
            self.timescale = self._conn.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone() is not None
            present: dict[str, set[str]] = {}
            for table_name, column in self._conn.execute(
                    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
                    (self.schema,)):
                present.setdefault(table_name, set()).add(column)
            for table in self._tables.values():
                columns = present.get(table.m.name)
                if columns is None:
                    self._conn.execute(table.ddl())
                    columns = set(table.columns)
                for f in table.m.fields:  # schema growth: a field added later becomes a column
                    if f.name not in columns:
                        self._conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                            table.name, ident(f.name), sql.SQL(PG_TYPES[f.type])))
                if self.timescale and not table.by_date:
                    self._conn.execute(
                        "SELECT create_hypertable(%s::regclass, 'time', if_not_exists => TRUE, migrate_data => TRUE)",
                        (sql.SQL("{}").format(table.name).as_string(self._conn),))
            self._conn.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (source text NOT NULL, stream text NOT NULL, start_ms bigint NOT NULL, "
                "end_ms bigint NOT NULL, fetched_at_ms bigint NOT NULL, PRIMARY KEY (source, stream, start_ms, end_ms))"
            ).format(ident(self.schema, "_coverage")))
            self._conn.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL)"
            ).format(ident(self.schema, "_state")))

    # --- writing --------------------------------------------------------------------------------

    def write(self, records: Iterable[Record], coverage: Sequence[Coverage] = ()) -> int:
        self._writable()

        def run() -> int:
            written = 0
            with self._conn.transaction():
                for name, chunk in chunks_by_measurement(records, CHUNK_ROWS):
                    table = self._tables.get(name)
                    if table is None:
                        raise StoreError(f"unknown measurement {name!r}")
                    self._write_chunk(table, chunk)
                    written += len(chunk)
                if coverage:
                    self._insert_coverage(coverage)
            return written

        return self._guard("writing", run)

    def _write_chunk(self, table: _Table, chunk: list[Record]) -> None:
        if not self._has_rows_in_range(table, chunk):
            counts = self.text_values.snapshot()
            try:
                with self._conn.transaction():  # a savepoint: a duplicate key rolls back only this
                    if not self._copy_binary(table, chunk):
                        self._copy(table.name, table, map(table.row, chunk))
                return
            except UniqueViolation:
                self.text_values.restore(counts)  # the rows are encoded (and counted) again below
        self._upsert(table, _merge_duplicates(table, [table.row(r) for r in chunk]))

    def _has_rows_in_range(self, table: _Table, chunk: list[Record]) -> bool:
        if table.by_date:
            days = [r.date or "" for r in chunk]
            try:
                low, high = date.fromisoformat(min(days)), date.fromisoformat(max(days))
            except ValueError:
                return True  # let the row builder name the bad date
        else:
            times = list(map(_TIME_MS, chunk))
            low, high = _datetime(max(min(times), MIN_MS + 1)), _datetime(min(max(times), MAX_MS - 1))
        return self._conn.execute(
            sql.SQL("SELECT 1 FROM {} WHERE {} BETWEEN %s AND %s LIMIT 1").format(
                table.name, ident(table.key_columns[0])),
            (low, high),
        ).fetchone() is not None

    def _copy_binary(self, table: _Table, chunk: list[Record]) -> bool:
        """COPY intraday records as hand-built binary tuples, streamed in blocks so the server
        works while we encode; False when the table does not have that shape."""
        encode = table.binary_row
        if encode is None:
            return False
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table.name, table.column_list())
        with self._conn.cursor() as cur, cur.copy(statement) as copy:
            copy.write(COPY_SIGNATURE)
            for start in range(0, len(chunk), COPY_BLOCK_ROWS):
                copy.write(b"".join(map(encode, chunk[start:start + COPY_BLOCK_ROWS])))
            copy.write(COPY_TRAILER)
        return True

    def _copy(self, target: Any, table: _Table, rows: Iterable[tuple[Any, ...]]) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(target, table.column_list())
        with self._conn.cursor() as cur, cur.copy(statement) as copy:
            copy.set_types(table.types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def _upsert(self, table: _Table, rows: list[tuple[Any, ...]]) -> None:
        stage = ident("_fitbit_sync_stage_" + str(list(self._tables).index(table.m.name)))
        if table.m.name not in self._staged:
            self._conn.execute(sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            ).format(stage, table.name))
            self._staged.add(table.m.name)
        self._conn.execute(sql.SQL("TRUNCATE {}").format(stage))
        self._copy(stage, table, rows)
        fields = table.m.field_names
        updates: list[Any] = [sql.SQL("{0} = coalesce(excluded.{0}, {1}.{0})").format(ident(f), table.name)
                              for f in fields]
        if table.by_date:
            updates.append(sql.SQL("time = excluded.time"))
        self._conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) DO UPDATE SET {}").format(
            table.name, table.column_list(), table.column_list(), stage,
            sql.SQL(", ").join(ident(c) for c in table.key_columns), sql.SQL(", ").join(updates)))

    def _insert_coverage(self, coverage: Sequence[Coverage]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(sql.SQL(
                "INSERT INTO {} (source, stream, start_ms, end_ms, fetched_at_ms) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (source, stream, start_ms, end_ms) DO UPDATE SET fetched_at_ms = excluded.fetched_at_ms"
            ).format(ident(self.schema, "_coverage")),
                [(c.source, c.stream, c.start_ms, c.end_ms, c.fetched_at_ms) for c in coverage])

    # --- reading --------------------------------------------------------------------------------

    def coverage(self, source: str, stream: str | None = None) -> list[Coverage]:
        if "_coverage" not in self._present:
            return []
        query = sql.SQL("SELECT source, stream, start_ms, end_ms, fetched_at_ms FROM {} WHERE source = %s").format(
            ident(self.schema, "_coverage"))
        params: tuple[str, ...] = (source,)
        if stream is not None:
            query += sql.SQL(" AND stream = %s")
            params += (stream,)
        query += sql.SQL(" ORDER BY stream, start_ms")
        rows = self._guard("reading coverage", lambda: self._conn.execute(query, params).fetchall())
        return [Coverage(*row) for row in rows]

    def measurement_stats(self) -> list[MeasurementStats]:
        parts = [sql.SQL("SELECT {}::text, count(*), (extract(epoch FROM min(time)) * 1000)::bigint, "
                         "(extract(epoch FROM max(time)) * 1000)::bigint FROM {}").format(
            sql.Literal(name), table.name) for name, table in self._tables.items() if name in self._present]
        if not parts:
            return []
        rows = self._guard("reading statistics",
                           lambda: self._conn.execute(sql.SQL(" UNION ALL ").join(parts)).fetchall())
        return [MeasurementStats(name, count, first, last) for name, count, first, last in rows if count]

    def read_records(self, measurement: str, start_ms: int | None = None, end_ms: int | None = None, *,
                     tags: Mapping[str, str] | None = None, first_date: str | None = None,
                     last_date: str | None = None, newest_first: bool = False,
                     limit: int | None = None) -> Iterator[Record]:
        """Stored records of one measurement in ``[start_ms, end_ms)``, oldest first (streamed)."""
        table = self._tables.get(measurement)
        if table is None or measurement not in self._present or (limit is not None and limit <= 0):
            return
        m = table.m
        if any(t not in m.tags for t in tags or {}) or ((first_date or last_date) and not table.by_date):
            return
        columns = [sql.SQL("(extract(epoch FROM time) * 1000)::bigint")]
        if table.by_date:
            columns.append(sql.SQL("date::text"))
        columns += [ident(c) for c in (*m.tags, *m.field_names)]
        where: list[Any] = [sql.SQL("time >= %s"), sql.SQL("time < %s")]
        start = _datetime(start_ms if start_ms is not None else MIN_MS + 86_400_000)
        end = _datetime(end_ms if end_ms is not None else MAX_MS - 86_400_000)
        params: list[Any] = [start, end]
        for op, day in ((">=", first_date), ("<=", last_date)):
            if day:
                where.append(sql.SQL("date " + op + " %s"))
                params.append(_day(day))
        for tag, value in (tags or {}).items():
            where.append(sql.SQL("{} = %s").format(ident(tag)))
            params.append(storable_text(value)[0])  # as it was written
        order = sql.SQL("DESC" if newest_first else "ASC")
        keys = [sql.SQL("date {}").format(order)] if table.by_date else []
        query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {}").format(
            sql.SQL(", ").join(columns), table.name, sql.SQL(" AND ").join(where),
            sql.SQL(", ").join([*keys, sql.SQL("time {}").format(order)]))
        if limit is not None:
            query += sql.SQL(" LIMIT {}").format(sql.Literal(int(limit)))
        n_tags = len(m.tags)
        offset = 2 if table.by_date else 1
        try:
            with self._lock, self._conn.transaction(), self._conn.cursor(name="fitbit_sync_read") as cur:
                cur.itersize = 10_000
                cur.execute(query, params)
                for row in cur:
                    tag_values = {t: v for t, v in zip(m.tags, row[offset:offset + n_tags], strict=True) if v}
                    values = row[offset + n_tags:]
                    fields = {f: v for f, v in zip(m.field_names, values, strict=True) if v is not None}
                    yield Record(m.name, int(row[0]), fields, tag_values, row[1] if table.by_date else None)
        except psycopg.Error as exc:
            raise StoreError(f"cannot read from {self.where}: {_reason(exc)}") from None

    def aggregate(self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg] = ("mean",)) -> Series:
        """One ``GROUP BY`` bucket of the epoch ms (``floor``: buckets before 1970 align too)."""
        out = Series(bucket_ms, [], {a: [] for a in aggs})
        table = self._tables.get(measurement)
        if (table is None or measurement not in self._present or field_name not in table.m.field_types
                or bucket_ms <= 0 or end_ms <= start_ms or not aggs):
            return out
        f = ident(field_name)
        fns = {"mean": sql.SQL("avg({})::double precision").format(f), "min": sql.SQL("min({})").format(f),
               "max": sql.SQL("max({})").format(f), "sum": sql.SQL("sum({})::double precision").format(f),
               "count": sql.SQL("count({})").format(f),
               "last": sql.SQL("(array_agg({} ORDER BY time DESC))[1]").format(f)}
        b = int(bucket_ms)
        query = sql.SQL(
            "SELECT (floor(extract(epoch FROM time) * 1000 / {b}) * {b})::bigint AS bucket, {aggs} FROM {table} "
            "WHERE time >= %s AND time < %s AND {f} IS NOT NULL GROUP BY 1 ORDER BY 1").format(
            b=sql.Literal(b), aggs=sql.SQL(", ").join(fns[a] for a in aggs), table=table.name, f=f)
        rows = self._guard("reading aggregates", lambda: self._conn.execute(
            query, (_datetime(max(start_ms, MIN_MS + 1)), _datetime(min(end_ms, MAX_MS - 1)))).fetchall())
        for row in rows:
            out.times.append(int(row[0]))
            for a, value in zip(aggs, row[1:], strict=True):
                out.values[a].append(value)
        return out

    def get_state(self, key: str) -> str | None:
        if "_state" not in self._present:
            return None
        query = sql.SQL("SELECT value FROM {} WHERE key = %s").format(ident(self.schema, "_state"))
        row = self._guard("reading state", lambda: self._conn.execute(query, (key,)).fetchone())
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self._writable()
        query = sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = "
                        "excluded.value").format(ident(self.schema, "_state"))
        self._guard("writing state", lambda: self._conn.execute(query, (key, value)))

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._conn.close()

    def _guard(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            with self._lock:
                return action()
        except psycopg.Error as exc:
            raise StoreError(f"{self.where}: failed while {what}: {_reason(exc)}") from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StoreError(f"not a date: {text!r}") from None


def _merge_duplicates(table: _Table, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One row per key; for a key seen twice, later non-null fields win (as the upsert merges)."""
    n = table.n_keys
    key_of: Callable[[tuple[Any, ...]], tuple[Any, ...]]
    if table.by_date:
        def key_of(r: tuple[Any, ...]) -> tuple[Any, ...]:
            return r[1:n]
    else:
        def key_of(r: tuple[Any, ...]) -> tuple[Any, ...]:
            return r[:n]
    merged: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        key = key_of(row)
        old = merged.get(key)
        if old is None:
            merged[key] = row
        else:
            head = row[:n]
            merged[key] = head + tuple(new if new is not None else prev for new, prev in zip(row[n:], old[n:],
                                                                                             strict=True))
    return list(merged.values())


def open_postgres_store(settings: Settings, kind: StoreKind = POSTGRES, *, read_only: bool = False) -> PostgresStore:
    """Connect to ``postgres_dsn`` and create the schema's tables if needed (``read_only``: never)."""
    if psycopg is None:
        raise ConfigError(f"store {kind.name} needs psycopg: pip install 'fitbit-sync[postgres]'")
    options = settings.postgres
    dsn = options.dsn.get_secret_value()
    if not dsn:
        raise ConfigError(f"store {kind.name} needs FITBIT_SYNC_POSTGRES_DSN (e.g. postgresql://user:pw@host/fitbit)")
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        raise ConfigError("invalid setting postgres_dsn (env FITBIT_SYNC_POSTGRES_DSN): not a PostgreSQL "
                          "connection string or URL") from None
    password = str(params.get("password") or "")
    where = f"PostgreSQL at {params.get('host') or 'localhost'}:{params.get('port') or 5432}/{params.get('dbname', '')}"
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=int(settings.request_timeout),
                               application_name="fitbit-sync")
    except psycopg.Error as exc:
        raise StoreError(redact(f"cannot connect to {where}: {_reason(exc)}", (password, dsn))) from None
    try:
        return PostgresStore(conn, options.schema_name, where=where, read_only=read_only)
    except StoreError as exc:
        conn.close()
        raise StoreError(redact(str(exc), (password, dsn))) from None


def _reason(exc: BaseException) -> str:
    return reason(exc).replace("connection failed: ", "")

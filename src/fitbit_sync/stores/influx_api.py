"""What differs between InfluxDB 1.x, 2.x and 3.x: endpoints, authentication, checks and queries.

Writes go through the shared line-protocol writer to the version's endpoint:

- 1.x: ``POST /write?db=<database>&precision=ms``, HTTP Basic auth when a user is set;
- 2.x: ``POST /api/v2/write?org=<org>&bucket=<bucket>&precision=ms``, ``Authorization: Token <token>``;
- 3.x: ``POST /api/v3/write_lp?db=<database>&precision=millisecond&accept_partial=false``,
  ``Authorization: Bearer <token>``.

Reads (statistics, records, bucketed aggregates: ``stores.base.Reader``) use each version's query
language: InfluxQL (``/query``, ``GROUP BY time()``), Flux (``/api/v2/query``, CSV,
``aggregateWindow``) and SQL (``/api/v3/query_sql``, JSON lines, ``date_bin``). A tag value to
match is first changed the way it was written (``stores.values``). Opened only to read, the 1.x
store creates no database: it checks that the database exists on its first read instead.
Messages never contain the password or token.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson

from fitbit_sync.errors import StoreError
from fitbit_sync.records import Record, rfc3339_from_ms
from fitbit_sync.redact import redact
from fitbit_sync.schema import FORMER_NAMES, MEASUREMENTS, Measurement
from fitbit_sync.stores.base import Agg, MeasurementStats, Series
from fitbit_sync.stores.influx_writer import WriteEndpoint
from fitbit_sync.stores.registry import INFLUXDB1, INFLUXDB2, INFLUXDB3, StoreKind
from fitbit_sync.stores.values import influx_tag_text

Tags = Mapping[str, str] | None


def influxql_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flux_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def influxql_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def stored_tags(m: Measurement, tags: Tags) -> dict[str, str] | None:
    """The tag values to match, as InfluxDB holds them; None when no row can match (a tag the
    measurement does not have)."""
    wanted = dict(tags or {})
    if any(t not in m.tags for t in wanted):
        return None
    return {t: influx_tag_text(v)[0] for t, v in wanted.items()}


def series_from_rows(bucket_ms: int, aggs: Sequence[Agg], rows: Mapping[int, Mapping[str, Any]]) -> Series:
    """A ``Series`` from aggregate values by bucket start (buckets without a value left out)."""
    out = Series(bucket_ms, [], {a: [] for a in aggs})
    for k in sorted(rows):
        row = rows[k]
        if all(row.get(a) is None for a in aggs):
            continue
        out.times.append(k)
        for a in aggs:
            value = row.get(a)
            out.values[a].append(int(value) if a == "count" and value is not None else value)
    return out


def ms_from_text(text: str) -> int:
    """Epoch ms of ``2026-01-02T03:04:05.123456789Z`` or a naive UTC ``2026-01-02T03:04:05.984098``."""
    text = text.strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1]
    offset = ""
    for sign in ("+", "-"):
        cut = text.rfind(sign)
        if cut > 10:  # a +hh:mm offset, not a date separator
            text, offset = text[:cut], text[cut:]
            break
    fraction = 0
    if "." in text:
        text, digits = text.split(".", 1)
        fraction = int((digits + "000")[:3])
    moment = datetime.fromisoformat(text + (offset or "+00:00"))
    return int(moment.timestamp()) * 1000 + fraction


def record_from_row(m: Measurement, row: dict[str, Any], time_ms: int, zone: ZoneInfo) -> Record | None:
    """A record from a row of tag and field columns (unknown columns ignored, types from the schema)."""
    fields: dict[str, Any] = {}
    former = FORMER_NAMES.get(m.name, {})
    for name, type_ in m.field_types.items():
        value = row.get(name)
        if value is None and name in former:
            value = row.get(former[name])
        if value is None or value == "":
            continue
        if type_ == "int":
            fields[name] = int(float(value)) if isinstance(value, str) else int(value)
        elif type_ == "float":
            fields[name] = float(value)
        elif type_ == "bool":
            fields[name] = value if isinstance(value, bool) else str(value).lower() == "true"
        else:
            fields[name] = str(value)
    if not fields:
        return None
    tags = {t: str(row[t]) for t in m.tags if row.get(t) not in (None, "")}
    date = datetime.fromtimestamp(time_ms / 1000, zone).date().isoformat() if m.key == "date" else None
    return Record(m.name, time_ms, fields, tags, date)


class InfluxApi:
    """The version-specific half of an InfluxDB store."""

    kind: StoreKind  # its store kind: the store's name, and the server's name in messages

    def __init__(self, client: httpx.Client, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}  # sent with every request (a token's Authorization)
        self.read_only = False  # opened to read: check() creates nothing
        self.base_url = base_url.rstrip("/")
        self.store_name = self.kind.name
        self.label = f"{self.kind.title} at {redact(self.base_url)}"

    def endpoint(self) -> WriteEndpoint:
        raise NotImplementedError

    def check(self) -> None:
        """Reach the server and verify the credentials; StoreError with one line otherwise."""
        raise NotImplementedError

    def measurement_stats(self) -> list[MeasurementStats]:
        raise NotImplementedError

    def read(self, m: Measurement, start_ms: int, end_ms: int, zone: ZoneInfo, *, tags: Tags = None,
             newest_first: bool = False, limit: int | None = None) -> Iterator[Record]:
        """Records of ``m`` in ``[start_ms, end_ms)`` with ``tags``, in time order (``limit`` rows at most)."""
        match = stored_tags(m, tags)
        if match is None:
            return
        for row, time_ms in self.select(m, start_ms, end_ms, match, newest_first, limit):
            record = record_from_row(m, row, time_ms, zone)
            if record is not None:
                yield record

    def select(self, m: Measurement, start_ms: int, end_ms: int, match: dict[str, str], newest_first: bool,
               limit: int | None) -> Iterator[tuple[dict[str, Any], int]]:
        """The rows ``read`` asks for in the version's query language, each with its epoch-ms time."""
        raise NotImplementedError

    def aggregate(self, m: Measurement, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg]) -> Series:
        raise NotImplementedError

    # --- shared helpers -------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return self.client.request(method, self.base_url + path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise StoreError(f"cannot reach {self.label}: {_reason(exc)}") from None

    def _fail(self, response: httpx.Response, what: str) -> StoreError:
        status = response.status_code
        if status in (401, 403):
            return StoreError(f"{self.label} refused the credentials (HTTP {status}) "
                              f"while {what}: {self.endpoint().credential_hint}")
        return StoreError(f"{self.label} failed while {what} (HTTP {status}): {_short(response.text)}")


class InfluxV1Api(InfluxApi):
    kind = INFLUXDB1

    def __init__(self, client: httpx.Client, base_url: str, database: str, username: str, password: str) -> None:
        super().__init__(client, base_url)
        self.database = database
        self._database_checked = False
        self.auth = httpx.BasicAuth(username, password) if username else None

    def endpoint(self) -> WriteEndpoint:
        return WriteEndpoint(
            self.base_url + "/write", {"db": self.database, "precision": "ms"}, auth=self.auth, label=self.label,
            credential_hint="check FITBIT_SYNC_INFLUXDB_USERNAME and FITBIT_SYNC_INFLUXDB_PASSWORD",
        )

    def check(self) -> None:
        ping = self._request("GET", "/ping")
        if ping.status_code not in (200, 204):
            raise self._fail(ping, "pinging")
        if self.read_only:
            return  # a reader creates nothing: the first read checks that the database exists
        # CREATE DATABASE is idempotent; a user without admin rights gets an error we can ignore
        # (then the database must exist, and a write into a missing one says so).
        created = self._request("POST", "/query", data={"q": f"CREATE DATABASE {influxql_ident(self.database)}"},
                                auth=self.auth or httpx.USE_CLIENT_DEFAULT)
        if created.status_code in (401, 403) and "admin" not in created.text:
            raise self._fail(created, "checking the database")

    def query(self, q: str, **params: str) -> list[dict[str, Any]]:
        """The ``results`` of an InfluxQL query (``epoch=ms``)."""
        response = self._request("POST", "/query", data={"q": q, "db": self.database, "epoch": "ms", **params},
                                 auth=self.auth or httpx.USE_CLIENT_DEFAULT)
        if response.status_code != 200:
            raise self._fail(response, "querying")
        try:
            results: list[dict[str, Any]] = orjson.loads(response.content).get("results", [])
        except orjson.JSONDecodeError:
            raise StoreError(f"{self.label} answered HTTP {response.status_code} without JSON") from None
        return results

    def check_database(self) -> None:
        """Once: InfluxDB 1.x answers a read of a missing database with just "not executed": say which."""
        if self._database_checked:
            return
        self._database_checked = True
        try:
            [result] = self.query("SHOW DATABASES")
        except StoreError as exc:
            if "refused the credentials" in str(exc):
                raise
            return  # a user that may not list databases: let the real queries tell
        names = {str(v[0]) for series in result.get("series", []) for v in series.get("values", [])}
        if "error" not in result and self.database not in names:
            raise StoreError(f"{self.label} has no database {self.database!r} "
                             "(FITBIT_SYNC_INFLUXDB_DATABASE): database not found")

    def rows(self, q: str) -> list[dict[str, Any]]:
        """Rows (dicts by column, with the series' tags) of every series a read statement returns."""
        self.check_database()
        rows: list[dict[str, Any]] = []
        for result in self.query(q):
            rows.extend(self.result_rows(result))
        return rows

    def result_rows(self, result: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Rows (dicts by column, with the series' tags) of one statement's result; its error as StoreError."""
        if "error" in result:
            raise StoreError(f"{self.label}: {_short(result['error'])}")
        for series in result.get("series", []):
            columns, tags = series["columns"], series.get("tags") or {}
            for values in series.get("values", []):
                row = dict(zip(columns, values, strict=True))
                row.update(tags)
                yield row

    def aggregate(self, m: Measurement, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg]) -> Series:
        f = influxql_ident(field_name)
        selects = ", ".join(f"{a}({f}) AS {influxql_ident(a)}" for a in aggs)
        rows = self.rows(f"SELECT {selects} FROM {influxql_ident(m.name)} WHERE time >= {int(start_ms)}ms AND "
                         f"time < {int(end_ms)}ms GROUP BY time({int(bucket_ms)}ms) fill(none)")
        return series_from_rows(bucket_ms, aggs, {int(r["time"]): r for r in rows})

    def measurement_stats(self) -> list[MeasurementStats]:
        names = list(MEASUREMENTS)
        statements = []
        for name in names:
            ident = influxql_ident(name)
            statements += [f"SELECT count(*) FROM {ident}", f"SELECT * FROM {ident} ORDER BY time ASC LIMIT 1",
                           f"SELECT * FROM {ident} ORDER BY time DESC LIMIT 1"]
        results = self.query("; ".join(statements))
        stats = []
        for i, name in enumerate(names):
            count_series = results[3 * i].get("series") if 3 * i < len(results) else None
            if not count_series:
                continue
            rows = max(v for v in count_series[0]["values"][0][1:] if isinstance(v, int))
            first = results[3 * i + 1]["series"][0]["values"][0][0]
            last = results[3 * i + 2]["series"][0]["values"][0][0]
            stats.append(MeasurementStats(name, rows, first, last))
        return stats

    def select(self, m: Measurement, start_ms: int, end_ms: int, match: dict[str, str], newest_first: bool,
               limit: int | None) -> Iterator[tuple[dict[str, Any], int]]:
        self.check_database()
        where = "".join(f" AND {influxql_ident(t)} = {influxql_literal(v)}" for t, v in match.items())
        q = (f"SELECT * FROM {influxql_ident(m.name)} WHERE time >= {start_ms}ms AND time < {end_ms}ms{where} "
             f"ORDER BY time {'DESC' if newest_first else 'ASC'}")
        if limit is not None:
            q += f" LIMIT {int(limit)}"
        data = {"q": q, "db": self.database, "epoch": "ms", "chunked": "true", "chunk_size": "10000"}
        try:
            with self.client.stream("POST", self.base_url + "/query", data=data,
                                    auth=self.auth or httpx.USE_CLIENT_DEFAULT) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._fail(response, "reading " + m.name)
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    for result in orjson.loads(line).get("results", []):
                        for row in self.result_rows(result):
                            yield row, int(row["time"])
        except httpx.TransportError as exc:
            raise StoreError(f"cannot reach {self.label}: {_reason(exc)}") from None


class InfluxV2Api(InfluxApi):
    kind = INFLUXDB2

    def __init__(self, client: httpx.Client, base_url: str, org: str, bucket: str, token: str) -> None:
        super().__init__(client, base_url, {"Authorization": f"Token {token}"})
        self.org = org
        self.bucket = bucket

    def endpoint(self) -> WriteEndpoint:
        return WriteEndpoint(
            self.base_url + "/api/v2/write", {"org": self.org, "bucket": self.bucket, "precision": "ms"},
            headers=self.headers, label=self.label,
            credential_hint="check FITBIT_SYNC_INFLUXDB_TOKEN (it needs write access to the bucket)",
        )

    def check(self) -> None:
        found = self._request("GET", "/api/v2/buckets", params={"org": self.org, "name": self.bucket})
        if found.status_code != 200:
            raise self._fail(found, "looking up the bucket")
        if not found.json().get("buckets"):
            raise StoreError(f"{self.label} has no bucket {self.bucket!r} in org {self.org!r}: create it first")

    def flux(self, query: str) -> Iterator[dict[str, str]]:
        """Rows of a Flux query's CSV answer, as dicts by column name."""
        body = {"query": query, "type": "flux",
                "dialect": {"header": True, "annotations": [], "delimiter": ",", "dateTimeFormat": "RFC3339"}}
        response = self._request("POST", "/api/v2/query", params={"org": self.org}, content=json.dumps(body),
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/csv"})
        if response.status_code != 200:
            raise self._fail(response, "querying")
        yield from parse_flux_csv(response.text)

    def _source(self, m: Measurement, start: str, stop: str) -> str:
        return (f"from(bucket: {flux_string(self.bucket)})\n"
                f"  |> range(start: {start}, stop: {stop})\n"
                f"  |> filter(fn: (r) => r._measurement == {flux_string(m.name)})\n")

    def measurement_stats(self) -> list[MeasurementStats]:
        stats = []
        for m in MEASUREMENTS.values():
            field = m.fields[0].name
            query = (self._source(m, "0", "now()") + f"  |> filter(fn: (r) => r._field == {flux_string(field)})\n")
            query = f"data = {query}\n" + "\n".join(
                f'data |> {fn}() |> yield(name: "{fn}")' for fn in ("count", "first", "last"))
            count, first, last = 0, None, None
            for row in self.flux(query):
                if row.get("result") == "count":
                    count += int(row["_value"])
                elif row.get("_time"):
                    moment = ms_from_text(row["_time"])
                    if row.get("result") == "first":
                        first = moment if first is None else min(first, moment)
                    else:
                        last = moment if last is None else max(last, moment)
            if count:
                stats.append(MeasurementStats(m.name, count, first, last))
        return stats

    def select(self, m: Measurement, start_ms: int, end_ms: int, match: dict[str, str], newest_first: bool,
               limit: int | None) -> Iterator[tuple[dict[str, Any], int]]:
        query = (self._source(m, rfc3339_from_ms(start_ms), rfc3339_from_ms(end_ms))
                 + "".join(f"  |> filter(fn: (r) => r[{flux_string(t)}] == {flux_string(v)})\n"
                           for t, v in match.items())
                 + '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
                 + '  |> group()\n'
                 + f'  |> sort(columns: ["_time"]{", desc: true" if newest_first else ""})\n'
                 + (f"  |> limit(n: {int(limit)})\n" if limit is not None else ""))
        for row in self.flux(query):
            yield row, ms_from_text(row["_time"])

    def aggregate(self, m: Measurement, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg]) -> Series:
        """One ``aggregateWindow`` per aggregate over all series of the field (devices together), each
        its own ``yield``; a window's ``_start`` (clipped to the range) gives its UTC-aligned bucket."""
        data = (self._source(m, rfc3339_from_ms(start_ms), rfc3339_from_ms(end_ms))
                + f"  |> filter(fn: (r) => r._field == {flux_string(field_name)})\n  |> group()\n")
        every = f"{int(bucket_ms)}ms"
        query = f"data = {data}\n" + "\n".join(
            f'data |> aggregateWindow(every: {every}, fn: {a}, createEmpty: false, timeSrc: "_start") '
            f'|> yield(name: "{a}")' for a in aggs)
        rows: dict[int, dict[str, Any]] = defaultdict(dict)
        for row in self.flux(query):
            if row.get("_time") and row.get("_value", "") != "":
                k = ms_from_text(row["_time"]) // bucket_ms * bucket_ms
                rows[k][row["result"]] = _number(row["_value"])
        return series_from_rows(bucket_ms, aggs, rows)


class InfluxV3Api(InfluxApi):
    kind = INFLUXDB3

    def __init__(self, client: httpx.Client, base_url: str, database: str, token: str) -> None:
        super().__init__(client, base_url, {"Authorization": f"Bearer {token}"} if token else None)
        self.database = database

    def endpoint(self) -> WriteEndpoint:
        return WriteEndpoint(
            self.base_url + "/api/v3/write_lp",
            {"db": self.database, "precision": "millisecond", "accept_partial": "false"},
            headers=self.headers, label=self.label,
            credential_hint="check FITBIT_SYNC_INFLUXDB_TOKEN (a token with write access to the database)",
        )

    def check(self) -> None:
        ping = self._request("GET", "/ping")
        if ping.status_code not in (200, 204):
            raise self._fail(ping, "pinging")

    def sql(self, query: str) -> Iterator[dict[str, Any]]:
        """Rows of a SQL query (JSON lines); a table that does not exist yet has no rows."""
        response = self._request("GET", "/api/v3/query_sql", params={"db": self.database, "q": query,
                                                                      "format": "jsonl"})
        if response.status_code == 404 or (response.status_code == 400 and "not found" in response.text):
            return
        if response.status_code != 200:
            raise self._fail(response, "querying")
        for line in response.text.splitlines():
            if line.strip():
                yield orjson.loads(line)

    def measurement_stats(self) -> list[MeasurementStats]:
        stats = []
        for m in MEASUREMENTS.values():
            for row in self.sql(f'SELECT count(*) AS "rows", min(time) AS "first", max(time) AS "last" '
                                f"FROM {sql_ident(m.name)}"):
                if row.get("rows"):
                    stats.append(MeasurementStats(m.name, int(row["rows"]), ms_from_text(row["first"]),
                                                  ms_from_text(row["last"])))
        return stats

    def select(self, m: Measurement, start_ms: int, end_ms: int, match: dict[str, str], newest_first: bool,
               limit: int | None) -> Iterator[tuple[dict[str, Any], int]]:
        where = "".join(f" AND {sql_ident(t)} = {sql_literal(v)}" for t, v in match.items())
        query = (f"SELECT * FROM {sql_ident(m.name)} WHERE time >= '{rfc3339_from_ms(start_ms)}' "
                 f"AND time < '{rfc3339_from_ms(end_ms)}'{where} ORDER BY time{' DESC' if newest_first else ''}")
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        for row in self.sql(query):
            yield row, ms_from_text(row["time"])

    def aggregate(self, m: Measurement, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg]) -> Series:
        f = sql_ident(field_name)
        fns = {"mean": f"avg({f})", "min": f"min({f})", "max": f"max({f})", "sum": f"sum({f})",
               "count": f"count({f})", "last": f"last_value({f} ORDER BY time)"}
        query = (f"SELECT date_bin(INTERVAL '{int(bucket_ms)} milliseconds', time, TIMESTAMP '1970-01-01T00:00:00Z') "
                 f'AS "bucket", {", ".join(f"{fns[a]} AS {sql_ident(a)}" for a in aggs)} FROM {sql_ident(m.name)} '
                 f"WHERE time >= '{rfc3339_from_ms(start_ms)}' AND time < '{rfc3339_from_ms(end_ms)}' "
                 f"AND {f} IS NOT NULL GROUP BY 1 ORDER BY 1")
        return series_from_rows(bucket_ms, aggs, {ms_from_text(r["bucket"]): r for r in self.sql(query)})


def _number(text: str) -> float | int:
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_flux_csv(text: str) -> Iterator[dict[str, str]]:
    """Rows of Flux's CSV answer: tables separated by blank lines, each with its header row. An
    error table (columns ``error`` and ``reference``) raises StoreError."""
    header: list[str] | None = None
    for row in csv.reader(io.StringIO(text)):
        if not row or all(cell == "" for cell in row):
            header = None
            continue
        if row[0].startswith("#"):
            continue
        if header is None:
            header = row
            continue
        values = dict(zip(header, row, strict=False))
        if header[1:3] == ["error", "reference"]:
            raise StoreError(f"InfluxDB 2.x query failed: {_short(values.get('error', ''))}")
        yield values


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text[:297] + "..." if len(text) > 300 else text


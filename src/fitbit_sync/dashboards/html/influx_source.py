"""``DashboardSource`` over InfluxDB 1.x: InfluxQL over HTTP, bucketed with ``GROUP BY time()``.

The server does the aggregation (``mean/min/max/sum/last ... GROUP BY time(<bucket>ms) fill(none)``,
always with both time bounds), so years of 5-second heart rate never leave it as raw points.
Daily measurements carry their local date only implicitly (the point's time), so a day is the
point's date in the store's time zone, as ``stores.influx`` reads them back.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from fitbit_sync.dashboards.html.source import (
    DAY,
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
from fitbit_sync.redact import redact
from fitbit_sync.schema import MEASUREMENTS, measurement
from fitbit_sync.stores.values import influx_tag_text

_AGG = {"mean": "mean", "min": "min", "max": "max", "sum": "sum", "last": "last"}


def ident(name: str) -> str:
    """An InfluxQL identifier, double-quoted."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(text: str) -> str:
    """An InfluxQL string literal, single-quoted."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _first(row: dict[str, Any], *names: str) -> Any:
    for name in names:
        if row.get(name) is not None:
            return row[name]
    return None


class InfluxSource:
    """Reads an InfluxDB 1.x database written by fitbit-sync (or by the peer ``Fitbit_Fetch.py``)."""

    name = "influxdb1"

    def __init__(self, url: str, database: str, *, username: str = "", password: str = "",
                 zone: ZoneInfo | None = None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.label = redact(self.url)  # what messages show: never credentials
        self.database = database
        self.zone = zone or ZoneInfo("UTC")
        auth = httpx.BasicAuth(username, password) if username else None
        self._client = httpx.Client(timeout=timeout, auth=auth, follow_redirects=False)
        self._lock = threading.Lock()
        self._checked = False

    # --- plumbing --------------------------------------------------------------------------------

    def query(self, q: str) -> list[dict[str, Any]]:
        """Rows (dicts by column) of every series the statement returns; StoreError on failure."""
        if not self._checked:
            self._checked = True
            self._check_database()
        return self._run(q, self.database)

    def _check_database(self) -> None:
        """InfluxDB 1.6 answers a query on a missing database with just "not executed": say which."""
        try:
            rows = self._run("SHOW DATABASES", None)
        except StoreError as exc:
            if "refused the credentials" in str(exc):
                raise
            return  # a user that may not list databases: let the real queries tell
        names = {str(r.get("name")) for r in rows}
        if self.database not in names:
            raise StoreError(f"InfluxDB at {self.label} has no database {self.database!r} "
                             "(FITBIT_SYNC_INFLUXDB_DATABASE): database not found")

    def _run(self, q: str, database: str | None) -> list[dict[str, Any]]:
        params = {"q": q, "epoch": "ms"}
        if database is not None:
            params["db"] = database
        try:
            with self._lock:
                response = self._client.get(self.url + "/query", params=params)
        except httpx.HTTPError as exc:
            raise StoreError(f"cannot reach InfluxDB at {self.label}: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise StoreError(f"InfluxDB at {self.label} refused the credentials (HTTP {response.status_code})")
        try:
            body = response.json()
        except ValueError:
            raise StoreError(f"InfluxDB at {self.label} answered HTTP {response.status_code} without JSON") from None
        if "error" in body:
            raise StoreError(f"InfluxDB at {self.label}: {str(body['error']).splitlines()[0]}")
        results = body.get("results", [])
        errors = [str(r["error"]) for r in results if "error" in r]
        if errors:  # the statement that failed, not the "not executed" ones after it
            error = next((e for e in errors if e != "not executed"), errors[0])
            raise StoreError(f"InfluxDB at {self.label}: {error.splitlines()[0]}")
        rows: list[dict[str, Any]] = []
        for result in results:
            for series in result.get("series", []):
                columns = series["columns"]
                tags = series.get("tags") or {}
                for values in series.get("values", []):
                    row = dict(zip(columns, values, strict=True))
                    row.update(tags)
                    rows.append(row)
        return rows

    @staticmethod
    def _range(start_ms: int, end_ms: int) -> str:
        return f"time >= {int(start_ms)}ms AND time < {int(end_ms)}ms"

    # --- DashboardSource -------------------------------------------------------------------------

    def bounds(self, measurements: Sequence[str]) -> tuple[int, int] | None:
        first: int | None = None
        last: int | None = None
        for name in measurements:
            m = MEASUREMENTS.get(name)
            if m is None:
                continue
            f = ident(m.fields[0].name)
            for row in self.query(f"SELECT first({f}) FROM {ident(name)}; SELECT last({f}) FROM {ident(name)}"):
                t = int(row["time"])
                first = t if first is None else min(first, t)
                last = t if last is None else max(last, t)
        return None if first is None or last is None else (first, last)

    def series(
        self, measurement_name: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
        aggs: Sequence[Agg] = ("mean",),
    ) -> Series:
        out = Series(bucket_ms, [], {a: [] for a in aggs})
        if bucket_ms <= 0 or not aggs:
            return out
        f = ident(field_name)
        selects = ", ".join(f"{_AGG[a]}({f}) AS {ident(a)}" for a in aggs)
        rows = self.query(
            f"SELECT {selects} FROM {ident(measurement_name)} WHERE {self._range(start_ms, end_ms)} "
            f"GROUP BY time({int(bucket_ms)}ms) fill(none)"
        )
        rows.sort(key=lambda r: r["time"])
        out.times = [int(r["time"]) for r in rows]
        for a in aggs:
            out.values[a] = [r.get(a) for r in rows]
        return out

    def daily(self, measurement_name: str, fields: Sequence[str], first_date: str, last_date: str) -> list[DailyRow]:
        d1, d2 = date.fromisoformat(first_date), date.fromisoformat(last_date)
        start = int(datetime.combine(d1, datetime.min.time(), self.zone).timestamp() * 1000) - DAY
        end = int(datetime.combine(d2 + timedelta(days=1), datetime.min.time(), self.zone).timestamp() * 1000) + DAY
        cols = ", ".join(ident(f) for f in fields)
        rows = self.query(f"SELECT {cols} FROM {ident(measurement_name)} WHERE {self._range(start, end)}")
        types = measurement(measurement_name).field_types
        by_date: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            day = datetime.fromtimestamp(int(row["time"]) / 1000, self.zone).date()
            if not d1 <= day <= d2:
                continue
            for f in fields:
                if row.get(f) is not None:
                    by_date[day.isoformat()][f].append(row[f])
        out = []
        for key in sorted(by_date):
            values: dict[str, float | str | None] = {}
            for f in fields:
                got = by_date[key].get(f) or []
                if not got:
                    values[f] = None
                elif types.get(f) == "str":
                    values[f] = max(str(v) for v in got)
                else:
                    values[f] = sum(float(v) for v in got) / len(got)
            out.append(DailyRow(key, values))
        return out

    def latest(
        self, measurement_name: str, fields: Sequence[str], before_ms: int
    ) -> tuple[int, dict[str, object]] | None:
        cols = ", ".join(ident(f) for f in fields)
        rows = self.query(
            f"SELECT {cols} FROM {ident(measurement_name)} WHERE time < {int(before_ms)}ms ORDER BY time DESC LIMIT 1"
        )
        if not rows:
            return None
        row = max(rows, key=lambda r: r["time"])  # one row per series (device): the newest
        return int(row["time"]), {f: row.get(f) for f in fields}

    def latest_day(self, measurement_name: str, fields: Sequence[str], last_date: str) -> DailyRow | None:
        """Daily points sit at local midnight in the store's zone: their date is that midnight's date."""
        after = datetime.combine(date.fromisoformat(last_date) + timedelta(days=1), datetime.min.time(), self.zone)
        found = self.latest(measurement_name, fields, int(after.timestamp() * 1000))
        if found is None or found[1].get(fields[0]) is None:
            return None
        day = datetime.fromtimestamp(found[0] / 1000, self.zone).date().isoformat()
        rows = self.daily(measurement_name, fields, day, day)
        return rows[-1] if rows else None

    def stored_zone(self) -> str | None:
        return None  # InfluxDB keeps no zone: its daily points are dated in the settings' zone

    def sleep_segments(self, start_ms: int, end_ms: int) -> list[SleepSegment]:
        rows = self.query(
            'SELECT "level", "stage", "duration_seconds", "duration", "isMainSleep" FROM "Sleep Levels" '
            f"WHERE {self._range(start_ms, end_ms)}"
        )
        rows.sort(key=lambda r: r["time"])
        return [
            SleepSegment(int(r["time"]), int(_first(r, "duration_seconds", "duration") or 0),
                         int(r["level"]) if r.get("level") is not None else 1, str(r.get("stage") or ""),
                         _truthy(r.get("isMainSleep")))
            for r in rows
        ]

    def sleep_nights(self, start_ms: int, end_ms: int) -> list[SleepNight]:
        cols = ", ".join(ident(c) for c in (*SLEEP_MINUTES.values(), "endTime", "efficiency", "sleepType",
                                              "isMainSleep"))
        rows = self.query(f'SELECT {cols} FROM "Sleep Summary" WHERE {self._range(start_ms, end_ms)}')
        rows.sort(key=lambda r: r["time"])
        nights = []
        for r in rows:
            minutes = {k: (int(r[v]) if r.get(v) is not None else None) for k, v in SLEEP_MINUTES.items()}
            start = int(r["time"])
            end = int(r["endTime"]) if r.get("endTime") is not None else start + int(minutes["inBed"] or 0) * 60_000
            nights.append(SleepNight(start, end, _truthy(r.get("isMainSleep")), minutes, r.get("efficiency"),
                                     str(r.get("sleepType") or "")))
        return nights

    def workouts(self, start_ms: int, end_ms: int, limit: int) -> list[Workout]:
        rows = self.query(
            f'SELECT * FROM "Activity Records" WHERE {self._range(start_ms, end_ms)} '
            f"ORDER BY time DESC LIMIT {int(limit)}"
        )
        rows.sort(key=lambda r: r["time"], reverse=True)
        return [
            Workout(int(r["time"]), str(r.get("ActivityName") or "Workout"), str(r.get("ActivityID") or ""),
                    r.get("duration"), r.get("calories"), r.get("distance"), r.get("steps"),
                    _first(r, "AverageHeartRate", "averageHeartRate"), r.get("elevationGain"),
                    _truthy(r.get("hasGps")))
            for r in rows[:limit]
        ]

    def gps_track(self, activity_id: str, start_ms: int, end_ms: int, max_points: int) -> GpsTrack:
        # the id is the workout's ActivityID field; GPS holds it as a tag, which InfluxDB may hold
        # changed (a backslash it cannot carry, see stores.values)
        tag = influx_tag_text(activity_id)[0]
        rows = self.query(
            'SELECT "lat", "lon", "altitude", "heart_rate", "speed_kph" FROM "GPS" '
            f'WHERE "ActivityID" = {literal(tag)} AND {self._range(start_ms, end_ms)}'
        )
        rows = sorted((r for r in rows if r.get("lat") is not None and r.get("lon") is not None),
                      key=lambda r: r["time"])
        track = GpsTrack(activity_id)
        picked = list(thin_indices(len(rows), max_points))
        if rows and picked[-1] != len(rows) - 1:
            picked[-1] = len(rows) - 1
        for i in picked:
            r = rows[i]
            track.times.append(int(r["time"]))
            track.lat.append(float(r["lat"]))
            track.lon.append(float(r["lon"]))
            track.altitude.append(r.get("altitude"))
            track.heart_rate.append(r.get("heart_rate"))
            track.speed_kph.append(r.get("speed_kph"))
        return track

    def close(self) -> None:
        self._client.close()

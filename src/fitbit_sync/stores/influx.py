"""The InfluxDB stores (1.x, 2.x, 3.x): one line-protocol writer, version-specific endpoints.

Data goes to the server; coverage and state live in a local ``StateFile``
(``<data_dir>/state-<store>.db``), recorded only once the write is *durable*: every batch
answered 2xx, or was fsynced into the spool (``<data_dir>/spool-<store>/``), which is replayed
in order before anything new is written. InfluxDB itself deduplicates: a point is keyed by
measurement, tags and time, so writing it again overwrites it (fields absent from the new point
keep their value), which makes every write an idempotent upsert.

Opened only to read (``read_only``), the store creates nothing: no database, no spool, and the
state file is read only when a writer made it. Reads go to ``influx_api`` (``stores.base.Reader``).
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from fitbit_sync.closing import Closing
from fitbit_sync.config import InfluxDBSettings, Settings
from fitbit_sync.days import local_midnight_ms
from fitbit_sync.errors import ConfigError, StoreError, reason
from fitbit_sync.files import private_dir
from fitbit_sync.records import Record
from fitbit_sync.redact import redact
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.schema import measurement as schema_measurement
from fitbit_sync.stores.base import Agg, Coverage, MeasurementStats, Series
from fitbit_sync.stores.influx_api import InfluxApi, InfluxV1Api, InfluxV2Api, InfluxV3Api
from fitbit_sync.stores.influx_writer import LineProtocolWriter, RetryPolicy
from fitbit_sync.stores.registry import INFLUXDB1, INFLUXDB2, INFLUXDB3, StoreKind, kind_of
from fitbit_sync.stores.spool import Spool
from fitbit_sync.stores.state import StateFile

log = logging.getLogger(__name__)

FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01
DAY_MS = 86_400_000


class InfluxStore(Closing):
    """Records in InfluxDB; coverage and state in a local state file."""

    def __init__(
        self,
        api: InfluxApi,
        data_dir: Path | None,
        *,
        use_gzip: bool = True,
        batch_points: int = 5_000,
        retry: RetryPolicy | None = None,
        secrets: Iterable[str] = (),
        zone: ZoneInfo | None = None,
        read_only: bool = False,
    ) -> None:
        self.api = api
        self.name = api.store_name
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self.zone = zone or ZoneInfo("UTC")
        self._state: StateFile | None = None
        if read_only:  # what a writer left, if anything; nothing is created
            state_path = None if data_dir is None else data_dir / f"state-{self.name}.db"
            try:
                if state_path is not None and state_path.is_file():
                    self._state = StateFile(str(state_path), read_only=True)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot read the state file {state_path}: {_reason(exc)}") from None
            return
        if data_dir is None:
            raise StoreError(f"the {self.name} store needs a data directory for its state file to write")
        try:
            private_dir(data_dir)
            self._state = StateFile(str(data_dir / f"state-{self.name}.db"))
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the state file in {data_dir}: {_reason(exc)}") from None
        self.spool = Spool(data_dir / f"spool-{self.name}")
        self.writer = LineProtocolWriter(
            api.client, api.endpoint(), self.spool, use_gzip=use_gzip, max_points=batch_points, retry=retry,
            secrets=secrets,
        )
        self.text_values = self.writer.text_values  # text values changed to be storable, counted

    def _writable_state(self) -> StateFile:
        if self.read_only or self._state is None:
            raise StoreError(f"the {self.name} store is open only to read")
        return self._state

    def write(self, records: Iterable[Record], coverage: Sequence[Coverage] = ()) -> int:
        state = self._writable_state()
        with self._write_lock:  # one write at a time: the spool's order is the write order
            written = self.writer.write(records)
            if coverage:
                try:
                    state.add_coverage(coverage)
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot record coverage in the state file: {_reason(exc)}") from None
        return written

    def flush(self) -> int:
        """Replay the spool now (it is also replayed before every write); batches sent."""
        self._writable_state()
        with self._write_lock:
            return self.writer.replay_spool()

    def coverage(self, source: str, stream: str | None = None) -> list[Coverage]:
        return [] if self._state is None else self._state.coverage(source, stream)

    def measurement_stats(self) -> list[MeasurementStats]:
        return self.api.measurement_stats()

    def read_records(self, measurement: str, start_ms: int | None = None, end_ms: int | None = None, *,
                     tags: Mapping[str, str] | None = None, first_date: str | None = None,
                     last_date: str | None = None, newest_first: bool = False,
                     limit: int | None = None) -> Iterator[Record]:
        """Stored records of one measurement in ``[start_ms, end_ms)``, oldest first (daily ones dated
        in the store's zone: InfluxDB keeps only their time)."""
        if measurement not in MEASUREMENTS or (limit is not None and limit <= 0):
            return
        m = schema_measurement(measurement)
        start, end = start_ms or 0, end_ms or FAR_FUTURE_MS
        if not (first_date or last_date):
            yield from self.api.read(m, start, end, self.zone, tags=tags, newest_first=newest_first, limit=limit)
            return
        if m.key != "date":
            return  # only daily records have a date
        # a date is the local date of the point's time in the store's zone: read the days around, keep the dates
        if first_date:
            start = max(start, self._midnight_ms(date.fromisoformat(first_date)) - DAY_MS)
        if last_date:
            end = min(end, self._midnight_ms(date.fromisoformat(last_date) + timedelta(days=1)) + DAY_MS)
        found = (r for r in self.api.read(m, start, end, self.zone, tags=tags, newest_first=newest_first)
                 if r.date is not None and (not first_date or r.date >= first_date)
                 and (not last_date or r.date <= last_date))
        yield from found if limit is None else itertools.islice(found, limit)

    def _midnight_ms(self, day: date) -> int:
        return local_midnight_ms(day, self.zone)

    def aggregate(self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg] = ("mean",)) -> Series:
        m = MEASUREMENTS.get(measurement)
        if m is None or field_name not in m.field_types or bucket_ms <= 0 or end_ms <= start_ms or not aggs:
            return Series(bucket_ms, [], {a: [] for a in aggs})
        return self.api.aggregate(m, field_name, start_ms, end_ms, bucket_ms, aggs)

    def get_state(self, key: str) -> str | None:
        return None if self._state is None else self._state.get_state(key)

    def set_state(self, key: str, value: str) -> None:
        state = self._writable_state()
        try:
            state.set_state(key, value)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the state file: {_reason(exc)}") from None

    def close(self) -> None:
        if not self.read_only:
            self.writer.close()
        self.api.client.close()
        if self._state is not None:
            self._state.close()


def check_url(url: str) -> str:
    """The InfluxDB URL without a trailing slash; ConfigError for one that is not http(s) or carries credentials."""
    url = url.rstrip("/")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError("invalid setting influxdb_url (env FITBIT_SYNC_INFLUXDB_URL): not an http(s) URL")
    if parsed.userinfo or parsed.query or parsed.fragment:
        # credentials in the URL (userinfo, or InfluxDB 1.x's ?u=..&p=..) would be sent nowhere useful
        # (paths are appended to it) and shown in messages: refuse, naming the URL without them
        raise ConfigError("invalid setting influxdb_url (env FITBIT_SYNC_INFLUXDB_URL): put credentials in "
                          f"FITBIT_SYNC_INFLUXDB_USERNAME/PASSWORD or _TOKEN, not in the URL {redact(url)}")
    return url


def _v1_api(client: httpx.Client, url: str, options: InfluxDBSettings) -> InfluxApi:
    return InfluxV1Api(client, url, options.database, options.username, options.password.get_secret_value())


def _v2_api(client: httpx.Client, url: str, options: InfluxDBSettings) -> InfluxApi:
    token = options.token.get_secret_value()
    missing = [name for name, value in (("INFLUXDB_ORG", options.org), ("INFLUXDB_BUCKET", options.bucket),
                                        ("INFLUXDB_TOKEN", token)) if not value]
    if missing:
        raise ConfigError(f"store {INFLUXDB2.name} needs " + ", ".join("FITBIT_SYNC_" + m for m in missing))
    return InfluxV2Api(client, url, options.org, options.bucket, token)


def _v3_api(client: httpx.Client, url: str, options: InfluxDBSettings) -> InfluxApi:
    if not options.database:
        raise ConfigError(f"store {INFLUXDB3.name} needs FITBIT_SYNC_INFLUXDB_DATABASE")
    return InfluxV3Api(client, url, options.database, options.token.get_secret_value())


#: How each InfluxDB kind of ``stores/registry.py`` talks to its server.
APIS = {INFLUXDB1: _v1_api, INFLUXDB2: _v2_api, INFLUXDB3: _v3_api}


def open_influx_store(settings: Settings, kind: StoreKind | None = None, *, read_only: bool = False,
                      retry: RetryPolicy | None = None) -> InfluxStore:
    """The InfluxDB store the settings describe, checked (reachable, credentials accepted);
    ``read_only``: nothing is created (no database, spool or state file)."""
    kind = kind or kind_of(settings)
    options = settings.influxdb
    url = check_url(options.url)
    password, token = options.password.get_secret_value(), options.token.get_secret_value()
    client = httpx.Client(timeout=settings.request_timeout, follow_redirects=False)
    try:
        api = APIS[kind](client, url, options)
        api.read_only = read_only
        api.check()
        return InfluxStore(
            api, settings.data_dir, use_gzip=options.gzip, batch_points=options.batch_points,
            retry=retry, secrets=(password, token), zone=ZoneInfo(settings.time_zone or "UTC"), read_only=read_only,
        )
    except StoreError as exc:
        client.close()
        raise StoreError(redact(str(exc), (password, token))) from None
    except BaseException:
        client.close()
        raise


def _reason(exc: BaseException) -> str:
    return reason(exc)

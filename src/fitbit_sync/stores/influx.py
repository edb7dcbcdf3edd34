"""The InfluxDB stores (1.x, 2.x, 3.x): one line-protocol writer, version-specific endpoints.

Data goes to the server; coverage and state live in a local ``StateFile``
(``<data_dir>/state-<store>.db``), recorded only once the write is *durable*: every batch
answered 2xx, or was fsynced into the spool (``<data_dir>/spool-<store>/``), which is replayed
in order before anything new is written. InfluxDB itself deduplicates: a point is keyed by
measurement, tags and time, so writing it again overwrites it (fields absent from the new point
keep their value), which makes every write an idempotent upsert.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from fitbit_sync.config import Settings
from fitbit_sync.errors import ConfigError, StoreError
from fitbit_sync.files import private_dir
from fitbit_sync.records import Record
from fitbit_sync.redact import redact
from fitbit_sync.schema import measurement as schema_measurement
from fitbit_sync.stores.base import Coverage, MeasurementStats
from fitbit_sync.stores.influx_api import InfluxApi, InfluxV1Api, InfluxV2Api, InfluxV3Api
from fitbit_sync.stores.influx_writer import LineProtocolWriter, RetryPolicy
from fitbit_sync.stores.spool import Spool
from fitbit_sync.stores.state import StateFile

log = logging.getLogger(__name__)

FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01


class InfluxStore:
    """Records in InfluxDB; coverage and state in a local state file."""

    def __init__(
        self,
        api: InfluxApi,
        data_dir: Path,
        *,
        use_gzip: bool = True,
        batch_points: int = 5_000,
        retry: RetryPolicy | None = None,
        secrets: Iterable[str] = (),
        zone: ZoneInfo | None = None,
    ) -> None:
        self.api = api
        self.name = api.store_name
        self._write_lock = threading.Lock()
        self.zone = zone or ZoneInfo("UTC")
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

    def write(self, records: Iterable[Record], coverage: Sequence[Coverage] = ()) -> int:
        with self._write_lock:  # one write at a time: the spool's order is the write order
            written = self.writer.write(records)
            if coverage:
                try:
                    self._state.add_coverage(coverage)
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot record coverage in the state file: {_reason(exc)}") from None
        return written

    def flush(self) -> int:
        """Replay the spool now (it is also replayed before every write); batches sent."""
        with self._write_lock:
            return self.writer.replay_spool()

    def coverage(self, source: str, stream: str | None = None) -> list[Coverage]:
        return self._state.coverage(source, stream)

    def measurement_stats(self) -> list[MeasurementStats]:
        return self.api.measurement_stats()

    def read_records(self, measurement: str, start_ms: int | None = None, end_ms: int | None = None
                     ) -> Iterator[Record]:
        """Stored records of one measurement in ``[start_ms, end_ms)``, oldest first."""
        m = schema_measurement(measurement)
        yield from self.api.read(m, start_ms or 0, end_ms or FAR_FUTURE_MS, self.zone)

    def get_state(self, key: str) -> str | None:
        return self._state.get_state(key)

    def set_state(self, key: str, value: str) -> None:
        try:
            self._state.set_state(key, value)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the state file: {_reason(exc)}") from None

    def close(self) -> None:
        self.writer.close()
        self.api.client.close()
        self._state.close()

    def __enter__(self) -> InfluxStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_influx_store(settings: Settings, *, retry: RetryPolicy | None = None) -> InfluxStore:
    """The InfluxDB store the settings describe, checked (reachable, credentials accepted)."""
    url = settings.influxdb_url.rstrip("/")
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
    password = settings.influxdb_password.get_secret_value()
    token = settings.influxdb_token.get_secret_value()
    client = httpx.Client(timeout=settings.request_timeout, follow_redirects=False)
    api: InfluxApi
    if settings.store == "influxdb1":
        api = InfluxV1Api(client, url, settings.influxdb_database, settings.influxdb_username, password)
    elif settings.store == "influxdb2":
        missing = [name for name, value in (("INFLUXDB_ORG", settings.influxdb_org),
                                            ("INFLUXDB_BUCKET", settings.influxdb_bucket),
                                            ("INFLUXDB_TOKEN", token)) if not value]
        if missing:
            client.close()
            raise ConfigError("store influxdb2 needs " + ", ".join("FITBIT_SYNC_" + m for m in missing))
        api = InfluxV2Api(client, url, settings.influxdb_org, settings.influxdb_bucket, token)
    elif settings.store == "influxdb3":
        if not settings.influxdb_database:
            client.close()
            raise ConfigError("store influxdb3 needs FITBIT_SYNC_INFLUXDB_DATABASE")
        api = InfluxV3Api(client, url, settings.influxdb_database, token)
    else:  # pragma: no cover - the factory only calls us for influxdb*
        client.close()
        raise ConfigError(f"not an InfluxDB store: {settings.store}")
    try:
        api.check()
        return InfluxStore(
            api, settings.data_dir, use_gzip=settings.influxdb_gzip, batch_points=settings.influxdb_batch_points,
            retry=retry, secrets=(password, token), zone=ZoneInfo(settings.time_zone or "UTC"),
        )
    except StoreError as exc:
        client.close()
        raise StoreError(redact(str(exc), (password, token))) from None
    except BaseException:
        client.close()
        raise


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]

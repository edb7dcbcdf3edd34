"""The import into the real server stores (InfluxDB 1.x, PostgreSQL): the same rows and coverage
as SQLite, and a second import adds nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.sources.takeout import ImportOptions, import_archives
from fitbit_sync.sources.takeout.synthetic import Spec, write_export
from fitbit_sync.stores.base import Store
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.sqlite import SQLiteStore
from support.servers import InfluxServer, PostgresServer

SPEC = Spec(start=date(2024, 5, 6), days=3, json_days=2, csv_from=1, hr_interval_s=300)


def _rows(store: Store) -> dict[str, int]:
    return {s.name: s.rows for s in store.measurement_stats()}


def _coverage(store: Store) -> list[tuple[str, int, int]]:
    return sorted((c.stream, c.start_ms, c.end_ms) for c in store.coverage("google-health"))


def _same_as_sqlite(tmp_path: Path, store: Store) -> None:
    archive = write_export(tmp_path / "t.zip", SPEC)[0]
    reference = SQLiteStore(tmp_path / "ref.db")
    import_archives([archive], reference, ImportOptions(now_ms=1_800_000_000_000))
    import_archives([archive], store, ImportOptions(now_ms=1_800_000_000_000))
    assert _rows(store) == _rows(reference)
    assert _coverage(store) == _coverage(reference) != []
    import_archives([archive], store, ImportOptions(now_ms=1_800_000_000_000))
    assert _rows(store) == _rows(reference)
    reference.close()


@pytest.mark.influx
def test_influxdb1(influx_server: InfluxServer, tmp_path: Path) -> None:
    settings = load_settings(store="influxdb1", influxdb_url=influx_server.url,
                             influxdb_database=influx_server.new_database(), data_dir=tmp_path)
    store = open_store(settings)
    try:
        _same_as_sqlite(tmp_path, store)
    finally:
        store.close()


@pytest.mark.postgres
def test_postgres(postgres_server: PostgresServer, tmp_path: Path) -> None:
    dsn = postgres_server.dsn(postgres_server.new_database())
    store = open_store(load_settings(store="postgres", postgres_dsn=dsn))
    try:
        _same_as_sqlite(tmp_path, store)
    finally:
        store.close()

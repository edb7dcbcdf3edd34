"""The InfluxDB 1.x source against a real ``influxd``: the same demo data through InfluxStore and
SQLiteStore must draw the same dashboard (InfluxQL ``GROUP BY time()`` against SQL buckets)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.dashboards.html import open_source, payload, ranges
from fitbit_sync.dashboards.html.influx_source import InfluxSource, ident, literal
from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource
from fitbit_sync.errors import StoreError
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.sqlite import SQLiteStore
from support.dash_demo import TZ, DemoSummary, fill_demo
from support.servers import InfluxServer, influx_server  # noqa: F401  (the session fixture)

pytestmark = pytest.mark.influx
DAYS = 9
END = date(2026, 10, 20)


@pytest.fixture(scope="module")
def twin_sources(influx_server: InfluxServer, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
                 ) -> Iterator[tuple[InfluxSource, SQLiteSource, DemoSummary]]:
    base = tmp_path_factory.mktemp("influx-dash")
    database = influx_server.new_database()
    settings = load_settings(store="influxdb1", influxdb_url=influx_server.url, influxdb_database=database,
                             data_dir=base / "data", time_zone=TZ)
    store = open_store(settings)
    try:
        summary = fill_demo(store, DAYS, end=END, tz=TZ)
    finally:
        store.close()
    with SQLiteStore(base / "twin.db") as sqlite_store:
        fill_demo(sqlite_store, DAYS, end=END, tz=TZ)
    influx = open_source(settings)
    assert isinstance(influx, InfluxSource)
    sqlite = SQLiteSource(base / "twin.db")
    yield influx, sqlite, summary
    influx.close()
    sqlite.close()


def same(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON values; floats to 1e-6 relative (InfluxDB sums in another order)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys {set(a) ^ set(b)}"
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {len(a)} != {len(b) if isinstance(b, list) else b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, f"{path}: {a} != {b}"
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=0.051), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.mark.parametrize("preset", ["24h", "7d", "all"])
def test_influx_and_sqlite_draw_the_same_dashboard(twin_sources: tuple[InfluxSource, SQLiteSource, DemoSummary],
                                                   preset: str) -> None:
    influx, sqlite, _ = twin_sources
    zone = ranges.zone(TZ)
    bounds = sqlite.bounds(payload.ACTIVITY_MEASUREMENTS)
    assert influx.bounds(payload.ACTIVITY_MEASUREMENTS) == bounds
    window = ranges.resolve(preset, bounds, zone)
    a = payload.build(influx, window, tracks="all", bounds=bounds)
    b = payload.build(sqlite, window, tracks="all", bounds=bounds)
    assert len(b["panels"]["heart_rate"]["t"]) > 100
    assert preset == "24h" or len(b["panels"]["workouts"]["tracks"]) >= 1
    same(a["panels"], b["panels"], "panels")
    same(a["stats"], b["stats"], "stats")


def test_influxql_quoting_survives_hostile_names(twin_sources: tuple[InfluxSource, SQLiteSource, DemoSummary]
                                                 ) -> None:
    influx, _, summary = twin_sources
    assert ident('we"ird\\name') == '"we\\"ird\\\\name"'
    assert literal("it's") == "'it\\'s'"
    evil = "x' OR '1'='1"
    assert len(influx.gps_track(evil, summary.first_ms, summary.last_ms, 100)) == 0
    assert len(influx.series("No Such Measurement", "value", summary.first_ms, summary.last_ms, 3_600_000)) == 0


def test_an_unknown_database_or_unreachable_server_is_a_store_error(influx_server: InfluxServer  # noqa: F811
                                                                    ) -> None:
    missing = InfluxSource(influx_server.url, "no_such_db_here")
    with pytest.raises(StoreError, match="database not found") as err:
        missing.bounds(["HeartRate_Intraday"])
    assert "\n" not in str(err.value)
    missing.close()
    down = InfluxSource("http://admin:hunter2@127.0.0.1:9", "fitbit")
    with pytest.raises(StoreError, match="cannot reach InfluxDB") as err:
        down.latest("RestingHR", ("value",), 1)
    assert "hunter2" not in str(err.value) and "admin" not in str(err.value)
    down.close()


def test_the_cli_report_reads_influxdb(twin_sources: tuple[InfluxSource, SQLiteSource, DemoSummary],
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fitbit_sync.cli import main

    influx, _, _ = twin_sources
    monkeypatch.setenv("FITBIT_SYNC_STORE", "influxdb1")
    monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_URL", influx.url)
    monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_DATABASE", influx.database)
    monkeypatch.setenv("FITBIT_SYNC_TIME_ZONE", TZ)
    out = tmp_path / "influx-report.html"
    assert main(["dashboard", "--out", str(out), "--range", "7d"]) == 0
    html = out.read_text(encoding="utf-8")
    assert '"source":"influxdb1"' in html and '"label":"7d"' in html


def test_tracks_of_workouts_whose_names_influxdb_changes_are_found(influx_server: InfluxServer,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    """The page asks for a track by the workout's ActivityID field; GPS holds it as a tag, which
    InfluxDB holds changed when it ends in a backslash (``stores.values``): still found."""
    from fitbit_sync.records import Record, rfc3339_from_ms

    settings = load_settings(store="influxdb1", influxdb_url=influx_server.url,
                             influxdb_database=influx_server.new_database(), data_dir=tmp_path, time_zone="UTC")
    start = 1_767_430_800_000
    names = ['Hill "repeats", k=v \\', "Line1\nLine2\\", "Long " + "y" * 5000]
    with open_store(settings) as store:
        for n, name in enumerate(names):
            at = start + n * 86_400_000
            activity_id = f"{rfc3339_from_ms(at)}-{name}"
            fields = {"duration": 600_000, "hasGps": True, "ActivityID": activity_id}
            store.write([Record("Activity Records", at, fields, {"Device": "Charge 6", "ActivityName": name}),
                         *(Record("GPS", at + i * 5000, {"lat": 52.5 + i / 10_000, "lon": 13.4},
                                  {"Device": "Charge 6", "ActivityID": activity_id}) for i in range(50))])
    source = open_source(settings)
    try:
        workouts = source.workouts(start - 1, start + 4 * 86_400_000, 10)
        assert len(workouts) == 3
        for workout in workouts:
            track = source.gps_track(workout.activity_id, workout.start_ms, workout.start_ms + 3_600_000, 1000)
            assert len(track.lat) == 50, workout.name
    finally:
        source.close()

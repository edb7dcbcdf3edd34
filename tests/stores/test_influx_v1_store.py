"""The InfluxDB 1.x store against a real ``influxd``: round trip of every measurement, upserts,
coverage in the local state file, statistics, authentication and one-line errors."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.errors import StoreError
from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.stores.base import Coverage
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.influx import InfluxStore
from support.demo_records import ZONE, demo_records, demo_window
from support.servers import InfluxServer, free_port, running_influx

pytestmark = pytest.mark.influx


def open_v1(server: InfluxServer, db: str, tmp_path: Path, **kw: object) -> InfluxStore:
    settings = load_settings(store="influxdb1", influxdb_url=server.url, influxdb_database=db, data_dir=tmp_path,
                             time_zone=ZONE, **kw)
    store = open_store(settings)
    assert isinstance(store, InfluxStore)
    return store


def by_measurement(records: list[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        grouped[r.measurement].append(r)
    return grouped


def test_every_measurement_and_field_round_trips_with_its_type(influx_server: InfluxServer, tmp_path: Path) -> None:
    records = demo_records(days=2)
    with open_v1(influx_server, influx_server.new_database(), tmp_path) as store:
        assert store.write(records) == len(records)
        start, end = demo_window(days=2)
        expected = by_measurement(records)
        for name in MEASUREMENTS:
            got = list(store.read_records(name, start, end))
            want = sorted(expected[name], key=lambda r: (r.time_ms, sorted(r.tags.items())))
            got.sort(key=lambda r: (r.time_ms, sorted(r.tags.items())))
            assert got == want, name
            for g in got:  # ints stay ints, floats floats, bools bools
                for field_name, value in g.fields.items():
                    kind = MEASUREMENTS[name].field_types[field_name]
                    assert type(value) is {"int": int, "float": float, "str": str, "bool": bool}[kind]


def test_rewrites_upsert_and_merge_fields(influx_server: InfluxServer, tmp_path: Path) -> None:
    db = influx_server.new_database()
    hr = [Record("HeartRate_Intraday", 1_700_000_000_000 + i * 5000, {"value": 60 + i % 20}, {"Device": "X"})
          for i in range(3000)]
    with open_v1(influx_server, db, tmp_path) as store:
        store.write(hr)
        store.write([*hr[:1000], Record("HeartRate_Intraday", 1700000000000, {"value": 99}, {"Device": "X"})])
        store.write([Record("Activity Minutes", 1, {"minutesLightlyActive": 5}, {"Device": "X"}, "1970-01-01")])
        store.write([Record("Activity Minutes", 1, {"minutesSedentary": 700}, {"Device": "X"}, "1970-01-01")])
    points = influx_server.points(db, "HeartRate_Intraday")
    assert len(points) == 3000 and points[0]["value"] == 99
    [minutes] = influx_server.points(db, "Activity Minutes")
    assert (minutes["minutesLightlyActive"], minutes["minutesSedentary"]) == (5, 700)


def test_coverage_and_state_live_in_the_local_state_file(influx_server: InfluxServer, tmp_path: Path) -> None:
    db = influx_server.new_database()
    cov = Coverage("google-health", "steps", 0, 60_000, 5)
    with open_v1(influx_server, db, tmp_path) as store:
        store.write([Record("Steps_Intraday", 0, {"value": 3}, {"Device": "X"})], [cov])
        store.set_state("last_sync", "2026-11-21T00:00:00Z")
    with open_v1(influx_server, db, tmp_path) as store:
        assert store.coverage("google-health", "steps") == [cov]
        assert store.get_state("last_sync") == "2026-11-21T00:00:00Z"
        [stats] = store.measurement_stats()
    assert (stats.name, stats.rows, stats.first_ms, stats.last_ms) == ("Steps_Intraday", 1, 0, 0)
    assert (tmp_path / "state-influxdb1.db").is_file()


def test_a_failed_write_records_no_coverage(influx_server: InfluxServer, tmp_path: Path) -> None:
    with open_v1(influx_server, influx_server.new_database(), tmp_path) as store:
        with pytest.raises(StoreError, match="unknown fields"):
            store.write([Record("Steps_Intraday", 0, {"bogus": 3})], [Coverage("google-health", "steps", 0, 1, 1)])
        assert store.coverage("google-health") == []


def test_measurement_stats(influx_server: InfluxServer, tmp_path: Path) -> None:
    records = demo_records(days=1)
    with open_v1(influx_server, influx_server.new_database(), tmp_path) as store:
        store.write(records)
        stats = {s.name: s for s in store.measurement_stats()}
    grouped = by_measurement(records)
    assert set(stats) == set(grouped)
    for name, recs in grouped.items():
        assert stats[name].rows == len({(r.time_ms, tuple(sorted(r.tags.items()))) for r in recs}), name
        assert (stats[name].first_ms, stats[name].last_ms) == (min(r.time_ms for r in recs),
                                                               max(r.time_ms for r in recs))


def test_a_server_that_is_down_or_wrong_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=rf"^cannot reach InfluxDB 1.x at {url}: ConnectError"):
        open_store(load_settings(store="influxdb1", influxdb_url=url, data_dir=tmp_path))


def test_authentication(tmp_path: Path) -> None:
    with running_influx(auth=True) as server:
        admin = ("admin", "adm-Pw-91")
        server.query("CREATE USER admin WITH PASSWORD 'adm-Pw-91' WITH ALL PRIVILEGES")
        server.query("CREATE USER writer WITH PASSWORD 'wr-Pw-55'", auth=admin)
        db = server.new_database(auth=admin)
        server.query(f'GRANT WRITE ON "{db}" TO writer', auth=admin)

        with pytest.raises(StoreError) as info:
            open_v1(server, db, tmp_path, influxdb_username="admin", influxdb_password="wrong-Pw-123")
        message = str(info.value)
        assert "refused the credentials (HTTP 401)" in message and "FITBIT_SYNC_INFLUXDB_PASSWORD" in message
        assert "wrong-Pw-123" not in message and "\n" not in message

        with open_v1(server, db, tmp_path, influxdb_username="writer", influxdb_password="wr-Pw-55") as store:
            store.write([Record("RestingHR", 0, {"value": 50}, {"Device": "X"}, "1970-01-01")])
        assert server.points(db, "RestingHR", auth=admin)[0]["value"] == 50

        # a user who may not create the database it names: the write says what is wrong
        with open_v1(server, "missing_db", tmp_path, influxdb_username="writer",
                     influxdb_password="wr-Pw-55") as store, pytest.raises(StoreError) as info:
            store.write([Record("RestingHR", 0, {"value": 50}, {"Device": "X"}, "1970-01-01")])
        assert "HTTP 40" in str(info.value) and "wr-Pw-55" not in str(info.value)


def test_spooled_while_down_and_replayed_after_restart(tmp_path: Path) -> None:
    from fitbit_sync.stores.influx_writer import write_retry

    with running_influx() as server:
        db = server.new_database()
        settings = load_settings(store="influxdb1", influxdb_url=server.url, influxdb_database=db,
                                 data_dir=tmp_path, influxdb_batch_points=1000)
        from fitbit_sync.stores.influx import open_influx_store

        store = open_influx_store(settings, retry=write_retry(retries=2, base_seconds=0.05, max_seconds=0.1))
        first = [Record("Steps_Intraday", i * 60_000, {"value": i % 90}, {"Device": "X"}) for i in range(2500)]
        second = [Record("Steps_Intraday", i * 60_000, {"value": 7}, {"Device": "X"}) for i in range(100)]
        server.stop()
        cov = Coverage("google-health", "steps", 0, 2500 * 60_000, 1)
        assert store.write(first, [cov]) == 2500  # durable: in the spool
        assert store.coverage("google-health") == [cov]
        assert len(store.spool) == 3
        server.start()
        store.write(second)  # replays the spool first, then writes the newer values
        assert len(store.spool) == 0
        store.close()
        points = server.points(db, "Steps_Intraday")
    assert len(points) == 2500
    assert [p["value"] for p in points[:100]] == [7] * 100  # the newer write won
    assert [p["value"] for p in points[100:]] == [i % 90 for i in range(100, 2500)]

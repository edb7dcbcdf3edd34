"""The PostgreSQL store against a real PostgreSQL server: keys, types, COPY and upsert paths,
one transaction with coverage, schema growth and one-line errors without the password."""

from __future__ import annotations

from collections import defaultdict

import psycopg
import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.errors import ConfigError, StoreError
from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.stores.base import Coverage
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.postgres import PostgresStore
from support.demo_records import ZONE, demo_records, demo_window
from support.servers import PG_PASSWORD, PostgresServer, free_port

pytestmark = pytest.mark.postgres


def open_pg(server: PostgresServer, db: str, **kw: object) -> PostgresStore:
    store = open_store(load_settings(store="postgres", postgres_dsn=server.dsn(db), time_zone=ZONE, **kw))
    assert isinstance(store, PostgresStore)
    return store


def test_every_measurement_and_field_round_trips(postgres_server: PostgresServer) -> None:
    records = demo_records(days=2)  # measurements interleaved minute by minute
    with open_pg(postgres_server, postgres_server.new_database()) as store:
        assert store.write(records) == len(records)
        start, end = demo_window(days=2)
        expected: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            expected[r.measurement].append(r)
        for name in MEASUREMENTS:
            got = list(store.read_records(name, start, end))
            key = lambda r: (r.time_ms, sorted(r.tags.items()))  # noqa: E731
            assert sorted(got, key=key) == sorted(expected[name], key=key), name


def test_tables_have_real_keys_and_types(postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    open_pg(postgres_server, db).close()
    with psycopg.connect(postgres_server.dsn(db)) as conn:
        columns = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'fitbit' AND table_name = 'Sleep Summary'").fetchall())
        key = [r[0] for r in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'fitbit.\"RestingHR\"'::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)").fetchall()]
    assert columns["time"] == "timestamp with time zone" and columns["isMainSleep"] == "text"
    assert columns["efficiency"] == "bigint" and columns["sleepType"] == "text"
    assert key == ["date", "Device"]


def test_rewrites_upsert_merge_and_duplicates_in_one_batch_merge(postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    hr = [Record("HeartRate_Intraday", 1_700_000_000_000 + i * 5000, {"value": 60 + i % 20}, {"Device": "X"})
          for i in range(3000)]
    with open_pg(postgres_server, db) as store:
        store.write(hr)  # fresh: COPY
        store.write([*hr[:1000], Record("HeartRate_Intraday", 1_700_000_000_000, {"value": 99}, {"Device": "X"})])
        store.write([Record("Activity Minutes", 1, {"minutesLightlyActive": 5}, {"Device": "X"}, "2026-01-02"),
                     Record("Activity Minutes", 2, {"minutesSedentary": 700}, {"Device": "X"}, "2026-01-02")])
        store.write([Record("Activity Minutes", 3, {"minutesVeryActive": 7}, {"Device": "X"}, "2026-01-02")])
        conn = store.connection
        assert conn.execute('SELECT count(*), min(value), max(value) FROM fitbit."HeartRate_Intraday"').fetchone() \
            == (3000, 60, 99)
        row = conn.execute('SELECT "minutesLightlyActive", "minutesSedentary", "minutesVeryActive", '
                           '(extract(epoch FROM time) * 1000)::bigint FROM fitbit."Activity Minutes"').fetchall()
        assert row == [(5, 700, 7, 3)]


def test_a_failed_write_leaves_no_rows_and_no_coverage(postgres_server: PostgresServer) -> None:
    with open_pg(postgres_server, postgres_server.new_database()) as store:
        good = [Record("Steps_Intraday", i * 60_000, {"value": 3}, {"Device": "X"}) for i in range(100)]
        bad = Record("Steps_Intraday", 0, {"nonsense": 1})
        with pytest.raises(StoreError, match="unknown fields: nonsense"):
            store.write([*good, Record("RestingHR", 0, {"value": 50}, {}, "1970-01-01"), bad],
                        [Coverage("google-health", "steps", 0, 120_000, 1)])
        assert store.measurement_stats() == []
        assert store.coverage("google-health") == []
        with pytest.raises(StoreError, match="invalid date"):
            store.write([Record("RestingHR", 0, {"value": 50}, {}, "2026-13-45")])
        with pytest.raises(StoreError, match="'value' is not a valid int"):
            store.write([Record("HeartRate_Intraday", 0, {"value": "sixty"}, {"Device": "X"})])


def test_coverage_and_state_survive_reopen(postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    cov = Coverage("google-health", "steps", 0, 60_000, 5)
    with open_pg(postgres_server, db) as store:
        store.write([Record("Steps_Intraday", 0, {"value": 3}, {"Device": "X"})], [cov])
        store.set_state("last_sync", "2026-11-21T00:00:00Z")
        store.set_state("last_sync", "2026-11-22T00:00:00Z")
    with open_pg(postgres_server, db) as store:
        assert store.coverage("google-health", "steps") == [cov]
        assert store.coverage("google-health", "other") == []
        assert store.get_state("last_sync") == "2026-11-22T00:00:00Z"
        assert store.get_state("missing") is None
        [stats] = store.measurement_stats()
    assert (stats.name, stats.rows, stats.first_ms, stats.last_ms) == ("Steps_Intraday", 1, 0, 0)


def test_schema_growth_adds_missing_columns(postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    open_pg(postgres_server, db).close()
    with psycopg.connect(postgres_server.dsn(db), autocommit=True) as conn:
        conn.execute('ALTER TABLE fitbit."SPO2" DROP COLUMN stddev')
    with open_pg(postgres_server, db) as store:
        store.write([Record("SPO2", 0, {"avg": 96.0, "stddev": 0.5}, {}, "1970-01-01")])
        assert [r.fields for r in store.read_records("SPO2")] == [{"avg": 96.0, "stddev": 0.5}]


def test_a_schema_of_its_own_name(postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    with open_pg(postgres_server, db, postgres_schema="health") as store:
        store.write([Record("RestingHR", 0, {"value": 50}, {}, "1970-01-01")])
        assert store.connection.execute('SELECT value FROM health."RestingHR"').fetchone() == (50,)


def test_connection_problems_are_one_line_without_the_password(postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    with pytest.raises(StoreError) as info:
        open_store(load_settings(store="postgres", postgres_dsn=postgres_server.dsn(db, password="Wr0ng-pw-1")))
    message = str(info.value)
    assert message.startswith(f"cannot connect to PostgreSQL at 127.0.0.1:{postgres_server.port}/{db}: ")
    assert "password authentication failed" in message
    assert "Wr0ng-pw-1" not in message and PG_PASSWORD not in message and "\n" not in message

    with pytest.raises(StoreError, match=r"cannot connect to PostgreSQL at 127\.0\.0\.1"):
        open_store(load_settings(store="postgres", postgres_dsn=f"postgresql://u:secret-x@127.0.0.1:{free_port()}/x"))
    with pytest.raises(ConfigError, match="needs FITBIT_SYNC_POSTGRES_DSN"):
        open_store(load_settings(store="postgres"))
    with pytest.raises(ConfigError) as bad:
        open_store(load_settings(store="postgres", postgres_dsn="host=x password=p4ss = broken"))
    assert "p4ss" not in str(bad.value)


def test_writes_and_state_from_several_threads(postgres_server: PostgresServer) -> None:
    import threading

    with open_pg(postgres_server, postgres_server.new_database()) as store:
        def work(n: int) -> None:
            for k in range(5):
                store.write([Record("Steps_Intraday", (n * 1000 + k * 100 + i) * 60_000, {"value": i}, {"Device": "X"})
                             for i in range(100)], [Coverage("google-health", f"s{n}", k, k + 1, 1)])
                store.set_state(f"t{n}", str(k))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        [stats] = store.measurement_stats()
        assert stats.rows == 4 * 5 * 100
        assert len(store.coverage("google-health")) == 20
        assert [store.get_state(f"t{n}") for n in range(4)] == ["4"] * 4

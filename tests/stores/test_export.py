"""``fitbit-sync export``: CSV and Parquet from SQLite, InfluxDB 1.x and PostgreSQL give the same files."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from fitbit_sync.cli import main
from fitbit_sync.config import load_settings
from fitbit_sync.export import export, file_name
from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.sqlite import SQLiteStore
from support.demo_records import ZONE, demo_records
from support.servers import InfluxServer, PostgresServer

RECORDS = demo_records(days=1)


def counts(records: list[Record]) -> dict[str, int]:
    keys: dict[str, set[tuple[object, ...]]] = {}
    for r in records:
        keys.setdefault(r.measurement, set()).add((r.time_ms, tuple(sorted(r.tags.items()))))
    return {m: len(k) for m, k in keys.items()}


def filled_sqlite(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "fitbit.db")
    store.write(RECORDS)
    return store


def test_csv_has_a_file_per_measurement_with_typed_columns(tmp_path: Path) -> None:
    with filled_sqlite(tmp_path) as store:
        results = export(store, tmp_path / "out", "csv")
    assert {r.measurement: r.rows for r in results if r.rows} == counts(RECORDS)
    with (tmp_path / "out" / "Sleep_Summary.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    main_sleep = next(r for r in rows if r["isMainSleep"] == "True")
    assert list(rows[0]) == ["time", "Device", "isMainSleep", *MEASUREMENTS["Sleep Summary"].field_names]
    assert main_sleep["time"] == "2026-11-19T22:10:00.000Z" and main_sleep["sleepType"] == "STAGES"
    with (tmp_path / "out" / "RestingHR.csv").open() as fh:
        [resting] = list(csv.DictReader(fh))
    assert resting == {"time": "2026-11-19T23:00:00.000Z", "date": "2026-11-20", "Device": "Charge 6", "value": "54"}
    with (tmp_path / "out" / "Activity_Records.csv").open() as fh:
        assert {r["hasGps"] for r in csv.DictReader(fh)} == {"true", "false"}


def test_parquet_keeps_the_schema_types(tmp_path: Path) -> None:
    with filled_sqlite(tmp_path) as store:
        export(store, tmp_path / "out", "parquet", ["HeartRate_Intraday", "VO2 Max", "SPO2_Intraday"])
    table = pq.read_table(tmp_path / "out" / "VO2_Max.parquet")
    assert str(table.schema.field("time").type) == "timestamp[ms, tz=UTC]"
    assert str(table.schema.field("date").type) == "date32[day]"
    assert [str(table.schema.field(n).type) for n in ("vo2Max", "cardioFitnessLevel", "estimated")] == [
        "double", "string", "bool"]
    hr = pq.read_table(tmp_path / "out" / "HeartRate_Intraday.parquet")
    assert str(hr.schema.field("value").type) == "int64"
    expected = [r for r in RECORDS if r.measurement == "HeartRate_Intraday"]
    assert hr.num_rows == len(expected)
    assert hr.column("value").to_pylist() == [r.fields["value"] for r in expected]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "HeartRate_Intraday.parquet", "SPO2_Intraday.parquet", "VO2_Max.parquet"]


def test_range_and_selection(tmp_path: Path) -> None:
    with filled_sqlite(tmp_path) as store:
        start = RECORDS[0].time_ms
        [result] = export(store, tmp_path / "out", "csv", ["Steps_Intraday"], 1_795_129_200_000,
                          1_795_129_200_000 + 3_600_000)
    assert result.rows == 60 and start
    assert file_name("Skin Temperature Variation", "csv") == "Skin_Temperature_Variation.csv"


def export_all(store: object, out: Path) -> dict[str, str]:
    export(store, out, "csv")  # type: ignore[arg-type]
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


@pytest.mark.influx
@pytest.mark.postgres
def test_every_store_exports_the_same_files(tmp_path: Path, influx_server: InfluxServer,
                                            postgres_server: PostgresServer) -> None:
    with filled_sqlite(tmp_path) as store:
        from_sqlite = export_all(store, tmp_path / "sqlite")
    influx = load_settings(store="influxdb1", influxdb_url=influx_server.url, data_dir=tmp_path / "state",
                           influxdb_database=influx_server.new_database(), time_zone=ZONE)
    with open_store(influx) as store:
        store.write(RECORDS)
        from_influx = export_all(store, tmp_path / "influx")
    pg = load_settings(store="postgres", postgres_dsn=postgres_server.dsn(postgres_server.new_database()))
    with open_store(pg) as store:
        store.write(RECORDS)
        from_postgres = export_all(store, tmp_path / "postgres")
    assert len(from_sqlite) == len(counts(RECORDS))
    assert from_influx == from_sqlite
    assert from_postgres == from_sqlite


def test_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    filled_sqlite(tmp_path).close()
    monkeypatch.setenv("FITBIT_SYNC_SQLITE_PATH", str(tmp_path / "fitbit.db"))
    monkeypatch.setenv("FITBIT_SYNC_TIME_ZONE", ZONE)  # --start/--end are days in this zone
    out = tmp_path / "out"
    assert main(["export", "--format", "parquet", "--out", str(out), "-m", "RestingHR,HRV", "-m", "SPO2",
                 "--start", "2026-11-20", "--end", "2026-11-20"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["HRV.parquet", "RestingHR.parquet", "SPO2.parquet"]
    assert "3 file(s), 3 rows" in capsys.readouterr().out

    assert main(["export", "--format", "xml", "--out", str(out)]) == 2
    assert main(["export", "--out", str(out), "-m", "Nope"]) == 2
    assert main(["export", "--out", str(out), "--start", "2026-02-30"]) == 2
    assert main(["export", "--out", str(out), "--start", "2026-02-03", "--end", "2026-02-01"]) == 2
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["export", "--out", str(blocker / "sub")]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == [
        "fitbit-sync: error: --format must be csv or parquet, not 'xml'",
        f"fitbit-sync: error: unknown measurement 'Nope' (known: {', '.join(MEASUREMENTS)})",
        "fitbit-sync: error: --start must be a date like 2026-01-31, not '2026-02-30'",
        "fitbit-sync: error: --end is before --start",
        f"fitbit-sync: error: cannot create {blocker / 'sub'}: Not a directory",
    ]

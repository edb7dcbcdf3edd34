"""``fitbit-sync dashboard --out`` and ``fitbit-sync export`` against real PostgreSQL and InfluxDB
1.x servers: the same demo data draws the same dashboard and exports the same files as SQLite
(every store is read through its read side, ``stores.base.Reader``), and reading creates nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_dashboard_influx import same

from fitbit_sync.cli import main
from fitbit_sync.config import load_settings
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.sqlite import SQLiteStore
from support.dash_demo import TZ, fill_demo
from support.servers import InfluxServer, PostgresServer, influx_server, postgres_server  # noqa: F401

pytestmark = [pytest.mark.influx, pytest.mark.postgres]
DAYS = 9
END = date(2026, 10, 20)


@dataclass
class Stores:
    base: Path
    env: dict[str, dict[str, str]]  # store -> FITBIT_SYNC_* environment


@pytest.fixture(scope="module")
def stores(influx_server: InfluxServer, postgres_server: PostgresServer,  # noqa: F811
           tmp_path_factory: pytest.TempPathFactory) -> Stores:
    base = tmp_path_factory.mktemp("every-store")
    env = {
        "sqlite": {"FITBIT_SYNC_STORE": "sqlite", "FITBIT_SYNC_SQLITE_PATH": str(base / "fitbit.db")},
        "influxdb1": {"FITBIT_SYNC_STORE": "influxdb1", "FITBIT_SYNC_INFLUXDB_URL": influx_server.url,
                      "FITBIT_SYNC_INFLUXDB_DATABASE": influx_server.new_database()},
        "postgres": {"FITBIT_SYNC_STORE": "postgres",
                     "FITBIT_SYNC_POSTGRES_DSN": postgres_server.dsn(postgres_server.new_database())},
    }
    for name, values in env.items():
        settings = load_settings(**{k[len("FITBIT_SYNC_"):].lower(): v for k, v in values.items()},
                                 data_dir=base / f"data-{name}", time_zone=TZ)
        with open_store(settings) as store:
            fill_demo(store, DAYS, end=END, tz=TZ)
    return Stores(base, env)


@pytest.fixture
def use(stores: Stores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def switch(name: str) -> None:
        for key, value in stores.env[name].items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("FITBIT_SYNC_DATA_DIR", str(tmp_path / f"reader-{name}"))
        monkeypatch.setenv("FITBIT_SYNC_TIME_ZONE", TZ)
    yield switch


def report_payload(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    [config] = re.findall(r'<script id="fs-config" type="application/json">(.*?)</script>', text, flags=re.S)
    payload: dict[str, Any] = json.loads(config.replace("<\\!--", "<!--"))["payload"]
    return payload


@pytest.mark.parametrize("preset", ["7d", "all"])
def test_the_dashboard_report_of_every_store_equals_sqlites(use: Any, tmp_path: Path, preset: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    payloads = {}
    for name in ("sqlite", "influxdb1", "postgres"):
        use(name)
        out = tmp_path / f"{name}.html"
        assert main(["dashboard", "--out", str(out), "--range", preset]) == 0, capsys.readouterr().err
        assert f"from {name}" in capsys.readouterr().out
        payloads[name] = report_payload(out)
        assert not (tmp_path / f"reader-{name}").exists()  # reading created nothing, not even a data dir
    reference = payloads["sqlite"]
    assert reference["source"] == "sqlite" and len(reference["panels"]["heart_rate"]["t"]) > 100
    assert reference["panels"]["workouts"]["items"] and reference["panels"]["workouts"]["tracks"]
    assert any(v is not None for v in reference["panels"]["resting_hr"]["value"])
    assert reference["stats"]["resting_hr"] is not None and reference["stats"]["battery"] is not None
    for name in ("influxdb1", "postgres"):
        assert payloads[name]["source"] == name
        same(payloads[name]["bounds"], reference["bounds"], f"{name}.bounds")
        same(payloads[name]["range"], reference["range"], f"{name}.range")
        same(payloads[name]["panels"], reference["panels"], f"{name}.panels")
        same(payloads[name]["stats"], reference["stats"], f"{name}.stats")


def test_the_export_of_every_store_equals_sqlites(use: Any, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    files = {}
    for name in ("sqlite", "influxdb1", "postgres"):
        use(name)
        out = tmp_path / name
        assert main(["export", "--out", str(out), "--start", "2026-10-14", "--end", "2026-10-18"]) == 0, \
            capsys.readouterr().err
        assert f"Exported from {name}" in capsys.readouterr().out
        files[name] = {p.name: p.read_text() for p in sorted(out.iterdir())}
        assert not (tmp_path / f"reader-{name}").exists()
    assert {"HeartRate_Intraday.csv", "RestingHR.csv", "Sleep_Summary.csv", "GPS.csv"} <= set(files["sqlite"])
    assert files["influxdb1"] == files["sqlite"]
    assert files["postgres"] == files["sqlite"]


def test_reading_an_empty_server_store_creates_nothing(use: Any, stores: Stores, tmp_path: Path,
                                                       influx_server: InfluxServer,  # noqa: F811
                                                       postgres_server: PostgresServer,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import httpx
    import psycopg

    database = postgres_server.new_database()
    monkeypatch.setenv("FITBIT_SYNC_POSTGRES_DSN", postgres_server.dsn(database))
    monkeypatch.setenv("FITBIT_SYNC_STORE", "postgres")
    monkeypatch.setenv("FITBIT_SYNC_DATA_DIR", str(tmp_path / "data"))
    for argv in (["status"], ["export", "--out", str(tmp_path / "out")]):
        assert main(argv) == 5
        assert "the postgres store holds no data yet" in capsys.readouterr().err
    with psycopg.connect(postgres_server.dsn(database)) as conn:
        assert conn.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'fitbit'").fetchone() is None

    monkeypatch.setenv("FITBIT_SYNC_STORE", "influxdb1")
    monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_URL", influx_server.url)
    monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_DATABASE", "never_created_here")
    assert main(["status"]) == 5
    assert "the influxdb1 store holds no data yet" in capsys.readouterr().err
    names = httpx.post(influx_server.url + "/query", data={"q": "SHOW DATABASES"}).json()
    assert "never_created_here" not in json.dumps(names)
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()


def test_a_sqlite_reader_opens_the_file_read_only(stores: Stores) -> None:
    with SQLiteStore(stores.base / "fitbit.db", read_only=True) as store:
        import sqlite3

        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.connection.execute('DELETE FROM "RestingHR"')

"""One rule for file modes, whatever the umask (issue 10 item 7): under umask 022 everything
fitbit-sync creates (the data directory, the SQLite database with its -wal/-shm and lock file, an
InfluxDB state file and spool with its spooled health data, the daemon's log file and its rotated
copies, an export, the token file) is 0600, every directory 0700."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from fitbit_sync.cli import main
from fitbit_sync.config import load_settings
from fitbit_sync.files import open_private, private_dir, private_file
from fitbit_sync.records import Record
from fitbit_sync.stores.base import Coverage
from fitbit_sync.stores.influx import InfluxStore
from fitbit_sync.stores.influx_api import InfluxV1Api
from fitbit_sync.stores.influx_writer import write_retry
from fitbit_sync.stores.sqlite import SQLiteStore
from fitbit_sync.sync import daemon
from support.emulator import emulator_env, emulator_settings


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def loose(root: Path) -> list[str]:
    """Everything under ``root`` (and ``root``) whose mode is not 0700 (directories) / 0600 (files)."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            found.append(f"{path.relative_to(root.parent)} {oct(mode)}")
    return found


def test_everything_created_is_private_under_umask_022(umask_022: None, emulator_factory: Any, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator_factory(seed=3, start=date(2025, 7, 1), end=date(2025, 7, 4), quota_per_minute=100_000)
    data = tmp_path / "data"
    token_file = tmp_path / "config" / "fitbit-sync" / "token.json"
    db = data / "fitbit.db"
    emulator_settings(emu, tmp_path, db, token_file=token_file)
    for key, value in emulator_env(emu, tmp_path, db, token_file=token_file).items():
        monkeypatch.setenv(key, value)

    # SQLite: a backfill creates the data directory, the database (+ -wal, -shm) and its lock file
    assert main(["backfill", "--start", "2025-07-02", "--end", "2025-07-03", "--types",
                 "steps,daily-resting-heart-rate"]) == 0, capsys.readouterr().err
    assert {"fitbit.db", "fitbit.db.lock"} <= {p.name for p in data.iterdir()}
    sqlite = SQLiteStore(db)  # while it is open: its -wal and -shm files
    try:
        sqlite.write([Record("RestingHR", 1_751_414_400_000, {"value": 55}, {}, date="2025-07-02")])
        wal = {p.name: oct(p.stat().st_mode & 0o777) for p in data.glob("fitbit.db-*")}
    finally:
        sqlite.close()
    assert wal == {"fitbit.db-wal": "0o600", "fitbit.db-shm": "0o600"}
    assert main(["export", "--out", str(data / "export" / "csv")]) == 0, capsys.readouterr().err
    assert list((data / "export" / "csv").glob("*.csv"))

    # InfluxDB down: the batches go to the spool (health data as line protocol), coverage to the state file
    api = InfluxV1Api(httpx.Client(timeout=1), "http://127.0.0.1:9", "fitbit", "", "")
    store = InfluxStore(api, data, retry=write_retry(retries=1, base_seconds=0.001, max_seconds=0.001),
                        batch_points=50)
    try:
        points = [Record("HeartRate_Intraday", 1_750_000_000_000 + i * 1000, {"value": 60 + i % 30},
                         {"Device": "Charge 6"}) for i in range(120)]
        assert store.write(points, [Coverage("google-health", "heart-rate", 1_750_000_000_000,
                                             1_750_000_120_000, 1_750_000_200_000)]) == 120
        assert len(store.spool) >= 2
    finally:
        store.close()

    # the daemon's log file, rotated twice
    monkeypatch.setattr(daemon, "LOG_FILE_BYTES", 400)
    settings = load_settings(log_file=data / "logs" / "fitbit-sync.log", log_level="INFO")
    handlers = daemon.setup_logging(settings, stream=open(os.devnull, "w"))  # noqa: SIM115
    try:
        for i in range(20):
            logging.getLogger("fitbit_sync.test").info("line %d of a log that rotates", i)
    finally:
        for handler in handlers:
            logging.getLogger("fitbit_sync").removeHandler(handler)
            handler.close()
    assert {"fitbit-sync.log", "fitbit-sync.log.1", "fitbit-sync.log.2"} <= {p.name for p in (data / "logs").iterdir()}

    names = {p.name for p in data.rglob("*")}
    assert {"state-influxdb1.db", "spool-influxdb1"} <= names, names
    assert loose(data) == []
    assert loose(token_file.parent) == []


def test_helpers_create_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o277)  # even a umask that takes the owner's write bit
    try:
        deep = private_dir(tmp_path / "a" / "b" / "c")
        private_file(deep / "f")
        with open_private(deep / "g", "w", encoding="utf-8") as fh:
            fh.write("x")
    finally:
        os.umask(previous)
    assert loose(tmp_path / "a") == []
    existing = tmp_path / "mine.txt"
    existing.write_text("x")
    existing.chmod(0o644)
    private_file(existing)
    with open_private(existing, "a") as fh:
        fh.write("y")
    assert existing.stat().st_mode & 0o777 == 0o644  # an existing file keeps the mode its owner chose

"""The SQLite store over real files: upsert, field merge, coverage in the same transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fitbit_sync.errors import StoreError
from fitbit_sync.records import Record
from fitbit_sync.stores.base import Coverage, merge_intervals, subtract_intervals
from fitbit_sync.stores.sqlite import SQLiteStore


def test_rewrite_upserts_instead_of_duplicating(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    recs = [Record("HeartRate_Intraday", t * 5000, {"value": 60 + t}, {"Device": "Charge 6"}) for t in range(100)]
    store.write(recs)
    store.write([*recs[:50], Record("HeartRate_Intraday", 0, {"value": 99}, {"Device": "Charge 6"})])
    rows = store.connection.execute('SELECT count(*), min(value) FROM "HeartRate_Intraday"').fetchone()
    assert rows[0] == 100
    assert store.connection.execute('SELECT value FROM "HeartRate_Intraday" WHERE time = 0').fetchone()[0] == 99


def test_daily_rows_merge_fields_from_two_streams(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    store.write([Record("Activity Minutes", 1, {"minutesLightlyActive": 5}, {"Device": "X"}, "2026-01-02")])
    store.write([Record("Activity Minutes", 2, {"minutesSedentary": 700}, {"Device": "X"}, "2026-01-02")])
    row = store.connection.execute(
        'SELECT date, minutesLightlyActive, minutesSedentary FROM "Activity Minutes"'
    ).fetchall()
    assert row == [("2026-01-02", 5, 700)]


def test_failed_batch_leaves_no_rows_and_no_coverage(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    good = Record("Steps_Intraday", 0, {"value": 3})
    bad = Record("Steps_Intraday", 60_000, {"nonsense": 1})
    with pytest.raises(StoreError, match="unknown fields"):
        store.write([good, bad], [Coverage("google-health", "steps", 0, 120_000, 1)])
    assert store.connection.execute('SELECT count(*) FROM "Steps_Intraday"').fetchone()[0] == 0
    assert store.coverage("google-health") == []


def test_coverage_and_state_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with SQLiteStore(path) as store:
        store.write([Record("Steps_Intraday", 0, {"value": 3})], [Coverage("google-health", "steps", 0, 10, 5)])
        store.set_state("last_sync", "2026-11-21T00:00:00Z")
    with SQLiteStore(path) as store:
        assert store.coverage("google-health", "steps") == [Coverage("google-health", "steps", 0, 10, 5)]
        assert store.get_state("last_sync") == "2026-11-21T00:00:00Z"
        assert [s.name for s in store.measurement_stats()] == ["Steps_Intraday"]


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open SQLite database"):
        SQLiteStore(blocker / "sub" / "a.db")


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        SQLiteStore(path)
    assert path.read_bytes().startswith(b"this is not sqlite")  # never overwritten


def test_interval_arithmetic() -> None:
    assert merge_intervals([(5, 10), (0, 5), (20, 30), (25, 26)]) == [(0, 10), (20, 30)]
    assert subtract_intervals((0, 100), [(10, 20), (15, 30), (90, 200)]) == [(0, 10), (30, 90)]
    assert subtract_intervals((0, 10), []) == [(0, 10)]
    assert subtract_intervals((0, 10), [(0, 10)]) == []
    assert sqlite3.sqlite_version_info >= (3, 24)  # upsert syntax


def test_a_new_database_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "a.db"
    with SQLiteStore(path) as store:
        store.write([Record("Steps_Intraday", 0, {"value": 3})])
    for name in ("a.db", "a.db-wal", "a.db-shm"):
        member = path.parent / name
        if member.exists():
            assert member.stat().st_mode & 0o077 == 0, name
    assert path.parent.stat().st_mode & 0o077 == 0


def test_an_in_memory_database_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SQLiteStore(":memory:") as store:
        store.write([Record("Steps_Intraday", 0, {"value": 3})])
        assert store.measurement_stats()[0].rows == 1
    assert list(tmp_path.iterdir()) == []

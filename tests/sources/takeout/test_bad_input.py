"""Bad input: clear one-line errors for unusable archives; a bad file is reported and skipped."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from takeout_helpers import one, write_zip

from fitbit_sync.errors import ArchiveError, ExitCode, StoreError
from fitbit_sync.sources.takeout import ImportOptions, ImportSummary, import_archives
from fitbit_sync.sources.takeout.synthetic import Spec, write_export
from fitbit_sync.stores.sqlite import SQLiteStore

GED = "Takeout/Fitbit/Global Export Data"
GOOD = '[{"dateTime" : "01/01/24 00:00:00", "value" : "600"}]'


def test_unusable_inputs_are_one_line_archive_errors(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                                     store: SQLiteStore) -> None:
    archive = write_export(tmp_path / "t.zip", Spec(start=date(2024, 1, 1), days=1, hr_interval_s=600))[0]
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    text = tmp_path / "notes.txt"
    text.write_text("not an archive")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    cases = {
        truncated: "truncated or damaged zip",
        text: "is not a zip archive",
        tmp_path / "missing.zip": "no such file or folder",
        empty_dir: "no Fitbit data found",
    }
    for path, message in cases.items():
        with pytest.raises(ArchiveError, match=message) as caught:
            run_import(path)
        assert "\n" not in str(caught.value)
        assert caught.value.exit_code == ExitCode.BAD_ARCHIVE
    assert store.measurement_stats() == []


def test_bad_files_are_reported_and_skipped(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                            store: SQLiteStore) -> None:
    path = tmp_path / "mixed.zip"
    payload = b'[{"dateTime" : "01/02/24 00:00:00", "value" : "700"}]' + b" " * 200
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{GED}/sedentary_minutes-2024-01-01.json", GOOD)
        archive.writestr(f"{GED}/lightly_active_minutes-2024-01-01.json", payload)  # damaged below
        archive.writestr(f"{GED}/very_active_minutes-2024-01-01.json", "[{\"dateTime\" : ")  # truncated JSON
        archive.writestr(f"{GED}/moderately_active_minutes-2024-01-01.json", '{"not": "an array"}')
        archive.writestr(f"{GED}/heart_rate-2024-01-01.json", '[{"dateTime" : "yesterday", "value" : {"bpm" : 60}}]')
        archive.writestr("Takeout/Fitbit/Physical Activity_GoogleData/steps_2024-01-01.csv", "when,how many\n1,2\n")
    data = bytearray(path.read_bytes())
    at = data.index(payload)
    data[at + 60: at + 70] = b"!" * 10  # a CRC error when the member is read
    path.write_bytes(bytes(data))
    summary = run_import(path, time_zone="UTC")
    failed = {f.label.rsplit("/", 1)[-1]: f.reason for f in summary.files if f.status == "failed"}
    assert set(failed) == {"lightly_active_minutes-2024-01-01.json", "very_active_minutes-2024-01-01.json",
                           "moderately_active_minutes-2024-01-01.json", "heart_rate-2024-01-01.json",
                           "steps_2024-01-01.csv"}
    assert "CRC" in failed["lightly_active_minutes-2024-01-01.json"]
    assert "not valid JSON" in failed["very_active_minutes-2024-01-01.json"]
    assert "not a JSON array" in failed["moderately_active_minutes-2024-01-01.json"]
    assert "no readable rows" in failed["heart_rate-2024-01-01.json"]
    assert "no 'timestamp' column" in failed["steps_2024-01-01.csv"]
    assert all("\n" not in reason for reason in failed.values())
    assert one(store, 'SELECT minutesSedentary FROM "Activity Minutes"') == 600  # the good file is in


def test_a_failed_file_leaves_no_half_import(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                             store: SQLiteStore) -> None:
    rows = ",".join(f'{{"dateTime" : "01/01/24 {h:02d}:00:00", "value" : {{"bpm" : 70}}}}' for h in range(10))
    # valid rows, then a damaged tail: the file fails as a whole and keeps nothing
    files = {f"{GED}/heart_rate-2024-01-01.json": "[" + rows + ', {"dateTime" : "01/01/24 11:00:00", "val',
             f"{GED}/steps-2024-01-01.json": '[{"dateTime" : "01/01/24 10:00:00", "value" : "12"}]'}
    summary = run_import(write_zip(tmp_path / "half.zip", files), time_zone="UTC")
    assert [f.status for f in summary.files if "heart_rate" in f.label] == ["failed"]
    assert one(store, 'SELECT count(*) FROM "HeartRate_Intraday"') == 0
    assert one(store, 'SELECT value FROM "Steps_Intraday"') == 12


class FailingStore(SQLiteStore):
    """A real SQLite store whose disk "fills up" after the first write."""

    writes = 0

    def write(self, records: object, coverage: object = ()) -> int:
        self.writes += 1
        if self.writes > 1:
            raise StoreError("cannot write to SQLite database: database or disk is full")
        return super().write(records, coverage)  # type: ignore[arg-type]


def test_a_store_failure_stops_the_import(tmp_path: Path) -> None:
    archive = write_export(tmp_path / "t.zip", Spec(start=date(2024, 1, 1), days=3, hr_interval_s=60))[0]
    store = FailingStore(tmp_path / "f.db")
    with pytest.raises(StoreError, match="disk is full"):
        import_archives([archive], store, ImportOptions(batch_size=1000))
    # what was written stays; no coverage was recorded for an import that did not finish
    assert store.connection.execute('SELECT count(*) FROM "HeartRate_Intraday"').fetchone()[0] > 0
    assert store.coverage("google-health") == []
    store.close()


class RecordingStore(SQLiteStore):
    batches: list[tuple[int, int]]

    def write(self, records: object, coverage: object = ()) -> int:
        records = list(records)  # type: ignore[call-overload]
        self.batches.append((len(records), len(coverage)))  # type: ignore[arg-type]
        return super().write(records, coverage)  # type: ignore[arg-type]


def test_writes_in_bounded_batches_with_coverage_last(tmp_path: Path) -> None:
    archive = write_export(tmp_path / "t.zip", Spec(start=date(2024, 1, 1), days=4, hr_interval_s=30))[0]
    store = RecordingStore(tmp_path / "r.db")
    store.batches = []
    import_archives([archive], store, ImportOptions(batch_size=5000))
    sizes = [n for n, _ in store.batches]
    assert len(sizes) > 5 and max(sizes) < 2 * 5000  # one file's rows may top up a batch, never more
    assert [c for _, c in store.batches[:-1]] == [0] * (len(sizes) - 1) and store.batches[-1][1] > 0
    store.close()


def test_worker_decoding_matches_and_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fitbit_sync.sources.takeout import prefetch
    from fitbit_sync.sources.takeout.synthetic import build

    spec = Spec(start=date(2024, 1, 1), days=4, hr_interval_s=60)
    files = dict(build(spec))
    # one irregular file (a float bpm and a bad row): the worker declines it, this process parses it
    files[f"{GED}/heart_rate-2024-01-07.json"] = (
        b'[{"dateTime" : "01/06/24 14:00:00", "value" : {"bpm" : 71.6}}, {"dateTime" : "x", "value" : {}}]')
    archive = write_zip(tmp_path / "t.zip", files)
    inline = SQLiteStore(tmp_path / "inline.db")
    import_archives([archive], inline, ImportOptions())
    monkeypatch.setattr(prefetch, "MIN_FILES", 1)  # every bulk family through the worker
    from fitbit_sync.sources.takeout import importer

    decoded_by_worker: list[bool] = []

    def recording(family: str, zone: str, entries: list[Any]) -> Any:
        for entry, decoded in prefetch.decoded_ahead(family, zone, entries):
            if family == "json:heart_rate":
                decoded_by_worker.append(decoded is not None)
            yield entry, decoded

    monkeypatch.setattr(importer, "decoded_ahead", recording)
    worker = SQLiteStore(tmp_path / "worker.db")
    summary = import_archives([archive], worker, ImportOptions())
    assert decoded_by_worker == [True, True, True, True, False]
    for table in ("HeartRate_Intraday", "Steps_Intraday", "Distance_Intraday", "Elevation_Intraday"):
        query = f'SELECT time, value FROM "{table}" ORDER BY time'
        assert worker.connection.execute(query).fetchall() == inline.connection.execute(query).fetchall(), table
    for table in ("Total Steps", "distance", "calories", "elevation"):
        query = f'SELECT date, time, value FROM "{table}" ORDER BY date'
        assert worker.connection.execute(query).fetchall() == inline.connection.execute(query).fetchall(), table
    assert worker.coverage("google-health") == inline.coverage("google-health")
    assert worker.connection.execute('SELECT value FROM "HeartRate_Intraday" WHERE time = ?',
                                     (1704549600000,)).fetchone() == (72,)
    odd = next(f for f in summary.files if f.label.endswith("heart_rate-2024-01-07.json"))
    assert (odd.status, odd.records, odd.malformed) == ("imported", 1, 1)
    inline.close()
    worker.close()


def test_damaged_profile_falls_back_to_settings_zone(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                                     store: SQLiteStore) -> None:
    path = tmp_path / "profile.zip"
    profile = b"id,full_name,timezone\nX,Jane,America/New_York\n" + b"#" * 200
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("Takeout/Fitbit/Your Profile/Profile.csv", profile)
        archive.writestr(f"{GED}/sedentary_minutes-2024-01-01.json", GOOD)
    data = bytearray(path.read_bytes())
    at = data.index(profile)
    data[at + 120: at + 130] = b"!" * 10  # CRC error when read
    path.write_bytes(bytes(data))
    summary = run_import(path, settings_time_zone="Asia/Tokyo")
    assert (summary.zone, summary.zone_origin) == ("Asia/Tokyo", "settings.time_zone")
    assert one(store, 'SELECT minutesSedentary FROM "Activity Minutes"') == 600

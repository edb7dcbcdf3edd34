"""An import and an API sync fill one database without duplicates, and a backfill after an import
asks the API only for what the archive did not hold: the emulator over real HTTP, real SQLite.

The archive is written from the emulator's own synthetic history (its generator), in the legacy
JSON format of a real export (UTC ``MM/DD/YY`` stamps, per-day heart-rate files), so both paths
describe the same person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from takeout_helpers import write_zip

from fitbit_sync.catalog import STREAMS_BY_KEY
from fitbit_sync.config import load_settings
from fitbit_sync.emulator.config import ZonePeriod
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.testing import EmulatorServer, emulator_factory  # noqa: F401
from fitbit_sync.records import ms_from_rfc3339
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.sources.google_health.planner import SOURCE
from fitbit_sync.sources.takeout import ImportOptions, import_archives
from fitbit_sync.stores.base import merge_intervals
from fitbit_sync.stores.sqlite import SQLiteStore
from fitbit_sync.sync.runner import SyncSession

START, END = date(2025, 3, 1), date(2025, 3, 6)
IMPORTED = [START + timedelta(days=i) for i in range(1, 4)]  # March 2-4 come from the archive
ZONE = "Europe/Berlin"
STREAMS = ("heart-rate", "steps", "steps:daily", "daily-resting-heart-rate")


class StaticTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def invalidate(self) -> None:
        pass


def _us(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%m/%d/%y %H:%M:%S")


def archive_from(generator: Generator, path: Path) -> Path:
    ged = "Takeout/Fitbit/Global Export Data"
    files: dict[str, str] = {"Takeout/Fitbit/Your Profile/Profile.csv": f"id,timezone\nX,{ZONE}\n"}
    steps, resting = [], []
    for day in IMPORTED:
        samples = sorted((ms_from_rfc3339(p["heartRate"]["sampleTime"]["physicalTime"]),
                          int(p["heartRate"]["beatsPerMinute"])) for p in generator.points("heart-rate", day))
        files[f"{ged}/heart_rate-{day}.json"] = "[" + ",".join(
            f'{{"dateTime" : "{_us(t)}", "value" : {{"bpm" : {bpm}, "confidence" : 2}}}}' for t, bpm in samples) + "]"
        for p in reversed(generator.points("steps", day)):
            start = ms_from_rfc3339(p["steps"]["interval"]["startTime"])
            steps.append(f'{{"dateTime" : "{_us(start)}", "value" : "{p["steps"].get("count", "0")}"}}')
        for p in generator.points("daily-resting-heart-rate", day):
            label = f"{day:%m/%d/%y}"
            resting.append(f'{{"dateTime" : "{label} 00:00:00", "value" : {{"date" : "{label}", '
                           f'"value" : {p["dailyRestingHeartRate"]["beatsPerMinute"]}.0, "error" : 6.7}}}}')
    files[f"{ged}/steps-{START}.json"] = "[" + ",".join(steps) + "]"
    files[f"{ged}/resting_heart_rate-{START}.json"] = "[" + ",".join(resting) + "]"
    return write_zip(path, files)


def test_import_then_backfill(tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]) -> None:  # noqa: F811
    server = emulator_factory(seed=3, start=START, end=END, time_zones=(ZonePeriod(START, ZONE),))
    generator = server.generator
    store = SQLiteStore(tmp_path / "fitbit.db")
    summary = import_archives([archive_from(generator, tmp_path / "takeout.zip")], store,
                              ImportOptions(device="Charge 6"))
    assert summary.zone == ZONE and summary.count("failed") == 0
    imported_rows = {s.name: s.rows for s in store.measurement_stats()}

    settings = load_settings(api_base_url=server.base_url, client_id=server.client_id, token_file=tmp_path / "t.json",
                        sqlite_path=tmp_path / "fitbit.db", time_zone=ZONE, device_name="Charge 6",
                        max_concurrency=2, request_timeout=10.0)
    client = HealthApiClient(settings, StaticTokens(server.access_token()))
    with SyncSession(settings, client=client, store=store) as session:
        streams = [STREAMS_BY_KEY[key] for key in STREAMS]
        requests = session.plan_backfill(streams, START, END)
        covered = {key: merge_intervals((c.start_ms, c.end_ms) for c in store.coverage(SOURCE, key))
                   for key in STREAMS}
        # the archive's whole days (all but its last) are never asked for again
        for request in requests:
            for low, high in covered[request.stream.key]:
                assert request.end_ms <= low or request.start_ms >= high, request.describe()
        assert covered["heart-rate"] and covered["steps:daily"] and covered["daily-resting-heart-rate"]
        report = session.run(requests, "backfill")
    assert not report.failures
    client.close()

    # one row per sample, whichever path stored it: the API's values, no duplicates
    expected_hr = {ms_from_rfc3339(p["heartRate"]["sampleTime"]["physicalTime"]): int(p["heartRate"]["beatsPerMinute"])
                   for day in generator.days() for p in generator.points("heart-rate", day)}
    stored_hr = dict(store.connection.execute('SELECT time, value FROM "HeartRate_Intraday"').fetchall())
    assert stored_hr == expected_hr
    assert len(stored_hr) > imported_rows["HeartRate_Intraday"]
    # daily totals computed from the archive equal the API's daily rollups for the same days
    expected_steps = {str(day): sum(int(p["steps"].get("count", 0)) for p in generator.points("steps", day))
                      for day in generator.days()}
    stored_steps = dict(store.connection.execute('SELECT date, value FROM "Total Steps"').fetchall())
    assert stored_steps == expected_steps
    assert store.connection.execute('SELECT count(*), count(DISTINCT date) FROM "RestingHR"').fetchone() == (6, 6)
    assert {s.name for s in store.measurement_stats()} >= {"HeartRate_Intraday", "Steps_Intraday", "Total Steps"}
    store.close()

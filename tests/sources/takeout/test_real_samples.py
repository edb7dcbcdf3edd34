"""The real export samples (tests/sources/takeout/data, see SOURCES.md) imported from a real zip."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from takeout_helpers import one, rows, sample_files, write_zip

from fitbit_sync.sources.takeout import ImportSummary
from fitbit_sync.stores.sqlite import SQLiteStore

BERLIN = ZoneInfo("Europe/Berlin")


def ms(text: str, zone: ZoneInfo = UTC) -> int:  # type: ignore[assignment]
    return int(datetime.fromisoformat(text).replace(tzinfo=zone).timestamp() * 1000)


def _import(tmp_path: Path, run_import: Callable[..., ImportSummary]) -> ImportSummary:
    archive = write_zip(tmp_path / "takeout-20190101T000000Z-1-001.zip", sample_files())
    return run_import(archive, time_zone="Europe/Berlin")


def test_distance_is_per_minute_metres_at_utc_instants(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                                        store: SQLiteStore) -> None:
    _import(tmp_path, run_import)
    got = rows(store, 'SELECT time, value, Device FROM "Distance_Intraday" ORDER BY time')
    # "12/31/17 16:42:00" -> 4110 cm: the stamp is UTC, the value centimetres
    assert got[0] == (ms("2017-12-31T16:42:00"), 41.1, "Charge 6")
    assert [v for _, v, _ in got] == [41.1, 43.4, 34.9, 8.5, 0.0]
    # the daily total (km) is keyed by the Berlin date of those instants
    assert rows(store, 'SELECT date, round(value, 6) FROM "distance"') == [("2017-12-31", 0.1279)]


def test_daily_families_keyed_by_their_local_date(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                                   store: SQLiteStore) -> None:
    _import(tmp_path, run_import)
    assert rows(store, 'SELECT date, minutesSedentary, minutesLightlyActive, minutesFairlyActive, minutesVeryActive '
                       'FROM "Activity Minutes" ORDER BY date') == [
        ("2018-01-01", 600, 266, 22, 33), ("2018-01-02", 728, 165, 17, 59), ("2018-01-03", 753, 160, 13, 42)]
    # local midnight of the date in the import's zone
    assert one(store, 'SELECT time FROM "Activity Minutes" WHERE date = ?', "2018-01-02") == ms("2018-01-02", BERLIN)
    # resting heart rate: rounded bpm; dates from the rows (the FitOut file named 2023-03-02 holds 2024 rows)
    assert rows(store, 'SELECT date, value FROM "RestingHR" ORDER BY date') == [
        ("2018-12-30", 59), ("2018-12-31", 58), ("2024-02-28", 52), ("2024-02-29", 53), ("2024-03-01", 54),
        ("2024-03-02", 55)]
    assert rows(store, 'SELECT date, Normal, "Fat Burn", Cardio, Peak FROM "HR zones" ORDER BY date') == [
        ("2018-01-02", 1037, 154, 20, 10), ("2018-04-11", 1239, 115, 0, 0)]


def test_sleep_logs_local_wall_time_and_classic_mapping(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                                         store: SQLiteStore) -> None:
    _import(tmp_path, run_import)
    got = rows(store, 'SELECT time, isMainSleep, sleepType, efficiency, minutesAsleep, minutesAwake, minutesInBed, '
                      'minutesAfterWakeup, minutesLight, minutesREM, minutesDeep, endTime FROM "Sleep Summary" '
                      'ORDER BY time')
    assert got == [
        # "2018-02-01T22:36:00.000" is Berlin wall time (UTC+1 in February)
        (ms("2018-02-01T22:36", BERLIN), "True", "STAGES", 68, 452, 34, 486, 15, 209, 106, 137,
         ms("2018-02-02T06:42", BERLIN)),
        # classic sleep: asleep -> minutesLight, restless -> minutesREM, no deep sleep
        (ms("2018-02-02T22:27:30", BERLIN), "True", "CLASSIC", 61, 312, 198, 510, 0, 312, 195, 0,
         ms("2018-02-03T06:57:30", BERLIN)),
    ]
    assert got[0][0] == ms("2018-02-01T21:36:00")


def test_exercise_logs(tmp_path: Path, run_import: Callable[..., ImportSummary], store: SQLiteStore) -> None:
    _import(tmp_path, run_import)
    got = rows(store, 'SELECT time, ActivityName, duration, ActiveDuration, calories, steps, AverageHeartRate, '
                      'round(distance, 4), round(elevationGain, 3), hasGps, ActivityID FROM "Activity Records" '
                      'ORDER BY time')
    assert [g[1] for g in got] == ["Walk", "Walk", "Run"]
    walk = got[0]
    assert walk[0] == ms("2018-01-01T14:25:33")  # startTime is UTC
    assert walk[2:7] == (1229000, 1229000, 180, 1838, 114)
    assert walk[10] == "2018-01-01T14:25:33Z-Walk"
    run = got[2]
    assert run[7] == round(2.087447 * 1.609344, 4)  # miles -> km
    assert run[8] == 5.486  # the account is imperial: 17.998688 ft of climb
    assert walk[8] == round(30.0 * 0.3048, 3)  # same account, so the walks' 30.0 is feet too
    assert run[9] == 0


def test_summary_and_unsupported_file(tmp_path: Path, run_import: Callable[..., ImportSummary]) -> None:
    summary = _import(tmp_path, run_import)
    by_name = {m.name: m for m in summary.measurements}
    assert by_name["RestingHR"].rows == 6
    assert (by_name["RestingHR"].first_day, by_name["RestingHR"].last_day) == ("2018-12-30", "2024-03-02")
    assert by_name["Activity Records"].rows == 3
    sleep_score = [f for f in summary.files if f.label.endswith("sleep_score.csv")]
    assert [f.status for f in sleep_score] == ["not imported"]
    assert summary.count("failed") == 0
    assert summary.zone == "Europe/Berlin" and summary.zone_origin == "--time-zone"
    assert summary.layouts == ["Google Takeout, Takeout/Fitbit (2022-2026)"]

"""Units (cm/m, lb/kg/g, milli-breaths) and junk: placeholders, NaN, "no data", header-only
files, future padding, READMEs and the bulk tables, which are skipped without being read."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from takeout_helpers import one, rows, write_zip

from fitbit_sync.sources.takeout import ImportSummary
from fitbit_sync.stores.sqlite import SQLiteStore

GED = "Takeout/Fitbit/Global Export Data"
PA = "Takeout/Fitbit/Physical Activity_GoogleData"


def _status(summary: ImportSummary, suffix: str) -> tuple[str, str]:
    report = next(f for f in summary.files if f.label.endswith(suffix))
    return report.status, report.reason


def _weight_json(weight: float, bmi: float | None) -> str:
    bmi_part = f'"bmi" : {bmi}, ' if bmi is not None else ""
    return (f'[{{"logId" : 1, "weight" : {weight}, {bmi_part}"fat" : 20.5, "date" : "10/08/17", '
            f'"time" : "23:59:59", "source" : "API"}}]')


@pytest.mark.parametrize(("weight", "bmi", "kg"), [(186.2, 26.97, 84.459), (84.46, 26.97, 84.46)])
def test_weight_unit_inferred_from_bmi(weight: float, bmi: float, kg: float, tmp_path: Path,
                                       run_import: Callable[..., ImportSummary], store: SQLiteStore) -> None:
    archive = write_zip(tmp_path / "w.zip", {f"{GED}/weight-2017-10-01.json": _weight_json(weight, bmi)})
    run_import(archive, time_zone="UTC")
    assert rows(store, 'SELECT time, round(kg, 3), round(value, 2) FROM "weight"') == [
        (1507507199000, kg, round(kg / 0.45359237, 2))]  # logId in the sample equals date+time read as UTC
    assert one(store, 'SELECT value FROM "bmi"') == bmi
    assert one(store, 'SELECT value FROM "BodyFat"') == 20.5


def test_weight_without_bmi_needs_the_unit(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                           store: SQLiteStore) -> None:
    archive = write_zip(tmp_path / "w.zip", {f"{GED}/weight-2017-10-01.json": _weight_json(80.0, None),
                                             f"{GED}/sedentary_minutes-2017-10-01.json":
                                                 '[{"dateTime" : "10/08/17 00:00:00", "value" : "700"}]'})
    summary = run_import(archive)
    status, reason = _status(summary, "weight-2017-10-01.json")
    assert status == "failed" and "--weight-unit" in reason
    assert one(store, 'SELECT count(*) FROM "weight"') == 0  # nothing stored in a guessed unit
    assert one(store, 'SELECT minutesSedentary FROM "Activity Minutes"') == 700  # the rest is imported
    run_import(archive, weight_unit="kg")
    assert one(store, 'SELECT kg FROM "weight"') == 80.0


def test_csv_units_and_nan(tmp_path: Path, run_import: Callable[..., ImportSummary], store: SQLiteStore) -> None:
    files = {
        f"{PA}/distance_2024-11-01.csv": "timestamp,distance,data source\n2024-11-01T08:00:00Z,12.5,Charge 6\n",
        f"{GED}/distance-2024-10-01.json": '[{"dateTime" : "10/31/24 08:00:00", "value" : "1250"}]',
        f"{PA}/weight.csv": "timestamp,weight grams,data source\n2024-11-01T07:00:00.999Z,81234.5,Charge 6\n",
        f"{PA}/daily_oxygen_saturation.csv":
            "timestamp,average percentage,lower bound percentage,upper bound percentage,baseline percentage,"
            "standard deviation percentage,data source\n"
            "2024-11-01T00:00:00Z,NaN,94.0,97.0,95.0,1.1,Charge 6\n2024-11-02T00:00:00Z,NaN,,,,,Charge 6\n",
        f"{PA}/respiratory_rate_sleep_summary.csv":
            "timestamp,full sleep stats - milli breaths per minute,deep sleep stats - milli breaths per minute,"
            "data source\n2024-11-01T06:00:00Z,14500,13250,Charge 6\n",
    }
    summary = run_import(write_zip(tmp_path / "u.zip", files), time_zone="UTC")
    assert rows(store, 'SELECT value FROM "Distance_Intraday" ORDER BY time') == [(12.5,), (12.5,)]  # cm and m
    assert rows(store, 'SELECT round(kg, 4) FROM "weight"') == [(81.2345,)]
    # NaN is no value: the field is left out, and a row with only NaN is skipped
    assert rows(store, 'SELECT date, avg, lowerBound FROM "SPO2"') == [("2024-11-01", None, 94.0)]
    assert rows(store, 'SELECT full, deep FROM "BreathingRate_Sleep"') == [(14.5, 13.25)]
    assert next(f for f in summary.files if f.label.endswith("daily_oxygen_saturation.csv")).skipped == 1


def test_empty_and_placeholder_files(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                     store: SQLiteStore) -> None:
    files = {
        f"{GED}/steps-2024-01-01.json": "no data",
        "Takeout/Fitbit/Oxygen Saturation (SpO2)/Minute SpO2 - 2024-01-01.csv": "timestamp,value\n",
        f"{PA}/heart_rate_2024-01-01.csv": "",
        f"{GED}/resting_heart_rate-2024-01-01.json":
            '[{"dateTime" : "01/01/24 00:00:00", "value" : {"date" : "01/01/24", "value" : 57.6, "error" : 6.7}},'
            ' {"dateTime" : "01/02/24 00:00:00", "value" : {"date" : null, "value" : 0.0, "error" : 0.0}}]',
        "Takeout/Fitbit/Global Export Data/Global Export Data README.txt": "Time Series Data Export\n",
        "Takeout/Fitbit/Biometrics/Glucose 2024-01-01.csv": "no data",
    }
    summary = run_import(write_zip(tmp_path / "e.zip", files))
    for suffix in ("steps-2024-01-01.json", "Minute SpO2 - 2024-01-01.csv", "heart_rate_2024-01-01.csv"):
        assert _status(summary, suffix) == ("empty", ""), suffix
    assert rows(store, 'SELECT date, value FROM "RestingHR"') == [("2024-01-01", 58)]
    assert next(f for f in summary.files if "resting" in f.label).skipped == 1
    assert summary.ignored_files == 2  # the README and the glucose file
    assert summary.count("failed") == 0


def test_activity_minutes_padding_after_the_export(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                                   store: SQLiteStore) -> None:
    def rows_of(values: list[tuple[int, int]]) -> str:
        return "[" + ",".join(f'{{"dateTime" : "01/{d:02d}/24 00:00:00", "value" : "{v}"}}' for d, v in values) + "]"

    files = {
        # intraday data ends on January 3rd (UTC zone): the export was made then
        f"{GED}/steps-2024-01-01.json": "[" + ",".join(
            f'{{"dateTime" : "01/0{d}/24 12:00:00", "value" : "10"}}' for d in (1, 2, 3)) + "]",
        f"{GED}/sedentary_minutes-2024-01-01.json": rows_of([(1, 1440), (2, 900), (3, 800), (4, 1440), (5, 1440)]),
        f"{GED}/very_active_minutes-2024-01-01.json": rows_of([(1, 0), (2, 30), (3, 20), (4, 0), (5, 12)]),
    }
    run_import(write_zip(tmp_path / "pad.zip", files), time_zone="UTC")
    assert rows(store, 'SELECT date, minutesSedentary, minutesVeryActive FROM "Activity Minutes" ORDER BY date') == [
        ("2024-01-01", 1440, 0),  # a day not worn, before the export: kept
        ("2024-01-02", 900, 30), ("2024-01-03", 800, 20),
        ("2024-01-05", None, 12),  # after the export, but not the padding shape: kept
    ]


def test_bulk_tables_are_never_read(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                    store: SQLiteStore) -> None:
    path = tmp_path / "bulk.zip"
    payload = b"timestamp,probability\n" + b"2024-01-01T00:00:00Z,0.5\n" * 2000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("Takeout/Fitbit/Health Fitness Data_GoogleData/UserActivityProbabilities_2024-01-01.csv",
                         payload)
        archive.writestr(f"{GED}/sedentary_minutes-2024-01-01.json",
                         '[{"dateTime" : "01/01/24 00:00:00", "value" : "600"}]')
    data = bytearray(path.read_bytes())
    at = data.index(payload)
    data[at + 100: at + 110] = b"X" * 10  # reading the member now fails its CRC check
    path.write_bytes(bytes(data))
    summary = run_import(path)
    assert summary.bulk_files == 1
    assert summary.count("failed") == 0
    assert one(store, 'SELECT minutesSedentary FROM "Activity Minutes"') == 600

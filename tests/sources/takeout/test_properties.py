"""Property tests: whatever bytes a file holds, no parser crashes the import; every bad file is
reported (one line) and skipped, and whatever is stored fits the schema (the store checks)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitbit_sync.sources.takeout import ImportOptions, ImportSummary, import_archives
from fitbit_sync.sources.takeout.families import FAMILIES
from fitbit_sync.sources.takeout.synthetic import Spec, build
from fitbit_sync.stores.sqlite import SQLiteStore

pytestmark = pytest.mark.reliability

ROOT = "Takeout/Fitbit"
#: one file name per imported family, in the folder a real export puts it
NAMES = [
    f"{ROOT}/Global Export Data/{stem}-2024-01-01.json"
    for stem in ("heart_rate", "steps", "distance", "calories", "altitude", "sedentary_minutes", "resting_heart_rate",
                 "time_in_heart_rate_zones", "demographic_vo2_max", "sleep", "weight", "fat")
] + [f"{ROOT}/Global Export Data/exercise-0.json"] + [
    f"{ROOT}/Physical Activity_GoogleData/{stem}_2024-01-01.csv"
    for stem in ("heart_rate", "steps", "distance", "active_energy_burned", "floors", "oxygen_saturation", "weight",
                 "body_fat", "active_zone_minutes", "respiratory_rate_sleep_summary", "daily_resting_heart_rate",
                 "daily_heart_rate_variability", "daily_respiratory_rate", "daily_oxygen_saturation",
                 "daily_sleep_temperature_derivations")
] + [
    f"{ROOT}/Heart Rate Variability/Daily Heart Rate Variability Summary - 2024-01-(01).csv",
    f"{ROOT}/Heart Rate Variability/Heart Rate Variability Details - 2024-01-01.csv",
    f"{ROOT}/Heart Rate Variability/Daily Respiratory Rate Summary - 2024-01-01.csv",
    f"{ROOT}/Heart Rate Variability/Respiratory Rate Summary - 2024-01-01.csv",
    f"{ROOT}/Oxygen Saturation (SpO2)/Daily SpO2 - 2024-01-01-2024-01-31.csv",
    f"{ROOT}/Oxygen Saturation (SpO2)/Minute SpO2 - 2024-01-01.csv",
    f"{ROOT}/Temperature/Computed Temperature - 2024-01-01.csv",
    f"{ROOT}/Active Zone Minutes (AZM)/Active Zone Minutes - 2024-01-01.csv",
]
STATUSES = {"imported", "empty", "failed", "superseded"}
#: valid files of every family (one day), to cut short
VALID = build(Spec(start=date(2024, 1, 1), days=1, hr_interval_s=900, csv_from=0))


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].split("_20")[0].split(" - ")[0]


#: the real header of each CSV family (from the valid files)
HEADERS = {_stem(path): data.decode().splitlines()[0] for path, data in VALID if path.endswith(".csv") and data}


def test_every_imported_family_is_exercised() -> None:
    from fitbit_sync.sources.takeout.families import classify

    exercised = {classify(name.rsplit("/", 1)[-1]).key for name in NAMES}  # type: ignore[union-attr]
    assert exercised == {f.key for f in FAMILIES if f.parse is not None}


def _import(files: dict[str, bytes]) -> ImportSummary:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    path = _tmp / f"fuzz-{len(files)}.zip"
    path.write_bytes(buffer.getvalue())
    with SQLiteStore(":memory:") as store:
        return import_archives([path], store, ImportOptions(time_zone="Europe/Berlin"))


def _check(summary: ImportSummary, files: dict[str, bytes]) -> None:
    reported = {f.label.split(":", 1)[1] for f in summary.files}
    assert reported == set(files)  # every file has exactly one report
    for report in summary.files:
        assert report.status in STATUSES, report
        if report.status == "failed":
            assert report.reason and "\n" not in report.reason


_tmp: Any = None


@pytest.fixture(autouse=True)
def _workdir(tmp_path_factory: pytest.TempPathFactory) -> None:
    global _tmp
    _tmp = tmp_path_factory.mktemp("fuzz")


FAST = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                         st.sampled_from(["01/02/24 03:04:05", "2024-01-02T03:04:05.000", "NaN", "no data", "168",
                                          "-1", "1e400", "13/45/99 99:99:99"]))
KEYS = ["dateTime", "value", "bpm", "confidence", "date", "time", "weight", "bmi", "fat", "startTime", "endTime",
        "levels", "data", "summary", "level", "seconds", "mainSleep", "type", "logId", "activityName", "duration",
        "distance", "distanceUnit", "valuesInZones", "IN_DEFAULT_ZONE_1", "demographicVO2Max", "minutes"]
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)), max_leaves=25)


@FAST
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=600))
def test_arbitrary_bytes(name: str, data: bytes) -> None:
    files = {name: data}
    _check(_import(files), files)


@FAST
@given(name=st.sampled_from([n for n in NAMES if n.endswith(".json")]),
       rows=st.lists(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8), max_size=6))
def test_arbitrary_json_rows(name: str, rows: list[dict[str, Any]]) -> None:
    files = {name: json.dumps(rows).encode()}
    _check(_import(files), files)


@FAST
@given(name=st.sampled_from([n for n in NAMES if n.endswith(".csv")]),
       cells=st.lists(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(
           ["2024-01-02T03:04:05Z", "2024-01-02", "NaN", "72.5", "Charge 6", "FAT_BURN", "", "-3", "1e999"])),
           max_size=7), max_size=8))
def test_arbitrary_csv_cells(name: str, cells: list[list[str]]) -> None:
    header = HEADERS.get(_stem(name), "timestamp,value,data source")
    body = "\n".join(",".join(c.replace("\n", " ").replace("\r", " ") for c in row) for row in cells)
    files = {name: f"{header}\n{body}\n".encode()}
    _check(_import(files), files)


VALID_FILES = [(name, data) for name, data in VALID if len(data) > 40 and not name.endswith((".txt", "Profile.csv"))
               and "UserActivityProbabilities" not in name and "UserSleeps" not in name and "sleep_score" not in name]


@FAST
@given(index=st.integers(0, len(VALID_FILES) - 1), cut=st.floats(0.0, 1.0))
def test_truncated_valid_files(index: int, cut: float) -> None:
    name, data = VALID_FILES[index]
    files = {name: data[: int(len(data) * cut)]}
    _check(_import(files), files)

"""Helpers for the Takeout tests (imported as ``takeout_helpers``): real zips, samples, queries."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fitbit_sync.stores.sqlite import SQLiteStore

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "fitbit-to-sqlite" / "tests" / "zip_contents"
FITOUT = DATA / "FitOut" / "tests" / "data"
#: the real sample files under the names a real export gives them
SAMPLE_NAMES = {
    "distance.json": "distance-2017-12-31.json",
    "exercise.json": "exercise-0.json",
    "heart_rate_zones.json": "time_in_heart_rate_zones-2018-01-02.json",
    "lightly_active_minutes.json": "lightly_active_minutes-2018-01-01.json",
    "moderately_active_minutes.json": "moderately_active_minutes-2018-01-01.json",
    "sedentary_minutes.json": "sedentary_minutes-2018-01-01.json",
    "very_active_minutes.json": "very_active_minutes-2018-01-01.json",
    "resting_heart_rate.json": "resting_heart_rate-2018-12-30.json",
    "sleep.json": "sleep-2018-02-01.json",
}


def write_zip(path: Path, files: Mapping[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return path


def sample_files(root: str = "Takeout/Fitbit") -> dict[str, bytes]:
    files = {f"{root}/Global Export Data/{SAMPLE_NAMES[p.name]}": p.read_bytes()
             for p in SAMPLES.iterdir() if p.name in SAMPLE_NAMES}
    files[f"{root}/Sleep Score/sleep_score.csv"] = (SAMPLES / "sleep_score.csv").read_bytes()
    for p in FITOUT.iterdir():
        files[f"{root}/Global Export Data/{p.name}"] = p.read_bytes()
    return files


def rows(store: SQLiteStore, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return store.connection.execute(sql, params).fetchall()


def one(store: SQLiteStore, sql: str, *params: object) -> Any:
    return store.connection.execute(sql, params).fetchone()[0]

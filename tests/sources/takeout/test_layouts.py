"""Every documented layout, multi-part exports, extracted folders: same data, found by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from takeout_helpers import one, rows

from fitbit_sync.sources.takeout import ImportSummary
from fitbit_sync.sources.takeout.synthetic import LAYOUTS, Person, Spec, write_export
from fitbit_sync.stores.sqlite import SQLiteStore

SMALL = {"hr_interval_s": 60, "start": date(2024, 3, 4), "days": 3}
EXPECTED_LAYOUT = {
    "takeout-fitbit": "Google Takeout, Takeout/Fitbit (2022-2026)",
    "takeout-google-health": "Google Takeout, Takeout/Google Health (2026)",
    "user-site-export": "fitbit.com account archive, user-site-export (2015-2021)",
    "category-folders": "fitbit.com account archive, category folders (2021-2023)",
    "google-data": "fitbit.com account archive, Google Data (2026)",
}


def _counts(store: SQLiteStore) -> dict[str, int]:
    return {s.name: s.rows for s in store.measurement_stats()}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_imports_the_same_data(layout: str, tmp_path: Path, run_import: Callable[..., ImportSummary],
                                           store: SQLiteStore) -> None:
    spec = Spec(layout=layout, csv_from=1, **SMALL)  # type: ignore[arg-type]
    summary = run_import(write_export(tmp_path / "takeout.zip", spec))
    assert EXPECTED_LAYOUT[layout] in summary.layouts
    assert summary.count("failed") == 0
    person = Person(spec)
    counts = _counts(store)
    assert counts["HeartRate_Intraday"] == 3 * 1440  # one sample a minute, each once
    for name in ("Steps_Intraday", "Total Steps", "Sleep Summary", "Sleep Levels", "RestingHR", "Activity Minutes",
                 "HRV", "SPO2", "Skin Temperature", "BreathingRate", "VO2 Max", "HR zones", "weight",
                 "Activity Records", "calories"):
        assert counts.get(name, 0) > 0, name
    day = person.first + 1
    assert one(store, 'SELECT value FROM "Total Steps" WHERE date = ?', str(spec.start.replace(day=5))) == \
        person.total_steps(day)


def test_numbered_parts_and_a_folder_of_parts(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                              store: SQLiteStore) -> None:
    spec = Spec(parts=3, **SMALL)  # type: ignore[arg-type]
    (tmp_path / "dl").mkdir()
    parts = write_export(tmp_path / "dl" / "takeout-20240310T172133Z.zip", spec)
    assert [p.name for p in parts] == [f"takeout-20240310T172133Z-1-00{i}.zip" for i in (1, 2, 3)]
    single = tmp_path / "single"
    single.mkdir()
    whole = write_export(single / "takeout.zip", Spec(**SMALL))  # type: ignore[arg-type]
    # all parts in one run, given as the folder they were downloaded into
    summary = run_import(tmp_path / "dl")
    assert summary.count("failed") == 0
    split = _counts(store)
    run_import(whole)  # the same export as one zip, into the same store: nothing new, nothing doubled
    assert _counts(store) == split
    assert split["HeartRate_Intraday"] == 3 * 1440


def test_extracted_folder_equals_the_zip(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                         store: SQLiteStore) -> None:
    spec = Spec(layout="takeout-google-health", csv_from=1, **SMALL)  # type: ignore[arg-type]
    folder = write_export(tmp_path / "extracted", spec)[0]
    summary = run_import(folder)
    from_folder = _counts(store)
    assert summary.count("failed") == 0 and from_folder["HeartRate_Intraday"] == 3 * 1440
    other = SQLiteStore(tmp_path / "other.db")
    from fitbit_sync.sources.takeout import ImportOptions, import_archives

    import_archives([write_export(tmp_path / "t.zip", spec)[0]], other, ImportOptions(device="Charge 6"))
    assert {s.name: s.rows for s in other.measurement_stats()} == from_folder
    other.close()


def test_files_found_anywhere_by_name(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                      store: SQLiteStore) -> None:
    from takeout_helpers import write_zip

    from fitbit_sync.sources.takeout.synthetic import build

    files = build(Spec(**SMALL))  # type: ignore[arg-type]
    # an unknown root and arbitrary nesting: files are matched by name, not path
    moved = {f"some/unexpected/root/{i}/{name.rsplit('/', 1)[-1]}": data for i, (name, data) in enumerate(files)}
    summary = run_import(write_zip(tmp_path / "odd.zip", moved))
    assert summary.layouts == ["loose files (no known root folder)"]
    assert _counts(store)["HeartRate_Intraday"] == 3 * 1440
    assert rows(store, 'SELECT count(*) FROM "Sleep Summary"')[0][0] > 0

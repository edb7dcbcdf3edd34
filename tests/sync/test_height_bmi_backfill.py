"""height and BMI over real HTTP: a backfill of weight and height against the emulator stores
every height the account has (also before the range: BMI needs the latest) and a BMI for every
weigh-in after the first height, equal to weight / height² within rounding; a later sync, which
reads height only from its bookmark, still finds the height for its weigh-ins."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fitbit_sync.catalog import select_streams
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sync.runner import SyncSession
from support.emulator import emulator_settings

HISTORY = (date(2025, 1, 1), date(2025, 12, 31))
RANGE = (date(2025, 9, 1), date(2025, 10, 31))


def rows(db: Path, measurement: str) -> dict[int, float]:
    conn = sqlite3.connect(db)
    try:
        column = "kg" if measurement == "weight" else "value"
        return dict(conn.execute(f'SELECT time, "{column}" FROM "{measurement}"').fetchall())
    finally:
        conn.close()


def test_backfill_stores_heights_and_bmi_of_every_weigh_in(emulator_factory: Any, tmp_path: Path) -> None:
    emu = emulator_factory(seed=5, start=HISTORY[0], end=HISTORY[1], quota_per_minute=100_000)
    db = tmp_path / "sync.db"
    settings = emulator_settings(emu, tmp_path, db)
    with SyncSession(settings) as session:
        assert session.client is not None
        session.resolve_zone()
        report = session.run(session.plan_backfill(select_streams(["weight", "height"]), *RANGE), "backfill")
        calls = dict(session.client.calls)
    assert report.failures == [] and not report.skipped and report.completed == report.planned == 2
    assert calls["list:height"] == 1 and calls["list:weight"] == 1

    served = sorted((p["height"]["sampleTime"]["physicalTime"], int(p["height"]["heightMillimeters"]))
                    for day in emu.generator.days() for p in emu.generator.points("height", day))
    heights = rows(db, "height")
    assert len(heights) == len(served) >= 3  # the whole year, not only the two months
    entered = sorted(heights.items())
    assert [m for _t, m in entered] == [mm / 1000 for _t, mm in served]

    weights, bmi = rows(db, "weight"), rows(db, "bmi")
    assert weights and all(min(heights) <= t for t in weights)  # the range starts after a height
    assert set(bmi) == set(weights)
    for when, kg in weights.items():
        metres = [m for t, m in entered if t <= when][-1]
        assert abs(bmi[when] - kg / metres**2) <= 0.005, when

    # a later sync reads height only from its bookmark (nothing left here): the heights the
    # backfill saw are kept in the store's state, so the new weigh-ins get their BMI too
    later = int(datetime(2025, 11, 30, 12, tzinfo=UTC).timestamp() * 1000)
    with SyncSession(settings) as session:
        assert session.client is not None
        zone = session.resolve_zone()
        coverage = session.coverage()
        requests = planner.plan_incremental(select_streams(["weight", "height"]), coverage, later, zone)
        assert "weight" in {r.stream.key for r in requests}  # height: covered up to the backfill's now
        assert all(r.start_ms > datetime(2025, 10, 1, tzinfo=UTC).timestamp() * 1000 for r in requests)
        session.run(requests, "sync")
    weights, bmi = rows(db, "weight"), rows(db, "bmi")
    november = datetime(2025, 11, 1, tzinfo=UTC).timestamp() * 1000
    assert max(weights) > november
    assert set(bmi) == set(weights)  # without the kept heights, November's weigh-ins would have none

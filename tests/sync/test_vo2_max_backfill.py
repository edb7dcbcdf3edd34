"""vo2-max over real HTTP: a backfill against the emulator stores one sample per served point,
with the value and method the emulator served, in the one call its few points need."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from fitbit_sync.catalog import select_streams
from fitbit_sync.sources.google_health.converters import parse_time_ms
from fitbit_sync.sync.runner import SyncSession
from support.emulator import emulator_settings

RANGE = (date(2025, 3, 1), date(2025, 4, 30))


def test_backfill_stores_every_vo2_max_sample(emulator_factory: Any, tmp_path: Path) -> None:
    emu = emulator_factory(seed=9, start=RANGE[0], end=RANGE[1], quota_per_minute=100_000)
    db = tmp_path / "sync.db"
    with SyncSession(emulator_settings(emu, tmp_path, db)) as session:
        assert session.client is not None
        session.resolve_zone()
        report = session.run(session.plan_backfill(select_streams(["vo2-max"]), *RANGE), "backfill")
        calls = dict(session.client.calls)
    assert report.failures == [] and not report.skipped and report.completed == report.planned == 1
    assert calls["list:vo2-max"] == 1
    served = sorted((parse_time_ms(p["vo2Max"]["sampleTime"]["physicalTime"]), p["vo2Max"]["vo2Max"],
                     p["vo2Max"]["measurementMethod"])
                    for day in emu.generator.days() for p in emu.generator.points("vo2-max", day))
    conn = sqlite3.connect(db)
    try:
        stored = conn.execute('SELECT time, value, method FROM "VO2 Max Samples" ORDER BY time').fetchall()
    finally:
        conn.close()
    assert len(stored) == len(served) > 40
    assert stored == served

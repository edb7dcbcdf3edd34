"""Over real HTTP against the emulator: injected faults (429, 5xx, resets, truncated and malformed
bodies, a hang) still end complete and correct; an incremental ``sync`` right after a backfill
makes only the calls the recent, still provisional days need, and picks up new data."""

from __future__ import annotations

import math
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sync_support import expected_records, points_in, read_tables

from fitbit_sync.auth.tokens import open_token_provider
from fitbit_sync.catalog import STREAMS
from fitbit_sync.config import Settings
from fitbit_sync.emulator.faults import FaultRule
from fitbit_sync.net.retry import RetryPolicy
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.sources.google_health.converters import axis_time
from fitbit_sync.sync.engine import interruptible_sleep
from fitbit_sync.sync.runner import SyncSession
from support.emulator import emulator_settings

ALL = [s for s in STREAMS]


def fast_session(settings: Settings, **kw: Any) -> SyncSession:
    """A session whose client retries quickly (the default backoff starts at 1 s)."""
    stop = threading.Event()
    client = HealthApiClient(settings, open_token_provider(settings), sleep=interruptible_sleep(stop),
                             policy=RetryPolicy(max_retries=12, base=0.02, cap=0.2))
    return SyncSession(settings, client=client, stop=stop, **kw)


@pytest.mark.reliability
def test_faults_still_end_complete_and_correct(emulator_factory: Any, tmp_path: Path) -> None:
    emu = emulator_factory(seed=31, start=date(2025, 4, 1), end=date(2025, 4, 30), quota_per_minute=100_000)
    first, last = date(2025, 4, 10), date(2025, 4, 13)
    clean = emulator_settings(emu, tmp_path / "clean", tmp_path / "clean.db")
    with fast_session(clean) as session:
        session.run(session.plan_backfill(ALL, first, last), "backfill")

    kinds = ("http_429", "http_500", "http_503", "http_504", "reset", "reset_mid_body", "truncate", "malformed")
    emu.state.set_faults([
        FaultRule("hang", count=1, after=5, seconds=6),
        *(FaultRule(kind, count=2, after=4 * i) for i, kind in enumerate(kinds)),  # each fires for sure
        *(FaultRule(kind, probability=0.04) for kind in kinds),  # and more at random
    ], seed=7)
    emu.state.reset_stats()
    faulty = emulator_settings(emu, tmp_path / "faulty", tmp_path / "faulty.db", request_timeout=1.5)
    with fast_session(faulty) as session:
        assert session.client is not None
        report = session.run(session.plan_backfill(ALL, first, last), "backfill")
        retries = session.client.calls["retry"]
    faults = emu.state.stats.snapshot()["faults"]
    assert report.failures == [] and report.completed == report.planned
    assert retries >= sum(faults.values()) > 10
    assert set(faults) == {*kinds, "hang"}, faults
    reference, survived = read_tables(tmp_path / "clean.db"), read_tables(tmp_path / "faulty.db")
    for name, rows in reference.items():
        if name == "DeviceBatteryLevel":  # a snapshot of "now": its time moves between the runs
            continue
        assert survived[name] == rows, name
    assert sum(len(r) for r in reference.values()) > 50_000


T0 = datetime(2025, 5, 20, 15, 0, tzinfo=UTC)


def minimum_calls(gen: Any, plan: list[planner.Request], today: date) -> int:
    """The fewest calls for ``plan``'s ranges: a page per 10,000 points (25 sleeps or workouts), one
    per rollup chunk, one per GPS workout's track, one for the paired devices; nothing else."""
    expected = 0
    for request in plan:
        if request.stream.method == "list":
            n = points_in(gen, request.stream, request.start_ms, request.end_ms)
            expected += max(1, math.ceil(n / request.stream.page_size))
        else:
            expected += 1
        if request.stream.type_id == "exercise":
            for day in (today - timedelta(days=d) for d in range(5)):
                for p in gen.points("exercise", day):
                    if request.start_ms <= (axis_time(request.stream, p) or 0) < request.end_ms:
                        expected += bool(p["exercise"]["exerciseMetadata"].get("hasGps"))
    return expected


def test_second_sync_makes_only_the_calls_recent_days_need(emulator_factory: Any, tmp_path: Path) -> None:
    clock = {"now": T0.timestamp()}
    emu = emulator_factory(seed=41, start=date(2025, 5, 1), end=date(2025, 5, 31), quota_per_minute=100_000,
                           clock=lambda: clock["now"])
    settings = emulator_settings(emu, tmp_path, tmp_path / "fitbit.db", device_name="Charge 6")
    gen = emu.generator
    with fast_session(settings, clock=lambda: clock["now"]) as session:
        assert session.client is not None
        zone = session.resolve_zone()
        today = T0.astimezone(zone).date()
        session.run(session.plan_backfill(ALL, today - timedelta(days=5), today), "backfill")

        emu.state.reset_stats()
        plan = session.plan_sync(ALL)
        report = session.run(plan, "sync")
        stats = emu.state.stats.snapshot()
        now_ms = int(clock["now"] * 1000)
        # every request is about the provisional last days, nothing older
        for request in plan:
            if request.stream.backfill:
                oldest = planner.settled_until(request.stream, now_ms, zone) - planner.DAY_MS
                assert request.start_ms >= oldest, request.describe()
        # and exactly as many calls as those days' points need
        expected = minimum_calls(gen, plan, today)
        assert stats["total"] == expected, (stats["by_type"], expected)
        assert report.failures == []

        # new data: 45 minutes later (the access token still valid) the sync finds the new points,
        # again with only the calls the recent days need
        before = read_tables(tmp_path / "fitbit.db")
        clock["now"] += 45 * 60
        emu.state.reset_stats()
        plan = session.plan_sync(ALL)
        session.run(plan, "sync")
        after = read_tables(tmp_path / "fitbit.db")
        assert len(after["HeartRate_Intraday"]) > len(before["HeartRate_Intraday"]) + 400
        assert len(after["Steps_Intraday"]) == len(before["Steps_Intraday"]) + 45
        assert emu.state.stats.snapshot()["total"] == minimum_calls(gen, plan, today)
    # and everything stored equals what the generator serves up to now, exactly once
    now_ms = int(clock["now"] * 1000)
    hr = next(s for s in ALL if s.key == "heart-rate")
    expected_hr, points = expected_records(gen, [hr], today - timedelta(days=5), today, zone, now_ms, "Charge 6")
    assert len(after["HeartRate_Intraday"]) == points["heart-rate"] == len(expected_hr)

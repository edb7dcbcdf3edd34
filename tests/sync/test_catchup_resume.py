"""A stopped ``sync`` / daemon catch-up resumes the *whole* catch-up (issue: never lose a row).

Heart rate is backfilled for three old days; then a sync catches up ~9.7 days and is stopped once
it has stored pages older than the provisional window (pages come newest first, so what is left is
a hole *below* fresh coverage). The rerun must fetch the hole: the store ends equal, row by row, to
an uninterrupted catch-up. Before the catch-up marks, the rerun resumed from the newest covered
end and a 6-day hole was never fetched. The same for rollup chunks (newest chunk first) and for
the daemon. Clocks are fixed: the result is the same on every calendar day.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sync_support import read_tables

from fitbit_sync.auth.tokens import open_token_provider
from fitbit_sync.catalog import select_streams
from fitbit_sync.config import Settings
from fitbit_sync.net.retry import RetryPolicy
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.sources.google_health.planner import SETTLE_INTRADAY_MS, SOURCE
from fitbit_sync.stores.base import merge_intervals
from fitbit_sync.stores.sqlite import SQLiteStore
from fitbit_sync.sync.daemon import Daemon
from fitbit_sync.sync.engine import Interrupted, interruptible_sleep
from fitbit_sync.sync.runner import STATE_CATCHUP, SyncSession
from support.emulator import emulator_settings

pytestmark = pytest.mark.reliability

NOW = datetime(2025, 6, 20, 16, 40, tzinfo=UTC)  # "D": a fixed now, 2025-06-20 18:40 in Berlin
TODAY = date(2025, 6, 20)
STREAMS = select_streams(["heart-rate", "floors:rollup", "daily-resting-heart-rate"])
TABLES = ("HeartRate_Intraday", "Floors_Intraday", "RestingHR")


class StoppingClient(HealthApiClient):
    """Sets ``stop`` once a heart-rate page older than ``older_than_ms`` (``trigger="list"``) or
    the first rollup chunk (``trigger="rollup"``, newest first) has been answered; the engine then
    writes that page and stops, as on SIGTERM between pages."""

    def __init__(self, *args: Any, stop: threading.Event, older_than_ms: int, trigger: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._stop, self._older_than, self._trigger = stop, older_than_ms, trigger

    def list_data_points(self, type_id: str, **kw: Any) -> dict[str, Any]:
        page = super().list_data_points(type_id, **kw)
        points = page.get("dataPoints") or []
        if self._trigger == "list" and type_id == "heart-rate" and points:
            oldest = points[-1]["heartRate"]["sampleTime"]["physicalTime"]
            if datetime.fromisoformat(oldest.replace("Z", "+00:00")).timestamp() * 1000 < self._older_than:
                self._stop.set()
        return page

    def roll_up(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        page = super().roll_up(type_id, body)
        if self._trigger == "rollup":
            self._stop.set()
        return page


def session_for(settings: Settings, *, stop_older_than: int | None = None, trigger: str = "list") -> SyncSession:
    stop = threading.Event()
    args = (settings, open_token_provider(settings))
    kw: dict[str, Any] = {"sleep": interruptible_sleep(stop), "policy": RetryPolicy(max_retries=3, base=0.01, cap=0.05)}
    client = (HealthApiClient(*args, **kw) if stop_older_than is None
              else StoppingClient(*args, stop=stop, older_than_ms=stop_older_than, trigger=trigger, **kw))
    return SyncSession(settings, client=client, stop=stop, clock=lambda: NOW.timestamp())


def backfill_old_days(settings: Settings) -> None:
    with session_for(settings) as session:
        session.run(session.plan_backfill(STREAMS, TODAY - timedelta(days=12), TODAY - timedelta(days=10)),
                    "backfill")


def now_ms() -> int:
    return int(NOW.timestamp() * 1000)


@pytest.fixture
def emu(emulator_factory: Any) -> Any:
    return emulator_factory(seed=17, start=TODAY - timedelta(days=20), end=TODAY, quota_per_minute=100_000,
                            clock=lambda: NOW.timestamp())


@pytest.mark.parametrize(("trigger", "stream"), [("list", "heart-rate"), ("rollup", "floors:rollup")])
def test_a_stopped_sync_catch_up_resumes_the_hole_below_its_newest_pages(trigger: str, stream: str, emu: Any,
                                                                        tmp_path: Path) -> None:
    reference = emulator_settings(emu, tmp_path / "ref", tmp_path / "ref.db", device_name="Charge 6")
    backfill_old_days(reference)
    with session_for(reference) as session:
        report = session.run(session.plan_sync(STREAMS), "sync")
    assert report.failures == []

    # one worker: requests run one after another, so the stop leaves a hole in ``stream``
    settings = emulator_settings(emu, tmp_path / "cut", tmp_path / "cut.db", device_name="Charge 6",
                                 max_concurrency=1)
    backfill_old_days(settings)
    old = now_ms() - SETTLE_INTRADAY_MS - 24 * 3600 * 1000  # stop below the provisional window
    with session_for(settings, stop_older_than=old, trigger=trigger) as session, pytest.raises(Interrupted):
        session.run(session.plan_sync(STREAMS), "sync")
    with SQLiteStore(tmp_path / "cut.db") as store:
        assert store.get_state(STATE_CATCHUP)  # the unfinished catch-up is remembered
        cov = merge_intervals((c.start_ms, c.end_ms) for c in store.coverage(SOURCE, stream))
    assert len(cov) >= 2 and cov[0][1] < cov[1][0]  # a hole below the newest pages: the bug's setting
    assert trigger == "rollup" or cov[1][0] < old  # pages older than the provisional days were stored

    with session_for(settings) as session:  # the rerun
        report = session.run(session.plan_sync(STREAMS), "sync")
    assert report.failures == []
    want, got = read_tables(tmp_path / "ref.db"), read_tables(tmp_path / "cut.db")
    for name in TABLES:
        assert len(got[name]) == len(want[name]) and got[name] == want[name], name
    assert len(want["HeartRate_Intraday"]) > 100_000
    with SQLiteStore(tmp_path / "cut.db") as store:
        cov = merge_intervals((c.start_ms, c.end_ms) for c in store.coverage(SOURCE, stream))
    assert len(cov) == 1, "coverage still has a hole"


def test_a_daemon_stopped_during_its_catch_up_fills_the_hole_on_restart(emu: Any, tmp_path: Path) -> None:
    reference = emulator_settings(emu, tmp_path / "ref", tmp_path / "ref.db", device_name="Charge 6")
    backfill_old_days(reference)
    with session_for(reference) as session:
        session.run(session.plan_sync(STREAMS), "sync")

    settings = emulator_settings(emu, tmp_path / "cut", tmp_path / "cut.db", device_name="Charge 6",
                                 max_concurrency=1)
    backfill_old_days(settings)
    old = now_ms() - SETTLE_INTRADAY_MS - 24 * 3600 * 1000
    for stop_older_than in (old, None):  # stopped during the catch-up, then a restart that runs on
        session = session_for(settings, stop_older_than=stop_older_than)
        daemon = Daemon(settings, STREAMS, session=session, clock=lambda: NOW.timestamp())
        if stop_older_than is None:  # the restarted daemon: stop it after its first sync of both groups
            original = daemon._tick

            def tick_once(due: Any, original: Any = original, daemon: Daemon = daemon) -> int | None:
                code = original(due)
                if all(g.next_due > NOW.timestamp() for g in daemon.groups):
                    daemon.stop.set()
                return code

            daemon._tick = tick_once  # type: ignore[method-assign]
        assert daemon.run() == 0
    want, got = read_tables(tmp_path / "ref.db"), read_tables(tmp_path / "cut.db")
    for name in TABLES:
        assert got[name] == want[name], name


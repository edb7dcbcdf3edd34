"""The daemon against the emulator: catches up at start, survives an API outage without exiting,
exits 4 with one line when the refresh token is refused, stops cleanly on SIGTERM, logs to a
rotating file."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sync_support import sigterm_once_faulted

from fitbit_sync.auth.tokens import open_token_provider
from fitbit_sync.catalog import select_streams
from fitbit_sync.emulator.faults import FaultRule
from fitbit_sync.errors import ExitCode, StoreError
from fitbit_sync.net.retry import RetryPolicy
from fitbit_sync.sources.google_health.client import HealthApiClient
from fitbit_sync.stores.factory import open_store
from fitbit_sync.sync.daemon import Daemon
from fitbit_sync.sync.engine import interruptible_sleep
from fitbit_sync.sync.runner import SyncSession
from support.emulator import emulator_env, emulator_settings

pytestmark = pytest.mark.reliability
STREAMS = select_streams(["steps", "daily-resting-heart-rate", "weight"])
TODAY = datetime.now(UTC).date()  # the daemon syncs up to now: the emulated history must reach today


def wait_for(check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def rows(db: Path, table: str) -> int:
    try:
        conn = sqlite3.connect(db)
        try:
            return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def test_daemon_survives_an_outage_and_exits_4_on_refused_refresh(emulator_factory: Any, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    emu = emulator_factory(seed=61, start=TODAY - timedelta(days=5), end=TODAY, quota_per_minute=100_000)
    db = tmp_path / "fitbit.db"
    settings = emulator_settings(emu, tmp_path, db)
    stop = threading.Event()
    client = HealthApiClient(settings, open_token_provider(settings), sleep=interruptible_sleep(stop),
                             policy=RetryPolicy(max_retries=1, base=0.01, cap=0.05))
    session = SyncSession(settings, client=client, stop=stop)
    daemon = Daemon(settings, STREAMS, session=session, intraday_s=0.4, daily_s=0.8, backoff_first_s=0.2)
    result: list[int] = []
    caplog.set_level(logging.INFO, logger="fitbit_sync")
    thread = threading.Thread(target=lambda: result.append(daemon.run()))
    thread.start()
    try:
        wait_for(lambda: rows(db, "Steps_Intraday") > 60 and rows(db, "RestingHR") > 0)  # caught up
        emu.state.set_faults([FaultRule("http_503")])  # the API goes down
        failed_before = daemon.failed_runs
        wait_for(lambda: daemon.failed_runs >= failed_before + 2)
        assert thread.is_alive()
        emu.state.clear_faults()  # and comes back
        succeeded = daemon.runs - daemon.failed_runs
        wait_for(lambda: daemon.runs - daemon.failed_runs >= succeeded + 2)
        assert thread.is_alive()
        emu.state.expire_refresh_tokens()
        emu.state.expire_access_tokens()
        thread.join(timeout=60)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert result == [ExitCode.REAUTH_REQUIRED]
    assert "retrying in" in caplog.text  # the outage was logged, not fatal
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "invalid_grant" in errors[0].getMessage()


def test_daemon_process_stops_cleanly_on_sigterm(emulator_factory: Any, tmp_path: Path) -> None:
    emu = emulator_factory(seed=62, start=TODAY - timedelta(days=5), end=TODAY, quota_per_minute=100_000)
    db = tmp_path / "fitbit.db"
    emulator_settings(emu, tmp_path, db)
    log_file = tmp_path / "logs" / "daemon.log"
    env = {**os.environ, **emulator_env(emu, tmp_path, db, log_file=log_file)}
    proc = subprocess.Popen([sys.executable, "-m", "fitbit_sync.cli", "daemon", "--types", "steps,weight"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: rows(db, "Steps_Intraday") > 0 or proc.poll() is not None, timeout=90)
        assert proc.poll() is None, proc.communicate()[1].decode()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    text = err.decode()
    assert "Traceback" not in text
    assert "daemon started" in text and "stopping" in text
    logged = log_file.read_text()
    assert "daemon started" in logged and "daemon stopped" in logged
    assert emu.client_secret not in logged and "ya29." not in logged and "1//" not in logged


def test_daemon_exits_9_on_an_unlinked_account_instead_of_looping(emulator_factory: Any, tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    emu = emulator_factory(seed=63, start=TODAY - timedelta(days=3), end=TODAY, quota_per_minute=100_000)
    settings = emulator_settings(emu, tmp_path, tmp_path / "fitbit.db", time_zone="UTC", max_concurrency=1)
    emu.state.control({"account_linked": False})
    emu.state.reset_stats()
    caplog.set_level(logging.INFO, logger="fitbit_sync")
    daemon = Daemon(settings, STREAMS, intraday_s=0.2, daily_s=0.2, backoff_first_s=0.05)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(daemon.run()))
    thread.start()
    thread.join(timeout=20)
    if thread.is_alive():
        daemon.request_stop()
        thread.join(timeout=10)
    assert result == [ExitCode.ACCOUNT_UNUSABLE]
    assert daemon.runs == 1 and daemon.failed_runs == 0
    assert [r for r in emu.state.stats.log if r["path"].startswith("/v4/")][1:] == []  # one data call, then exit
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "ACCOUNT_NOT_LINKED" in errors[0] and "Fitbit app" in errors[0]


@pytest.mark.parametrize(("fault", "zone"), [("http_503", None), ("hang", None), ("hang", "UTC")])
def test_daemon_stops_within_2_s_of_sigterm_during_an_outage(fault: str, zone: str | None, emulator_factory: Any,
                                                            tmp_path: Path) -> None:
    """The API answers 503 (the daemon waits between retries) or hangs (a request is in flight:
    the user's zone, or with a zone set, data requests in the engine's workers): SIGTERM ends the
    daemon at once, with exit 0 and no traceback."""
    emu = emulator_factory(seed=64, start=TODAY - timedelta(days=3), end=TODAY, quota_per_minute=100_000)
    db = tmp_path / "fitbit.db"
    emulator_settings(emu, tmp_path, db)
    emu.state.set_faults([FaultRule(fault, seconds=60)])
    emu.state.reset_stats()
    env = {**os.environ, **emulator_env(emu, tmp_path, db, **({"time_zone": zone} if zone else {}))}
    proc = subprocess.Popen([sys.executable, "-m", "fitbit_sync.cli", "daemon", "--types", "steps,weight"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err, elapsed = sigterm_once_faulted(proc, emu, fault)
    text = err.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "_Stopped" not in text
    assert "daemon stopped" in text
    assert elapsed < 2.5, f"took {elapsed:.1f} s to stop"


class FailingWrites:
    """A store whose first ``n`` writes fail as a database that is down would."""

    def __init__(self, store: Any, n: int) -> None:
        self._store = store
        self.failures_left = n

    def write(self, records: Any, coverage: Any) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise StoreError("database unavailable (test)")
        self._store.write(records, coverage)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_store_failure_during_a_sync_does_not_stop_the_daemon(emulator_factory: Any, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """The engine stops a run at a store failure by setting the run's stop event, which is the
    daemon's: the daemon must log it, retry later, and keep running (not exit 0 as if stopped)."""
    emu = emulator_factory(seed=65, start=TODAY - timedelta(days=3), end=TODAY, quota_per_minute=100_000)
    db = tmp_path / "fitbit.db"
    settings = emulator_settings(emu, tmp_path, db, time_zone="UTC")
    store = FailingWrites(open_store(settings), 1)
    session = SyncSession(settings, store=store)
    daemon = Daemon(settings, STREAMS, session=session, intraday_s=0.3, daily_s=0.3, backoff_first_s=0.1)
    caplog.set_level(logging.INFO, logger="fitbit_sync")
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(daemon.run()))
    thread.start()
    try:
        wait_for(lambda: daemon.failed_runs >= 1 or not thread.is_alive(), timeout=30)
        wait_for(lambda: rows(db, "Steps_Intraday") > 0 or not thread.is_alive(), timeout=30)
        assert thread.is_alive(), f"the daemon ended with {result} after a store failure"
        assert daemon.runs - daemon.failed_runs >= 1
    finally:
        daemon.request_stop()
        thread.join(timeout=30)
        store.close()
    assert result == [ExitCode.OK]
    assert "database unavailable (test)" in caplog.text and "retrying in" in caplog.text

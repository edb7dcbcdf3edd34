"""A ``fitbit-sync backfill`` killed with SIGKILL at random moments (and once stopped with Ctrl-C),
then run again, ends with a database identical to an uninterrupted run, table by table and row by
row."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sync_support import read_tables

from support.emulator import emulator_env, emulator_settings

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

RANGE = ("2025-03-10", "2025-03-16")
KILLS = 4


def backfill(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fitbit_sync.cli", "backfill", "--start", RANGE[0], "--end", RANGE[1]],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def coverage_rows(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM _coverage").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        conn.close()


def test_sigkill_at_random_moments_then_rerun_equals_an_uninterrupted_run(emulator_factory: Any,
                                                                           tmp_path: Path) -> None:
    # a fixed emulator clock: the paired devices' battery snapshot (a 15-minute "last sync") must not
    # change between the reference run and the killed runs, whatever the wall clock does
    frozen = datetime(2025, 4, 2, 12, 0, tzinfo=UTC).timestamp()
    emu = emulator_factory(seed=21, start=date(2025, 3, 1), end=date(2025, 3, 31), quota_per_minute=100_000,
                           clock=lambda: frozen)
    ref_dir, kill_dir = tmp_path / "ref", tmp_path / "kill"
    ref_dir.mkdir()
    kill_dir.mkdir()
    emulator_settings(emu, ref_dir, ref_dir / "fitbit.db")  # signs in: token file for each run
    emulator_settings(emu, kill_dir, kill_dir / "fitbit.db")
    ref_env = emulator_env(emu, ref_dir, ref_dir / "fitbit.db")
    kill_env = emulator_env(emu, kill_dir, kill_dir / "fitbit.db")

    started = time.monotonic()
    ref = backfill(ref_env)
    _out, err = ref.communicate(timeout=240)
    full_run = time.monotonic() - started
    assert ref.returncode == 0, err.decode()

    rng = random.Random(os.environ.get("KILL_SEED", "fitbit-sync"))
    killed_mid_run = 0
    for _ in range(KILLS):
        before = coverage_rows(kill_dir / "fitbit.db")
        proc = backfill(kill_env)
        time.sleep(rng.uniform(0.3, full_run * 0.9))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.returncode == -signal.SIGKILL and coverage_rows(kill_dir / "fitbit.db") > before:
            killed_mid_run += 1  # it had stored some pages (and their coverage), not all
    assert killed_mid_run >= 1, "no kill landed while pages were being written; rerun with another KILL_SEED"

    # Ctrl-C: the pages in flight are finished, then one line and exit 130
    before = coverage_rows(kill_dir / "fitbit.db")
    proc = backfill(kill_env)
    deadline = time.monotonic() + 60
    while coverage_rows(kill_dir / "fitbit.db") == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # until it writes its first page
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    if proc.returncode != 0:  # (it may have finished just before the signal)
        assert proc.returncode == 130, err.decode()
        lines = err.decode().strip().splitlines()
        assert lines[-1] == "fitbit-sync: error: interrupted; run the same command again to resume", lines
        assert b"Traceback" not in err

    final = backfill(kill_env)
    _out, err = final.communicate(timeout=240)
    assert final.returncode == 0, err.decode()
    assert b"Traceback" not in err
    reference, resumed = read_tables(ref_dir / "fitbit.db"), read_tables(kill_dir / "fitbit.db")
    for name, rows in reference.items():
        assert resumed[name] == rows, name
    assert sum(len(rows) for rows in reference.values()) > 100_000

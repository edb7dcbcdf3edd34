"""Fixtures of the reliability tier and its summary table.

- ``account``: one probed emulator (``rel_probe``) for the crash, fault and concurrency scenarios,
  reset before each test;
- ``reference``: an uninterrupted backfill of ``rel_support.RANGE`` into SQLite, the yardstick
  every interrupted, faulted or concurrent run is compared with, row by row;
- ``influx_server`` (from ``tests/support/servers.py``): a real InfluxDB 1.x.

At the end of the run the ledger (what was tried, what survived, what was lost) is printed, and
written as JSON to ``$FITBIT_SYNC_RELIABILITY_REPORT`` when set (``bench/reliability.py``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger, text_table
from rel_probe import Probe, start_probed_emulator

from fitbit_sync.emulator.testing import EmulatorServer
from support.servers import influx_server  # noqa: F401  (fixture)


@dataclass
class Account:
    emu: EmulatorServer
    probe: Probe

    def reset(self) -> None:
        self.emu.reset()
        self.probe.reset()


@dataclass
class Reference:
    workspace: rs.Workspace
    rows: rs.Rows
    coverage: dict[str, list[tuple[int, int]]]
    work_seconds: float  # from the first API request to the end of the process
    api_requests: int

    @property
    def total_rows(self) -> int:
        return sum(len(v) for v in self.rows.values())


@pytest.fixture(scope="session")
def _account() -> Iterator[Account]:
    emu, probe = start_probed_emulator(seed=rs.EMULATOR_SEED, start=rs.EMULATOR_DAYS[0], end=rs.EMULATOR_DAYS[1],
                                       client_secret=rs.CLIENT_SECRET, quota_per_minute=100_000)
    rs.WATCH.watch(probe.tokens)
    try:
        yield Account(emu, probe)
    finally:
        emu.stop()


@pytest.fixture
def account(_account: Account) -> Account:
    _account.reset()
    return _account


@pytest.fixture(scope="session")
def reference(_account: Account, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    _account.reset()
    ws = rs.workspace(_account.emu, tmp_path_factory.mktemp("reference"))
    proc = rs.start_cli(rs.backfill_args(), ws.env)
    started = time.monotonic()
    reached = rs.wait_for(_account.probe.first_request, proc, 60)
    first = time.monotonic()
    result = rs.finish(proc, rs.backfill_args(), started)
    assert reached, f"the reference backfill never reached the API: {result.describe()}"
    assert result.code == 0, result.describe()
    rows = rs.sqlite_rows(ws.db)
    assert sum(len(v) for v in rows.values()) > 20_000
    return Reference(ws, rows, rs.sqlite_coverage(ws.db), time.monotonic() - first, _account.probe.requests)


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return rs.LEDGER


def pytest_terminal_summary(terminalreporter: Any) -> None:
    watch = rs.WATCH
    if watch.texts:
        rs.LEDGER.add("Secrets", "every output of the tier scanned (stdout, stderr, DEBUG logs of every library)",
                      tried=watch.texts, survived=watch.texts - watch.leaky_texts,
                      lost={"secrets found": len(watch.findings)},
                      detail=f"{watch.lines:,} lines; {len(watch.secrets())} distinct tokens, client secret, "
                             f"database passwords")
    rows = rs.LEDGER.rows
    if not rows:
        return
    terminalreporter.section("reliability: what was tried, what survived, what was lost")
    for line in text_table(rows):
        terminalreporter.write_line(line)
    if rs.REPORT:
        Path(rs.REPORT).write_text(json.dumps({"rows": rs.LEDGER.to_json(), "counts": {
            "kills": rs.KILLS, "targeted": rs.TARGETED, "fault_rates": list(rs.FAULT_RATES),
            "examples": rs.EXAMPLES, "rounds": rs.ROUNDS, "long_outages": rs.LONG_OUTAGES,
            "catchup_kills": rs.CATCHUP_KILLS, "seed": rs.SEED,
            "hostile_kinds": os.environ.get("FITBIT_SYNC_RELIABILITY_HOSTILE_KINDS", "3"),
            "import_kills": os.environ.get("FITBIT_SYNC_RELIABILITY_IMPORT_KILLS", "2")}},
            indent=2))

"""Concurrency: several ``fitbit-sync`` processes on the same account and store at once.

Each round starts two backfills of the same range into the same SQLite store (the second after
a random delay, while the first is still busy: the emulator answers slowly) and ``auth --status``
readers of the token file, while access tokens live only seconds, so the processes refresh them
concurrently all the time. Every process ends with exit
0, or with exit 8 and the one-line "another fitbit-sync process" message; the token file stays
whole and 0600; a final run completes, and the store equals the reference row by row.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger

from fitbit_sync.emulator.faults import FaultRule
from fitbit_sync.errors import ExitCode

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

TOKEN_TTL_S = 303  # the client refreshes 300 s before expiry: a fresh token lasts 3 s


def test_two_backfills_and_readers_at_once(account: Any, reference: Any, ledger: Ledger, tmp_path: Path) -> None:
    r = rs.rng("concurrency")
    outcomes: Counter[str] = Counter()
    tried = survived = lost = extra = tokens_lost = refreshes = 0
    for n in range(rs.ROUNDS):
        account.emu.state.control({"access_token_ttl": TOKEN_TTL_S})
        # slow answers keep the first backfill busy while the second one starts
        account.emu.state.set_faults([FaultRule("latency", seconds=0.4, path_prefix="/v4/users/me/dataTypes/")])
        ws = rs.workspace(account.emu, tmp_path / f"round{n}")
        refreshes_before = account.probe.by_path["/token"]
        args = rs.backfill_args()
        started = time.monotonic()
        procs = [(args, rs.start_cli(args, ws.env))]
        time.sleep(r.uniform(0.0, 1.5))
        procs.append((args, rs.start_cli(args, ws.env)))
        for _ in range(2):
            time.sleep(r.uniform(0.2, 1.0))
            procs.append((["auth", "--status"], rs.start_cli(["auth", "--status"], ws.env)))
        results = [rs.finish(proc, a, started) for a, proc in procs]
        for result in results:
            if result.code == ExitCode.LOCKED:
                assert result.one_line_error() and "another fitbit-sync process" in result.last_line, \
                    result.describe()
                outcomes["exit 8 (locked), one line"] += 1
            else:
                assert result.code == 0, result.describe()
                outcomes[f"{result.args[0]} exit 0"] += 1
        account.emu.state.clear_faults()
        final = rs.run_cli(args, ws.env)
        assert final.code == 0, final.describe()
        ok, problems = rs.token_state(ws.token_file)
        tokens_lost += not ok
        assert ok and not problems
        diff = rs.compare(reference.rows, rs.sqlite_rows(ws.db))
        lost += diff.lost
        extra += diff.extra
        assert diff.identical, diff.tables
        assert rs.sqlite_coverage(ws.db) == reference.coverage
        refreshes += account.probe.by_path["/token"] - refreshes_before
        tried += 1
        survived += 1
    account.emu.state.control({"access_token_ttl": account.emu.config.access_token_ttl})
    assert outcomes["exit 8 (locked), one line"] >= 1, "the backfills never overlapped: nothing was tested"
    ledger.add("Concurrency", "two backfills + two token readers on one account and store at once", tried=tried,
               survived=survived,
               lost={"rows lost": lost, "rows duplicated/changed": extra, "tokens lost": tokens_lost},
               detail=f"{dict(outcomes)}; {refreshes} token refreshes while access tokens lasted {TOKEN_TTL_S - 300} s")

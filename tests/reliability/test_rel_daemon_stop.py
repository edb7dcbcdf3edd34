"""SIGTERM of ``fitbit-sync daemon`` during an API outage: every data request answered 503 (the
daemon is in a retry wait) or hanging for a minute (a request is in flight: the user's zone, or,
with a zone set, data requests in the engine's workers), each with and without a zone set. The
signal comes a random moment after the first fault; the daemon must exit 0 within ``STOP_S`` with
"daemon stopped" and no traceback. Everything it printed goes through the tier's secret scan.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger

from fitbit_sync.emulator.faults import FaultRule

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

STOP_S = 2.0
FAULTS = ("http_503", "hang")
HANG_S = 60.0


def test_sigterm_of_the_daemon_during_an_outage(account: Any, ledger: Ledger, tmp_path: Path) -> None:
    r = rs.rng("daemon-stop")
    tried = survived = tracebacks = slow = 0
    times: list[float] = []
    cases: list[str] = []
    state = account.emu.state
    try:
        for n in range(rs.ROUNDS):
            for fault, zone in [(fault, zone) for fault in FAULTS for zone in (None, "UTC")]:
                ws = rs.workspace(account.emu, tmp_path / f"{fault}-{n}",
                                  **({"time_zone": zone} if zone else {}))
                account.reset()
                before = state.faults.injected.get(fault, 0)
                state.set_faults([FaultRule(fault, seconds=HANG_S if fault == "hang" else None)],
                                 seed=r.randrange(1 << 30))
                args = ["daemon", "--types", "steps,weight"]
                started = time.monotonic()
                proc = rs.start_cli(args, ws.env)
                deadline = time.monotonic() + 60
                while state.faults.injected.get(fault, 0) <= before and proc.poll() is None:
                    assert time.monotonic() < deadline, "the daemon never reached the API"
                    time.sleep(0.01)
                time.sleep(r.uniform(0.05, 1.0))  # in the retry wait (503) or deep in the hung read
                assert proc.poll() is None, rs.finish(proc, args, started).describe()
                sent = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                result = rs.finish(proc, args, started, timeout=60)
                took = result.seconds - (sent - started)
                tried += 1
                times.append(took)
                cases.append(f"{fault}{' (zone set)' if zone else ''}")
                traceback = "Traceback" in result.err + result.out or "_Stopped" in result.err
                tracebacks += traceback
                slow += took > STOP_S
                assert not traceback, result.describe()
                assert result.code == 0, result.describe()
                assert "daemon stopped" in result.err, result.describe()
                assert took <= STOP_S, f"the daemon took {took:.1f} s to stop ({fault}, zone {zone})"
                survived += 1
                state.clear_faults()
    finally:
        state.clear_faults()
        ledger.add("Faults", "daemon: SIGTERM during an API outage (503s, a hung request)", tried=tried,
                   survived=survived, lost={"tracebacks": tracebacks, f"stops slower than {STOP_S:g} s": slow},
                   detail=f"{', '.join(f'{n}x {case}' for case, n in Counter(cases).items())}; exit 0 "
                          f"'daemon stopped' after "
                          + (f"{min(times):.2f}-{max(times):.2f} s" if times else "-"))

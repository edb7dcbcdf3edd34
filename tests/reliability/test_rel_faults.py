"""Faults: backfills under the emulator's fault injection at increasing rates, and with InfluxDB
going away and coming back. Each run ends complete and identical to the clean reference, or
stops with one clear line, and then a rerun (faults gone) ends complete and identical.

Faults hit every emulator path but its admin routes: the API and the token endpoint (access
tokens are expired early in each run, so a refresh happens under the same faults). Kinds: 429,
500, 503, 504, connection reset, a hang past the client's timeout, a truncated body, a reset in
the middle of a body, an HTML page glued to half the JSON, an empty page with a resuming
token, and (API only) a chunked body that never ends and a body of 256 MiB.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger
from rel_probe import Trigger

from fitbit_sync.emulator.faults import FaultRule
from support.servers import InfluxServer

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

KINDS = ("http_429", "http_500", "http_503", "http_504", "reset", "hang", "truncate", "reset_mid_body", "malformed",
         "empty_page", "endless_body", "huge_body")
API_ONLY = {"endless_body", "huge_body"}  # the body cap is the API client's
HANG_S = 4.0
TIMEOUT_S = "2"  # the client's request timeout in these runs (a hang outlasts it)


def rules_at(rate: float) -> list[FaultRule]:
    """Every kind, together hitting a request with probability ``rate``."""
    each = 1.0 - (1.0 - rate) ** (1.0 / len(KINDS))
    return [FaultRule(kind, probability=each, path_prefix="/v4/" if kind in API_ONLY else "/",
                      seconds=HANG_S if kind == "hang" else None) for kind in KINDS]


def each_kind_once(r: Any) -> list[FaultRule]:
    """Every kind exactly once, at a random request of the run."""
    return [FaultRule(kind, count=1, after=r.randint(0, 12), path_prefix="/v4/" if kind in API_ONLY else "/",
                      seconds=HANG_S if kind == "hang" else None) for kind in KINDS]


class Outcome:
    def __init__(self) -> None:
        self.runs = 0
        self.complete = 0  # ended complete and identical at once
        self.resumed = 0  # stopped with one line; the rerun ended complete and identical
        self.lost = 0
        self.extra = 0
        self.tokens_lost = 0
        self.messages: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()

    @property
    def survived(self) -> int:
        return self.complete + self.resumed


def faulted_run(account: Any, reference: Any, ws: rs.Workspace, rules: list[FaultRule], seed: int,
                outcome: Outcome) -> None:
    state = account.emu.state
    account.reset()
    account.probe.add_trigger(Trigger("/v4/users/me/dataTypes/", 2, action=state.expire_access_tokens))
    before = Counter(state.faults.injected)
    state.set_faults(rules, seed=seed)
    result = rs.run_cli(rs.backfill_args(), ws.env)
    state.clear_faults()
    outcome.injected += Counter(state.faults.injected) - before
    outcome.runs += 1
    if result.code != 0:
        assert result.one_line_error(), result.describe()
        outcome.messages[result.last_line.removeprefix("fitbit-sync: error: ")[:160]] += 1
        rerun = rs.run_cli(rs.backfill_args(), ws.env)
        assert rerun.code == 0, rerun.describe()
    diff = rs.compare(reference.rows, rs.sqlite_rows(ws.db))
    outcome.lost += diff.lost
    outcome.extra += diff.extra
    ok, _problems = rs.token_state(ws.token_file)
    outcome.tokens_lost += not ok
    assert diff.identical, diff.tables
    assert rs.sqlite_coverage(ws.db) == reference.coverage
    if result.code == 0:
        outcome.complete += 1
    else:
        outcome.resumed += 1


def record(ledger: Ledger, scenario: str, outcome: Outcome) -> None:
    injected = ", ".join(f"{k} {v}" for k, v in sorted(outcome.injected.items())) or "none fired"
    stopped = "".join(f"; stopped {n}x with: {m}" for m, n in outcome.messages.items())
    ledger.add("Faults", scenario, tried=outcome.runs, survived=outcome.survived,
               lost={"rows lost": outcome.lost, "rows duplicated/changed": outcome.extra,
                     "tokens lost": outcome.tokens_lost},
               detail=f"{outcome.complete} complete at once, {outcome.resumed} stopped and resumed; "
                      f"faults injected: {injected}{stopped}")


def test_every_fault_kind_once_in_a_run(account: Any, reference: Any, ledger: Ledger, tmp_path: Path) -> None:
    r = rs.rng("faults-each")
    outcome = Outcome()
    for n in range(rs.ROUNDS):
        ws = rs.workspace(account.emu, tmp_path / f"run{n}", request_timeout=TIMEOUT_S)
        faulted_run(account, reference, ws, each_kind_once(r), r.randrange(1 << 30), outcome)
    record(ledger, "API + OAuth: each fault kind once per run", outcome)
    assert set(outcome.injected) == set(KINDS), outcome.injected
    assert outcome.survived == outcome.runs


@pytest.mark.parametrize("rate", rs.FAULT_RATES, ids=lambda rate: f"rate{rate:g}")
def test_faults_at_a_rate(rate: float, account: Any, reference: Any, ledger: Ledger, tmp_path: Path) -> None:
    r = rs.rng(f"faults-{rate}")
    outcome = Outcome()
    for n in range(rs.ROUNDS):
        ws = rs.workspace(account.emu, tmp_path / f"run{n}", request_timeout=TIMEOUT_S)
        faulted_run(account, reference, ws, rules_at(rate), r.randrange(1 << 30), outcome)
    record(ledger, f"API + OAuth: {rate:.0%} of requests faulted (all kinds mixed)", outcome)
    assert outcome.survived == outcome.runs
    assert sum(outcome.injected.values()) > 0


def test_bursts_of_429(account: Any, reference: Any, ledger: Ledger, tmp_path: Path) -> None:
    """The quota is exhausted: a burst of 4-12 consecutive 429 answers (on the API and the token
    endpoint alike) at a random point of the run."""
    r = rs.rng("faults-429")
    outcome = Outcome()
    bursts = []
    for n in range(rs.ROUNDS):
        bursts.append(r.randint(4, 12))
        ws = rs.workspace(account.emu, tmp_path / f"run{n}", request_timeout=TIMEOUT_S)
        rule = FaultRule("http_429", count=bursts[-1], after=r.randint(0, 10), path_prefix="/")
        faulted_run(account, reference, ws, [rule], r.randrange(1 << 30), outcome)
    record(ledger, f"API + OAuth: bursts of consecutive 429 ({', '.join(map(str, bursts))})", outcome)
    assert outcome.survived == outcome.runs


# --- the store goes away ---------------------------------------------------------------------------


@pytest.fixture
def own_influx() -> Iterator[InfluxServer]:
    if shutil.which("influxd") is None:
        pytest.skip("influxd not installed: apt-get install -y influxdb influxdb-client (.ci/run does)")
    base = Path(tempfile.mkdtemp(prefix="fitbit-sync-rel-influx-"))
    server = InfluxServer(base)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def bounce(server: InfluxServer, fired: threading.Event, pause: float, restarted: threading.Event) -> None:
    """SIGKILL ``server`` once ``fired``, start it again ``pause`` seconds later."""
    if fired.wait(120):
        server.kill()
        time.sleep(pause)
        server.start()
    restarted.set()


@pytest.mark.influx
def test_influxdb_goes_away_and_comes_back(account: Any, own_influx: InfluxServer, ledger: Ledger,
                                          tmp_path: Path) -> None:
    """influxd is SIGKILLed during a backfill, at a random moment, and started again after a random
    pause: shorter than the writer's retries (the run just finishes) or, with
    ``FITBIT_SYNC_RELIABILITY_LONG_OUTAGES`` (20 s each, so only in the benchmark), longer (the
    batches go to the spool; the next run replays them). Both end equal to a clean run."""
    r = rs.rng("influx-away")
    args = rs.backfill_args()
    clean_db = own_influx.new_database()
    clean = rs.workspace(account.emu, tmp_path / "clean", store="influxdb1", influxdb_url=own_influx.url,
                         influxdb_database=clean_db)
    assert rs.run_cli(args, clean.env).code == 0
    reference = rs.influx_rows(own_influx.url, clean_db)
    tried = survived = lost = extra = spooled_runs = 0
    pauses = [r.uniform(0.2, 2.0) for _ in range(rs.ROUNDS)] + [r.uniform(18.0, 20.0) for _ in range(rs.LONG_OUTAGES)]
    for n, pause in enumerate(pauses):
        database = own_influx.new_database()
        ws = rs.workspace(account.emu, tmp_path / f"away{n}", store="influxdb1", influxdb_url=own_influx.url,
                          influxdb_database=database)
        account.reset()
        kill_at = r.randint(2, 5)  # the n-th data request: the run is writing by then
        fired = account.probe.add_trigger(Trigger("/v4/users/me/dataTypes/", kill_at)).fired
        restarted = threading.Event()

        thread = threading.Thread(target=bounce, args=(own_influx, fired, pause, restarted), daemon=True)
        thread.start()
        first = rs.run_cli(args, ws.env)
        thread.join(60)
        assert restarted.is_set()
        tried += 1
        if first.code != 0:
            assert first.one_line_error(), first.describe()
        spooled_runs += "spooling batches" in first.err
        second = rs.run_cli(args, ws.env)  # replays the spool, fetches whatever is missing
        assert second.code == 0, second.describe()
        assert not list((ws.data_dir / "spool-influxdb1").glob("*.lp.gz"))
        diff = rs.compare(reference, rs.influx_rows(own_influx.url, database))
        lost += diff.lost
        extra += diff.extra
        survived += diff.identical
        assert diff.identical, diff.tables
    ledger.add("Faults", "InfluxDB 1.x SIGKILLed mid-backfill, back after a random pause", tried=tried,
               survived=survived, lost={"rows lost": lost, "rows duplicated/changed": extra},
               detail=f"{rs.ROUNDS} pauses of 0.2-2 s, {rs.LONG_OUTAGES} of 18-20 s (longer than the writer's "
                      f"retries); {spooled_runs} runs spooled batches to disk, replayed by the next run")

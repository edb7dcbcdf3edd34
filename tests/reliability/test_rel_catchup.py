"""Crashes during a catch-up: ``fitbit-sync sync`` and ``fitbit-sync daemon`` SIGKILLed or
SIGTERMed while they catch up days after an old backfill, then rerun (sync) or restarted (daemon,
stopped after its first complete sync); the store equals an uninterrupted catch-up row by row.

The setting of issue 10 item 1: heart rate (plus floors per minute and per day, and resting heart
rate) was backfilled for two old days; the next sync catches up ~6 days. Pages come newest first,
each stored with its own coverage, so a stop after pages older than the provisional window leaves
coverage *above* a hole; a rerun that resumes from the newest covered end never asks for the hole
(this lost a 6-day gap, exit 0). Stops are

- at a *page boundary*: the request for the next heart-rate page is held at the API proxy
  (``rel_proxy.ApiProxy``) after a page older than 3 days has been answered and written;
- at a *random moment*: a delay drawn over the uninterrupted catch-up's duration, counted from the
  first API request (for random moments up to two stops in a chain).

Both page orders: newest first (the emulator, like the API) and oldest first (the proxy serves
each ``list`` request's pages, and the points in them, the other way round). Stores: SQLite, and
InfluxDB 1.x for about a quarter of the chains after the first three.

Clocks: the CLI has no way to be told "now", so the emulator's clock is frozen at the moment the
module starts and its history ends a day later. The reference catch-up and every interrupted one
see the same data (nothing exists after the frozen instant, however far the CLI's clock moves),
so the comparison holds whatever the date.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger
from rel_probe import Probe, Trigger, start_probed_emulator
from rel_proxy import ApiProxy

from fitbit_sync.emulator.testing import EmulatorServer

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

TYPES = "heart-rate,floors,daily-resting-heart-rate"
SEED = 17
OLD_DAYS = (7, 6)  # the old backfill: D-7..D-6 (D: the frozen clock's date, UTC)
DEEP_MS = 3 * 24 * 3600 * 1000  # "older than 3 days": below the provisional window (2 days)
HEART_RATE = "/v4/users/me/dataTypes/heart-rate/dataPoints"
TERM_TIMEOUT = 30.0  # seconds a SIGTERMed run may take to stop (it finishes the pages in flight)
DAEMON_SYNCED = re.compile(r"fitbit_sync\.sync\.daemon: \S+ sync: \d+ requests")

SYNC, DAEMON = "sync", "daemon"
BOUNDARY, RANDOM = "page boundary", "random moment"
NEWEST, OLDEST = "newest-first", "oldest-first"


@dataclass(frozen=True)
class Plan:
    command: str
    signal: signal.Signals
    moment: str
    order: str

    def describe(self) -> str:
        return f"{self.command} {self.signal.name} at a {self.moment}, pages {self.order}"


FIRST = [  # CI runs the first three: the bug's setting for sync and daemon, and the other order
    Plan(SYNC, signal.SIGKILL, BOUNDARY, NEWEST),
    Plan(DAEMON, signal.SIGTERM, BOUNDARY, NEWEST),
    Plan(SYNC, signal.SIGTERM, RANDOM, OLDEST),
    Plan(DAEMON, signal.SIGKILL, RANDOM, NEWEST),
]
PLANS = FIRST + [Plan(c, s, m, o) for c in (SYNC, DAEMON) for s in (signal.SIGKILL, signal.SIGTERM)
                 for m in (BOUNDARY, RANDOM) for o in (NEWEST, OLDEST) if Plan(c, s, m, o) not in FIRST]


# --- a CLI process whose output is read while it runs ----------------------------------------------


class Live:
    """``rel_cli`` in a subprocess with its stdout and stderr drained by threads (a long DEBUG log
    must never block it on a full pipe); ``synced`` is set once a daemon logged a complete sync."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.started = time.monotonic()
        self.proc = rs.start_cli(args, env)
        self.out: list[str] = []
        self.err: list[str] = []
        self.synced = threading.Event()
        self.hung = False  # still running when finish() gave up (and SIGKILLed it)
        self._threads = [threading.Thread(target=self._drain, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._threads:
            t.start()

    def _drain(self, stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)
            if lines is self.err and DAEMON_SYNCED.search(line):
                self.synced.set()

    def send(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def finish(self, timeout: float = 240) -> rs.Result:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.hung = True
            self.proc.kill()
            self.proc.wait()
            self.err.append(f"\n[reliability harness: killed after {timeout} s]")
        for t in self._threads:
            t.join(10)
        result = rs.Result(self.args, self.proc.returncode, "".join(self.out), "".join(self.err),
                           time.monotonic() - self.started)
        leaks = rs.WATCH.scan(self.args[0], result.out + result.err)
        assert not leaks, f"secret in the output of {' '.join(self.args)}: {leaks}"
        return result


def daemon_first_sync(env: dict[str, str], tally: Tally | None = None) -> rs.Result:
    """A daemon run until its first complete sync of every group, then SIGTERMed; it must end 0.
    A daemon still running 30 s after the SIGTERM is counted as a hang (then SIGKILLed: its sync
    was complete, so the chain goes on)."""
    live = Live(["daemon", "--types", TYPES], env)
    reached = rs.wait_for(live.synced, live.proc, 240)
    live.send(signal.SIGTERM)
    result = live.finish(timeout=TERM_TIMEOUT)
    if live.hung and reached and tally is not None:
        tally.hangs.append(f"restarted daemon, SIGTERM right after its first sync: {result.last_line}")
        return result
    assert reached and result.code == 0, result.describe()
    return result


def resume(command: str, env: dict[str, str], tally: Tally) -> rs.Result:
    if command == DAEMON:
        return daemon_first_sync(env, tally)
    result = rs.run_cli(["sync", "--types", TYPES], env)
    assert result.code == 0, result.describe()
    return result


# --- the world: a frozen emulator, the proxy, the old backfill, the reference ----------------------


@dataclass
class Store:
    """Where a chain's rows go: a SQLite file, or a database of a real InfluxDB 1.x."""

    kind: str  # "SQLite" or "InfluxDB 1.x"
    server: Any = None

    def workspace(self, world: World, root: Path) -> tuple[rs.Workspace, str]:
        if self.kind == "SQLite":
            ws = rs.workspace(world.emu, root, api_base_url=world.proxy.url)
            for suffix in ("", "-wal"):  # the old backfill: a copy of its database
                source = world.template.with_name(world.template.name + suffix)
                if source.exists():
                    shutil.copy2(source, ws.db.with_name(ws.db.name + suffix))
            return ws, ""
        database = self.server.new_database()
        ws = rs.workspace(world.emu, root, api_base_url=world.proxy.url, store="influxdb1",
                          influxdb_url=self.server.url, influxdb_database=database)
        world.proxy.reset(NEWEST)
        result = rs.run_cli(world.backfill_args, ws.env)
        assert result.code == 0, result.describe()
        return ws, database

    def rows(self, ws: rs.Workspace, database: str) -> rs.Rows:
        return rs.sqlite_rows(ws.db) if self.kind == "SQLite" else rs.influx_rows(self.server.url, database)

    def coverage(self, ws: rs.Workspace) -> dict[str, list[tuple[int, int]]]:
        return rs.sqlite_coverage(ws.db if self.kind == "SQLite" else ws.data_dir / "state-influxdb1.db")

    def quick_check(self, ws: rs.Workspace) -> bool:
        if self.kind != "SQLite" or not ws.db.exists():
            return True
        conn = sqlite3.connect(f"file:{ws.db}?mode=ro", uri=True)
        try:
            return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        finally:
            conn.close()


@dataclass
class Reference:
    rows: rs.Rows
    coverage: dict[str, list[tuple[int, int]]]
    work_seconds: float  # first API request to the end of the process

    @property
    def total_rows(self) -> int:
        return sum(len(v) for v in self.rows.values())


@dataclass
class World:
    emu: EmulatorServer
    probe: Probe
    proxy: ApiProxy
    now_ms: int
    backfill_args: list[str]
    template: Path  # SQLite database holding the old backfill
    references: dict[str, Reference] = field(default_factory=dict)  # per store kind
    deep_pages: dict[str, list[int]] = field(default_factory=dict)  # order -> 1-based heart-rate pages

    def reference(self, store: Store, root: Path) -> Reference:
        """An uninterrupted catch-up into ``store`` (once per kind)."""
        if store.kind not in self.references:
            ws, database = store.workspace(self, root)
            self.proxy.reset(NEWEST)
            self.probe.reset()
            live = Live(["sync", "--types", TYPES], ws.env)
            reached = rs.wait_for(self.probe.first_request, live.proc, 60)
            first = time.monotonic()
            result = live.finish()
            assert reached and result.code == 0, result.describe()
            self.references[store.kind] = Reference(store.rows(ws, database), store.coverage(ws),
                                                    time.monotonic() - first)
            if not self.deep_pages:
                self._find_deep_pages()
        return self.references[store.kind]

    def _find_deep_pages(self) -> None:
        """Heart-rate pages older than 3 days that have a next page, per order (1-based)."""
        pages = self.proxy.pages_of("heart-rate")
        assert len(pages) >= 8, f"a catch-up of {len(pages)} heart-rate pages is too short to stop in"
        deep = [p.oldest_ms is not None and p.oldest_ms < self.now_ms - DEEP_MS for p in pages]
        n = len(pages)
        self.deep_pages = {
            NEWEST: [i + 1 for i in range(n) if deep[i] and pages[i].has_next],
            OLDEST: [i + 1 for i in range(n - 1) if deep[n - 1 - i]],
        }
        assert self.deep_pages[NEWEST] and self.deep_pages[OLDEST], self.deep_pages


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    frozen = float(int(time.time()))
    today = datetime.fromtimestamp(frozen, UTC).date()
    emu, probe = start_probed_emulator(seed=SEED, start=today - timedelta(days=20), end=today + timedelta(days=1),
                                       client_secret=rs.CLIENT_SECRET, quota_per_minute=100_000,
                                       clock=lambda: frozen)
    rs.WATCH.watch(probe.tokens)
    proxy = ApiProxy(emu.base_url)
    try:
        first, last = (today - timedelta(days=d) for d in OLD_DAYS)
        args = ["backfill", "--start", first.isoformat(), "--end", last.isoformat(), "--types", TYPES]
        ws = rs.workspace(emu, tmp_path_factory.mktemp("catchup-template"), api_base_url=proxy.url)
        result = rs.run_cli(args, ws.env)
        assert result.code == 0, result.describe()
        yield World(emu, probe, proxy, int(frozen * 1000), args, ws.db)
    finally:
        proxy.stop()
        emu.stop()


# --- chains ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    kills: int = 0
    chains: int = 0
    finished_first: int = 0
    not_reached: int = 0
    plans: Counter[Plan] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    exits: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    extra: int = 0
    holes: int = 0
    tokens_lost: int = 0
    unsafe_temp_files: int = 0
    corrupt_db: int = 0
    failures: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)  # SIGTERMed runs that did not stop
    details: list[str] = field(default_factory=list)

    def by_dimension(self) -> list[Counter[str]]:
        """Stops counted by command, signal, moment and page order."""
        dims: list[Counter[str]] = [Counter(), Counter(), Counter(), Counter()]
        for plan, n in self.plans.items():
            for counter, value in zip(dims, (plan.command, plan.signal.name, f"at a {plan.moment}", plan.order),
                                      strict=True):
                counter[value] += n
        return dims

    def lost_counts(self) -> dict[str, int]:
        return {"rows lost": self.lost, "rows duplicated/changed": self.extra, "coverage holes": self.holes,
                "tokens lost": self.tokens_lost, "SIGTERM hangs": len(self.hangs)}

    @property
    def clean(self) -> bool:
        return not (self.lost or self.extra or self.holes or self.tokens_lost or self.unsafe_temp_files
                    or self.corrupt_db or self.failures or self.hangs)


def expected_exit(plan: Plan, result: rs.Result) -> str | None:
    """How the stopped run ended ("killed", "stopped", "finished first"); None if that is wrong."""
    if plan.signal == signal.SIGKILL and result.code == -signal.SIGKILL:
        return "killed"
    if plan.command == DAEMON:
        return "stopped" if result.code == 0 else None  # SIGTERM: the daemon stops cleanly, exit 0
    if result.code == 0:
        return "finished first"
    if plan.signal == signal.SIGTERM and result.code == 130 and result.one_line_error():
        return "stopped"
    return None


def stop_once(world: World, store: Store, ws: rs.Workspace, plan: Plan, r: random.Random, tally: Tally,
              first: bool, worked: float, ref: Reference) -> float:
    """One run of the chain, stopped by ``plan.signal``; returns the seconds of work it was given."""
    proxy, probe = world.proxy, world.probe
    proxy.reset(plan.order)
    probe.reset()
    args = [plan.command, "--types", TYPES]
    boundary = plan.moment == BOUNDARY and first
    trigger = None
    if boundary:
        trigger = proxy.add_trigger(Trigger(HEART_RATE, r.choice(world.deep_pages[plan.order]) + 1, "request",
                                            hold=60))
    live = Live(args, ws.env)
    delay = 0.0
    try:
        if trigger is not None:
            reached = rs.wait_for(trigger.fired, live.proc, 180)
            phase = BOUNDARY
        else:
            reached = rs.wait_for(probe.first_request, live.proc, 60)
            delay = r.uniform(0.0, max(0.2, ref.work_seconds - worked))
            time.sleep(delay)
            phase = ("daemon idle (first sync done)" if live.synced.is_set() else "request in flight"
                     if proxy.in_flight else "no request in flight (converting, writing)")
        if not reached:
            tally.not_reached += 1
        live.send(plan.signal)
        if trigger is not None:
            time.sleep(0.3)  # SIGTERM: the signal is handled before the held page is answered
    finally:
        proxy.clear()
    result = live.finish(timeout=TERM_TIMEOUT if plan.signal == signal.SIGTERM else 240)
    if live.hung:
        tally.hangs.append(f"{plan.describe()}: still running {TERM_TIMEOUT:g} s after the signal: "
                           f"{result.last_line}")
        return delay
    served = [p.oldest_ms for p in proxy.pages_of("heart-rate") if p.oldest_ms is not None]
    # The proxy keeps its promise. Only a chain's first run has one heart-rate request; a resumed
    # run has two (the hole and the newest days), whose pages interleave on the engine's workers.
    if first and served != sorted(served, reverse=plan.order == NEWEST):
        tally.failures.append(f"{plan.describe()}: heart-rate pages served out of order: {served}")
    how = expected_exit(plan, result)
    if how is None:
        tally.failures.append(f"{plan.describe()}: {result.describe()}")
        return delay
    tally.exits[how] += 1
    if how == "finished first":
        tally.finished_first += 1
        return delay
    tally.kills += 1
    tally.phases[phase] += 1
    tally.plans[plan] += 1
    ok, problems = rs.token_state(ws.token_file)
    tally.tokens_lost += not ok
    tally.unsafe_temp_files += len(problems)
    tally.corrupt_db += not store.quick_check(ws)
    return delay


def run_chain(world: World, store: Store, plan: Plan, root: Path, r: random.Random, tally: Tally,
              budget: int) -> None:
    ref = world.reference(store, root.parent / f"reference-{store.kind[:6].lower()}")
    ws, database = store.workspace(world, root)
    stops = 2 if plan.moment == RANDOM and budget >= 2 and r.random() < 0.5 else 1
    worked = 0.0
    for n in range(stops):
        worked += stop_once(world, store, ws, plan, r, tally, n == 0, worked, ref)
    world.proxy.reset(plan.order)
    world.probe.reset()
    resume(plan.command, ws.env, tally)
    tally.chains += 1
    diff = rs.compare(ref.rows, store.rows(ws, database))
    tally.lost += diff.lost
    tally.extra += diff.extra
    coverage = store.coverage(ws)
    holes = {k: v for k, v in coverage.items() if len(v) != 1 or v[0][0] != ref.coverage[k][0][0]}
    tally.holes += len(holes) + len(set(ref.coverage) - set(coverage))
    if not diff.identical or holes:
        tally.details.append(f"{root.name} ({plan.describe()}, {store.kind}): {', '.join(diff.tables)}"
                             f"{'; coverage ' + repr(holes) if holes else ''}")


def influx_or_none(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("influx_server")
    except pytest.skip.Exception:
        return None


def test_sync_and_daemon_stopped_during_a_catch_up_lose_nothing(world: World, ledger: Ledger, tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:
    r = rs.rng("catchup")
    sqlite, influx = Store("SQLite"), None
    tallies: dict[str, Tally] = {}
    wanted, chain = rs.CATCHUP_KILLS, 0

    def stops() -> int:
        return sum(t.kills for t in tallies.values())

    while stops() < wanted and chain < 3 * wanted + 3:
        plan, store = PLANS[chain % len(PLANS)], sqlite
        if chain % 5 == 3:  # every fifth chain from the fourth on (CI's three: SQLite); 5 and 16 are coprime,
            if influx is None:  # so every plan meets InfluxDB in turn
                server = influx_or_none(request)
                influx = Store("InfluxDB 1.x", server) if server is not None else None
            store = influx or sqlite
        run_chain(world, store, plan, tmp_path / f"chain{chain}", r, tallies.setdefault(store.kind, Tally()),
                  wanted - stops())
        chain += 1

    for kind, tally in tallies.items():
        ref = world.references[kind]
        unit = "rows" if kind == "SQLite" else "points"
        plans = "; ".join(", ".join(f"{n} {value}" for value, n in sorted(counter.items()))
                          for counter in tally.by_dimension())
        exits = ", ".join(f"{n} {e}" for e, n in tally.exits.most_common())
        phases = ", ".join(f"{n} {p}" for p, n in tally.phases.most_common())
        compared = "every table" if kind == "SQLite" else "SELECT * per measurement"
        ledger.add("Crashes", f"{kind}: sync and daemon SIGKILLed/SIGTERMed during a multi-day catch-up after an "
                              f"old backfill, rerun/restart, compare {compared}", tried=tally.kills,
                   survived=tally.kills if tally.clean else 0, lost=tally.lost_counts(),
                   detail=f"{tally.chains} chains, each compared with the {ref.total_rows:,} {unit} of an "
                          f"uninterrupted ~{OLD_DAYS[1]}-day catch-up; {plans}; stopped runs: {exits}; stops at: "
                          f"{phases}; page boundary: the next "
                          f"heart-rate page held after one older than 3 days, {tally.not_reached} not reached")
    for tally in tallies.values():
        assert not tally.failures, tally.failures
        assert not tally.hangs, tally.hangs
        assert tally.lost == 0 and tally.extra == 0 and tally.holes == 0, tally.details
        assert tally.tokens_lost == 0 and tally.unsafe_temp_files == 0 and tally.corrupt_db == 0
        assert tally.not_reached == 0
    assert sum(t.kills for t in tallies.values()) >= min(rs.CATCHUP_KILLS, 1)



def test_the_daemon_sigterm_handler_never_waits_for_a_lock_the_main_thread_holds() -> None:
    """A signal handler runs in the main thread between two bytecodes, possibly inside
    ``Event.wait()`` of the daemon's idle loop, which holds the Event's (non-reentrant) lock for a
    few bytecodes on entry and exit. A handler that needs that lock never returns. The handler is
    called here with the lock held, as the interpreter may call it."""
    from fitbit_sync.config import Settings
    from fitbit_sync.sync.daemon import Daemon

    daemon = Daemon(Settings(), [])
    returned = threading.Event()

    def main_thread_inside_wait() -> None:
        with daemon.stop._cond:  # type: ignore[attr-defined]  # what Event.wait() holds
            daemon.request_stop(signal.SIGTERM, None)
        returned.set()

    threading.Thread(target=main_thread_inside_wait, daemon=True).start()
    assert returned.wait(3), "the SIGTERM handler blocked on the stop Event's lock: the daemon hangs"
    assert daemon.stop.wait(3), "the SIGTERM handler did not stop the daemon"

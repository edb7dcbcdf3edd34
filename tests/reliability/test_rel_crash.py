"""Crashes: ``fitbit-sync backfill`` SIGKILLed at random and at chosen moments, then restarted;
the final store equals an uninterrupted run row by row, and the token file survives every kill.

Random kills land anywhere in the work (the delay is drawn over the reference run's duration,
counted from its first API request); each is classified by what the emulator had in flight at
that instant. Targeted kills use the probe (and, for InfluxDB, a proxy in front of ``influxd``):

- *fetch*: while a data request is held in flight;
- *refresh in flight* / *refresh answered*: access tokens are expired at the emulator, the next
  request gets 401 and the client refreshes; killed while the token request is in flight, or
  the instant its answer was sent (the client is saving the token file);
- *write*: the test holds the SQLite write lock while a page is served; the client, converting
  and then waiting in ``store.write``, is killed there;
- InfluxDB *write not sent*, *write stored but unacknowledged*, *checkpoint* (acknowledged, the
  coverage being recorded in the state file): at the proxy.

Each chain of kills ends with one run to completion, compared with the reference: every table
(SQLite) or ``SELECT *`` of every measurement (InfluxDB), and the merged coverage.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger
from rel_probe import Probe, Trigger
from rel_proxy import InfluxProxy

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

DATA = "/v4/users/me/dataTypes/"


@dataclass
class Tally:
    kills: int = 0
    finished_first: int = 0  # the run ended before its kill came
    not_reached: int = 0  # targeted moment never came before the run ended
    chains: int = 0
    phases: Counter[str] = field(default_factory=Counter)
    tokens_lost: int = 0
    unsafe_temp_files: int = 0
    corrupt_db: int = 0
    lost: int = 0
    extra: int = 0
    coverage_mismatches: int = 0
    details: list[str] = field(default_factory=list)

    def after_kill(self, ws: rs.Workspace, phase: str, sqlite: bool = True) -> None:
        self.kills += 1
        self.phases[phase] += 1
        ok, problems = rs.token_state(ws.token_file)
        self.tokens_lost += not ok
        self.unsafe_temp_files += len(problems)
        if sqlite and ws.db.exists():
            conn = sqlite3.connect(f"file:{ws.db}?mode=ro", uri=True)
            try:
                self.corrupt_db += conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
            finally:
                conn.close()

    def lost_counts(self) -> dict[str, int]:
        return {"rows lost": self.lost, "rows duplicated/changed": self.extra, "tokens lost": self.tokens_lost}


def classify(probe: Probe, proxy: InfluxProxy | None = None) -> str:
    paths = probe.in_flight_paths()
    if "/token" in paths:
        return "token refresh in flight"
    if proxy is not None and proxy.writes_in_flight:
        return "InfluxDB write in flight"
    if any(p.startswith("/v4/") for p in paths):
        return "API request in flight"
    return "no request in flight (converting, writing, checkpointing)"


def finish_sqlite_chain(ws: rs.Workspace, reference: Any, tally: Tally) -> None:
    result = rs.run_cli(rs.backfill_args(), ws.env)
    assert result.code == 0, result.describe()
    tally.chains += 1
    diff = rs.compare(reference.rows, rs.sqlite_rows(ws.db))
    tally.lost += diff.lost
    tally.extra += diff.extra
    if rs.sqlite_coverage(ws.db) != reference.coverage:
        tally.coverage_mismatches += 1
    if not diff.identical:
        tally.details.append(f"{ws.root.name}: {', '.join(diff.tables)}")


def assert_clean(tally: Tally) -> None:
    assert tally.lost == 0 and tally.extra == 0, tally.details
    assert tally.tokens_lost == 0
    assert tally.unsafe_temp_files == 0
    assert tally.corrupt_db == 0
    assert tally.coverage_mismatches == 0


def kill_randomly(account: Any, work_seconds: float, new_workspace: Callable[[int], rs.Workspace],
                  finish_chain: Callable[[rs.Workspace, Tally], None], r: random.Random, *, sqlite: bool,
                  proxy: InfluxProxy | None = None) -> Tally:
    """Chains of up to three SIGKILLs, each after a random share of the work still left, then a
    run to the end and the comparison."""
    probe, tally, attempts = account.probe, Tally(), 0
    args = rs.backfill_args()
    while tally.kills < rs.KILLS and attempts < 3 * rs.KILLS + 3:
        ws = new_workspace(tally.chains)
        worked = 0.0
        for _ in range(3):
            remaining = work_seconds - worked
            if remaining < 0.2 or tally.kills >= rs.KILLS:
                break
            attempts += 1
            probe.first_request.clear()
            started = time.monotonic()
            proc = rs.start_cli(args, ws.env)
            if not rs.wait_for(probe.first_request, proc, 60):
                rs.finish_ok(proc, args, started)
                break
            delay = r.uniform(0.0, remaining)
            time.sleep(delay)
            worked += delay
            phase = classify(probe, proxy)
            if rs.sigkill(proc, args, started) is None:
                tally.finished_first += 1
                break
            tally.after_kill(ws, phase, sqlite=sqlite)
        finish_chain(ws, tally)
    return tally


def test_sqlite_sigkill_at_random_moments(account: Any, reference: Any, ledger: Ledger, tmp_path: Path) -> None:
    tally = kill_randomly(account, reference.work_seconds,
                          lambda n: rs.workspace(account.emu, tmp_path / f"chain{n}"),
                          lambda ws, t: finish_sqlite_chain(ws, reference, t), rs.rng("sqlite-random"), sqlite=True)
    phases = "; ".join(f"{n} {p}" for p, n in tally.phases.most_common())
    ledger.add("Crashes", "SQLite: SIGKILL at random moments, restart, compare every table", tried=tally.kills,
               survived=tally.kills if tally.lost == tally.extra == tally.tokens_lost == 0 else 0,
               lost=tally.lost_counts(),
               detail=f"{tally.chains} chains, each compared with the {reference.total_rows:,} rows of an "
                      f"uninterrupted run; kills with {phases}; {tally.finished_first} runs ended before their kill")
    assert tally.kills >= min(rs.KILLS, 1)
    assert_clean(tally)


class DbLock:
    """The SQLite write lock, held by the test (a second connection in BEGIN IMMEDIATE)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.conn: sqlite3.Connection | None = None

    def take(self) -> None:
        self.conn = sqlite3.connect(self.db, timeout=10, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def drop(self) -> None:
        if self.conn is not None:
            self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None


def arm(probe: Probe, moment: str, nth: int, account: Any, lock: DbLock) -> Trigger:
    """Set the probe's triggers for ``moment``; returns the one whose firing means "kill now"."""
    if moment == "fetch":
        return probe.add_trigger(Trigger(DATA, nth, "request", hold=30))
    if moment.startswith("refresh"):
        probe.add_trigger(Trigger(DATA, nth, "request", action=account.emu.state.expire_access_tokens))
        when = "request" if moment == "refresh in flight" else "response"
        return probe.add_trigger(Trigger("/token", 1, when, hold=30 if when == "request" else 0))
    # write: take the database's write lock as the request arrives; once the page is served the
    # client converts it and then waits for the lock inside store.write
    probe.add_trigger(Trigger(DATA, nth, "request", action=lock.take))
    return probe.add_trigger(Trigger(DATA, nth, "response"))


SQLITE_MOMENTS = ("fetch", "refresh in flight", "refresh answered (token file being saved)",
                  "write (waiting in store.write)")


def test_sqlite_sigkill_at_chosen_moments(account: Any, reference: Any, ledger: Ledger, tmp_path: Path) -> None:
    r = rs.rng("sqlite-targeted")
    probe, tally = account.probe, Tally()
    args = rs.backfill_args()
    for round_ in range(rs.TARGETED):
        ws = rs.workspace(account.emu, tmp_path / f"targeted{round_}")
        for moment in SQLITE_MOMENTS:
            lock = DbLock(ws.db)
            probe.reset()
            trigger = arm(probe, moment, r.randint(1, 3), account, lock)
            started = time.monotonic()
            proc = rs.start_cli(args, ws.env)
            try:
                if not rs.wait_for(trigger.fired, proc, 90):
                    tally.not_reached += 1
                    rs.finish_ok(proc, args, started)
                    continue
                if moment.startswith("write"):
                    time.sleep(1.0)  # converting the page, then blocked on the lock
                phase = moment
                if rs.sigkill(proc, args, started) is None:
                    tally.finished_first += 1
                    continue
            finally:
                for t in probe.triggers:
                    t.release.set()
                lock.drop()
            tally.after_kill(ws, phase)
        probe.reset()
        finish_sqlite_chain(ws, reference, tally)
    done = ", ".join(f"{tally.phases[m]} {m}" for m in SQLITE_MOMENTS)
    ledger.add("Crashes", "SQLite: SIGKILL at chosen moments, restart, compare every table", tried=tally.kills,
               survived=tally.kills if tally.lost == tally.extra == tally.tokens_lost == 0 else 0,
               lost=tally.lost_counts(), detail=f"{done}; {tally.not_reached} moments not reached")
    assert tally.kills >= len(SQLITE_MOMENTS) * rs.TARGETED - tally.not_reached - tally.finished_first
    assert tally.kills >= 1
    assert_clean(tally)


# --- InfluxDB 1.x ----------------------------------------------------------------------------------


@dataclass
class InfluxRef:
    server: Any
    database: str
    rows: rs.Rows
    coverage: dict[str, list[tuple[int, int]]]
    work_seconds: float

    @property
    def total_rows(self) -> int:
        return sum(len(v) for v in self.rows.values())


def influx_workspace(account: Any, root: Path, url: str, database: str) -> rs.Workspace:
    return rs.workspace(account.emu, root, store="influxdb1", influxdb_url=url, influxdb_database=database)


def state_file(ws: rs.Workspace) -> Path:
    return ws.data_dir / "state-influxdb1.db"


@pytest.fixture(scope="module")
def influx_reference(_account: Any, influx_server: Any, tmp_path_factory: pytest.TempPathFactory) -> InfluxRef:
    _account.reset()
    database = influx_server.new_database()
    ws = influx_workspace(_account, tmp_path_factory.mktemp("influx-reference"), influx_server.url, database)
    args = rs.backfill_args()
    started = time.monotonic()
    proc = rs.start_cli(args, ws.env)
    reached = rs.wait_for(_account.probe.first_request, proc, 60)
    first = time.monotonic()
    result = rs.finish(proc, args, started)
    assert reached, result.describe()
    assert result.code == 0, result.describe()
    rows = rs.influx_rows(influx_server.url, database)
    assert sum(len(v) for v in rows.values()) > 20_000
    return InfluxRef(influx_server, database, rows, rs.sqlite_coverage(state_file(ws)), time.monotonic() - first)


@pytest.fixture
def proxy(influx_server: Any) -> Iterator[InfluxProxy]:
    p = InfluxProxy(influx_server.url)
    try:
        yield p
    finally:
        p.stop()


def finish_influx_chain(ws: rs.Workspace, database: str, ref: InfluxRef, tally: Tally) -> None:
    result = rs.run_cli(rs.backfill_args(), ws.env)
    assert result.code == 0, result.describe()
    tally.chains += 1
    diff = rs.compare(ref.rows, rs.influx_rows(ref.server.url, database))
    tally.lost += diff.lost
    tally.extra += diff.extra
    if rs.sqlite_coverage(state_file(ws)) != ref.coverage:
        tally.coverage_mismatches += 1
    spooled = list((ws.data_dir / "spool-influxdb1").glob("*.lp.gz"))
    if not diff.identical or spooled:
        tally.details.append(f"{ws.root.name}: {', '.join(diff.tables)}; {len(spooled)} batches still spooled")
    assert not spooled, f"{len(spooled)} batches left in the spool after a complete run"


@pytest.mark.influx
def test_influxdb_sigkill_at_random_moments(account: Any, influx_reference: InfluxRef, proxy: InfluxProxy,
                                            ledger: Ledger, tmp_path: Path) -> None:
    databases: dict[int, str] = {}

    def new_workspace(n: int) -> rs.Workspace:
        databases[n] = influx_reference.server.new_database()
        return influx_workspace(account, tmp_path / f"chain{n}", proxy.url, databases[n])

    def finish_chain(ws: rs.Workspace, tally: Tally) -> None:
        finish_influx_chain(ws, databases[tally.chains], influx_reference, tally)

    tally = kill_randomly(account, influx_reference.work_seconds, new_workspace, finish_chain,
                          rs.rng("influx-random"), sqlite=False, proxy=proxy)
    phases = "; ".join(f"{n} {p}" for p, n in tally.phases.most_common())
    ledger.add("Crashes", "InfluxDB 1.x: SIGKILL at random moments, restart, compare SELECT * per measurement",
               tried=tally.kills, survived=tally.kills if tally.lost == tally.extra == tally.tokens_lost == 0 else 0,
               lost=tally.lost_counts(),
               detail=f"{tally.chains} chains, each compared with the {influx_reference.total_rows:,} points of an "
                      f"uninterrupted run; kills with {phases}; {tally.finished_first} runs ended before their kill")
    assert tally.kills >= min(rs.KILLS, 1)
    assert_clean(tally)


INFLUX_MOMENTS = {
    "write sent, not yet stored": "request",
    "write stored, not yet acknowledged": "stored",
    "write acknowledged, checkpoint being recorded": "response",
}


@pytest.mark.influx
def test_influxdb_sigkill_at_chosen_moments(account: Any, influx_reference: InfluxRef, proxy: InfluxProxy,
                                            ledger: Ledger, tmp_path: Path) -> None:
    r = rs.rng("influx-targeted")
    tally = Tally()
    args = rs.backfill_args()
    for round_ in range(rs.TARGETED):
        database = influx_reference.server.new_database()
        ws = influx_workspace(account, tmp_path / f"targeted{round_}", proxy.url, database)
        for moment, when in INFLUX_MOMENTS.items():
            proxy.clear()
            trigger = proxy.add_trigger(Trigger("/write", r.randint(1, 4), when, hold=30 if when != "response" else 0))
            started = time.monotonic()
            proc = rs.start_cli(args, ws.env)
            try:
                if not rs.wait_for(trigger.fired, proc, 90):
                    tally.not_reached += 1
                    rs.finish_ok(proc, args, started)
                    continue
                if rs.sigkill(proc, args, started) is None:
                    tally.finished_first += 1
                    continue
            finally:
                proxy.clear()
            tally.after_kill(ws, moment, sqlite=False)
        finish_influx_chain(ws, database, influx_reference, tally)
    done = ", ".join(f"{tally.phases[m]} {m}" for m in INFLUX_MOMENTS)
    ledger.add("Crashes", "InfluxDB 1.x: SIGKILL at chosen moments of a write, restart, compare",
               tried=tally.kills, survived=tally.kills if tally.lost == tally.extra == tally.tokens_lost == 0 else 0,
               lost=tally.lost_counts(), detail=f"{done}; {tally.not_reached} moments not reached")
    assert tally.kills >= 1
    assert_clean(tally)

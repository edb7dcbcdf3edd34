"""Hostile API answers, through a proxy in front of the emulator (``rel_api_proxy``), for every
store (SQLite, a real InfluxDB 1.x, a real PostgreSQL): a chunked body that never ends (fast, and
trickling 1 KiB every 0.1 s so that no socket timeout ever fires), a 256 MiB body with and
without ``Content-Length``, a gzip bomb (255 KiB that decode to 256 MiB), JSON nested 100,000
levels deep; and, in every answer of the run, odd strings in the workout names, the exercise
types and the devices' battery status: a newline, CR, NUL, an escaped lone surrogate, 5,000
characters, a trailing backslash, surrounding spaces, tab and escape characters.

Each store gets two backfills: a clean one (odd strings, no hostile body), the yardstick, and a
hostile one (each of ``FITBIT_SYNC_RELIABILITY_HOSTILE_KINDS`` hostile bodies once, at data
requests drawn over the run; CI: three per store, all six among the stores). The hostile run must
end with exit 0 or one ``fitbit-sync: error:`` line (then the same command, the proxy tame, ends
with exit 0); no traceback; its peak RSS (``VmHWM`` from ``/proc``) under ``RSS_BOUND_MB``; and
its store equal to the yardstick, row by row. Every workout name is stored as ``stores.values``
documents for that store (verbatim, but for what the store cannot hold).

Then, where people look at them: the odd-named workouts' GPS tracks through the dashboard's
``/api/gps``, and dates at the limits in ``/api/data``, ``backfill`` and ``export``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import rel_support as rs
from rel_api_proxy import ApiProxy, HostileRule
from rel_ledger import Ledger
from rel_watch import MemoryWatch

from fitbit_sync.schema import MEASUREMENTS
from support.servers import PG_PASSWORD, influx_server, postgres_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

FIRST, LAST = "2025-03-03", "2025-03-15"  # six workouts, two with GPS, in the account's history
TYPES = "exercise,paired-devices,sleep,weight,daily-resting-heart-rate"
DATA = "/v4/users/me/dataTypes/"
#: the hostile bodies, each served once, at data requests drawn over a clean run's
HOSTILE = ("endless", "huge", "gzip_bomb", "huge_chunked", "deep", "trickle")
#: how many of them each hostile run gets (CI: 3, spread so the three stores together get all six)
KINDS_PER_RUN = min(len(HOSTILE), max(1, int(os.environ.get("FITBIT_SYNC_RELIABILITY_HOSTILE_KINDS", "") or 3)))
STORE_ORDER = ("sqlite", "influxdb1", "postgres")
DEADLINE_S = "2"  # the client's total time per request in the hostile runs (the trickle outlasts it)
MAX_RESPONSE_MB = 64  # the client's default body cap
CONCURRENCY = 2  # the client's workers in the hostile runs: two hostile bodies may be read at once
#: peak RSS of a hostile run: a clean run peaks near 70 MiB; each body being read adds up to three
#: times the 64 MiB cap (a gzip bomb: the capped body, its reallocation, and one 64 KiB read
#: decoded to 64 MiB at once)
RSS_BOUND_MB = 96 + CONCURRENCY * 3 * MAX_RESPONSE_MB
KILL_MB = 1500  # a build without a cap is stopped here, not when the machine runs out
RUN_TIMEOUT_S = 90

WORKOUT_NAMES = ("Line1\nLine2", "B" * 5000, "nul\x00byte", "lone \ud800 half", '  Walk, "k=v"\r \\', None)
BLANK_NAME_TYPE = "tab\there\x1b[0m_TYPE\\"  # the sixth workout: no displayName, this exerciseType
BATTERY = ("Low\n", "nul\x00\ud800" + "x" * 300)


@dataclass
class StoreUnderTest:
    kind: str
    env: Callable[[], dict[str, str]]  # settings of a fresh, empty store
    rows: Callable[[dict[str, str]], rs.Rows]
    names: Callable[[dict[str, str]], set[str]]  # the ActivityName tags stored


@dataclass
class Tally:
    runs: int = 0
    survived: int = 0
    resumed: int = 0
    lost: int = 0
    extra: int = 0
    over_bound: int = 0
    names_wrong: int = 0
    peaks: list[float] = field(default_factory=list)
    clean_peaks: list[float] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def api_proxy(_account: Any) -> Iterator[ApiProxy]:
    proxy = ApiProxy(_account.emu.base_url)
    try:
        yield proxy
    finally:
        proxy.stop()


def workouts(emu: Any) -> list[tuple[str, bool]]:
    """(point name, has GPS) of the range's workouts, GPS ones first."""
    found = []
    day, last = date.fromisoformat(FIRST), date.fromisoformat(LAST)
    while day <= last:
        for point in emu.generator.points("exercise", day):
            found.append((point["name"], bool(point["exercise"]["exerciseMetadata"].get("hasGps"))))
        day += timedelta(days=1)
    return sorted(found, key=lambda w: (not w[1], w[0]))


def odd_strings(emu: Any) -> tuple[Callable[[str, Any], Any], list[str]]:
    """The proxy's rewrite (same strings on every request, so reruns and retries agree) and the
    workout names as the converter makes them (a blank displayName: the exerciseType, titled)."""
    names = {}
    expected = []
    for i, (point, _gps) in enumerate(workouts(emu)):
        names[point] = WORKOUT_NAMES[i % len(WORKOUT_NAMES)]
        expected.append(names[point] if names[point] is not None else BLANK_NAME_TYPE.replace("_", " ").title())

    def rewrite(path: str, doc: Any) -> Any:
        if not isinstance(doc, dict):
            return doc
        if path.endswith("/dataTypes/exercise/dataPoints"):
            for point in doc.get("dataPoints") or ():
                if point.get("name") in names:
                    name = names[point["name"]]
                    point["exercise"]["displayName"] = name if name is not None else ""
                    if name is None:
                        point["exercise"]["exerciseType"] = BLANK_NAME_TYPE
        elif path.endswith("/pairedDevices"):
            for i, device in enumerate(doc.get("pairedDevices") or ()):
                device["batteryStatus"] = BATTERY[i % len(BATTERY)]
                device["lastSyncTime"] = f"2025-03-15T12:0{i % 10}:00Z"  # fixed: runs compare equal
                device["batteryLevel"] = 50
        return doc

    return rewrite, expected


def kinds_for(store: str, round_: int) -> list[str]:
    """``KINDS_PER_RUN`` hostile kinds, in ``HOSTILE``'s order (the endless body first): consecutive
    stores and rounds overlap by one kind and move on, so every kind is served somewhere."""
    start = (STORE_ORDER.index(store) + round_ * len(STORE_ORDER)) * max(1, KINDS_PER_RUN - 1)
    chosen = {HOSTILE[(start + i) % len(HOSTILE)] for i in range(KINDS_PER_RUN)}
    return [kind for kind in HOSTILE if kind in chosen]


def run_watched(args: list[str], env: dict[str, str]) -> tuple[rs.Result, MemoryWatch]:
    started = time.monotonic()
    proc = rs.start_cli(args, env)
    watch = MemoryWatch(proc, KILL_MB)
    result = rs.finish(proc, args, started, timeout=RUN_TIMEOUT_S)
    watch.join()
    return result, watch


# --- the stores ------------------------------------------------------------------------------------


def sqlite_store(root: Callable[[], Path]) -> StoreUnderTest:
    def env() -> dict[str, str]:
        return {"FITBIT_SYNC_SQLITE_PATH": str(root() / "fitbit.db")}

    def names(e: dict[str, str]) -> set[str]:
        import sqlite3

        conn = sqlite3.connect(f"file:{e['FITBIT_SYNC_SQLITE_PATH']}?mode=ro", uri=True)
        try:
            return {row[0] for row in conn.execute('SELECT "ActivityName" FROM "Activity Records"')}
        finally:
            conn.close()

    return StoreUnderTest("sqlite", env, lambda e: rs.sqlite_rows(Path(e["FITBIT_SYNC_SQLITE_PATH"])), names)


def influx_store(server: Any) -> StoreUnderTest:
    def env() -> dict[str, str]:
        return {"FITBIT_SYNC_STORE": "influxdb1", "FITBIT_SYNC_INFLUXDB_URL": server.url,
                "FITBIT_SYNC_INFLUXDB_DATABASE": server.new_database()}

    def names(e: dict[str, str]) -> set[str]:
        return {p["ActivityName"] for p in server.points(e["FITBIT_SYNC_INFLUXDB_DATABASE"], "Activity Records")}

    return StoreUnderTest("influxdb1", env,
                          lambda e: rs.influx_rows(server.url, e["FITBIT_SYNC_INFLUXDB_DATABASE"]), names)


def pg_rows(dsn: str, schema: str = "fitbit") -> rs.Rows:
    """Every row of every measurement table (time as stored)."""
    import psycopg

    rows: rs.Rows = {}
    with psycopg.connect(dsn) as conn:
        for name in MEASUREMENTS:
            table = f'{schema}."{name}"'
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
                continue
            rows[name] = [tuple(r) for r in conn.execute(f"SELECT * FROM {table}")]
    return rows


def postgres_store(server: Any) -> StoreUnderTest:
    rs.WATCH.add(PG_PASSWORD)

    def env() -> dict[str, str]:
        return {"FITBIT_SYNC_STORE": "postgres", "FITBIT_SYNC_POSTGRES_DSN": server.dsn(server.new_database())}

    def names(e: dict[str, str]) -> set[str]:
        import psycopg

        with psycopg.connect(e["FITBIT_SYNC_POSTGRES_DSN"]) as conn:
            return {r[0] for r in conn.execute('SELECT "ActivityName" FROM fitbit."Activity Records"')}

    return StoreUnderTest("postgres", env, lambda e: pg_rows(e["FITBIT_SYNC_POSTGRES_DSN"]), names)


def stored_form(kind: str) -> Callable[[str], str]:
    """How ``kind`` holds a tag value (``stores.values``, the documented rule)."""
    from fitbit_sync.stores.values import influx_tag_text, storable_text

    transform = influx_tag_text if kind == "influxdb1" else storable_text
    return lambda text: transform(text)[0]


# --- the test --------------------------------------------------------------------------------------


def hostile_backfills(store: StoreUnderTest, account: Any, proxy: ApiProxy, ledger: Ledger, tmp_path: Path) -> None:
    args = rs.backfill_args(FIRST, LAST, TYPES)
    rewrite, names = odd_strings(account.emu)
    tally = Tally()
    rounds = max(1, rs.ROUNDS)
    try:
        for n in range(rounds):
            tally.runs += 1
            account.reset()
            proxy.reset()
            proxy.rewrite = rewrite
            clean_ws = rs.workspace(account.emu, tmp_path / f"clean{n}")
            clean_env = {**clean_ws.env, **store.env(), "FITBIT_SYNC_API_BASE_URL": proxy.url}
            clean, watch = run_watched(args, clean_env)
            assert clean.code == 0, f"the clean run (odd strings only) failed: {clean.describe()}"
            tally.clean_peaks.append(watch.peak_mb)
            yardstick = store.rows(clean_env)
            assert len(yardstick.get("Activity Records", [])) == len(names)

            data_requests = proxy.requests(DATA)
            assert data_requests >= len(HOSTILE), f"only {data_requests} data requests"
            kinds = kinds_for(store.kind, n)
            afters = sorted(rs.rng(f"hostile-{store.kind}-{n}").sample(range(data_requests), len(kinds)))
            proxy.reset()
            proxy.rewrite = rewrite
            proxy.set_rules([HostileRule(kind, DATA, after=after) for kind, after in zip(kinds, afters, strict=True)])
            ws = rs.workspace(account.emu, tmp_path / f"hostile{n}")
            env = {**ws.env, **store.env(), "FITBIT_SYNC_API_BASE_URL": proxy.url,
                   "FITBIT_SYNC_REQUEST_DEADLINE": DEADLINE_S, "FITBIT_SYNC_MAX_RESPONSE_MB": str(MAX_RESPONSE_MB),
                   "FITBIT_SYNC_MAX_CONCURRENCY": str(CONCURRENCY)}
            result, watch = run_watched(args, env)
            for kind, count in proxy.fired.items():
                tally.fired[kind] = tally.fired.get(kind, 0) + count
            tally.peaks.append(watch.peak_mb)
            tally.over_bound += watch.killed or watch.peak_mb > RSS_BOUND_MB
            assert not watch.killed, f"RSS passed {KILL_MB} MiB: killed ({result.describe()})"
            assert watch.peak_mb <= RSS_BOUND_MB, f"peak RSS {watch.peak_mb:.0f} MiB > {RSS_BOUND_MB} MiB"
            assert "Traceback" not in result.err + result.out, result.describe()
            if result.code != 0:
                assert result.one_line_error(), result.describe()
                tally.messages.append(result.last_line.removeprefix("fitbit-sync: error: ")[:120])
                proxy.set_rules([])
                rerun, _ = run_watched(args, env)
                assert rerun.code == 0, rerun.describe()
                tally.resumed += 1
            diff = rs.compare(yardstick, store.rows(env))
            tally.lost += diff.lost
            tally.extra += diff.extra
            assert diff.identical, diff.tables
            want = {stored_form(store.kind)(name) for name in names}
            got = store.names(env)
            tally.names_wrong += len(want ^ got)
            assert got == want, f"workout names not as documented: {sorted(want ^ got)!r:.300}"
            tally.survived += 1
    finally:
        fired = ", ".join(f"{k} {v}" for k, v in sorted(tally.fired.items())) or "none fired"
        peak = f"{max(tally.peaks):.0f}" if tally.peaks else "-"
        clean_peak = f"{max(tally.clean_peaks):.0f}" if tally.clean_peaks else "-"
        stopped = "".join(f"; stopped with: {m}" for m in tally.messages)
        ledger.add("Bad input", f"hostile API answers and odd strings, backfill into {store.kind}",
                   tried=tally.runs, survived=tally.survived,
                   lost={"rows lost": tally.lost, "rows duplicated/changed": tally.extra,
                         "runs over the RSS bound": tally.over_bound, "names not as documented": tally.names_wrong},
                   detail=f"hostile bodies served: {fired}; peak RSS {peak} MiB (bound {RSS_BOUND_MB}; clean runs "
                          f"{clean_peak}); {tally.resumed} stopped with one line and resumed{stopped}")


def test_hostile_answers_sqlite(account: Any, api_proxy: ApiProxy, ledger: Ledger, tmp_path: Path) -> None:
    counter = iter(range(1_000_000))

    def root() -> Path:
        path = tmp_path / f"db{next(counter)}"
        path.mkdir()
        return path

    hostile_backfills(sqlite_store(root), account, api_proxy, ledger, tmp_path)


@pytest.mark.influx
def test_hostile_answers_influxdb(account: Any, api_proxy: ApiProxy, influx_server: Any,  # noqa: F811
                                  ledger: Ledger, tmp_path: Path) -> None:
    hostile_backfills(influx_store(influx_server), account, api_proxy, ledger, tmp_path)


@pytest.mark.postgres
def test_hostile_answers_postgres(account: Any, api_proxy: ApiProxy, postgres_server: Any,  # noqa: F811
                                  ledger: Ledger, tmp_path: Path) -> None:
    hostile_backfills(postgres_store(postgres_server), account, api_proxy, ledger, tmp_path)


# --- odd names and dates at the limits, where people look at them ----------------------------------

EDGE_DATES = ("9999-12-31", "0001-01-01", "9999-12-30")
EDGE_QUERIES = ({"from": "2026-01-01", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"},
                {"from": "9999-12-31", "to": "9999-12-31"}, {"start": "0", "end": "253402300800000"},
                {"start": "-62135596800001", "end": "0"}, {"range": "all", "tz": "Pacific/Kiritimati"})


def edge_commands(export_dir: Path) -> list[list[str]]:
    """Typed dates at and beyond the limits of a date, for the commands that take them."""
    return [rs.backfill_args("2025-03-01", EDGE_DATES[0], "weight"), rs.backfill_args(EDGE_DATES[1], EDGE_DATES[1]),
            ["export", "--out", str(export_dir), "--from", EDGE_DATES[2], "--to", EDGE_DATES[0]]]


def start_dashboard(env: dict[str, str]) -> tuple[Any, str, float]:
    from support.servers import free_port

    port = free_port()
    args = ["dashboard", "--port", str(port)]
    started = time.monotonic()
    proc = rs.start_cli(args, env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/api/meta", timeout=2).status_code == 200:
                return proc, url, started
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError(rs.finish(proc, args, started, timeout=10).describe())


def test_odd_names_and_edge_dates_in_the_dashboard_and_the_cli(account: Any, api_proxy: ApiProxy, ledger: Ledger,
                                                              tmp_path: Path) -> None:
    """The workouts of a backfill with odd names (as above, into SQLite) in the built-in dashboard:
    every GPS track is reachable through ``/api/gps`` by the ActivityID the store holds (a
    5,000-character name's track included). Dates at the limits (9999-12-31, 0001-01-01, epoch ms
    beyond them) in ``/api/data`` are answered 200 or 400, never 500; on the command line
    (``backfill``, ``export``) exit 0 or one line with exit 2, never a traceback."""
    import sqlite3

    rewrite, _names = odd_strings(account.emu)
    account.reset()
    api_proxy.reset()
    api_proxy.rewrite = rewrite
    ws = rs.workspace(account.emu, tmp_path / "edges")
    env = {**ws.env, "FITBIT_SYNC_API_BASE_URL": api_proxy.url}
    tracks = queries = commands = 0
    failures: list[str] = []
    try:
        result = rs.run_cli(rs.backfill_args(FIRST, LAST, "exercise"), env)
        assert result.code == 0, result.describe()
        conn = sqlite3.connect(f"file:{ws.db}?mode=ro", uri=True)
        try:
            workouts = conn.execute('SELECT time, "ActivityID", duration FROM "Activity Records" '
                                    'WHERE "hasGps"').fetchall()
        finally:
            conn.close()
        assert len(workouts) >= 2, workouts
        proc, url, started = start_dashboard(env)
        try:
            for start, activity_id, duration in workouts:
                tracks += 1
                answer = httpx.get(url + "/api/gps", params={"id": activity_id, "start": start,
                                                             "end": start + duration + 60_000}, timeout=30)
                points = len(answer.json().get("lat") or ()) if answer.status_code == 200 else 0
                if points < 10:
                    failures.append(f"/api/gps of a {len(activity_id)}-character id: HTTP {answer.status_code}, "
                                    f"{points} points")
            for query in EDGE_QUERIES:
                queries += 1
                answer = httpx.get(url + "/api/data", params=query, timeout=60)
                if answer.status_code not in (200, 400):
                    failures.append(f"/api/data?{query}: HTTP {answer.status_code}")
        finally:
            proc.terminate()
            stopped = rs.finish(proc, ["dashboard"], started, timeout=30)
        if "Traceback" in stopped.err:
            failures.append("the dashboard printed a traceback")
        for args in edge_commands(tmp_path / "export"):
            commands += 1
            result = rs.run_cli(args, env, timeout=60)
            if "Traceback" in result.err + result.out or not (result.code == 0 or
                                                               (result.code == 2 and result.one_line_error())):
                failures.append(f"{' '.join(args[:5])}: exit {result.code}: {result.last_line[:120]}")
    finally:
        ledger.add("Bad input", "odd workout names in the dashboard, dates at the limits (dashboard, CLI)",
                   tried=tracks + queries + commands, survived=tracks + queries + commands - len(failures),
                   lost={"tracks unreachable, HTTP 500s, tracebacks": len(failures)},
                   detail=f"{tracks} GPS tracks by ActivityID (names up to 5,000 characters), {queries} /api/data "
                          f"ranges at 0001-01-01/9999-12-31, {commands} backfill/export date ranges"
                          + (f"; {'; '.join(failures[:4])}" if failures else ""))
    assert failures == []

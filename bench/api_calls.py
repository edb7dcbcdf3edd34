"""API calls of a multi-year backfill of every data type vs the theoretical minimum, and wall time
vs the quota bound, measured in one run against the emulator.

The emulator runs in its own process (its day cache sized so that the rollup windows of all
streams fit), with its quota raised so the run is not throttled; sign-in goes through the real
OAuth flow. The backfill is the real one (``SyncSession``: planner, engine, converters, SQLite).

The theoretical minimum for the same data comes from page sizes and range caps and the number of
points actually stored (the sync tests check those equal what the generator serves, exactly once):

- ``list``: ``ceil(points / pageSize)`` per stream (pageSize 10,000; 25 for sleep and exercise),
  at least one call;
- ``rollUp`` (floors per minute): ``max(ceil(range / 90 days), ceil(windows / 10,000))``;
- ``dailyRollUp``: ``ceil(days / min(range cap, page size))`` (90 days, or 14 for the
  heart-rate/calorie/active-minutes family);
- one TCX export per workout with GPS, one ``pairedDevices`` and one ``settings`` call (the zone).

The quota bound is the wall time the per-user quota alone forces: calls / 300 per minute.

Usage: ``.venv/bin/python bench/api_calls.py [--years 3] [--seed 1] [--workers 4]``
Prints calls by stream vs minimum and their ratio, wall time vs the quota bound, and the peak RSS
of this process (the sync) and of the emulator process.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from fitbit_sync.auth.flow import authorize
from fitbit_sync.catalog import STREAMS, Stream
from fitbit_sync.config import Settings
from fitbit_sync.emulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sync.session import SyncSession

QUOTA_PER_MINUTE = 300
EMULATOR = """
import sys
from datetime import date
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.server import run_in_thread
seed, cache = int(sys.argv[1]), int(sys.argv[4])
start, end = date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
server = run_in_thread(EmulatorConfig(seed=seed, start=start, end=end, quota_per_minute=10_000_000,
                                      cache_days=cache))
light = getattr(server.state.generator, "_light", None)  # light days (sleep, SpO2, workouts): keep all
if light is not None and hasattr(light, "size"):
    light.size = max(light.size, (end - start).days + 10)
print(server.base_url, flush=True)
sys.stdin.read()  # until the bench closes our stdin
server.stop()
"""

#: stream -> the measurement with one row per served point (the minimum's ``points``)
POINT_ROWS = {
    "daily-resting-heart-rate": "RestingHR", "daily-heart-rate-variability": "HRV",
    "daily-oxygen-saturation": "SPO2", "daily-respiratory-rate": "BreathingRate",
    "daily-sleep-temperature-derivations": "Skin Temperature", "daily-vo2-max": "VO2 Max",
    "daily-heart-rate-zones": "HR Zone Thresholds", "weight": "weight", "body-fat": "BodyFat",
    "sleep": "Sleep Summary", "respiratory-rate-sleep-summary": "BreathingRate_Sleep", "exercise": "Activity Records",
    "heart-rate-variability": "HRV_Intraday", "oxygen-saturation": "SPO2_Intraday", "steps": "Steps_Intraday",
    "distance": "Distance_Intraday", "active-energy-burned": "Calories_Intraday", "altitude": "Elevation_Intraday",
    "floors:rollup": "Floors_Intraday", "heart-rate": "HeartRate_Intraday", "height": "height",
    "vo2-max": "VO2 Max Samples",
}


@contextlib.contextmanager
def emulator(seed: int, start: date, end: date, cache_days: int) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    proc = subprocess.Popen([sys.executable, "-c", EMULATOR, str(seed), start.isoformat(), end.isoformat(),
                             str(cache_days)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        if not base.startswith("http"):
            raise SystemExit("the emulator did not start")
        yield base, proc
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()


def minimum(stream: Stream, requests: list[planner.Request], rows: dict[str, int]) -> int:
    if stream.method == "pairedDevices":
        return 1
    if stream.method == "list":
        return max(1, math.ceil(rows[POINT_ROWS[stream.key]] / stream.page_size))
    span = sum(r.end_ms - r.start_ms for r in requests)
    if stream.method == "rollUp":
        cap = (stream.max_range_days or 90) * planner.DAY_MS
        return max(math.ceil(span / cap), math.ceil(rows[POINT_ROWS[stream.key]] / stream.page_size))
    days = span // planner.DAY_MS
    return math.ceil(days / min(stream.max_range_days or 90, stream.page_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cache-days", type=int, default=100, help="emulator day cache (~4.5 MB a day)")
    args = parser.parse_args()

    today = datetime.now(UTC).date()
    days = round(args.years * 365)
    first = today - timedelta(days=days - 1)
    with emulator(args.seed, first - timedelta(days=2), today, args.cache_days) as (base, _proc), \
            tempfile.TemporaryDirectory(prefix="fitbit-sync-bench-") as tmp:
        settings = Settings(
            client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, api_base_url=base,
            auth_url=f"{base}/o/oauth2/v2/auth", token_url=f"{base}/token", revoke_url=f"{base}/revoke",
            token_file=Path(tmp) / "token.json", data_dir=Path(tmp), store="sqlite",
            sqlite_path=Path(tmp) / "bench.db", quota_per_minute=100_000, max_concurrency=args.workers,
            request_timeout=600,  # the emulator generates years of daily values on the spot
            time_zone=None, types=[],
        )
        authorize(settings, open_browser=lambda url: httpx.get(url, follow_redirects=True, timeout=30),
                  echo=lambda _line: None)
        with SyncSession(settings) as session:
            assert session.client is not None
            started = time.monotonic()
            cpu = time.process_time()
            zone = session.resolve_zone()
            requests = session.plan_backfill(list(STREAMS), first, today)
            report = session.run(requests, "bench")
            wall = time.monotonic() - started
            cpu = time.process_time() - cpu
            calls = session.client.calls
        conn = sqlite3.connect(Path(tmp) / "bench.db")
        rows = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                for name in {*POINT_ROWS.values(), "Activity Records"}}
        gps = conn.execute('SELECT count(*) FROM "Activity Records" WHERE hasGps = 1').fetchone()[0]
        conn.close()
    emulator_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024

    by_stream: dict[str, list[planner.Request]] = {}
    for r in requests:
        by_stream.setdefault(r.stream.key, []).append(r)
    print(f"backfill of {days} days ({first} .. {today}, zone {zone.key}), {len(requests)} requests, "
          f"{report.records:,} records, {args.workers} workers")
    print(f"{'stream':38s} {'calls':>7s} {'minimum':>8s} {'ratio':>6s}")
    total_calls = total_min = 0
    for stream in sorted(STREAMS, key=lambda s: (s.priority, s.key)):
        method_key = {"list": "list", "rollUp": "rollUp", "dailyRollUp": "dailyRollUp"}.get(stream.method)
        made = calls[f"{method_key}:{stream.type_id}"] if method_key else calls["pairedDevices"]
        least = minimum(stream, by_stream.get(stream.key, []), rows)
        total_calls += made
        total_min += least
        print(f"{stream.key:38s} {made:7d} {least:8d} {made / least:6.3f}")
    extra = {"exportExerciseTcx:exercise": gps, "settings": 1}
    for key, least in extra.items():
        total_calls += calls[key]
        total_min += least
        print(f"{key:38s} {calls[key]:7d} {least:8d} {calls[key] / max(1, least):6.3f}")
    accounted = sum(v for k, v in calls.items() if k != "retry")
    assert accounted == total_calls, (accounted, total_calls, Counter(calls))
    print(f"{'total':38s} {total_calls:7d} {total_min:8d} {total_calls / total_min:6.3f}   (retries: {calls['retry']})")
    bound = total_calls / QUOTA_PER_MINUTE * 60
    print(f"wall time {wall:.1f} s (sync CPU {cpu:.1f} s); quota bound {bound:.1f} s "
          f"({total_calls} calls / {QUOTA_PER_MINUTE} per minute); wall / bound = {wall / bound:.2f}")
    print(f"peak RSS: sync {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB, "
          f"emulator {emulator_rss} MB; load average {os.getloadavg()[0]:.1f}")
    if report.failures or report.skipped:
        print(f"failures: {report.failures[:3]}, skipped points: {dict(report.skipped)}")
        sys.exit(1)


if __name__ == "__main__":
    main()

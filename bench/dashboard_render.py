"""Benchmark: the built-in dashboard over 3 years of demo data, in a real headless Chromium.

Measures, in one run: the first render of the 30-day view (navigation start to every panel drawn,
from the browser's performance timeline), the bytes the page fetched (``transferSize`` of every
navigation and resource entry: compressed, with headers), the server's payload build time for
each preset (their ratio to the 30-day one), the points shipped against the raw rows behind them,
the page's JS heap and the peak RSS of this process (server + database reads).

The database (``bench/out/dashboard-3y.db``, about 0.8 GB, 22 M rows, 5-second heart rate) is made
once by ``tests/support/dash_demo.py`` through ``SQLiteStore`` (about 2 minutes) and reused.

    .venv/bin/python bench/dashboard_render.py [--days 1095] [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "dashboards" / "html")]

from dash_live import LiveServer  # noqa: E402

from fitbit_sync.dashboards.html import payload, ranges  # noqa: E402
from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource  # noqa: E402
from fitbit_sync.stores.sqlite import SQLiteStore  # noqa: E402
from support.dash_demo import TZ, fill_demo  # noqa: E402

OUT = ROOT / "bench" / "out"
END = date(2026, 11, 15)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
FETCHED = """() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
  .map(e => ({name: e.name, transfer: e.transferSize, body: e.decodedBodySize}))"""


def database(days: int) -> Path:
    path = OUT / f"dashboard-{days}d.db"
    marker = f"{days} days to {END} seed 7"
    if path.exists():
        with SQLiteStore(path) as store:
            if store.get_state("bench:demo") == marker:
                return path
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    print(f"making {path} ({days} days of demo data, 5-second heart rate) ...", flush=True)
    started = time.perf_counter()
    with SQLiteStore(path) as store:
        summary = fill_demo(store, days, end=END, tz=TZ)
        store.set_state("bench:demo", marker)
    print(f"  {summary.records:,} rows in {time.perf_counter() - started:.0f} s, "
          f"{path.stat().st_size / 1e6:.0f} MB", flush=True)
    return path


def switch(page: Any) -> dict[str, float]:
    """Seconds from a range button's click to the page redrawn, per range."""
    times = {}
    for label in ("7d", "1y", "all", "24h", "30d"):
        renders = page.evaluate("window.fitbitDashboard.renders")
        started = time.perf_counter()
        page.click(f'#ranges button[data-range="{label}"]')
        page.wait_for_function(f"window.fitbitDashboard.renders > {renders}", timeout=120_000)
        times[label] = time.perf_counter() - started
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--runs", type=int, default=3, help="cold page loads of the 30-day view")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = database(args.days)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium not installed: apt-get install -y chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    source = SQLiteSource(db)
    zone = ranges.zone(TZ)
    bounds = source.bounds(payload.ACTIVITY_MEASUREMENTS)
    assert bounds is not None
    print(f"\ndatabase: {db} ({db.stat().st_size / 1e6:.0f} MB)")

    # --- server side: payload build per preset ------------------------------------------------
    build: dict[str, float] = {}
    sizes: dict[str, int] = {}
    import orjson

    for preset in ranges.PRESETS:
        window = ranges.resolve(preset, bounds, zone)
        started = time.perf_counter()
        view = payload.build(source, window, bounds=bounds)
        build[preset] = time.perf_counter() - started
        sizes[preset] = len(orjson.dumps(view))
        if preset == "30d":
            hr_points = len(view["panels"]["heart_rate"]["t"])
            raw_rows = source.store.connection.execute(
                'SELECT count(*) FROM "HeartRate_Intraday" WHERE time >= ? AND time < ?',
                (window.start_ms, window.end_ms)).fetchone()[0]
    print("\nserver: payload build per preset, cold: no hourly rollups yet (the first long range starts"
          " building them in the background) (seconds, ratio to 30d, JSON bytes before gzip)")
    for preset in ranges.PRESETS:
        print(f"  {preset:>4}: {build[preset]:6.3f} s  x{build[preset] / build['30d']:5.2f}  {sizes[preset]:>9,} B")
    print(f"  30d heart rate: {raw_rows:,} raw rows -> {hr_points:,} points (1 : {raw_rows / hr_points:,.0f})")

    # --- browser: cold loads of the 30-day view, then range switches ------------------------------
    firsts: list[float] = []
    fetched: list[int] = []
    with LiveServer(source) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        for run in range(args.runs):
            context = browser.new_context(viewport={"width": 1500, "height": 1000}, timezone_id=TZ)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(server.url + "#range=30d")
            page.wait_for_function("window.fitbitDashboard && window.fitbitDashboard.renders >= 1", timeout=60_000)
            page.wait_for_timeout(400)  # the GPS track of the first workout arrives after the render
            firsts.append(page.evaluate("window.fitbitDashboard.firstRenderAt"))
            entries = page.evaluate(FETCHED)
            fetched.append(sum(e["transfer"] for e in entries))
            if run == 0:
                body = sum(e["body"] for e in entries)
                print(f"\nbrowser: 30-day view, {len(entries)} requests, {body / 1e6:.2f} MB decoded")
                for e in entries:
                    print(f"  {e['transfer']:>9,} B  {e['name'].replace(server.url, '/')}")
                heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
                shot = OUT / "dashboard-3y-30d.png"
                page.screenshot(path=str(shot), full_page=True)
                cold = switch(page)  # while the hourly rollups are still being built
                started = time.perf_counter()
                source.rollups.wait(600)
                rollup_wait = time.perf_counter() - started
                warm = switch(page)
            if errors:
                print(f"  console errors: {errors}")
            context.close()
        browser.close()
    source.rollups.wait(600)
    warm_build = {}
    for preset in ranges.PRESETS:
        window = ranges.resolve(preset, bounds, zone)
        started = time.perf_counter()
        payload.build(source, window, bounds=bounds)
        warm_build[preset] = time.perf_counter() - started
    source.close()

    print("\nserver: payload build per preset with the hourly rollups ready (seconds, ratio to 30d): "
          + ", ".join(f"{k} {v:.3f} (x{v / warm_build['30d']:.2f})" for k, v in warm_build.items()))
    print(f"\nfirst render of the 30-day view ({args.runs} cold loads): median {statistics.median(firsts):.0f} ms, "
          f"max {max(firsts):.0f} ms (target < 2000 ms)")
    print(f"bytes fetched by the page: median {statistics.median(fetched) / 1e6:.2f} MB, "
          f"max {max(fetched) / 1e6:.2f} MB (target < 5 MB)")
    print("range switch, click to redrawn (s), rollups building: " + ", ".join(f"{k} {v:.2f}" for k, v in cold.items()))
    print(f"  waited {rollup_wait:.1f} s more for the hourly rollups, then: "
          + ", ".join(f"{k} {v:.2f}" for k, v in warm.items()))
    print(f"page JS heap after the first render: {heap / 1e6:.1f} MB")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of this process (server, SQLite reads, driver): {peak_kb / 1e3:.0f} MB")
    print(f"screenshot: {shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

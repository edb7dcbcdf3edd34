"""Store write throughput against the raw way of writing the same points, measured in one run.

For each store, N intraday heart-rate points (default 10 million, one a second, one Device tag)
are written twice into a fresh target on a real server started here: once by hand in the
fastest direct way (raw), once through the fitbit-sync store. Each variant runs in its own
process, so its peak memory (max RSS) is its own. The points are generated in chunks of 100,000
``Record`` objects outside the timed part; the timed part is writing them (the store: one
``store.write(chunk)`` per chunk, as the sync engine writes a page at a time).

- InfluxDB 1.x (``influxd`` from Debian, temp dir): raw = line protocol built with an f-string,
  POSTed uncompressed in batches of 5,000 with httpx; ours = InfluxStore, with gzip (the default)
  and without.
- SQLite: raw = ``INSERT OR REPLACE`` executemany of tuples into the same table, one transaction
  per chunk; ours = SQLiteStore.
- PostgreSQL 15 (initdb in a temp dir): raw = binary ``COPY`` with psycopg's ``write_row`` of
  (datetime, device, value) tuples into an identical table; ours = PostgresStore.

Usage: ``.venv/bin/python bench/store_writes.py [--points 10000000] [--stores influx,sqlite,postgres]``
Prints a table of points/s, the ratio ours/raw (target: at least 0.8) and peak RSS per variant.
Needs the test servers' helpers (tests/support/servers.py) and the binaries they start.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fitbit_sync.records import Record  # noqa: E402

CHUNK = 100_000
START_MS = 1_700_000_000_000
DEVICE = "Charge 6"


def chunks(points: int) -> Iterator[list[Record]]:
    for first in range(0, points, CHUNK):
        yield [Record("HeartRate_Intraday", START_MS + i * 1000, {"value": 45 + (i * 7919) % 140}, {"Device": DEVICE})
               for i in range(first, min(points, first + CHUNK))]


def timed(points: int, write: Callable[[list[Record]], None]) -> float:
    total = 0.0
    for chunk in chunks(points):
        started = time.perf_counter()
        write(chunk)
        total += time.perf_counter() - started
    return total


# --- variants (each runs in a child process) -------------------------------------------------


def influx_raw(points: int, target: dict[str, str]) -> float:
    import httpx

    client = httpx.Client(timeout=120)
    url = target["url"] + "/write"
    params = {"db": target["db"], "precision": "ms"}

    def write(chunk: list[Record]) -> None:
        for i in range(0, len(chunk), 5000):
            body = "\n".join([f"HeartRate_Intraday,Device=Charge\\ 6 value={r.fields['value']}i {r.time_ms}"
                              for r in chunk[i:i + 5000]]).encode()
            response = client.post(url, params=params, content=body)
            assert response.status_code == 204, response.text

    return timed(points, write)


def influx_ours(points: int, target: dict[str, str], gzip: bool) -> float:
    from fitbit_sync.config import load_settings
    from fitbit_sync.stores.influx import open_influx_store

    settings = load_settings(store="influxdb1", influxdb_url=target["url"], influxdb_database=target["db"],
                             data_dir=target["data_dir"], influxdb_gzip=gzip)
    with open_influx_store(settings) as store:
        return timed(points, store.write)


def sqlite_raw(points: int, target: dict[str, str]) -> float:
    import sqlite3

    from fitbit_sync.schema import MEASUREMENTS
    from fitbit_sync.stores.sqlite import table_ddl

    conn = sqlite3.connect(target["path"], isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(table_ddl(MEASUREMENTS["HeartRate_Intraday"]))
    sql = 'INSERT OR REPLACE INTO "HeartRate_Intraday" (time, "Device", value) VALUES (?, ?, ?)'

    def write(chunk: list[Record]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, [(r.time_ms, r.tags["Device"], r.fields["value"]) for r in chunk])
        conn.execute("COMMIT")

    return timed(points, write)


def sqlite_ours(points: int, target: dict[str, str]) -> float:
    from fitbit_sync.stores.sqlite import SQLiteStore

    with SQLiteStore(target["path"]) as store:
        return timed(points, store.write)


def postgres_raw(points: int, target: dict[str, str]) -> float:
    import psycopg

    conn = psycopg.connect(target["dsn"], autocommit=True)
    conn.execute('CREATE TABLE raw_hr (time timestamptz NOT NULL, "Device" text NOT NULL DEFAULT \'\', '
                 'value bigint, PRIMARY KEY (time, "Device"))')

    def write(chunk: list[Record]) -> None:
        with conn.transaction(), conn.cursor() as cur, \
                cur.copy('COPY raw_hr (time, "Device", value) FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(["timestamptz", "text", "int8"])
            for r in chunk:
                copy.write_row((datetime.fromtimestamp(r.time_ms / 1000, UTC), r.tags["Device"], r.fields["value"]))

    return timed(points, write)


def postgres_ours(points: int, target: dict[str, str]) -> float:
    from fitbit_sync.config import load_settings
    from fitbit_sync.stores.postgres import open_postgres_store

    with open_postgres_store(load_settings(store="postgres", postgres_dsn=target["dsn"])) as store:
        return timed(points, store.write)


VARIANTS: dict[str, Callable[..., float]] = {
    "influx-raw": influx_raw,
    "influx-ours": lambda n, t: influx_ours(n, t, gzip=True),
    "influx-ours-nogzip": lambda n, t: influx_ours(n, t, gzip=False),
    "sqlite-raw": sqlite_raw,
    "sqlite-ours": sqlite_ours,
    "postgres-raw": postgres_raw,
    "postgres-ours": postgres_ours,
}


def child(variant: str, points: int, target: dict[str, str]) -> None:
    seconds = VARIANTS[variant](points, target)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"variant": variant, "seconds": seconds, "points": points, "peak_mb": peak_kb / 1024}))


def run_child(variant: str, points: int, target: dict[str, str]) -> dict[str, float]:
    result = subprocess.run([sys.executable, __file__, "--child", variant, "--points", str(points),
                             "--target", json.dumps(target)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{result.stderr[-3000:]}")
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--stores", default="influx,sqlite,postgres")
    parser.add_argument("--child")
    parser.add_argument("--target")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.points, json.loads(args.target))
        return

    from support.servers import running_influx, running_postgres

    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    rows: list[tuple[str, dict[str, float], dict[str, float]]] = []
    started = time.time()
    print(f"{args.points:,} HeartRate_Intraday points per variant, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fitbit-sync-bench-") as tmp:
        if "influx" in stores:
            with running_influx() as server:
                def target(name: str) -> dict[str, str]:
                    return {"url": server.url, "db": server.new_database(), "data_dir": f"{tmp}/{name}"}

                raw = run_child("influx-raw", args.points, target("raw"))
                ours = run_child("influx-ours", args.points, target("ours"))
                plain = run_child("influx-ours-nogzip", args.points, target("plain"))
                rows += [("InfluxDB 1.x (gzip, default)", raw, ours), ("InfluxDB 1.x (no gzip)", raw, plain)]
        if "sqlite" in stores:
            raw = run_child("sqlite-raw", args.points, {"path": f"{tmp}/raw.db"})
            ours = run_child("sqlite-ours", args.points, {"path": f"{tmp}/ours.db"})
            rows.append(("SQLite", raw, ours))
        if "postgres" in stores:
            with running_postgres() as server:
                raw = run_child("postgres-raw", args.points, {"dsn": server.dsn(server.new_database())})
                ours = run_child("postgres-ours", args.points, {"dsn": server.dsn(server.new_database())})
                rows.append(("PostgreSQL", raw, ours))

    print(f"\n{'store':32} {'raw pts/s':>12} {'ours pts/s':>12} {'ratio':>6} {'raw MB':>8} {'ours MB':>8}")
    for name, raw, ours in rows:
        raw_rate = raw["points"] / raw["seconds"]
        ours_rate = ours["points"] / ours["seconds"]
        print(f"{name:32} {raw_rate:12,.0f} {ours_rate:12,.0f} {ours_rate / raw_rate:6.2f} "
              f"{raw['peak_mb']:8.0f} {ours['peak_mb']:8.0f}")
    print(f"\n(total {time.time() - started:.0f} s; ratio = ours / raw, target >= 0.8; MB = peak RSS)")


if __name__ == "__main__":
    main()

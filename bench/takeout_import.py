"""Benchmark: import a generated multi-year export archive into SQLite.

Generates (or reuses) a Takeout zip with heart rate every 5 s (17,280 points a day) plus every
other family for ``--days`` days (default 3 years), then, in one run:

1. the raw SQLite rate: ``executemany`` of the store's own heart-rate upsert into an empty
   ``WITHOUT ROWID`` table (the ceiling for any importer on this machine);
2. the parse-only rate: the same import into a store that drops the records (what the archive
   reading and parsing cost without any database);
3. the real import (``fitbit-sync import``'s code path) into a fresh SQLite file, in a child
   process so its peak RSS (and that of its heart-rate decoding worker) is measured alone.

Prints wall times, points per second, the ratios, peak memory, and whether the targets (under
2 minutes and 300 MB) were met. Figures are measured here, in this run; nothing is assumed.

    .venv/bin/python bench/takeout_import.py [--days 1095] [--archive PATH] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.sources.takeout import ImportOptions, import_archives
from fitbit_sync.sources.takeout.synthetic import Spec, stream_export
from fitbit_sync.stores.base import Coverage, MeasurementStats
from fitbit_sync.stores.sqlite import SQLiteStore, table_ddl

TARGET_SECONDS = 120.0
TARGET_MB = 300.0


class NullStore:
    """Counts records and drops them: the import's cost without a database."""

    name = "null"

    def __init__(self) -> None:
        self.rows = 0

    def write(self, records: Iterable[Record], coverage: Sequence[Coverage] = ()) -> int:
        count = sum(1 for _ in records)
        self.rows += count
        return count

    def coverage(self, source: str, stream: str | None = None) -> list[Coverage]:
        return []

    def measurement_stats(self) -> list[MeasurementStats]:
        return []

    def get_state(self, key: str) -> str | None:
        return None

    def set_state(self, key: str, value: str) -> None:
        pass

    def close(self) -> None:
        pass


def raw_sqlite_rate(path: Path, rows: int) -> float:
    """Rows per second of a heart-rate upsert (the store's table and key) via plain ``executemany``."""
    measurement = MEASUREMENTS["HeartRate_Intraday"]
    sql = ('INSERT INTO "HeartRate_Intraday" (time, "Device", value) VALUES (?, ?, ?) '
           'ON CONFLICT (time, "Device") DO UPDATE SET value = coalesce(excluded.value, value)')
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(table_ddl(measurement))
    base = 1_700_000_000_000
    data = [(base + i * 5000, "Fitbit", 60 + i % 50) for i in range(rows)]
    started = time.perf_counter()
    for i in range(0, rows, 50_000):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, data[i:i + 50_000])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


def child_import(archive: str, database: str) -> None:
    """Run in a child process: the real import; prints a JSON line with its figures."""
    store = SQLiteStore(database)
    started, cpu = time.perf_counter(), time.process_time()
    summary = import_archives([archive], store, ImportOptions(device="Charge 6"))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    multiprocessing.active_children()  # reap the decoding worker, so its peak is in RUSAGE_CHILDREN
    peak_kb = _high_water_kb()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_kb, worker_cpu = children.ru_maxrss, children.ru_utime + children.ru_stime
    hr = next((m.rows for m in summary.measurements if m.name == "HeartRate_Intraday"), 0)
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "rows": summary.rows_written, "heart_rate": hr,
                      "peak_mb": peak_kb / 1024, "worker_mb": worker_kb / 1024, "worker_cpu": worker_cpu,
                      "failed": summary.count("failed")}))


def _high_water_kb() -> int:
    """This process's peak RSS (VmHWM; ``ru_maxrss`` would include the parent's image before exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--archive", type=Path, help="reuse this generated archive")
    parser.add_argument("--keep", type=Path, help="directory for the archive and database (kept)")
    parser.add_argument("--raw-rows", type=int, default=2_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return 0

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="takeout-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    archive = args.archive or workdir / f"takeout-{args.days}d.zip"
    if not archive.exists():
        spec = Spec(start=date(2023, 1, 1), days=args.days, zone="Europe/Berlin", compresslevel=1,
                    csv_from=max(0, args.days - 30))
        started = time.perf_counter()
        raw = stream_export(archive, spec)
        print(f"generated {archive} in {time.perf_counter() - started:.1f} s: {raw / 1e9:.2f} GB uncompressed, "
              f"{archive.stat().st_size / 1e6:.0f} MB zipped ({args.days} days, heart rate every 5 s; "
              f"the last 30 days also as per-source CSVs)")

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (1 min) before the runs")
    raw_rate = raw_sqlite_rate(workdir / "raw.db", args.raw_rows)
    print(f"raw SQLite executemany (heart-rate upsert, {args.raw_rows:,} rows): {raw_rate:,.0f} rows/s")

    null = NullStore()
    started, cpu = time.perf_counter(), time.process_time()
    import_archives([archive], null, ImportOptions(device="Charge 6"))  # type: ignore[arg-type]
    parse_seconds, parse_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"parse only (no database): {null.rows:,} records in {parse_seconds:.1f} s (CPU {parse_cpu:.1f} s) = "
          f"{null.rows / parse_seconds:,.0f} records/s")

    database = workdir / "fitbit.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    child = subprocess.run([sys.executable, __file__, "--child", str(archive), str(database)],
                           check=True, capture_output=True, text=True, env=os.environ.copy())
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    seconds, rows, peak = figures["seconds"], figures["rows"], figures["peak_mb"] + figures["worker_mb"]
    rate = rows / seconds
    print(f"import into SQLite: {rows:,} records ({figures['heart_rate']:,} heart-rate points) in {seconds:.1f} s "
          f"(CPU {figures['cpu']:.1f} s, decoding worker {figures['worker_cpu']:.1f} s) = {rate:,.0f} records/s; "
          f"failed files: {figures['failed']}")
    print(f"ratios: import / raw executemany = {rate / raw_rate:.2f}; parse-only share of the import CPU = "
          f"{parse_cpu / figures['cpu']:.0%}; store share about {max(0.0, 1 - parse_cpu / figures['cpu']):.0%}")
    print(f"peak RSS: import process {figures['peak_mb']:.0f} MB + heart-rate decoding worker "
          f"{figures['worker_mb']:.0f} MB (shares pages with it) = at most {peak:.0f} MB; "
          f"load average {os.getloadavg()[0]:.2f} after the runs")
    ok = seconds < TARGET_SECONDS and peak < TARGET_MB
    print(f"targets (< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

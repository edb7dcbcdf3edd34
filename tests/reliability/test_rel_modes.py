"""File modes under umask 022, across the command line: ``backfill``, ``sync``, ``daemon`` (with a
log file), ``import`` and ``export`` into SQLite, and a ``backfill`` into an InfluxDB 1.x that is
down (the batches go to the spool, coverage to the state file), each a real subprocess started
with umask 022. Everything they create (the data directory, the database with its -wal/-shm
and lock file, the state file, the spool and its spooled health data, the log, the export, the
token file) must be 0600 and every directory 0700; the tree is checked while the daemon runs (the
database's -wal and -shm exist then) and once every command has ended.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger

from fitbit_sync.sources.takeout.synthetic import Spec, write_export

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

UMASK = 0o022


class DownInflux:
    """An InfluxDB 1.x that answers ``/ping`` and ``/query`` but every write with 503 and
    ``Retry-After: 0``: the writer's retries run out at once and the batches go to the spool."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                if path == "/ping":
                    self.send_response(204)
                    self.send_header("X-Influxdb-Version", "1.6.7")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"results":[{"statement_id":0}]}' if path == "/query" else b'{"error":"down"}'
                self.send_response(200 if path == "/query" else 503)
                self.send_header("Content-Type", "application/json")
                if path != "/query":
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True, name="down-influx").start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_with_umask(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("FITBIT_SYNC_")}
    full.update(env)
    return subprocess.Popen(rs.cli_command(args), env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, errors="replace", umask=UMASK)


def run_with_umask(args: list[str], env: dict[str, str]) -> rs.Result:
    started = time.monotonic()
    result = rs.finish(start_with_umask(args, env), args, started, timeout=120)
    assert result.code == 0, result.describe()
    assert "Traceback" not in result.err, result.describe()
    return result


def loose(*roots: Path) -> list[str]:
    """Everything under ``roots`` (and the roots) that is not 0700 (directories) / 0600 (files)."""
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            try:
                mode = path.lstat().st_mode & 0o777
            except FileNotFoundError:  # a -journal or temp file gone meanwhile
                continue
            want = 0o700 if path.is_dir() else 0o600
            if mode != want:
                found.append(f"{path.relative_to(root.parent)} {mode:04o}")
    return found


def files_under(*roots: Path) -> int:
    return sum(1 for root in roots for p in root.rglob("*") if p.is_file())


def test_file_modes_under_umask_022(account: Any, ledger: Ledger, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config" / "fitbit-sync"  # made by the token store, as `fitbit-sync auth` does
    ws = rs.workspace(account.emu, tmp_path, signed_in=False)
    rs.sign_in(account.emu, config / "token.json")
    env = {**ws.env, "FITBIT_SYNC_TOKEN_FILE": str(config / "token.json"), "FITBIT_SYNC_DATA_DIR": str(data),
           "FITBIT_SYNC_SQLITE_PATH": str(data / "fitbit.db"),
           "FITBIT_SYNC_LOG_FILE": str(data / "logs" / "fitbit-sync.log"), "FITBIT_SYNC_LOG_LEVEL": "INFO"}
    archive = tmp_path / "inbox" / "takeout-20250316T000000Z-001.zip"
    archive.parent.mkdir()
    write_export(archive, Spec(start=date(2025, 3, 13), days=1, hr_interval_s=60))
    commands: list[str] = []
    problems: list[str] = []
    checked = 0
    try:
        run_with_umask(rs.backfill_args("2025-03-13", "2025-03-13", "weight,steps"), env)
        commands.append("backfill")
        run_with_umask(["sync", "--types", "weight"], env)
        commands.append("sync")
        run_with_umask(["import", "--quiet", str(archive)], env)
        commands.append("import")
        run_with_umask(["export", "--out", str(data / "export" / "csv")], env)
        commands.append("export")

        # the daemon: the tree while it runs (the database open: -wal and -shm), then SIGTERM
        args = ["daemon", "--types", "weight"]
        started = time.monotonic()
        proc = start_with_umask(args, env)
        log_file = data / "logs" / "fitbit-sync.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if log_file.exists() and " sync: " in log_file.read_text(errors="replace"):
                break
            time.sleep(0.05)
        problems += [f"daemon running: {p}" for p in loose(data, config)]
        proc.terminate()
        result = rs.finish(proc, args, started, timeout=60)
        assert result.code == 0 and "Traceback" not in result.err, result.describe()
        commands.append("daemon")

        # InfluxDB down: the spool (health data as line protocol) and the state file
        down = DownInflux()
        try:
            influx_env = {**env, "FITBIT_SYNC_STORE": "influxdb1", "FITBIT_SYNC_INFLUXDB_URL": down.url,
                          "FITBIT_SYNC_INFLUXDB_DATABASE": "fitbit"}
            run_with_umask(rs.backfill_args("2025-03-13", "2025-03-13", "weight,steps"), influx_env)
            commands.append("backfill into InfluxDB (down: spooled)")
        finally:
            down.stop()
        spooled = list((data / "spool-influxdb1").glob("*"))
        assert spooled, "nothing was spooled"
        assert (data / "state-influxdb1.db").exists()
        problems += loose(data, config)
        checked = files_under(data, config)
    finally:
        ledger.add("Secrets", "file modes under umask 022 (backfill, sync, daemon, import, export; SQLite, "
                                "InfluxDB spool)", tried=1, survived=int(not problems and len(commands) == 6),
                   lost={"files or directories readable by others": len(problems)},
                   detail=f"{', '.join(commands)}; "
                          + (f"{checked} files, every one 0600, every directory 0700" if not problems
                             else "; ".join(problems[:6])))
    assert problems == []

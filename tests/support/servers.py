"""Real database servers for tests: InfluxDB 1.x (``influxd``) and PostgreSQL (``initdb`` + ``pg_ctl``).

Each server runs on a free 127.0.0.1 port with its data in a fresh temporary directory and is
stopped at the end of the session. Tests that need one take the session fixture
``influx_server`` or ``postgres_server`` (import them into a ``conftest.py``:
``from servers import influx_server, postgres_server``) and use a database of their own
(``new_database()``), so they stay independent. When the binaries are missing the fixture skips
with the command that installs them (CI, ``.ci/run``, installs them).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

PG_PASSWORD = "pg-test-pw-7f3a"  # the superuser password of the test PostgreSQL (scram auth over TCP)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout} s")


class InfluxServer:
    """An ``influxd`` 1.x process; ``kill()`` (SIGKILL) and ``start()`` again keep its data and port."""

    def __init__(self, base: Path, *, auth: bool = False) -> None:
        binary = shutil.which("influxd")
        if binary is None:
            raise FileNotFoundError("influxd")
        self.binary = binary
        self.base = base
        self.auth = auth
        self.port = free_port()
        self.rpc_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.config = base / "influxdb.conf"
        self.config.write_text(
            "reporting-enabled = false\n"
            f'bind-address = "127.0.0.1:{self.rpc_port}"\n'
            f'[meta]\n  dir = "{base}/meta"\n'
            f'[data]\n  dir = "{base}/data"\n  wal-dir = "{base}/wal"\n  query-log-enabled = false\n'
            "[monitor]\n  store-enabled = false\n"
            f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
            f"  auth-enabled = {'true' if auth else 'false'}\n"
        )

    def start(self) -> None:
        log = (self.base / "influxd.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "run", "-config", str(self.config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        _wait_until(self.is_up, 20, "influxd")

    def is_up(self) -> bool:
        try:
            return httpx.get(self.url + "/ping", timeout=1).status_code == 204
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown, no flush."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def query(self, q: str, db: str | None = None, *, auth: tuple[str, str] | None = None,
              **params: str) -> dict[str, Any]:
        """Run InfluxQL; the JSON answer (``epoch=ms``). Raises on HTTP errors and statement errors."""
        data = {"q": q, "epoch": "ms", **params}
        if db:
            data["db"] = db
        response = httpx.post(self.url + "/query", data=data, auth=auth, timeout=60)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        for result in body.get("results", []):
            if "error" in result:
                raise RuntimeError(f"InfluxQL error: {result['error']} in {q!r}")
        return body

    def new_database(self, *, auth: tuple[str, str] | None = None) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.query(f'CREATE DATABASE "{name}"', auth=auth)
        return name

    def points(self, db: str, measurement: str, *, auth: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        """Every point of ``measurement`` as dicts (time in epoch ms), oldest first."""
        body = self.query(f'SELECT * FROM "{measurement}"', db, auth=auth)
        rows: list[dict[str, Any]] = []
        for series in body["results"][0].get("series", []):
            rows += [dict(zip(series["columns"], values, strict=True)) for values in series["values"]]
        return rows


class PostgresServer:
    """A PostgreSQL cluster made by ``initdb``, run by ``pg_ctl`` (as user postgres when we are root)."""

    def __init__(self, base: Path) -> None:
        bindir = _pg_bindir()
        if bindir is None:
            raise FileNotFoundError("initdb")
        self.bindir = bindir
        self.base = base
        self.port = free_port()
        self.data = base / "data"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if not self.data.exists():
            pwfile = self.base / "pw"
            pwfile.write_text(PG_PASSWORD + "\n")
            if self._as_postgres:
                shutil.chown(self.base, "postgres", "postgres")
                shutil.chown(pwfile, "postgres", "postgres")
            self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                      "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "pg.log"), "-w", "-o",
                  f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def dsn(self, dbname: str = "postgres", password: str = PG_PASSWORD) -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name


def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@contextlib.contextmanager
def running_influx(*, auth: bool = False) -> Iterator[InfluxServer]:
    """An InfluxDB 1.x server for the duration of the block (skips the test when influxd is missing)."""
    if shutil.which("influxd") is None:
        pytest.skip("influxd not installed: apt-get install -y influxdb influxdb-client (.ci/run does)")
    base = Path(tempfile.mkdtemp(prefix="fitbit-sync-influx-"))
    server = InfluxServer(base, auth=auth)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the duration of the block (skips the test when initdb is missing)."""
    if _pg_bindir() is None:
        pytest.skip("PostgreSQL binaries not installed: apt-get install -y postgresql (.ci/run does)")
    base = Path(tempfile.mkdtemp(prefix="fitbit-sync-pg-"))
    os.chmod(base, 0o755)
    server = PostgresServer(base)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def influx_server() -> Iterator[InfluxServer]:
    """One InfluxDB 1.x server for the session; take a fresh database with ``new_database()``."""
    with running_influx() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session; take a fresh database with ``new_database()``."""
    with running_postgres() as server:
        yield server

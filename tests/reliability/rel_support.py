"""Shared machinery of the reliability tier: counts, workspaces, CLI runs, store readers, the
secret watch.

Counts come from environment variables read once at import (``bench/reliability.py`` raises
them; the defaults keep the tier fast enough for every CI run). Every CLI run is a real
subprocess (``rel_cli.py``: ``fitbit_sync.cli.main`` with every logger at DEBUG on stderr) and
everything it prints is scanned for secrets by ``WATCH``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from rel_ledger import Ledger

from fitbit_sync.auth.tokens import TokenSet, TokenStore
from fitbit_sync.emulator.testing import EmulatorServer
from fitbit_sync.errors import FitbitSyncError
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.stores.base import merge_intervals
from fitbit_sync.stores.sqlite import quote
from support.emulator import emulator_env

HERE = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_floats(name: str, default: str) -> tuple[float, ...]:
    value = os.environ.get(name, "").strip() or default
    return tuple(float(part) for part in value.split(",") if part.strip())


# --- counts (read at import: the root conftest clears FITBIT_SYNC_* for every test) ---------------
KILLS = _env_int("FITBIT_SYNC_RELIABILITY_KILLS", 4)  # random SIGKILLs per store
TARGETED = _env_int("FITBIT_SYNC_RELIABILITY_TARGETED", 1)  # rounds of kills at each targeted moment
FAULT_RATES = _env_floats("FITBIT_SYNC_RELIABILITY_FAULT_RATES", "0.1,0.3")
EXAMPLES = _env_int("FITBIT_SYNC_RELIABILITY_EXAMPLES", 20)  # hypothesis examples per fuzzed input
ROUNDS = _env_int("FITBIT_SYNC_RELIABILITY_ROUNDS", 1)  # runs per fault scenario, concurrency and disk rounds
LONG_OUTAGES = _env_int("FITBIT_SYNC_RELIABILITY_LONG_OUTAGES", 0)  # InfluxDB down longer than the retries
CATCHUP_KILLS = _env_int("FITBIT_SYNC_RELIABILITY_CATCHUP_KILLS", 3)  # stops of sync/daemon catch-ups
SEED = os.environ.get("FITBIT_SYNC_RELIABILITY_SEED", "fitbit-sync-reliability")
REPORT = os.environ.get("FITBIT_SYNC_RELIABILITY_REPORT", "")

# --- the account every crash, fault and concurrency scenario syncs --------------------------------
EMULATOR_SEED, EMULATOR_DAYS = 11, (date(2025, 3, 1), date(2025, 3, 31))
RANGE = ("2025-03-13", "2025-03-14")
NEXT_RANGE = ("2025-03-15", "2025-03-15")  # a range the reference does not hold
TYPES = "heart-rate,steps,sleep,daily-resting-heart-rate,weight,floors"
CLIENT_SECRET = "rel-client-secret-" + "".join(random.Random(SEED).choices("0123456789abcdef", k=24))
SOURCE = "google-health"

LEDGER = Ledger()


def rng(name: str) -> random.Random:
    """A random generator per scenario, reproducible from SEED."""
    return random.Random(f"{SEED}:{name}")


# --- secrets ---------------------------------------------------------------------------------------


PIECE = 12
WORD = re.compile(r"[A-Za-z0-9._~+/=-]{12,}")


class SecretWatch:
    """Every secret the tier knows of, and a scan of every text the tested code printed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fixed: set[str] = set()
        self.sources: list[set[str]] = []  # live sets (the probes' collected tokens)
        self.texts = 0
        self.lines = 0
        self.leaky_texts = 0
        self.findings: list[str] = []

    def add(self, *secrets: str) -> None:
        with self._lock:
            self.fixed.update(s for s in secrets if s)

    def watch(self, source: set[str]) -> None:
        with self._lock:
            self.sources.append(source)

    def secrets(self) -> set[str]:
        with self._lock:
            found = set(self.fixed)
            for source in self.sources:
                found.update(list(source))
        return {s for s in found if len(s) >= 8}

    def find(self, label: str, text: str) -> list[str]:
        """Secrets in ``text``: whole, or a 12-character piece (the tail, the middle) of a long one,
        named by their last 6 characters. Looked up by windows of the text's token-like words, so
        the cost does not grow with the thousands of tokens a run mints."""
        pieces: dict[str, str] = {}
        short = []
        for secret in self.secrets():
            if len(secret) >= 24:
                middle = len(secret) // 2
                pieces[secret[-PIECE:]] = pieces[secret[middle - PIECE // 2: middle + PIECE // 2]] = secret
            elif len(secret) >= PIECE:
                pieces[secret[-PIECE:]] = secret
            else:
                short.append(secret)
        hits = {pieces[word[i:i + PIECE]] for word in WORD.findall(text) for i in range(len(word) - PIECE + 1)
                if word[i:i + PIECE] in pieces}
        hits.update(secret for secret in short if secret in text)
        return [f"{label}: ...{secret[-6:]}" for secret in sorted(hits)]

    def scan(self, label: str, text: str) -> list[str]:
        """``find``, counted in the tier's totals."""
        hits = self.find(label, text)
        with self._lock:
            self.texts += 1
            self.lines += text.count("\n") + (1 if text and not text.endswith("\n") else 0)
            self.findings.extend(hits)
            self.leaky_texts += bool(hits)
        return hits


WATCH = SecretWatch()
WATCH.add(CLIENT_SECRET)


# --- workspaces and CLI runs -----------------------------------------------------------------------


@dataclass
class Workspace:
    """One user's files: token file, data dir, SQLite database; ``env`` for the CLI."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def token_file(self) -> Path:
        return self.root / "token.json"

    @property
    def db(self) -> Path:
        return self.root / "fitbit.db"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"


#: what every CLI run of the tier adds to ``support.emulator.emulator_env``: a 10 s request timeout,
#: and everything fitbit-sync logs on stderr, for the secret scan
TIER_SETTINGS: dict[str, Any] = {"request_timeout": 10, "log_level": "DEBUG"}


def sign_in(emu: EmulatorServer, token_file: Path) -> TokenSet:
    """A token file as ``fitbit-sync auth`` leaves it (the consent itself is tested elsewhere)."""
    tokens = TokenSet.from_response(emu.issue_tokens(), now=time.time(), client_id=emu.client_id)
    TokenStore(token_file).save(tokens)
    WATCH.add(tokens.access_token.get_secret_value(), tokens.refresh_token.get_secret_value()
              if tokens.refresh_token else "")
    return tokens


def workspace(emu: EmulatorServer, root: Path, *, signed_in: bool = True, **extra: Any) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace(root, emulator_env(emu, root, **{**TIER_SETTINGS, **extra}))
    if signed_in:
        sign_in(emu, ws.token_file)
    return ws


@dataclass
class Result:
    args: list[str]
    code: int
    out: str
    err: str
    seconds: float

    @property
    def last_line(self) -> str:
        lines = [line for line in self.err.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def one_line_error(self) -> bool:
        """Failed with a ``fitbit-sync: error:`` line, last on stderr (after any log lines), and no
        traceback anywhere."""
        return (self.code != 0 and "Traceback" not in self.err and "Traceback" not in self.out
                and self.last_line.startswith("fitbit-sync: error: "))

    def describe(self) -> str:
        tail = "\n".join(self.err.splitlines()[-15:])
        return f"fitbit-sync {' '.join(self.args)} -> exit {self.code}\n{self.out[-2000:]}\n{tail}"


def cli_command(args: Iterable[str]) -> list[str]:
    return [sys.executable, str(HERE / "rel_cli.py"), *args]


def start_cli(args: list[str], env: Mapping[str, str], *, stdin: str | None = None) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("FITBIT_SYNC_")}
    full.update(env)
    proc = subprocess.Popen(cli_command(args), env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, text=True,
                            errors="replace")
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
        proc.stdin = None  # communicate() must not flush it again
    return proc


def finish(proc: subprocess.Popen[str], args: list[str], started: float, timeout: float = 240) -> Result:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n[reliability harness: killed after {timeout} s]"
    result = Result(args, proc.returncode, out, err, time.monotonic() - started)
    leaks = WATCH.scan(" ".join(args[:1]), out + err)
    assert not leaks, f"secret in the output of {' '.join(args)}: {leaks}"
    return result


def run_cli(args: list[str], env: Mapping[str, str], timeout: float = 240, *, stdin: str | None = None) -> Result:
    started = time.monotonic()
    return finish(start_cli(args, env, stdin=stdin), args, started, timeout)


def sigkill(proc: subprocess.Popen[str], args: list[str], started: float) -> Result | None:
    """SIGKILL ``proc``; the Result if it was still running, None if it had already finished
    (which it must have done successfully)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    result = finish(proc, args, started)
    if result.code == -signal.SIGKILL:
        return result
    assert result.code == 0, result.describe()
    return None


def finish_ok(proc: subprocess.Popen[str], args: list[str], started: float) -> Result:
    """Wait for a run that was not killed; it must succeed."""
    result = finish(proc, args, started)
    assert result.code == 0, result.describe()
    return result


def backfill_args(first: str = RANGE[0], last: str = RANGE[1], types: str = TYPES) -> list[str]:
    return ["backfill", "--start", first, "--end", last, "--types", types]


# --- tokens ----------------------------------------------------------------------------------------


def token_state(token_file: Path) -> tuple[bool, list[str]]:
    """(the token file loads, with its refresh token, and is 0600; problems with leftover temp
    files)."""
    ok = True
    try:
        tokens = TokenStore(token_file).load()
        ok = tokens is not None and tokens.refresh_token is not None
        WATCH.add(*(t.get_secret_value() for t in (tokens.access_token, tokens.refresh_token) if t)
                  if tokens else ())
    except FitbitSyncError:
        ok = False
    if ok and (token_file.stat().st_mode & 0o777) != 0o600:
        ok = False
    problems = [f"{p.name} mode {p.stat().st_mode & 0o777:o}" for p in token_file.parent.glob(f".{token_file.name}.*")
                if p.stat().st_mode & 0o077]
    return ok, problems


# --- reading stores --------------------------------------------------------------------------------

Rows = dict[str, list[tuple[Any, ...]]]


def sqlite_rows(db: Path) -> Rows:
    """Every measurement table, every row (coverage and state are compared separately)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {name: conn.execute(f"SELECT * FROM {quote(name)}").fetchall() for name in MEASUREMENTS}
    finally:
        conn.close()


def sqlite_coverage(db: Path) -> dict[str, list[tuple[int, int]]]:
    """Merged coverage per stream."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT stream, start_ms, end_ms FROM _coverage WHERE source = ?", (SOURCE,)).fetchall()
    finally:
        conn.close()
    spans: dict[str, list[tuple[int, int]]] = {}
    for stream, start, end in rows:
        spans.setdefault(stream, []).append((start, end))
    return {stream: merge_intervals(parts) for stream, parts in sorted(spans.items())}


def influx_rows(url: str, database: str, auth: tuple[str, str] | None = None) -> Rows:
    """``SELECT *`` of every measurement of ``database`` (time in epoch ms)."""
    def query(q: str) -> dict[str, Any]:
        response = httpx.post(url + "/query", data={"q": q, "db": database, "epoch": "ms"}, auth=auth, timeout=60)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    names = [v[0] for s in query("SHOW MEASUREMENTS")["results"][0].get("series", []) for v in s["values"]]
    rows: Rows = {}
    for name in names:
        escaped = name.replace('"', '\\"')
        series = query(f'SELECT * FROM "{escaped}"')["results"][0].get("series", [])
        rows[name] = [tuple(zip(s["columns"], v, strict=True)) for s in series for v in s["values"]]
    return rows


@dataclass
class Diff:
    rows: int = 0
    lost: int = 0
    extra: int = 0  # rows the reference does not have: duplicates, or changed values
    tables: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.lost == 0 and self.extra == 0


def compare(reference: Rows, got: Rows) -> Diff:
    diff = Diff(rows=sum(len(v) for v in reference.values()))
    for name in sorted(set(reference) | set(got)):
        want, have = Counter(reference.get(name, [])), Counter(got.get(name, []))
        lost, extra = sum((want - have).values()), sum((have - want).values())
        if lost or extra:
            diff.lost += lost
            diff.extra += extra
            diff.tables.append(f"{name} (-{lost} +{extra})")
    return diff


def wait_for(event: threading.Event, proc: subprocess.Popen[str], timeout: float) -> bool:
    """Wait for ``event`` while ``proc`` runs; False when it exited (or time ran out) first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if event.wait(0.01):
            return True
        if proc.poll() is not None:
            return event.is_set()
    return False


# --- in-process runs (for the fuzzers: hundreds of inputs, no interpreter start each) ---------------


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # with the traceback text of exc_info, if any


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("FITBIT_SYNC_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(env)
    try:
        yield
    finally:
        for name in [k for k in os.environ if k.startswith("FITBIT_SYNC_")]:
            del os.environ[name]
        os.environ.update(saved)


def run_main(args: list[str], env: Mapping[str, str]) -> Result:
    """``fitbit_sync.cli.main(args)`` in this process with ``env``; every logger at DEBUG. An
    exception escaping ``main`` (a traceback for the user) is recorded in ``err`` as one."""
    from fitbit_sync.cli import main

    handler = _ListHandler()
    root, ours = logging.getLogger(), logging.getLogger("fitbit_sync")
    level, handlers = root.level, list(root.handlers)
    our_level, our_handlers = ours.level, list(ours.handlers)
    root.handlers = [handler]  # ours only: pytest's capture would keep every DEBUG line of every run
    root.setLevel(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    try:
        with environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except BaseException:
                err.write("Traceback (escaped main):\n" + traceback.format_exc())
                code = -1
    finally:
        root.handlers = handlers
        root.setLevel(level)
        ours.handlers = our_handlers  # the commands configure it; leave the test process as it was
        ours.setLevel(our_level)
    logs = "\n".join(handler.lines)
    result = Result(args, code, out.getvalue(), (logs + "\n" if logs else "") + err.getvalue(),
                    time.monotonic() - started)
    leaks = WATCH.scan(" ".join(args[:1]), result.out + result.err)
    assert not leaks, f"secret in the output of {' '.join(args)}: {leaks}"
    return result

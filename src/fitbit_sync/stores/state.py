"""Coverage and key-value state kept in SQLite tables (``_coverage``, ``_state``).

The SQLite store keeps these tables in its own database file, so data and coverage commit in
one transaction; stores on a server (InfluxDB) keep them in a local state file instead.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from fitbit_sync.files import private_file
from fitbit_sync.stores.base import Coverage

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS _coverage (
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    fetched_at_ms INTEGER NOT NULL,
    PRIMARY KEY (source, stream, start_ms, end_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""


def ensure_state_tables(conn: sqlite3.Connection) -> None:
    """Create the state tables (safe inside the caller's transaction: no executescript)."""
    for statement in STATE_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def insert_coverage(conn: sqlite3.Connection, coverage: Sequence[Coverage]) -> None:
    """Within the caller's transaction."""
    conn.executemany(
        "INSERT INTO _coverage (source, stream, start_ms, end_ms, fetched_at_ms) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (source, stream, start_ms, end_ms) DO UPDATE SET fetched_at_ms = excluded.fetched_at_ms",
        [(c.source, c.stream, c.start_ms, c.end_ms, c.fetched_at_ms) for c in coverage],
    )


def read_coverage(conn: sqlite3.Connection, source: str, stream: str | None) -> list[Coverage]:
    if stream is None:
        rows = conn.execute(
            "SELECT source, stream, start_ms, end_ms, fetched_at_ms FROM _coverage WHERE source = ? "
            "ORDER BY stream, start_ms",
            (source,),
        )
    else:
        rows = conn.execute(
            "SELECT source, stream, start_ms, end_ms, fetched_at_ms FROM _coverage "
            "WHERE source = ? AND stream = ? ORDER BY start_ms",
            (source, stream),
        )
    # SQLite stores any type in any column: rows that are not integer spans (a damaged or edited
    # file) are left out, which only means that range is fetched again
    return [Coverage(*row) for row in rows if all(type(v) is int for v in row[2:])]


def read_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM _state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def write_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO _state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


class StateFile:
    """Coverage and state in a standalone SQLite file, for stores that live on a server. Usable
    from several threads (the sync engine writes from its workers): calls are serialized."""

    def __init__(self, path: str, *, read_only: bool = False) -> None:
        self._lock = threading.Lock()
        if read_only:  # a reader (status, export): the file as a writer left it, nothing created
            self._conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                                         check_same_thread=False)
            return
        if path != ":memory:":
            private_file(path)  # coverage of health data: 0600 (its -wal/-shm follow, see files.py)
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        ensure_state_tables(self._conn)

    def add_coverage(self, coverage: Sequence[Coverage]) -> None:
        if not coverage:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                insert_coverage(self._conn, coverage)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def coverage(self, source: str, stream: str | None = None) -> list[Coverage]:
        with self._lock:
            return read_coverage(self._conn, source, stream)

    def get_state(self, key: str) -> str | None:
        with self._lock:
            return read_state(self._conn, key)

    def set_state(self, key: str, value: str) -> None:
        with self._lock:
            write_state(self._conn, key, value)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

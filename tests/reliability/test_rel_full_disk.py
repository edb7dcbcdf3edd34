"""A full disk: the SQLite store, or the token file, on a small tmpfs that runs out of space in
the middle of a backfill. Expected: one ``StoreError`` (or token-file) line and a non-zero exit,
every row and the token stored before intact; once there is room again, the same command ends
with exactly what an undisturbed run stores. Skipped (with the reason) where ``mount`` is not
permitted.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger

from fitbit_sync.errors import ExitCode

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


@contextlib.contextmanager
def tmpfs(path: Path, size_bytes: int) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0700", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'mount failed'}): needs root "
                    "and CAP_SYS_ADMIN")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def grow(path: Path, size_bytes: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size_bytes}", str(path)], check=True, capture_output=True)


def integrity(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture(scope="module")
def next_reference(_account: Any, reference: Any, tmp_path_factory: pytest.TempPathFactory) -> rs.Rows:
    """The reference database plus an undisturbed backfill of NEXT_RANGE (on a roomy disk)."""
    _account.reset()
    root = tmp_path_factory.mktemp("next-reference")
    ws = rs.workspace(_account.emu, root)
    shutil.copyfile(reference.workspace.db, ws.db)
    result = rs.run_cli(rs.backfill_args(*rs.NEXT_RANGE), ws.env)
    assert result.code == 0, result.describe()
    return rs.sqlite_rows(ws.db)


def test_sqlite_store_on_a_full_disk(account: Any, reference: Any, next_reference: rs.Rows, ledger: Ledger,
                                     tmp_path: Path) -> None:
    r = rs.rng("full-disk")
    tried = survived = ran_out = lost = 0
    messages = set()
    for n in range(rs.ROUNDS):
        margin = r.randint(32 * 1024, 700 * 1024)  # room left beside the database
        size = reference.workspace.db.stat().st_size + margin
        with tmpfs(tmp_path / f"disk{n}", size) as disk:
            db = disk / "fitbit.db"
            ws = rs.workspace(account.emu, tmp_path / f"home{n}", sqlite_path=db)
            shutil.copyfile(reference.workspace.db, db)
            tried += 1
            full = rs.run_cli(rs.backfill_args(*rs.NEXT_RANGE), ws.env)
            if full.code != 0:
                ran_out += 1
                assert full.one_line_error(), full.describe()
                assert full.code == ExitCode.STORE_UNAVAILABLE, full.describe()
                messages.add(full.last_line.removeprefix("fitbit-sync: error: ").replace(str(db), "<db>")[:100])
                assert integrity(db) == "ok"
                diff = rs.compare(reference.rows, rs.sqlite_rows(db))
                lost += diff.lost  # reference rows gone (rows of the new day may be there too)
                assert diff.lost == 0, diff.tables
                assert rs.token_state(ws.token_file)[0]
                grow(disk, 64 << 20)
                again = rs.run_cli(rs.backfill_args(*rs.NEXT_RANGE), ws.env)
                assert again.code == 0, again.describe()
            final = rs.compare(next_reference, rs.sqlite_rows(db))
            assert final.identical, final.tables
            survived += 1
    ledger.add("Bad input", "full disk under the SQLite store (tmpfs), then room again", tried=tried,
               survived=survived, lost={"rows lost": lost},
               detail=f"{ran_out} ran out of space mid-backfill: exit 5, one line ({'; '.join(sorted(messages))}); "
                      "complete and identical once resized")
    assert ran_out >= 1


def test_token_file_on_a_full_disk(account: Any, ledger: Ledger, tmp_path: Path) -> None:
    """The access token expires mid-backfill and the refreshed one cannot be saved: one line, the
    old token file whole; with room again the same command completes."""
    with tmpfs(tmp_path / "tokens", 64 * 1024) as disk:
        ws = rs.workspace(account.emu, tmp_path / "home", token_file=disk / "token.json")
        rs.sign_in(account.emu, disk / "token.json")
        before = (disk / "token.json").read_bytes()
        filler = disk / "filler"
        with filler.open("wb", buffering=0) as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 4096)
        account.emu.state.expire_access_tokens()
        full = rs.run_cli(rs.backfill_args(*rs.NEXT_RANGE, types="weight,sleep"), ws.env)
        assert full.one_line_error(), full.describe()
        assert "token" in full.last_line and "No space left" in full.last_line, full.last_line
        assert (disk / "token.json").read_bytes() == before
        assert not [p for p in disk.iterdir() if p.name.startswith(".token.json.")]  # no temp file left
        filler.unlink()
        again = rs.run_cli(rs.backfill_args(*rs.NEXT_RANGE, types="weight,sleep"), ws.env)
        assert again.code == 0, again.describe()
        ok, problems = rs.token_state(disk / "token.json")
        assert ok and not problems
    message = full.last_line.removeprefix("fitbit-sync: error: ").replace(str(disk / "token.json"), "<token file>")
    ledger.add("Bad input", "full disk under the token file during a refresh, then room again", tried=1,
               survived=1, lost={"tokens lost": 0}, detail=f"exit {full.code}: {message[:120]}")

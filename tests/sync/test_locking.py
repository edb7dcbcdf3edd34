"""The store's one-writer lock is one object for every writer (``sync/locking.py``): a sync
session and ``import`` exclude each other both ways, with the one-line LockedError naming who may
hold it, and the lock file is 0600 in a 0700 directory; the session can take it again after a run."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.errors import ExitCode, LockedError
from fitbit_sync.stores.registry import SQLITE
from fitbit_sync.sync.locking import StoreLock, lock_path, store_lock


def test_session_lock_and_import_lock_exclude_each_other(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    settings = load_settings(config, store=SQLITE.name, sqlite_path=tmp_path / "db" / "f.db")
    session_lock = StoreLock(settings)
    session_lock.acquire()
    session_lock.acquire()  # held: a no-op, not a self-deadlock
    with pytest.raises(LockedError) as info, store_lock(settings):
        pass
    assert info.value.exit_code == ExitCode.LOCKED
    assert "(sync, backfill, daemon or import)" in str(info.value) and str(lock_path(settings)) in str(info.value)
    session_lock.release()
    path = lock_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with store_lock(settings), pytest.raises(LockedError, match=r"\(sync, backfill or daemon\)"):
        StoreLock(settings).acquire()
    session_lock.acquire()  # free again after the import, and again after an earlier release
    assert session_lock.is_locked
    session_lock.release()
    assert not session_lock.is_locked

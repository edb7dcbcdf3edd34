"""The one-writer lock of a store: ``sync``, ``backfill``, the daemon, the demo and ``import`` take
it, so two fitbit-sync processes never write into the same store at once.

Where the lock file lives is the store kind's business (``stores/registry.py``); taking it, and the
one-line errors when another process holds it or the file cannot be made, are here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import filelock

from fitbit_sync.config import Settings
from fitbit_sync.errors import LockedError, StoreError
from fitbit_sync.files import LOCK_MODE, private_dir

#: who may hold the lock, as the LockedError names them
SYNC_HOLDERS = "sync, backfill or daemon"
ANY_HOLDER = "sync, backfill, daemon or import"


def lock_path(settings: Settings) -> Path:
    """The one-writer lock of the configured store (``stores/registry.py`` knows where it lives)."""
    from fitbit_sync.stores.registry import kind_of

    return kind_of(settings).lock_path(settings)


class StoreLock:
    """The store's lock file, taken and released (again and again: a daemon holds it per run)."""

    def __init__(self, settings: Settings, *, holders: str = SYNC_HOLDERS) -> None:
        self.settings = settings
        self.holders = holders
        self._lock: filelock.FileLock | None = None

    @property
    def is_locked(self) -> bool:
        return self._lock is not None and self._lock.is_locked

    def acquire(self, timeout: float = 0.0) -> None:
        """Take the lock (LockedError when another process holds it); a no-op when held."""
        if self.is_locked:
            return
        path = lock_path(self.settings)
        try:
            private_dir(path.parent)
            self._lock = filelock.FileLock(path, timeout=timeout, mode=LOCK_MODE)
            self._lock.acquire()
        except filelock.Timeout:
            raise LockedError(
                f"another fitbit-sync process ({self.holders}) is writing to this store "
                f"(lock file {path}); wait for it to finish"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {path}: {exc.strerror or exc}") from None

    def release(self) -> None:
        if self._lock is not None and self._lock.is_locked:
            self._lock.release()


@contextlib.contextmanager
def store_lock(settings: Settings, *, holders: str = ANY_HOLDER) -> Iterator[None]:
    """Hold the store's lock for the ``with`` block (LockedError at once when another process has it)."""
    lock = StoreLock(settings, holders=holders)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()

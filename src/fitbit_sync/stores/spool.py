"""A durable on-disk queue of write requests that could not be delivered (server down).

When a batch still fails after the writer's retries, its exact request body (gzip-compressed
line protocol) goes into the spool: written to a temporary file, fsynced, renamed to the next
sequence number and the directory fsynced. From that moment the batch is *durable*: it survives
a crash or a power cut of this machine, and the store may record coverage for it. The spool is
replayed in order before anything new is written (at the next write or the next start); while
it is not empty, new batches queue behind it, so a later value of a point never gets
overwritten by an older one. A batch leaves the spool only after the server accepted it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from fitbit_sync.errors import StoreError
from fitbit_sync.files import LOCK_MODE, open_private, private_dir

SUFFIX = ".lp.gz"


class Spool:
    """Spooled request bodies in ``directory`` (one file each, named by sequence number)."""

    def __init__(self, directory: Path, max_bytes: int = 1 << 30) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        try:
            private_dir(directory)
        except OSError as exc:
            raise StoreError(f"cannot create spool directory {directory}: {exc.strerror}") from None
        self._lock = FileLock(str(directory / ".lock"), mode=LOCK_MODE)

    def files(self) -> list[Path]:
        """Spooled bodies, oldest first."""
        return sorted(self.directory.glob("*" + SUFFIX))

    def __len__(self) -> int:
        return len(self.files())

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.files())

    def append(self, body: bytes) -> Path:
        """Store one gzip-compressed request body durably; returns its file."""
        with self._lock:
            files = self.files()
            if self.size() + len(body) > self.max_bytes:
                raise StoreError(
                    f"the spool {self.directory} is full ({len(files)} batches); the server has been "
                    "unreachable too long: start it, then run again"
                )
            number = int(files[-1].name.split(".")[0]) + 1 if files else 1
            final = self.directory / f"{number:012d}{SUFFIX}"
            temp = self.directory / f".{number:012d}.tmp"
            try:
                with open_private(temp, "wb", fresh=True) as fh:
                    fh.write(body)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(temp, final)
                _fsync_dir(self.directory)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    temp.unlink()
                raise StoreError(f"cannot write to spool {self.directory}: {exc.strerror}") from None
            return final

    def replay(self, send: Callable[[bytes], None]) -> int:
        """Send every spooled body in order with ``send`` (which raises when the server did not
        accept it), deleting each once accepted. Stops at the first failure, raising it."""
        sent = 0
        with self._lock:
            for path in self.files():
                send(path.read_bytes())
                path.unlink()
                sent += 1
            if sent:
                _fsync_dir(self.directory)
        return sent


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

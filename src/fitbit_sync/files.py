"""The one rule for file modes: what fitbit-sync creates is its owner's only, whatever the umask.

Health data (databases, spool, exports), state, tokens, logs and lock files are created 0600,
their directories (and any missing parents we create) 0700. Modes are set explicitly after
creating, so a umask of 022 (or 0277) changes nothing. An existing file or directory keeps the
mode its owner chose: the user may have loosened it on purpose, and a directory such as ``$HOME``
named as a data directory must never be tightened behind their back.
"""

from __future__ import annotations

import contextlib
import io
import logging.handlers
import os
from pathlib import Path
from typing import IO, cast

FILE_MODE = 0o600
DIR_MODE = 0o700
LOCK_MODE = FILE_MODE  # for filelock.FileLock(..., mode=LOCK_MODE): it applies the mode past the umask


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a directory; it and every missing parent are created 0700."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:  # created meanwhile by another process: it chose its mode
            continue
        os.chmod(directory, DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists (its parents 0700 if missing)."""
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def open_private(path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = None,
                 newline: str | None = None, fresh: bool = False) -> IO:  # type: ignore[type-arg]
    """``open(path, mode)`` for writing ("w"/"a", text or "b"); a file it creates is 0600. ``fresh``
    removes what is there first (a temporary file left by a crash), so the file is always new."""
    if fresh:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    flags = os.O_WRONLY | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, FILE_MODE)
        created = True
    except FileExistsError:
        fd = os.open(path, flags)
        created = False
    try:
        if created:
            os.fchmod(fd, FILE_MODE)  # what the umask took away
        return os.fdopen(fd, mode, encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        raise


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A ``RotatingFileHandler`` whose log file, after every rollover too, is created 0600."""

    def _open(self) -> io.TextIOWrapper:
        private_dir(Path(self.baseFilename).parent)
        return cast(io.TextIOWrapper, open_private(self.baseFilename, self.mode, encoding=self.encoding))

"""Find the files of one export: zip archives (also numbered parts), extracted folders, or both.

Nothing is extracted: zip members are read straight from the archive's central directory, one at
a time, when the importer asks. A path that is neither a folder nor a readable zip, or a zip whose
central directory is missing (a truncated download), raises ``ArchiveError`` with one line.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import IO

from fitbit_sync.closing import Closing
from fitbit_sync.errors import ArchiveError, reason

#: Upper bound for a file read whole (JSON): real per-day/month files are a few MB.
MAX_WHOLE_FILE = 256 * 1024 * 1024


@dataclass(eq=False)
class Entry:
    """One file of the export, inside a zip or a folder."""

    container: str  # the zip file or folder it came from (for messages)
    name: str  # its path inside the container, with "/" separators
    size: int  # uncompressed bytes
    _zip: zipfile.ZipFile | None = field(default=None, repr=False)
    _info: zipfile.ZipInfo | None = field(default=None, repr=False)
    _path: Path | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        return f"{Path(self.container).name}:{self.name}"

    def locator(self) -> tuple[str, str, bool]:
        """(zip path or folder, name inside it, whether it is a zip): enough for another process
        to read the same file."""
        if self._info is not None:
            return self.container, self._info.filename, True
        return self.container, self.name, False

    def open(self) -> IO[bytes]:
        """A binary stream of the file's bytes (zip members are decompressed as read)."""
        if self._zip is not None and self._info is not None:
            return self._zip.open(self._info)
        assert self._path is not None
        return self._path.open("rb")

    def read_bytes(self, limit: int = MAX_WHOLE_FILE) -> bytes:
        """The whole file; ValueError when it is larger than ``limit``."""
        if self.size > limit:
            raise ValueError(f"file too large to read whole ({self.size} bytes)")
        with self.open() as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise ValueError(f"file too large to read whole (over {limit} bytes)")
        return data

    def open_text(self) -> io.TextIOWrapper:
        """A text stream (UTF-8, BOM tolerated, undecodable bytes replaced) for the csv module."""
        return io.TextIOWrapper(self.open(), encoding="utf-8-sig", errors="replace", newline="")


class Archives(Closing):
    """The inputs of one import, opened; close() releases every zip."""

    def __init__(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        self._zips: list[zipfile.ZipFile] = []
        self.entries: list[Entry] = []
        self.inputs: list[str] = []
        self.newest_ms: int | None = None  # newest file timestamp: about when the export was made
        try:
            for raw in paths:
                self._add(Path(raw))
        except BaseException:
            self.close()
            raise
        if not paths:
            raise ArchiveError("no archive given: pass the export's zip file(s) or extracted folder")

    def _add(self, path: Path) -> None:
        if path.is_dir():
            self.inputs.append(str(path))
            self._add_folder(path)
        elif path.is_file():
            self.inputs.append(str(path))
            self._add_zip(path)
        elif path.exists():
            raise ArchiveError(f"{path} is neither a zip archive nor a folder")
        else:
            raise ArchiveError(f"{path}: no such file or folder")

    def _add_zip(self, path: Path) -> None:
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise ArchiveError(_not_a_zip(path)) from None
        except (OSError, EOFError, ValueError) as exc:
            raise ArchiveError(f"cannot read {path}: {reason(exc)}") from None
        self._zips.append(archive)
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/")
            self.entries.append(Entry(str(path), name, info.file_size, _zip=archive, _info=info))
            self._saw(_zip_time_ms(info.date_time))

    def _add_folder(self, root: Path) -> None:
        for folder, dirs, files in os.walk(root, onerror=None):
            dirs.sort()
            for file_name in sorted(files):
                path = Path(folder) / file_name
                if file_name.lower().endswith(".zip"):
                    self._add_zip(path)  # numbered parts downloaded into one folder
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue
                if not S_ISREG(stat.st_mode):
                    continue  # devices, sockets, fifos
                size = stat.st_size
                self._saw(int(stat.st_mtime * 1000))
                name = path.relative_to(root).as_posix()
                self.entries.append(Entry(str(root), name, size, _path=path))

    def _saw(self, ms: int | None) -> None:
        if ms is not None and ms >= _YEAR_2000_MS and (self.newest_ms is None or ms > self.newest_ms):
            self.newest_ms = ms

    def close(self) -> None:
        for archive in self._zips:
            archive.close()
        self._zips.clear()

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)


_YEAR_2000_MS = 946_684_800_000


def _zip_time_ms(stamp: tuple[int, int, int, int, int, int]) -> int | None:
    """A zip entry's (naive) timestamp read as UTC; None when it is not a real date."""
    try:
        return int(datetime(*stamp, tzinfo=UTC).timestamp() * 1000)
    except (ValueError, TypeError, OverflowError):
        return None


def _not_a_zip(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK"):
        return f"{path} is a truncated or damaged zip archive (its central directory is missing)"
    return f"{path} is not a zip archive"

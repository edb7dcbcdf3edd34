"""Decode the big legacy JSON files ahead, in a second process, while this one writes.

Heart rate (17,000 rows a day) and the per-minute families are nearly all of a multi-year
archive's rows. Reading and decoding their files (decompression, ``orjson``, timestamps) runs in
one worker process that returns compact arrays (``parsers.bulk``); this process only turns them
into records and writes. The worker is purely an accelerator: a file it cannot decode as perfectly
regular rows comes back as ``None`` and goes through the normal parser, which reports and skips
bad rows and files.

The worker never outlives this process: killed with SIGKILL, this process closes no pipe the
worker could notice (a forked worker holds both ends of its own queues), so the worker asks the
kernel to kill it when its parent dies (Linux ``PR_SET_PDEATHSIG``) and, everywhere, a thread in
it checks every ``WATCH_S`` seconds that its parent is still the process that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import zipfile
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from fitbit_sync.sources.takeout.discovery import MAX_WHOLE_FILE, Entry
from fitbit_sync.sources.takeout.parsers.bulk import DECODERS, Bulk

#: Below this many files of a family a second process costs more than it saves.
MIN_FILES = 32
AHEAD = 4  # files decoded ahead of the writer (bounded memory: a few hundred KB each)
WATCH_S = 0.5  # how often a worker checks that its parent is alive (where PR_SET_PDEATHSIG is missing)
PR_SET_PDEATHSIG = 1

_open_zips: dict[str, zipfile.ZipFile] = {}


def _read(container: str, name: str, in_zip: bool) -> bytes:
    if in_zip:
        archive = _open_zips.get(container)
        if archive is None:
            archive = _open_zips[container] = zipfile.ZipFile(container)
        with archive.open(name) as stream:
            data = stream.read(MAX_WHOLE_FILE + 1)
    else:
        data = Path(container, name).read_bytes()
    if len(data) > MAX_WHOLE_FILE:
        raise ValueError("file too large")
    return data


def _work(family: str, zone: str, container: str, name: str, in_zip: bool) -> Bulk | None:
    try:
        return DECODERS[family](_read(container, name, in_zip), zone)
    except Exception:  # unreadable here: the normal parser reads it again and reports why
        return None


def _die_with(parent: int) -> None:
    """Worker initializer: end this worker as soon as ``parent`` (the importing process) is gone."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def decoded_ahead(family: str, zone: str, entries: Sequence[Entry]) -> Iterator[tuple[Entry, Bulk | None]]:
    """Each entry with its decoded arrays (or None), in order, decoded by a worker process; when
    no worker can be started (or it dies), entries come with None and are parsed here."""
    if len(entries) < MIN_FILES:
        yield from ((entry, None) for entry in entries)
        return
    pool: ProcessPoolExecutor | None = None
    # fork: a copy of this process, nothing re-imported (spawn would re-run the caller's main
    # module); where fork does not exist, everything is parsed here
    if "fork" in multiprocessing.get_all_start_methods():
        try:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_die_with, initargs=(os.getpid(),))
        except (OSError, RuntimeError, ValueError):
            pool = None

    def submit(entry: Entry) -> Future[Bulk | None] | None:
        nonlocal pool
        if pool is None:
            return None
        try:
            return pool.submit(_work, family, zone, *entry.locator())
        except Exception:  # a broken pool: finish without it
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
            return None

    pending: deque[tuple[Entry, Future[Bulk | None] | None]] = deque()
    queue = iter(entries)
    try:
        for entry in queue:
            pending.append((entry, submit(entry)))
            if len(pending) >= AHEAD:
                break
        while pending:
            entry, future = pending.popleft()
            result: Bulk | None = None
            if future is not None:
                try:
                    result = future.result()
                except Exception:  # the worker died: this and later files are parsed here
                    result = None
            following = next(queue, None)
            if following is not None:
                pending.append((following, submit(following)))
            yield entry, result
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

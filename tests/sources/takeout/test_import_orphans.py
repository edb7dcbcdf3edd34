"""``fitbit-sync import`` killed with SIGKILL leaves no process behind (issue 10, "also seen"):
its decoding worker (``prefetch.py``) used to stay blocked on a pipe forever. The worker must end
by itself within seconds, through ``PR_SET_PDEATHSIG`` and, with that switched off, through its
parent watch alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from fitbit_sync.sources.takeout.synthetic import Spec, write_export

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

RUN_IMPORT = """
import sys
from fitbit_sync.sources.takeout import prefetch
if sys.argv[2] == "watch-only":
    prefetch.PR_SET_PDEATHSIG = 0  # prctl(0, ...) fails: only the parent watch is left
from fitbit_sync.cli import main
sys.exit(main(["import", sys.argv[1]]))
"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("orphans") / "takeout.zip"
    write_export(path, Spec(start=date(2024, 1, 1), days=36))  # 36 heart-rate files: the worker decodes them
    return path


def children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found.update(int(c) for c in fh.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (dead, not yet reaped by whoever adopted it) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
@pytest.mark.parametrize("guard", ["pdeathsig", "watch-only"])
def test_a_killed_import_leaves_no_worker_behind(guard: str, archive: Path, tmp_path: Path) -> None:
    env = {**os.environ, "FITBIT_SYNC_DATA_DIR": str(tmp_path / "data"),
           "FITBIT_SYNC_SQLITE_PATH": str(tmp_path / "data" / "fitbit.db")}
    proc = subprocess.Popen([sys.executable, "-c", RUN_IMPORT, str(archive), guard], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not workers and proc.poll() is None and time.monotonic() < deadline:
            workers = children(proc.pid)
            time.sleep(0.02)
        assert workers, f"the import never started its worker: {proc.communicate()[1].decode()[-2000:]}"
        time.sleep(0.3)  # the worker is past its start-up, blocked on its queue or decoding
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)], "the import's worker outlived it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for worker in workers:  # only ours, and only if the fix failed
            if alive(worker):
                os.kill(worker, signal.SIGKILL)
        if proc.stderr:
            proc.stderr.close()

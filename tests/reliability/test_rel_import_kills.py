"""Crashes of ``fitbit-sync import``: SIGKILLed at random moments of an import of a synthetic
Takeout archive (33 days, heart rate every 30 s in legacy JSON files, which the import decodes
in a forked worker), in chains of up to three kills, then run to the end. After each kill no process
the import started may still be alive 5 s later (its decoding worker used to stay blocked on a
pipe for good); the SQLite file must pass ``quick_check``; the final store equals an
uninterrupted import row by row, coverage included.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import rel_support as rs
from rel_ledger import Ledger
from rel_watch import ChildWatch, alive, descendants

from fitbit_sync.sources.takeout.synthetic import Spec, write_export

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

#: SIGKILLs of `import` (CI: one chain of two kills; bench/reliability.py raises it)
IMPORT_KILLS = int(os.environ.get("FITBIT_SYNC_RELIABILITY_IMPORT_KILLS", "") or 2)
#: 33 heart-rate files (the worker's minimum is 32), each decoded to more than a pipe holds; no
#: per-minute families (they would only make the comparison slower)
SPEC = Spec(start=date(2024, 1, 1), days=33, hr_interval_s=30,
            exclude=frozenset({"steps", "distance", "altitude", "calories"}))
CHAIN = 3  # kills at most before a run is let finish
GRACE_S = 5.0  # how long a child may take to notice its parent is gone


@dataclass
class Tally:
    kills: int = 0
    survived: int = 0  # kills after which nothing outlived the import and the file was sound
    finished_first: int = 0
    with_worker: int = 0
    survivors: int = 0
    corrupt: int = 0
    chains: int = 0
    lost: int = 0
    extra: int = 0
    coverage_mismatches: int = 0
    details: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("import-kills") / "takeout-20240107T000000Z-001.zip"
    write_export(path, SPEC)
    return path


def import_env(root: Path) -> dict[str, str]:
    return {"FITBIT_SYNC_DATA_DIR": str(root / "data"), "FITBIT_SYNC_SQLITE_PATH": str(root / "fitbit.db"),
            "FITBIT_SYNC_LOG_LEVEL": "DEBUG"}


def quick_check(db: Path) -> bool:
    if not db.exists():
        return True
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def test_import_killed_at_random_moments(archive: Path, ledger: Ledger, tmp_path: Path) -> None:
    args = ["import", "--quiet", str(archive)]
    clean_root = tmp_path / "clean"
    started = time.monotonic()
    proc = rs.start_cli(args, import_env(clean_root))
    watch = ChildWatch(proc)
    clean = rs.finish(proc, args, started)
    assert clean.code == 0, clean.describe()
    assert watch.first_at is not None, "the import started no decoding worker: nothing to orphan"
    seconds = clean.seconds
    worker = (watch.first_at - started, (watch.last_at or watch.first_at) - started)
    reference = rs.sqlite_rows(clean_root / "fitbit.db")
    reference_coverage = rs.sqlite_coverage(clean_root / "fitbit.db")
    rows = sum(len(v) for v in reference.values())
    r = rs.rng("import-kills")
    tally = Tally()
    try:
        while tally.kills < IMPORT_KILLS:
            tally.chains += 1
            root = tmp_path / f"chain{tally.chains}"
            env = import_env(root)
            for k in range(min(CHAIN, IMPORT_KILLS - tally.kills, r.randint(1, CHAIN))):
                # the first kill of a chain and half the others while the worker lives (drawn over
                # the first 60 % of its life in the clean run, counted from its start in this one),
                # the others anywhere from the process start
                in_worker = k == 0 or r.random() < 0.5
                delay = r.uniform(0.0, 0.6 * (worker[1] - worker[0])) if in_worker else r.uniform(0.3, seconds)
                started = time.monotonic()
                proc = rs.start_cli(args, env)
                children = ChildWatch(proc)
                while in_worker and children.first_at is None and proc.poll() is None:
                    time.sleep(0.002)
                since = children.first_at if in_worker and children.first_at is not None else started
                while time.monotonic() - since < delay and proc.poll() is None:
                    time.sleep(0.005)
                had_worker = any(alive(p) for p in descendants(proc.pid))
                proc.kill()  # a no-op when it has ended already
                proc.wait(30)
                try:  # before reading its output: a surviving child holds the pipes open
                    survivors = children.survivors(GRACE_S)
                finally:
                    children.kill_survivors()
                result = rs.finish(proc, args, started)
                assert result.code in (0, -signal.SIGKILL), result.describe()
                tally.kills += 1
                tally.finished_first += result.code == 0
                tally.with_worker += had_worker
                tally.survivors += len(survivors)
                assert not survivors, f"{len(survivors)} process(es) outlived the killed import by {GRACE_S} s"
                ok = quick_check(root / "fitbit.db")
                tally.corrupt += not ok
                assert ok, "the SQLite file fails quick_check after a kill"
                tally.survived += 1
            final = rs.run_cli(args, env)
            assert final.code == 0, final.describe()
            diff = rs.compare(reference, rs.sqlite_rows(root / "fitbit.db"))
            tally.lost += diff.lost
            tally.extra += diff.extra
            assert diff.identical, diff.tables
            coverage_ok = rs.sqlite_coverage(root / "fitbit.db") == reference_coverage
            tally.coverage_mismatches += not coverage_ok
            assert coverage_ok, "coverage differs from an uninterrupted import"
    finally:
        ledger.add("Crashes", "import: SIGKILL at random moments, no process left behind, rerun, compare",
                   tried=tally.kills, survived=tally.survived,
                   lost={"rows lost": tally.lost, "rows duplicated/changed": tally.extra,
                         "processes outliving the import": tally.survivors,
                         "coverage mismatches": tally.coverage_mismatches},
                   detail=f"{tally.chains} chains, each compared with the {rows:,} rows of an uninterrupted import "
                          f"({seconds:.1f} s, its worker {worker[0]:.1f}-{worker[1]:.1f} s); "
                          f"{tally.with_worker} kills with the decoding worker running; "
                          f"{tally.finished_first} runs ended before their kill")

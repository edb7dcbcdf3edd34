"""Bad input, fuzzed with hypothesis through the whole command line (``fitbit_sync.cli.main`` in
this process, so hundreds of inputs stay fast): API answers, export archives, settings and
dates, token files and store files. The rule for every input: the command succeeds, or fails
with one ``fitbit-sync: error:`` line and a non-zero exit code; never a traceback; never a row
that was stored before gone; a token file it refused left exactly as it was.

Every run starts from a copy of the reference database (the rows an earlier backfill stored).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import rel_support as rs
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from rel_fuzz import BYTE_EDIT, JSON_EDIT, JSON_VALUES, RESPONSE_PLANS, mutate_bytes, mutate_json, response_mutator
from rel_ledger import Ledger

from fitbit_sync.auth.tokens import TokenStore
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.sources.takeout.synthetic import Spec, build
from fitbit_sync.stores.sqlite import quote
from support.emulator import emulator_env

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

FUZZ = settings(max_examples=rs.EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
SEED = int.from_bytes(rs.SEED.encode()[:8].ljust(8, b"\0"), "big")
FUZZ_TYPES = ("steps", "sleep", "exercise", "weight", "body-fat", "oxygen-saturation", "heart-rate-variability",
              "respiratory-rate-sleep-summary", "daily-resting-heart-rate", "daily-heart-rate-variability",
              "daily-oxygen-saturation", "daily-respiratory-rate", "daily-sleep-temperature-derivations",
              "daily-vo2-max", "daily-heart-rate-zones", "floors", "active-zone-minutes", "time-in-heart-rate-zone",
              "active-minutes", "total-calories", "sedentary-period", "paired-devices")


class Tally:
    """Inputs tried and kept (the hypothesis example that fails is counted, then re-raised)."""

    def __init__(self) -> None:
        self.tried = 0
        self.ok = 0
        self.exit_codes: dict[int, int] = {}
        self.rows_lost = 0

    def run(self, check: Callable[[], int]) -> None:
        self.tried += 1
        code = check()
        self.exit_codes[code] = self.exit_codes.get(code, 0) + 1
        self.ok += 1

    def codes(self) -> str:
        return ", ".join(f"exit {code}: {n}" for code, n in sorted(self.exit_codes.items()))


@pytest.fixture
def scratch() -> Iterator[Callable[[], Path]]:
    """Fresh directories for hypothesis examples (one per example, all removed at the end)."""
    made: list[Path] = []

    def make() -> Path:
        made.append(Path(tempfile.mkdtemp(prefix="fitbit-sync-rel-")))
        return made[-1]

    try:
        yield make
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


def copy_db(reference: Any, root: Path) -> Path:
    db = root / "fitbit.db"
    shutil.copyfile(reference.workspace.db, db)
    return db


def stored_keys(db: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Primary keys of every measurement row."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        keys = {}
        for name, m in MEASUREMENTS.items():
            cols = ["date" if m.key == "date" else "time", *(quote(t) for t in m.tags)]
            keys[name] = set(conn.execute(f"SELECT {', '.join(cols)} FROM {quote(name)}").fetchall())
        return keys
    finally:
        conn.close()


def keys_lost(before: dict[str, set[tuple[Any, ...]]], db: Path) -> int:
    after = stored_keys(db)
    return sum(len(keys - after.get(name, set())) for name, keys in before.items())


def check_result(result: rs.Result) -> None:
    assert "Traceback" not in result.err and "Traceback" not in result.out, result.describe()
    assert result.code == 0 or result.one_line_error(), result.describe()


# --- API answers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_keys(reference: Any) -> dict[str, set[tuple[Any, ...]]]:
    return stored_keys(reference.workspace.db)


def test_fuzzed_api_answers(account: Any, reference: Any, reference_keys: Any, ledger: Ledger, tmp_path: Path,
                            scratch: Callable[[], Path]) -> None:
    """Every answer of a backfill (settings, data pages, rollups, devices, TCX) rewritten: values of
    any JSON type at any depth, keys deleted, list items doubled, another JSON document, bytes
    that are not JSON, a body cut short."""
    token = tmp_path / "token.json"
    rs.sign_in(account.emu, token)
    tally = Tally()

    @FUZZ
    @seed(SEED)
    @given(plan=RESPONSE_PLANS, types=st.lists(st.sampled_from(FUZZ_TYPES), min_size=1, max_size=4, unique=True))
    def example(plan: list[Any], types: list[str]) -> None:
        def check() -> int:
            root = scratch()
            db = copy_db(reference, root)
            env = emulator_env(account.emu, root, **rs.TIER_SETTINGS, max_retries=0)
            env["FITBIT_SYNC_TOKEN_FILE"] = str(token)
            account.probe.mutate = response_mutator(plan)
            try:
                result = rs.run_main(rs.backfill_args(*rs.NEXT_RANGE, types=",".join(types)), env)
            finally:
                account.probe.mutate = None
            check_result(result)
            lost = keys_lost(reference_keys, db)
            tally.rows_lost += lost
            assert lost == 0
            return result.code

        tally.run(check)

    try:
        example()
    finally:
        ledger.add("Bad input", "API answers fuzzed (values, types, deletions, non-JSON, cut bodies)",
                   tried=tally.tried, survived=tally.ok, lost={"rows lost": tally.rows_lost},
                   detail=f"backfills of random type sets; {tally.codes()}")
    assert tally.exit_codes.get(0, 0) > 0 or tally.tried < 5  # some inputs must stay readable


# --- export archives -------------------------------------------------------------------------------

ARCHIVE_SPEC = Spec(start=date(2025, 3, 13), days=2, hr_interval_s=60)
WEIRD_NAMES = ("../../escape.json", "/absolute/heart_rate-2025-03-13.json", "Takeout/Fitbit/" + "x" * 300 + ".json",
               "Takeout/Fitbit/Global Export Data/heart_rate-2025-03-13.json/", "Takeout/Fitbit/\u00e9\u00e8/steps.csv",
               "Takeout/Fitbit/Global Export Data/sleep-9999-99-99.json", "")


@pytest.fixture(scope="module")
def archive_files() -> list[tuple[str, bytes]]:
    return build(ARCHIVE_SPEC)


def zip_of(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        warnings.simplefilter("ignore")  # duplicate names are one of the hostile inputs
        for name, data in files:
            z.writestr(name or "unnamed", data)
    return buffer.getvalue()


MEMBER_EDIT = st.tuples(st.integers(min_value=0, max_value=10_000),
                        st.one_of(st.tuples(st.just("json"), st.lists(JSON_EDIT, min_size=1, max_size=4)),
                                  st.tuples(st.just("bytes"), st.lists(BYTE_EDIT, min_size=1, max_size=3)),
                                  st.tuples(st.just("name"), st.sampled_from(WEIRD_NAMES)),
                                  st.tuples(st.just("value"), JSON_VALUES)))
ARCHIVE_EDIT = st.one_of(
    st.tuples(st.just("members"), st.lists(MEMBER_EDIT, min_size=1, max_size=5)),
    st.tuples(st.just("zip-bytes"), st.lists(BYTE_EDIT, min_size=1, max_size=4)),
)


def make_archive(files: list[tuple[str, bytes]], edit: tuple[str, Any]) -> bytes:
    kind, edits = edit
    if kind == "zip-bytes":
        return mutate_bytes(zip_of(files), edits)
    files = list(files)
    for index, (what, arg) in edits:
        i = index % len(files)
        name, data = files[i]
        if what == "name":
            files[i] = (arg, data)
        elif what == "bytes":
            files[i] = (name, mutate_bytes(data, arg))
        elif what == "value":
            files[i] = (name, json.dumps(arg).encode())
        elif name.endswith(".json"):
            try:
                doc = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            files[i] = (name, json.dumps(mutate_json(doc, arg)).encode())
    return zip_of(files)


def test_fuzzed_archives(reference: Any, reference_keys: Any, archive_files: list[tuple[str, bytes]], ledger: Ledger,
                         scratch: Callable[[], Path]) -> None:
    """``fitbit-sync import`` of a synthetic export whose zip bytes are overwritten, cut or padded,
    or whose files get other contents, other JSON, broken bytes or hostile names."""
    tally = Tally()

    @FUZZ
    @seed(SEED + 1)
    @given(edit=ARCHIVE_EDIT)
    def example(edit: tuple[str, Any]) -> None:
        def check() -> int:
            outer = scratch()
            root = outer / "work"
            (root / "inbox").mkdir(parents=True)
            db = copy_db(reference, root)
            archive = root / "inbox" / "takeout-20250316T000000Z-001.zip"
            archive.write_bytes(make_archive(archive_files, edit))
            result = rs.run_main(["import", "--quiet", str(archive)], {
                "FITBIT_SYNC_SQLITE_PATH": str(db), "FITBIT_SYNC_DATA_DIR": str(root / "data")})
            check_result(result)
            assert result.code in (0, 7), result.describe()
            assert [p.name for p in outer.iterdir()] == ["work"]  # nothing written outside (../ in names)
            lost = keys_lost(reference_keys, db)
            tally.rows_lost += lost
            assert lost == 0
            return result.code

        tally.run(check)

    try:
        example()
    finally:
        ledger.add("Bad input", "export archives fuzzed (zip bytes, file contents, hostile names)",
                   tried=tally.tried, survived=tally.ok, lost={"rows lost": tally.rows_lost},
                   detail=f"`fitbit-sync import` into a store holding an API backfill; {tally.codes()}")


# --- settings and dates ----------------------------------------------------------------------------

SETTING_NAMES = ("STORE", "QUOTA_PER_MINUTE", "REQUEST_TIMEOUT", "MAX_CONCURRENCY", "MAX_RETRIES", "TYPES",
                 "TIME_ZONE", "LOG_LEVEL", "HEART_RATE_RESOLUTION", "API_BASE_URL", "TOKEN_URL", "CLIENT_ID",
                 "INFLUXDB_BATCH_POINTS", "INFLUXDB_GZIP", "POSTGRES_SCHEMA", "SYNC_INTERVAL_MINUTES",
                 "DEVICE_NAME", "INFLUXDB_URL", "POSTGRES_DSN", "UNKNOWN_SETTING")
TEXT = st.text(max_size=30) | st.sampled_from(["", "0", "-1", "1e9", "nan", "sqlite", "postgres", "influxdb1",
                                               "raw", "https://api.fitbit.com", "Europe/Berlin", "Mars/Olympus",
                                               "heart-rate,steps:daily", "steps,,", "true", "DEBUG", "\x00"])
DATES = st.text(max_size=14) | st.dates().map(str) | st.sampled_from(
    ["2025-02-30", "2025-13-01", "0000-01-01", "1999-12-31", "9999-12-31", "2025-3-1", "20250301", " 2025-03-01 ",
     "2025-03-01T00:00", "yesterday", "-1", ""])
TOML = st.one_of(st.text(max_size=80), st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
                 st.dictionaries(st.sampled_from(["store", "types", "quota_per_minute", "time_zone", "nonsense",
                                                  "fitbit-sync"]), TEXT | st.integers(), max_size=3).map(
                     lambda d: "\n".join(f"{k} = {json.dumps(v)}" for k, v in d.items())))


def test_fuzzed_settings_and_dates(tmp_path: Path, ledger: Ledger, scratch: Callable[[], Path]) -> None:
    """Random values for settings (environment and TOML file) and random --start/--end/--types:
    a usage error (exit 2) or, when everything happens to be valid, the next check (no token
    yet: exit 3) — one line either way."""
    tally = Tally()

    @FUZZ
    @seed(SEED + 2)
    @given(values=st.dictionaries(st.sampled_from(SETTING_NAMES), TEXT, max_size=4), toml=st.none() | TOML,
           start=DATES, end=DATES, types=st.none() | TEXT, command=st.sampled_from(["backfill", "sync", "status"]))
    def example(values: dict[str, str], toml: str | None, start: str, end: str, types: str | None,
                command: str) -> None:
        def check() -> int:
            root = scratch()
            env = {f"FITBIT_SYNC_{k}": v.replace("\x00", "") for k, v in values.items()}
            env.update({"FITBIT_SYNC_TOKEN_FILE": str(root / "none" / "token.json"),
                        "FITBIT_SYNC_DATA_DIR": str(root / "data"), "FITBIT_SYNC_SQLITE_PATH": str(root / "f.db")})
            if toml is not None:
                (root / "config.toml").write_text(toml, encoding="utf-8", errors="replace")
                env["FITBIT_SYNC_CONFIG"] = str(root / "config.toml")
            env.setdefault("FITBIT_SYNC_CLIENT_ID", "rel-client")
            args = {"backfill": ["backfill", "--start", start, "--end", end], "sync": ["sync"],
                    "status": ["status"]}[command]
            if types is not None and command != "status":
                args += ["--types", types]
            if env.get("FITBIT_SYNC_STORE") in ("postgres", "influxdb1", "influxdb2", "influxdb3"):
                env["FITBIT_SYNC_STORE"] = "sqlite"  # no network servers from random settings
            result = rs.run_main(args, env)
            check_result(result)
            assert command == "status" or result.code != 0, result.describe()
            return result.code

        tally.run(check)

    try:
        example()
    finally:
        ledger.add("Bad input", "settings (environment, TOML) and dates fuzzed", tried=tally.tried,
                   survived=tally.ok, lost={}, detail=f"backfill, sync and status; {tally.codes()}")


# --- token files -----------------------------------------------------------------------------------

TOKEN_EDIT = st.one_of(
    st.tuples(st.just("json"), st.lists(JSON_EDIT, min_size=1, max_size=3)),
    st.tuples(st.just("bytes"), st.lists(BYTE_EDIT, min_size=1, max_size=3)),
    st.tuples(st.just("mode"), st.sampled_from([0o644, 0o640, 0o604, 0o666, 0o400, 0o000, 0o700])),
    st.tuples(st.just("kind"), st.sampled_from(["empty", "directory", "dangling symlink"])),
)


def corrupt_token_file(path: Path, edit: tuple[str, Any]) -> None:
    kind, arg = edit
    if kind == "json":
        path.write_bytes(json.dumps(mutate_json(orjson.loads(path.read_bytes()), arg)).encode())
    elif kind == "bytes":
        path.write_bytes(mutate_bytes(path.read_bytes(), arg))
    elif kind == "mode":
        os.chmod(path, arg)
    elif arg == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
        if arg == "directory":
            path.mkdir()
        elif arg == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to(path.parent / "nowhere" / "token.json")


def snapshot(path: Path) -> tuple[Any, ...]:
    st_ = os.lstat(path) if os.path.lexists(path) else None
    content = path.read_bytes() if st_ is not None and path.is_file() and not path.is_symlink() else None
    return (st_.st_mode if st_ else None, content)


def test_fuzzed_token_files(account: Any, reference: Any, ledger: Ledger, scratch: Callable[[], Path]) -> None:
    """A token file with edited JSON, broken bytes, unsafe modes, or not a file at all. Refused:
    one line (exit 3 or 4), the file left exactly as it was. Still valid: the backfill runs."""
    tally = Tally()
    changed_but_valid, changed_when_refused = [0], [0]

    @FUZZ
    @seed(SEED + 3)
    @given(edit=TOKEN_EDIT)
    def example(edit: tuple[str, Any]) -> None:
        def check() -> int:
            root = scratch()
            ws = rs.workspace(account.emu, root)
            copy_db(reference, root)
            corrupt_token_file(ws.token_file, edit)
            before = snapshot(ws.token_file)
            result = rs.run_main(rs.backfill_args(*rs.NEXT_RANGE, types="weight"), ws.env)
            check_result(result)
            if result.code != 0:
                assert result.code in (3, 4), result.describe()
                changed_when_refused[0] += snapshot(ws.token_file) != before
                assert snapshot(ws.token_file) == before, "a refused token file was changed"
            else:
                changed_but_valid[0] += 1
                assert TokenStore(ws.token_file).load() is not None  # still loads (refresh token or not)
                assert not os.stat(ws.token_file).st_mode & 0o077
            return result.code

        tally.run(check)

    try:
        example()
    finally:
        ledger.add("Bad input", "token files corrupted (JSON edits, bytes, modes, not a file)", tried=tally.tried,
                   survived=tally.ok, lost={"refused token files changed": changed_when_refused[0]},
                   detail=f"{tally.codes()} ({changed_but_valid[0]} edits left a usable token)")


# --- store files -----------------------------------------------------------------------------------

STATE_KEYS = ("google-health:time_zone", "google-health:last_run", "daemon:next", "")
STREAM_KEYS = ("steps", "steps:daily", "sleep", "weight", "floors:rollup", "nonsense")
STATE_EDIT = st.one_of(
    st.tuples(st.just("bytes"), st.lists(BYTE_EDIT, min_size=1, max_size=3)),
    st.tuples(st.just("coverage"), st.lists(st.tuples(st.sampled_from(STREAM_KEYS), JSON_VALUES, JSON_VALUES,
                                                      JSON_VALUES), min_size=1, max_size=4)),
    st.tuples(st.just("state"), st.dictionaries(st.sampled_from(STATE_KEYS), TEXT | JSON_VALUES.map(str),
                                                min_size=1, max_size=3)),
    st.tuples(st.just("table"), st.tuples(st.sampled_from(["drop", "wrong columns", "view"]),
                                          st.sampled_from(sorted(MEASUREMENTS)))),
)


def sql_value(value: Any) -> Any:
    if value is None or isinstance(value, str | float | bytes):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if abs(value) < 2**63 else str(value)
    return json.dumps(value)


def corrupt_store(db: Path, edit: tuple[str, Any]) -> None:
    kind, arg = edit
    if kind == "bytes":
        db.write_bytes(mutate_bytes(db.read_bytes(), arg))
        return
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        if kind == "coverage":
            for stream, *values in arg:
                with contextlib.suppress(sqlite3.IntegrityError):  # NULLs: the schema refuses them
                    conn.execute("INSERT OR REPLACE INTO _coverage VALUES ('google-health', ?, ?, ?, ?)",
                                 (stream, *(sql_value(v) for v in values)))
        elif kind == "state":
            conn.executemany("INSERT OR REPLACE INTO _state VALUES (?, ?)", list(arg.items()))
        else:
            how, table = arg
            conn.execute(f"DROP TABLE {quote(table)}")
            if how == "wrong columns":
                conn.execute(f"CREATE TABLE {quote(table)} (time TEXT, other BLOB)")
            elif how == "view":
                conn.execute(f"CREATE VIEW {quote(table)} AS SELECT 1 AS time")
    finally:
        conn.close()


def test_fuzzed_store_files(account: Any, reference: Any, ledger: Ledger, scratch: Callable[[], Path]) -> None:
    """The SQLite store file with overwritten bytes, nonsense coverage rows (text, floats, huge or
    inverted ranges), nonsense state values, or a measurement table dropped, replaced or made a
    view; then a backfill. Rows readable before are still there afterwards."""
    tally = Tally()
    lost_rows = [0]

    @FUZZ
    @seed(SEED + 4)
    @given(edit=STATE_EDIT)
    def example(edit: tuple[str, Any]) -> None:
        def check() -> int:
            root = scratch()
            ws = rs.workspace(account.emu, root)
            db = copy_db(reference, root)
            corrupt_store(db, edit)
            try:
                before = stored_keys(db)
            except sqlite3.Error:
                before = None  # unreadable already: nothing the run could lose
            result = rs.run_main(rs.backfill_args(*rs.NEXT_RANGE, types="steps,sleep,weight,floors"), ws.env)
            check_result(result)
            if before is not None and db.exists():
                try:
                    lost = keys_lost(before, db)
                except sqlite3.Error as exc:
                    raise AssertionError(f"the store was readable before the run, not after: {exc}") from None
                lost_rows[0] += lost
                assert lost == 0
            assert db.exists()
            return result.code

        tally.run(check)

    try:
        example()
    finally:
        ledger.add("Bad input", "store files corrupted (bytes, coverage, state, tables)", tried=tally.tried,
                   survived=tally.ok, lost={"rows lost": lost_rows[0]}, detail=tally.codes())

"""``fitbit-sync demo``: the whole pipeline against the built-in emulator, no Google account needed.

Starts the Google Health API + OAuth emulator in a thread on a free port, signs in through the
real OAuth code (PKCE, loopback redirect; the "browser" is an HTTP GET that follows the
emulator's automatic consent), backfills ``--days`` days ending today (or ``--end``) into ``--db``
and prints a table of what was stored, the same summary line as ``backfill`` (whose API calls are
the number ``status`` shows for the run) and the command that opens the dashboard on it. The same
seed and ``--end`` give the same data on any calendar day, which is what the tests rely on. The
token lives in a temporary directory and is thrown away; your own settings, token and database are
never touched, and no lock file is left beside the demo database.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import filelock
import httpx
import typer
from rich.console import Console
from rich.table import Table

from fitbit_sync.errors import ConfigError

STATE_DEMO_SEED = "demo:seed"
MAX_DAYS = 3 * 366
#: The emulator serves this much history before the demo's days: the user enters a height once in
#: every 91 days, so any 182 days hold one; the backfill reads only its days (and all heights).
HISTORY_BEFORE_DAYS = 183


def _open_in_http_client(url: str) -> None:
    """The demo's browser: follow the emulator's consent redirect to our loopback listener."""
    httpx.get(url, follow_redirects=True, timeout=30)


def run_demo(days: int, db: Path, seed: int, console: Console | None = None, end: date | None = None) -> None:
    """Backfill ``days`` days ending ``end`` (default: the user's local today) of the emulated
    user ``seed`` into ``db``."""
    from fitbit_sync.auth.flow import authorize
    from fitbit_sync.catalog import select_streams
    from fitbit_sync.commands.sync import print_report
    from fitbit_sync.config import Settings
    from fitbit_sync.emulator.config import EmulatorConfig
    from fitbit_sync.emulator.server import run_in_thread
    from fitbit_sync.stores.registry import SQLITE
    from fitbit_sync.stores.sqlite import SQLiteStore
    from fitbit_sync.sync.locking import lock_path
    from fitbit_sync.sync.logging_setup import command_logging, stderr_is_terminal
    from fitbit_sync.sync.session import SyncSession

    console = console or Console(soft_wrap=True, highlight=False)
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    db = db.expanduser()
    _check_demo_db(db, seed)
    today = end or datetime.now(UTC).date()
    # a day of margin on both sides: the user's local today may be UTC's yesterday or tomorrow; and
    # half a year of history before, where the emulated user entered a height (BMI needs the latest)
    start = today - timedelta(days=days + 1 + HISTORY_BEFORE_DAYS)
    config = EmulatorConfig(seed=seed, start=start, end=today + timedelta(days=1),
                            cache_days=min(days + 4, 100))  # ~4.5 MB a day; smaller caches double the CPU
    with tempfile.TemporaryDirectory(prefix="fitbit-sync-demo-") as tmp, run_in_thread(config) as server:
        base = server.base_url
        values: dict[str, Any] = dict(
            client_id=config.client_id, client_secret=config.client_secret, api_base_url=base,
            auth_url=f"{base}/o/oauth2/v2/auth", token_url=f"{base}/token", revoke_url=f"{base}/revoke",
            token_file=Path(tmp) / "token.json", data_dir=Path(tmp), store=SQLITE.name, sqlite_path=db,
            quota_per_minute=config.quota_per_minute, time_zone=None, types=[],
        )
        settings = Settings(**values)
        console.print(f"emulator on {base} (seed {seed}); signing in through its OAuth consent ...")
        authorize(settings, open_browser=_open_in_http_client, echo=lambda _line: None, timeout=30)
        with command_logging(settings), SyncSession(settings, progress=stderr_is_terminal()) as session:
            assert session.store is not None and session.client is not None
            session.store.set_state(STATE_DEMO_SEED, str(seed))
            zone = session.resolve_zone()
            local_today = end or datetime.now(zone).date()
            first = local_today - timedelta(days=days - 1)
            console.print(f"backfilling {first} .. {local_today} ({days} days, user's zone {zone.key}) into {db}")
            requests = session.plan_backfill(select_streams(None), first, local_today)
            before = sum(session.client.calls.values())  # the zone lookup above is not the run's
            report = session.run(requests, "demo")
            calls = sum(session.client.calls.values()) - before
        _remove_lock_file(lock_path(settings))
    with SQLiteStore(db) as store:
        stats = store.measurement_stats()
    table = Table(title=f"{db}: {len(stats)} measurements")
    table.add_column("measurement")
    table.add_column("rows", justify="right")
    table.add_column("first")
    table.add_column("last")
    for s in stats:
        table.add_row(s.name, f"{s.rows:,}", _local(s.first_ms, zone), _local(s.last_ms, zone))
    console.print(table)
    print_report(f"demo {first}..{local_today}", report, calls, console)
    console.print(f"open it with: {program()} dashboard --db {shlex.quote(str(db))}", markup=False)
    report.raise_for_failures()


def program() -> str:
    """fitbit-sync as it was called, to print a command that works as shown: ``fitbit-sync`` when
    that is what PATH finds, else the path it was started by (``.venv/bin/fitbit-sync`` from
    scripts/demo.sh)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started is None or started.name != "fitbit-sync":
        return "fitbit-sync"  # python -m, tests
    found = shutil.which("fitbit-sync")
    if found and Path(found).resolve() == started.resolve():
        return "fitbit-sync"
    if started.is_absolute() and started.is_relative_to(Path.cwd()):
        started = started.relative_to(Path.cwd())  # .venv/bin/fitbit-sync, as the README shows it
    return shlex.quote(str(started))


def _remove_lock_file(path: Path) -> None:
    """The sync lock file beside the demo database, removed while holding the lock: a concurrent
    writer either holds it (the file stays) or takes a fresh one afterwards."""
    lock = filelock.FileLock(path, timeout=0)
    try:
        lock.acquire()
    except (filelock.Timeout, OSError):
        return
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
    finally:
        lock.release()


def _check_demo_db(db: Path, seed: int) -> None:
    """Refuse to mix a different user's (seed's) data, or to write into a non-demo database."""
    if not db.exists():
        return
    from fitbit_sync.stores.sqlite import SQLiteStore

    with SQLiteStore(db) as store:
        previous = store.get_state(STATE_DEMO_SEED)
        has_data = bool(store.measurement_stats())
    if previous is None and has_data:
        raise ConfigError(f"{db} holds data that the demo did not write; pass another --db")
    if previous is not None and previous != str(seed):
        raise ConfigError(f"{db} holds demo data of seed {previous}; delete it or pass --seed {previous}")


def _local(ms: int | None, zone: ZoneInfo) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%d %H:%M")


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        days: int = typer.Option(90, "--days", help="days of history to backfill, ending today (or --end)"),
        db: Path = typer.Option(Path("demo.db"), "--db", help="SQLite file to fill"),
        seed: int = typer.Option(1, "--seed", help="the emulated user (same seed, same data)"),
        end: str | None = typer.Option(None, "--end", metavar="YYYY-MM-DD",
                                       help="last day of the history (default: today)"),
    ) -> None:
        """Try everything without a Google account: emulator + OAuth + backfill into ./demo.db."""
        from fitbit_sync.days import latest_today, parse_date

        last = parse_date(end, "end") if end is not None else None
        if last is not None and last > latest_today():
            raise ConfigError(f"the end date {last} is in the future (today is {latest_today()})")
        run_demo(days, db, seed, end=last)

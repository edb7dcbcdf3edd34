"""``fitbit-sync sync`` (incremental, from each stream's bookmark) and ``fitbit-sync backfill``
(a date range, resumable and Ctrl-C safe)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from fitbit_sync.commands.options import config_option, db_option, store_settings, types_option
from fitbit_sync.net.transport import Stopped
from fitbit_sync.sync.engine import INTERRUPTED_MESSAGE, Interrupted, RunReport
from fitbit_sync.sync.runner import (
    SyncSession,
    check_range,
    choose_streams,
    command_logging,
    parse_date,
    stderr_is_terminal,
)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C: stop cleanly, keep what is stored, exit 130 with the line that
    says how to resume, also when it comes before the engine runs (e.g. while the user's zone is
    fetched)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    installed = False
    try:
        previous = signal.signal(signal.SIGTERM, handler)
        installed = True
    except ValueError:  # not the main thread
        pass
    try:
        yield
    except (KeyboardInterrupt, Stopped):
        raise Interrupted(INTERRUPTED_MESSAGE) from None
    finally:
        if installed:
            signal.signal(signal.SIGTERM, previous)


def print_report(what: str, report: RunReport, calls: int, console: Console | None = None) -> None:
    """The run's summary, each line one line however narrow the terminal or pipe. ``calls``: the
    requests the run sent to the Google Health API, retries included; ``status`` shows the same
    number. A *range* is one data type over some days, as planned: it may take many calls (pages)."""
    console = console or Console(soft_wrap=True, markup=False, highlight=False)
    console.print(
        f"{what}: {report.completed}/{report.planned} ranges fetched with {calls:,} API calls "
        f"({report.pages:,} pages), {report.records:,} records in {report.seconds:.1f} s"
    )
    skipped = sum(report.skipped.values())
    if skipped:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items()))
        console.print(f"skipped {skipped:,} malformed data points ({detail})")
    changed = sum(report.changed.values())
    if changed:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(report.changed.items()))
        console.print(f"stored {changed:,} text values changed to fit the store ({detail})")
    for key, message in sorted(report.missing_scopes.items()):
        console.print(f"not synced: {key}: {message}")


def run_backfill(start: str, end: str, types: str | None, config: Path | None, db: Path | None = None) -> None:
    first, last = parse_date(start, "start"), parse_date(end, "end")
    check_range(first, last)
    settings = store_settings(config, db)
    streams = choose_streams(settings, types)
    with command_logging(settings), sigterm_as_interrupt(), \
            SyncSession(settings, progress=stderr_is_terminal()) as session:
        zone = session.resolve_zone()
        check_range(first, last, zone)
        requests = session.plan_backfill(streams, first, last)
        assert session.client is not None
        before = sum(session.client.calls.values())
        report = session.run(requests, "backfill")
        print_report(f"backfill {first}..{last}", report, sum(session.client.calls.values()) - before)
        report.raise_for_failures()


def run_sync(types: str | None, config: Path | None, db: Path | None = None) -> None:
    settings = store_settings(config, db)
    streams = choose_streams(settings, types)
    with command_logging(settings), sigterm_as_interrupt(), \
            SyncSession(settings, progress=stderr_is_terminal()) as session:
        session.resolve_zone()
        requests = session.plan_sync(streams)
        assert session.client is not None
        before = sum(session.client.calls.values())
        report = session.run(requests, "sync")
        print_report("sync", report, sum(session.client.calls.values()) - before)
        report.raise_for_failures()


def register(app: typer.Typer) -> None:
    @app.command("sync")
    def sync_command(
        types: str | None = types_option(),
        db: Path | None = db_option(),
        config: Path | None = config_option(),
    ) -> None:
        """Fetch what is new since the last sync (yesterday and today on a first run)."""
        run_sync(types, config, db)

    @app.command("backfill")
    def backfill_command(
        start: str = typer.Option(..., "--start", help="first local date, YYYY-MM-DD"),
        end: str = typer.Option(..., "--end", help="last local date, YYYY-MM-DD (inclusive)"),
        types: str | None = types_option(),
        db: Path | None = db_option(),
        config: Path | None = config_option(),
    ) -> None:
        """Fetch history for a date range; resumable: run it again after Ctrl-C or a crash."""
        run_backfill(start, end, types, config, db)

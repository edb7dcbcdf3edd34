"""``fitbit-sync import PATH...``: a Google Takeout / Fitbit export archive into the store.

Thin: options are checked here, the work is ``fitbit_sync.sources.takeout.import_archives``. A Rich
progress bar (bytes of the archive read, rate, ETA) runs on stderr when it is a terminal; the
summary (rows and first/last day per measurement, files skipped and why) goes to stdout.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from fitbit_sync.commands.options import config_option, db_option, store_settings
from fitbit_sync.errors import ConfigError
from fitbit_sync.sources.takeout import ImportOptions, ImportSummary, import_archives
from fitbit_sync.sources.takeout.timezones import resolve_zone
from fitbit_sync.stores.factory import open_store
from fitbit_sync.sync.locking import store_lock

WEIGHT_UNITS = ("auto", "lb", "kg")
MAX_LISTED = 20


class RichProgress:
    """The importer's progress, as a Rich bar measured in bytes of the archive."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("[bold]import"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), TextColumn("{task.fields[file]}", style="dim"),
            console=console, transient=False,
        )
        self._task: TaskID | None = None

    def start(self, total_bytes: int, files: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("import", total=max(total_bytes, 1), file=f"{files} files")

    def advance(self, nbytes: int, label: str) -> None:
        if self._task is not None:
            self._bar.update(self._task, advance=nbytes, file=label[-60:])

    def stop(self) -> None:
        self._bar.stop()


def print_summary(summary: ImportSummary, console: Console) -> None:
    table = Table(title="Imported", title_justify="left")
    table.add_column("Measurement")
    table.add_column("Rows", justify="right")
    table.add_column("First day")
    table.add_column("Last day")
    for m in summary.measurements:
        table.add_row(m.name, f"{m.rows:,}", m.first_day, m.last_day)
    if summary.measurements:
        console.print(table)
    else:
        console.print("Imported: nothing (no readable data in the recognised files)")
    statuses = Counter(f.status for f in summary.files)
    console.print(
        f"Files: {statuses['imported']} imported, {statuses['empty']} empty, {statuses['failed']} failed, "
        f"{statuses['duplicate']} duplicate copies, {statuses['not imported']} not imported, "
        f"{summary.ignored_files} not recognised, {summary.bulk_files} bulk files skipped unread"
    )
    console.print(f"Rows: {summary.rows_written:,} written, {summary.rows_skipped:,} skipped "
                  f"(placeholders, NaN, other data sources, days taken from another copy)")
    failed = [f for f in summary.files if f.status == "failed"]
    for report in failed[:MAX_LISTED]:
        console.print(f"  failed: {report.label}: {report.reason}", markup=False, highlight=False)
    if len(failed) > MAX_LISTED:
        console.print(f"  ... and {len(failed) - MAX_LISTED} more failed files")
    partial = [f for f in summary.files if f.status == "imported" and f.malformed]
    for report in partial[:MAX_LISTED]:
        console.print(f"  partly read: {report.label}: {report.reason}", markup=False, highlight=False)
    skipped_families = Counter((f.family, f.reason) for f in summary.files if f.status == "not imported")
    for (family, reason), count in sorted(skipped_families.items()):
        console.print(f"  not imported: {count} {family} file(s): {reason}", markup=False, highlight=False)
    console.print(f"Time zone: {summary.zone} (from {summary.zone_origin}); layout: {'; '.join(summary.layouts)}",
                  markup=False, highlight=False)
    streams = sorted({c.stream for c in summary.coverage})
    if streams:
        console.print(f"API sync will skip the imported days of: {', '.join(streams)}")
    console.print(f"Done in {summary.seconds:.1f} s")


def run_import(paths: list[Path], time_zone: str | None, weight_unit: str, prefer_source: list[str],
               config: Path | None, quiet: bool, db: Path | None = None) -> ImportSummary:
    if weight_unit not in WEIGHT_UNITS:
        raise ConfigError(f"--weight-unit must be one of {', '.join(WEIGHT_UNITS)}, not {weight_unit!r}")
    if time_zone and resolve_zone(time_zone) is None:
        raise ConfigError(f"unknown time zone {time_zone!r} (use an IANA name such as Europe/Berlin)")
    settings = store_settings(config, db)
    options = ImportOptions(device=settings.device_name, time_zone=time_zone,
                            settings_time_zone=settings.time_zone, weight_unit=weight_unit,
                            prefer_sources=tuple(prefer_source))
    progress = None if quiet or not sys.stderr.isatty() else RichProgress(Console(stderr=True))
    with store_lock(settings):
        store = open_store(settings)
        try:
            summary = import_archives(paths, store, options, progress)
        finally:
            if progress is not None:
                progress.stop()
            store.close()
    print_summary(summary, Console(soft_wrap=True))
    return summary


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_command(
        paths: list[Path] = typer.Argument(..., metavar="PATH...",
                                           help="the export: zip file(s), every numbered part, or extracted folders"),
        time_zone: str | None = typer.Option(
            None, "--time-zone", help="IANA zone of the archive's local times (default: the archive's "
                                      "Profile.csv, then settings.time_zone, then UTC)"),
        weight_unit: str = typer.Option("auto", "--weight-unit",
                                        help="unit of legacy weight logs: auto (from their BMI), lb or kg"),
        prefer_source: list[str] = typer.Option(
            [], "--prefer-source", help="data source to keep first in per-source CSVs (repeatable), e.g. 'Charge 6'"),
        db: Path | None = db_option(),
        config: Path | None = config_option(),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    ) -> None:
        """Import a Google Takeout / Fitbit export archive (no API calls); safe to run again."""
        run_import(paths, time_zone, weight_unit, prefer_source, config, quiet, db)

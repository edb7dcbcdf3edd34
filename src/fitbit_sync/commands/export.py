"""``fitbit-sync export``: stored measurements to CSV or Parquet files, from any store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from fitbit_sync.commands.options import config_option, db_option, store_settings
from fitbit_sync.days import local_midnight_ms, optional_day
from fitbit_sync.errors import ConfigError, FitbitSyncError


def run_export(fmt: str, out: Path, measurements: list[str], start: str | None, end: str | None,
               config: Path | None, db: Path | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from fitbit_sync.export import export
    from fitbit_sync.stores.factory import describe, open_store_to_read

    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"--format must be csv or parquet, not {fmt!r}")
    first, last = optional_day(start, "--start"), optional_day(end, "--end")
    if first and last and last < first:
        raise ConfigError("--end is before --start")
    settings = store_settings(config, db)
    zone = ZoneInfo(settings.time_zone or "UTC")
    start_ms = local_midnight_ms(first, zone) if first else None
    end_ms = local_midnight_ms(last + timedelta(days=1), zone) if last else None
    names = [part for item in measurements for part in item.split(",")]
    store = open_store_to_read(settings)
    try:
        results = export(store, out, fmt, names, start_ms, end_ms)  # type: ignore[arg-type]
        where = describe(store, settings)
    finally:
        store.close()
    written = [r for r in results if r.rows]
    if not written:
        span = f" from {first or 'the start'} to {last or 'the end'}" if first or last else ""
        raise FitbitSyncError(f"nothing to export: {where} has no rows of "
                              f"{'the chosen measurements' if names else 'any measurement'}{span}; no file written")
    table = Table("Measurement", "Rows", "File", title=f"Exported from {store.name} to {out}")
    for item in written:
        table.add_row(item.measurement, f"{item.rows:,}", item.path.name if item.path else "")
    Console().print(table)
    print(f"{len(written)} file(s), {sum(r.rows for r in written):,} rows")


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        fmt: str = typer.Option("csv", "--format", "-f", help="csv or parquet (needs pyarrow)"),
        out: Path = typer.Option(..., "--out", "-o", help="directory for the files (one per measurement)"),
        measurements: list[str] = typer.Option(
            [], "--measurements", "-m", help="measurements to export, comma-separated or repeated (default: all)"),
        start: str | None = typer.Option(None, "--start", help="first day, YYYY-MM-DD (in FITBIT_SYNC_TIME_ZONE, "
                                                               "else UTC)"),
        end: str | None = typer.Option(None, "--end", help="last day, YYYY-MM-DD (inclusive)"),
        db: Path | None = db_option(),
        config: Path | None = config_option(),
    ) -> None:
        """Export stored measurements to CSV or Parquet files, one per measurement, from any store."""
        run_export(fmt, out, measurements, start, end, config, db)

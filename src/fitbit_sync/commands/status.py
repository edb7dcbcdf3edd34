"""``fitbit-sync status``: per data type the newest point, last sync and rows; token expiry; quota."""

from __future__ import annotations

from pathlib import Path

import typer

from fitbit_sync.commands.options import config_option, db_option, store_settings


def run_status(config: Path | None, db: Path | None = None) -> None:
    from fitbit_sync.stores.factory import open_store_to_read
    from fitbit_sync.sync.status import collect, render

    settings = store_settings(config, db)
    store = open_store_to_read(settings)
    try:
        render(collect(settings, store))
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status_command(db: Path | None = db_option(), config: Path | None = config_option()) -> None:
        """Show what is stored per data type, the token's expiry and the last run's API calls."""
        run_status(config, db)
